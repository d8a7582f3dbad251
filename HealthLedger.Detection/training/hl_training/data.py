"""Data: locating and loading the datasets, the splits, and the window construction (the model contract).

Every file opened here goes through `open_data_file`, which records it in a `FileLedger`, so a
stage can prove which files it read (the evaluation protocol, docs/detection.md).
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent.parent
MODELS = HERE.parent / "Models"

WUSTL_FILE = "wustl-ehms-2020/wustl-ehms-2020_with_attacks_categories.csv"
NSL_TRAIN = "nsl-kdd/KDDTrain+_20Percent.txt"
NSL_TESTS = {"KDDTest+": "nsl-kdd/KDDTest+.txt", "KDDTest-21": "nsl-kdd/KDDTest-21.txt"}
NSL_ATTRS = "nsl-kdd/attributes_from_arff.txt"
TEST_FILES = frozenset(NSL_TESTS.values())

# Identifiers (and a row counter) - never features. SrcMac alone gives the label (leak).
# Packet_num is a running packet counter that tracks the file row (corr. 0.99999), i.e. a
# time stamp: with a blocked split it would let a model learn *when* attacks happened.
WUSTL_IDENTIFIERS = ["Dir", "Flgs", "SrcAddr", "DstAddr", "Sport", "Dport", "SrcMac", "DstMac", "Packet_num"]
# Constant over the whole file (data README); asserted below.
WUSTL_CONSTANT = ["SrcGap", "DstGap", "DIntPktAct", "Trans", "dMinPktSz"]
WUSTL_LABELS = ["Attack Category", "Label"]
WUSTL_CLASSES3 = ["normal", "Spoofing", "Data Alteration"]
WUSTL_BLOCK = 500


class TestDataRefused(RuntimeError):
    """A stage that must not read test data tried to."""


@dataclass
class FileLedger:
    """The data files a stage read: relative path, SHA-256, data rows and purpose. With
    `allow_test_files=False` opening an NSL-KDD test file raises TestDataRefused."""
    allow_test_files: bool
    reads: list[dict] = field(default_factory=list)

    def record(self, d: Path, rel: str, rows: int, purpose: str) -> None:
        self.reads.append({"file": rel, "sha256": sha256_file(d / rel), "rows": int(rows), "purpose": purpose})


def open_data_file(d: Path, rel: str, ledger: FileLedger) -> Path:
    if rel in TEST_FILES and not ledger.allow_test_files:
        raise TestDataRefused(f"{rel} is a test file; the fitting and selection stages never read test files")
    return d / rel


def repo_root() -> Path:
    p = HERE
    while p != p.parent:
        if (p / "HealthLedger.sln").exists():
            return p
        p = p.parent
    raise SystemExit("cannot find HealthLedger.sln above " + str(HERE))


def data_dir() -> Path:
    env = os.environ.get("HEALTHLEDGER_DATA")
    d = Path(env) if env else repo_root().parent / "shared" / "data"
    if not (d / WUSTL_FILE).exists():
        raise SystemExit(f"data not found in {d}; set HEALTHLEDGER_DATA to the shared data folder")
    return d


def sha256_file(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


@dataclass
class Table:
    """Raw feature matrix (file order), labels and feature names."""
    X: np.ndarray  # float64 [rows, F], raw values
    y: np.ndarray  # int64 [rows] class index (0 = normal)
    names: list[str]
    classes: list[str]
    attack: np.ndarray | None = None  # NSL-KDD only: attack family name per row ("normal" for normal)


def wustl_frame(d: Path, ledger: FileLedger, purpose: str) -> pd.DataFrame:
    df = pd.read_csv(open_data_file(d, WUSTL_FILE, ledger))
    ledger.record(d, WUSTL_FILE, len(df), purpose)
    return df


def wustl_table(df: pd.DataFrame, three_class: bool) -> Table:
    for c in WUSTL_CONSTANT:
        assert df[c].nunique() == 1, c
    feats = [c for c in df.columns if c not in WUSTL_IDENTIFIERS + WUSTL_CONSTANT + WUSTL_LABELS]
    X = df[feats].to_numpy(dtype=np.float64)
    if three_class:
        cat = df["Attack Category"].str.strip()
        y = cat.map({c: i for i, c in enumerate(WUSTL_CLASSES3)}).to_numpy()
        assert not np.isnan(y.astype(float)).any()
        assert ((y > 0) == (df["Label"].to_numpy() == 1)).all()
        classes = WUSTL_CLASSES3
    else:
        y = df["Label"].to_numpy()
        classes = ["normal", "attack"]
    return Table(X, y.astype(np.int64), feats, classes)


def nsl_schema(d: Path) -> tuple[list[str], dict[str, list[str]]]:
    """Attribute names and, for the 3 string categoricals, their category lists (ARFF order)."""
    names: list[str] = []
    cats: dict[str, list[str]] = {}
    for line in (d / NSL_ATTRS).read_text().splitlines():
        if not line.startswith("@attribute"):
            continue
        name = line.split("'")[1]
        if name == "class":
            continue
        names.append(name)
        if name in ("protocol_type", "service", "flag"):
            body = line[line.index("{") + 1: line.index("}")]
            cats[name] = [v.strip().strip("'") for v in body.split(",")]
    assert len(names) == 41
    return names, cats


def load_nsl(d: Path, rel: str, ledger: FileLedger, purpose: str) -> Table:
    names, cats = nsl_schema(d)
    df = pd.read_csv(open_data_file(d, rel, ledger), header=None, names=names + ["attack", "difficulty"])
    ledger.record(d, rel, len(df), purpose)
    return nsl_table(df, names, cats)


def nsl_table(df: pd.DataFrame, names: list[str], cats: dict[str, list[str]]) -> Table:
    cols: list[np.ndarray] = []
    feats: list[str] = []
    for n in names:
        if n in cats:
            v = df[n].astype(str).to_numpy()
            for c in cats[n]:
                cols.append((v == c).astype(np.float64))
                feats.append(f"{n}={c}")
        else:
            cols.append(df[n].to_numpy(dtype=np.float64))
            feats.append(n)
    X = np.stack(cols, axis=1)
    attack = df["attack"].astype(str).str.strip().to_numpy()
    y = (attack != "normal").astype(np.int64)
    return Table(X, y, feats, ["normal", "attack"], attack)


# --------------------------------------------------------------------------------------
# Windows (contract): row i in a segment starting at s -> rows max(s, i-T+1+j), j=0..T-1
# --------------------------------------------------------------------------------------
def window_index(segments: list[tuple[int, int]], T: int) -> np.ndarray:
    """[rows, T] row indices; row i's window ends at i, left-padded with the segment's first row."""
    total = max(e for _, e in segments)
    idx = np.full((total, T), -1, dtype=np.int64)
    for s, e in segments:
        i = np.arange(s, e)[:, None]
        j = np.arange(T)[None, :]
        idx[s:e] = np.maximum(s, i - (T - 1) + j)
    assert (idx >= 0).all()
    return idx


def net_windows(X: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """The network's input for window indices [n,T]: raw float32 windows [n,T,F]."""
    return X[idx].astype(np.float32)


def gb_windows(X: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """The baseline's input for window indices [n,T]: raw float64 windows flattened to [n,T*F]."""
    return X[idx].reshape(len(idx), -1)


def block_rows(bs: list[int], rows: int) -> np.ndarray:
    """Row ids of the WUSTL blocks bs, in block order."""
    return np.concatenate([np.arange(b * WUSTL_BLOCK, min((b + 1) * WUSTL_BLOCK, rows)) for b in bs])


def truncate(idx: np.ndarray, h: int) -> np.ndarray:
    """Window indices [n,T] cut to the last h records, left-padded with the earliest kept one
    (what a device with only h records of history gets at run time)."""
    T = idx.shape[1]
    if h >= T:
        return idx
    out = idx.copy()
    out[:, :T - h] = idx[:, [T - h]]
    return out


def cold_start_index(widx_rows: np.ndarray, frac: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Extra training windows: a seeded subset (frac) of the rows, each cut to a history h ~ U{1..T-1}.
    Returns (positions into widx_rows, truncated window indices)."""
    T = widx_rows.shape[1]
    rng = np.random.RandomState(seed + 3)
    n = int(round(frac * len(widx_rows)))
    pos = np.sort(rng.choice(len(widx_rows), size=n, replace=False))
    hs = rng.randint(1, T, size=n)
    idx = widx_rows[pos].copy()
    for k, h in enumerate(hs):
        idx[k, :T - h] = idx[k, T - h]
    return pos, idx


def synthetic_windows(Xw: np.ndarray, names: list[str], ratio: float, seed: int) -> np.ndarray:
    """Feature-group swaps between random pairs of raw training windows [n,T,F] (float64)."""
    groups: dict[str, int] = {}
    gid = np.array([groups.setdefault(n.split("=")[0], len(groups)) for n in names])
    rng = np.random.RandomState(seed + 4)
    n = int(round(ratio * len(Xw)))
    a, b = rng.randint(len(Xw), size=n), rng.randint(len(Xw), size=n)
    take_b = (rng.rand(n, len(groups)) < 0.5)[:, gid]  # [n,F]
    return np.where(take_b[:, None, :], Xw[b], Xw[a])


def blocks(rows: int, B: int) -> list[tuple[int, int]]:
    return [(b, min(b + B, rows)) for b in range(0, rows, B)]




# --------------------------------------------------------------------------------------
# Splits
# --------------------------------------------------------------------------------------
@dataclass
class Split:
    X: np.ndarray            # raw rows (only the rows this stage may see)
    widx: np.ndarray          # [rows, T] window indices into X
    train: np.ndarray         # row ids (window end) per part
    val: np.ndarray
    tests: dict[str, np.ndarray]


def wustl_blocks(rows: int) -> dict[str, list[int]]:
    """The blocked split: blocks of WUSTL_BLOCK rows; b mod 5 = 2 validation, b mod 5 = 4 test, the rest training."""
    nb = (rows + WUSTL_BLOCK - 1) // WUSTL_BLOCK
    return {"train": [b for b in range(nb) if b % 5 not in (2, 4)],
            "validation": [b for b in range(nb) if b % 5 == 2],
            "test": [b for b in range(nb) if b % 5 == 4]}


def wustl_split_description(rows: int) -> dict:
    bl = wustl_blocks(rows)
    return {"kind": "blocked", "file": WUSTL_FILE, "block_size": WUSTL_BLOCK, "train": bl["train"],
            "validation": bl["validation"], "test": bl["test"]}


def keep_blocks(tab: Table, bs: list[int], T: int) -> tuple[Table, np.ndarray, dict[int, np.ndarray]]:
    """A table holding only the rows of blocks `bs` (file order), its window index (each block its
    own segment, so windows never cross a block edge), and each block's row ids in the new table."""
    rows = len(tab.y)
    parts, segs, ids, off = [], [], {}, 0
    for b in sorted(bs):
        r = np.arange(b * WUSTL_BLOCK, min((b + 1) * WUSTL_BLOCK, rows))
        parts.append(r)
        segs.append((off, off + len(r)))
        ids[b] = np.arange(off, off + len(r))
        off += len(r)
    keep = np.concatenate(parts)
    sub = Table(tab.X[keep], tab.y[keep], tab.names, tab.classes, None if tab.attack is None else tab.attack[keep])
    return sub, window_index(segs, T), ids


@dataclass
class FitData:
    """What the fitting and selection stage may see: training and validation rows only."""
    tab: Table
    split: Split
    description: dict   # hl.split (the split as C# rebuilds it)
    data_file: Path     # the file whose SHA-256 goes into hl.dataset_sha256
    ledger: FileLedger


def wustl_fit_data(d: Path, three_class: bool, T: int) -> FitData:
    """The WUSTL training and validation blocks; the test blocks are dropped before anything else runs."""
    ledger = FileLedger(allow_test_files=False)
    df = wustl_frame(d, ledger, "training and validation blocks (test blocks dropped on load)")
    full = wustl_table(df, three_class)
    desc = wustl_split_description(len(full.y))
    tab, widx, ids = keep_blocks(full, desc["train"] + desc["validation"], T)
    tr = np.concatenate([ids[b] for b in desc["train"]])
    va = np.concatenate([ids[b] for b in desc["validation"]])
    return FitData(tab, Split(tab.X, widx, tr, va, {}), desc, d / WUSTL_FILE, ledger)


def nsl_split_description(n_fit: int, n_tr: int) -> dict:
    return {"kind": "files", "train": NSL_TRAIN, "test": NSL_TESTS,
            "validation": {"file": NSL_TRAIN, "rows": [n_fit, n_tr],
                           "description": f"data rows [{n_fit}, {n_tr}) (0-based, file order, the last 20%) of the "
                                          f"training file are the validation split; rows [0, {n_fit}) are fitted. "
                                          f"Windows run over the whole training file (a validation row's window may "
                                          f"include earlier training rows as context); each test file is its own segment."}}


def nsl_fit_data(d: Path, T: int) -> FitData:
    """The NSL-KDD training file only: rows [0, 80 %) fitted, the rest validation. No test file is opened."""
    ledger = FileLedger(allow_test_files=False)
    tab = load_nsl(d, NSL_TRAIN, ledger, "training (first 80 %) and validation (last 20 %) rows")
    n_tr = len(tab.y)
    n_fit = int(round(0.8 * n_tr))
    widx = window_index([(0, n_tr)], T)
    return FitData(tab, Split(tab.X, widx, np.arange(0, n_fit), np.arange(n_fit, n_tr), {}),
                   nsl_split_description(n_fit, n_tr), d / NSL_TRAIN, ledger)


@dataclass
class TestSet:
    """One test set as read by the evaluation stage: raw rows, window index and the rows scored."""
    name: str
    tab: Table
    widx: np.ndarray
    rows: np.ndarray


def wustl_test_sets(d: Path, three_class: bool, T: int, ledger: FileLedger) -> list[TestSet]:
    df = wustl_frame(d, ledger, "test blocks (b mod 5 = 4)")
    full = wustl_table(df, three_class)
    desc = wustl_split_description(len(full.y))
    tab, widx, ids = keep_blocks(full, desc["test"], T)
    return [TestSet("test", tab, widx, np.concatenate([ids[b] for b in desc["test"]]))]


def nsl_test_sets(d: Path, T: int, ledger: FileLedger) -> list[TestSet]:
    out = []
    for name, rel in NSL_TESTS.items():
        tab = load_nsl(d, rel, ledger, f"test file {name}")
        out.append(TestSet(name, tab, window_index([(0, len(tab.y))], T), np.arange(len(tab.y))))
    return out
