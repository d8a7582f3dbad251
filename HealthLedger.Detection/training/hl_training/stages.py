"""The two stages of the evaluation protocol (docs/detection.md, "Evaluation protocol").

`fit_stage` fits every model of the comparison, applies the protocol's one rule on validation rows
and exports the ONNX model; it opens no test file (data.FileLedger refuses them) and, on WUSTL,
drops the test blocks on load. `evaluate_stage` is a separate command: it reads the test data once,
scores every model in one pass, and records which files it read.
"""
from __future__ import annotations

import json
import pickle
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch
from sklearn.ensemble import HistGradientBoostingClassifier

from . import data as D
from .export import (export, fingerprint, js, metrics_path, onnx_path, parity_rows, training_meta,
                     update_metadata)
from .fitting import Fitted, fit_models
from .model import HP
from .selection import binary_metrics, multiclass_report, operating_points

WORK = D.HERE / ".work"  # fitted models handed from the fit stage to the evaluation stage (not committed)

# distill / distill_tau chosen on VALIDATION data (docs/detection.md lists every variant tried). WUSTL
# models carry per-history thresholds for a device's first T-1 records (cold start).
WUSTL_HP = HP(T=10, distill=10.0, distill_tau=4.0, thresholds_by_history=True)
WUSTL_FAST_HP = replace(WUSTL_HP, h1=32, h2=16, lstm_hidden=16)
WUSTL3_HP = HP(T=10, distill=10.0, distill_tau=4.0, thresholds_by_history=True)
NSL_HP = HP(T=1, epochs=30, distill=10.0, distill_tau=4.0, log_skew=0.0, binary_raw=True,
            distill_aug=1.0, members=3)


@dataclass(frozen=True)
class Spec:
    name: str
    dataset: str        # "wustl-ehms-2020" | "nsl-kdd"
    three_class: bool
    hp: HP


SPECS = {
    "wustl-binary": Spec("wustl-ehms-binary", "wustl-ehms-2020", False, WUSTL_HP),
    "wustl-3class": Spec("wustl-ehms-3class", "wustl-ehms-2020", True, WUSTL3_HP),
    "nsl-kdd": Spec("nsl-kdd-binary", "nsl-kdd", False, NSL_HP),
    "wustl-fast": Spec("wustl-ehms-binary-fast", "wustl-ehms-2020", False, WUSTL_FAST_HP),
}


def fit_data(spec: Spec, d: Path) -> D.FitData:
    if spec.dataset == "nsl-kdd":
        return D.nsl_fit_data(d, spec.hp.T)
    return D.wustl_fit_data(d, spec.three_class, spec.hp.T)


def fit_stage(spec: Spec, d: Path, log, work: Path = WORK) -> dict:
    """Fits, selects (validation only), exports. Returns the fit record (also kept for evaluate_stage)."""
    hp = spec.hp
    fd = fit_data(spec, d)
    sp, tab = fd.split, fd.tab
    log(f"== {spec.name}: fit {len(sp.train)} / validation {len(sp.val)} rows, F={len(tab.names)}, T={hp.T}")
    fitted = fit_models(tab, sp, hp, log)
    yb_va = (tab.y[sp.val] > 0).astype(np.int64)
    sel = operating_points(fitted.scorers(), sp, yb_va, hp.T, by_history=hp.thresholds_by_history)
    for role, t in sel["thresholds"].items():
        v = sel["validation"][role]
        log(f"  [{spec.name}] {role}: threshold {t:.6f} ({sel['rule']}); validation acc {v['accuracy']:.4f} "
            f"sens {v['sensitivity']:.4f} spec {v['specificity']:.4f}")
    thr = sel["thresholds"]["model"]
    pr = parity_rows(sp.val, tab.y)
    meta = {
        "hl.schema": "1",
        "hl.dataset": spec.dataset,
        "hl.dataset_sha256": D.sha256_file(fd.data_file),
        "hl.features": js(tab.names),
        "hl.window": str(hp.T),
        "hl.classes": js(tab.classes),
        "hl.threshold": repr(thr),
        "hl.training": js(training_meta(hp, fd.description["kind"], fitted.best_epoch, sel["rule"], torch.__version__)),
        "hl.metrics": js({"validation": sel["validation"]}),
        "hl.split": js(fd.description),
    }
    if "threshold_by_history" in sel:
        meta["hl.threshold_by_history"] = js(sel["threshold_by_history"]["model"])
    size = export(fitted.model, onnx_path(spec.name), meta, D.net_windows(tab.X, sp.widx[pr]))
    record = {"selection": sel, "files_read": fd.ledger.reads, "onnx_bytes": size, "best_epoch": fitted.best_epoch,
              "split": fd.description}
    work.mkdir(parents=True, exist_ok=True)
    with open(work / f"{spec.name}.pkl", "wb") as f:
        pickle.dump({"fitted": fitted, "record": record, "classes": tab.classes,
                     "onnx_sha256": D.sha256_file(onnx_path(spec.name)),
                     "onnx_fingerprint": fingerprint(onnx_path(spec.name))}, f)
    details: dict = {"fit": record}
    sha = D.sha256_file(onnx_path(spec.name))
    reads = previous_test_reads(spec, sha)  # a refit that reproduces an evaluated model keeps its count
    if reads:
        details["evaluation"] = {"model_sha256_before_metrics": sha, "test_reads": reads, "files_read": []}
    metrics_path(spec.name).write_text(json.dumps({"details": details, "threshold": thr, "onnx_bytes": size},
                                                  indent=2) + "\n")
    return record


def _curve(p: np.ndarray, yb: np.ndarray, points: list[dict]) -> list[dict]:
    out = []
    for pt in points:
        m = binary_metrics(p, yb, pt["threshold"])
        out.append({"specificity_demanded": pt["specificity"], "threshold": pt["threshold"], "accuracy": m["accuracy"],
                    "sensitivity": m["sensitivity"], "specificity": m["specificity"]})
    return out


def srcmac_leak(df, desc: dict) -> dict:
    """SrcMac alone, one GB fitted on the training blocks, scored on the test blocks."""
    y = df["Label"].to_numpy()
    x = (df["SrcMac"] == df["SrcMac"].iloc[0]).astype(float).to_numpy()[:, None]
    tr, te = D.block_rows(desc["train"], len(y)), D.block_rows(desc["test"], len(y))
    gb = HistGradientBoostingClassifier(random_state=0, early_stopping=False, max_iter=10).fit(x[tr], y[tr])
    return {"feature": "SrcMac (one-hot of the first MAC)", "model": "HistGradientBoosting, 1 feature",
            "test_accuracy": round(float((gb.predict(x[te]) == y[te]).mean()), 6)}


class TestDataAlreadyRead(RuntimeError):
    """The evaluation of this exported model already read the test data."""


def previous_test_reads(spec: Spec, onnx_sha256: str) -> int:
    """How many times the test data was read for the model the fit stage exported (0 if never)."""
    p = metrics_path(spec.name)
    if not p.exists():
        return 0
    ev = json.loads(p.read_text()).get("details", {}).get("evaluation")
    if not ev or ev.get("model_sha256_before_metrics") != onnx_sha256:
        return 0
    return int(ev.get("test_reads", 1))


def evaluate_stage(spec: Spec, d: Path, log, work: Path = WORK, repeat: bool = False) -> dict:
    """Reads the test data once and scores every model of the comparison at its validation-chosen
    threshold, along the accuracy-vs-demanded-specificity curve and (WUSTL) at every history length.
    A second evaluation of the same exported model is refused unless `repeat`, and then counted in
    the metrics file (`details.evaluation.test_reads`) so the model card can disclose it."""
    with open(work / f"{spec.name}.pkl", "rb") as f:
        ck = pickle.load(f)
    path = onnx_path(spec.name)
    reads = previous_test_reads(spec, ck["onnx_sha256"])
    if reads and not repeat:
        raise TestDataAlreadyRead(f"the test data of {spec.name} was already read {reads} time(s) for this model; "
                                  "evaluate.py --repeat reads it again and records the count")
    if fingerprint(path) != ck["onnx_fingerprint"]:
        raise SystemExit(f"{path} is not the model the fit stage exported; run train.py --only first")
    fitted: Fitted = ck["fitted"]
    rec = ck["record"]
    sel = rec["selection"]
    hp = spec.hp
    ledger = D.FileLedger(allow_test_files=True)
    extra: dict = {"fit": {k: v for k, v in rec.items() if k != "selection"}, "protocol": {
        "rule": sel["rule"], "thresholds": sel["thresholds"], "chosen_on": "validation rows only"},
        "validation": sel["validation"]}
    if spec.dataset == "nsl-kdd":
        sets = D.nsl_test_sets(d, hp.T, ledger)
    else:
        df = D.wustl_frame(d, ledger, "test blocks (b mod 5 = 4); SrcMac leak check (SrcMac and Label of the "
                                      "training and test blocks)")
        full = D.wustl_table(df, spec.three_class)
        tab, widx, ids = D.keep_blocks(full, rec["split"]["test"], hp.T)
        sets = [D.TestSet("test", tab, widx, np.concatenate([ids[b] for b in rec["split"]["test"]]))]
        extra["leak_check"] = srcmac_leak(df, rec["split"])
    probs = fitted.probabilities()
    thr = sel["thresholds"]
    metrics: dict = {}
    for ts in sets:
        y = ts.tab.y[ts.rows]
        yb = (y > 0).astype(np.int64)
        P = {role: f(ts.tab.X, ts.widx[ts.rows]) for role, f in probs.items()}
        pa = {role: 1.0 - p[:, 0] for role, p in P.items()}
        metrics[ts.name] = {role: binary_metrics(pa[role], yb, thr[role]) for role in P}
        extra.setdefault("curve", {})[ts.name] = {role: _curve(pa[role], yb, sel["curve"][role]) for role in P}
        if len(ck["classes"]) > 2:
            extra.setdefault("multiclass", {})[ts.name] = {
                role: multiclass_report(P[role], y, thr[role], ck["classes"]) for role in P}
        if "threshold_by_history" in sel:
            rows = []
            for h in range(1, hp.T + 1):
                iv = D.truncate(ts.widx[ts.rows], h)
                e: dict = {"history": h}
                for role, f in probs.items():
                    ph = 1.0 - f(ts.tab.X, iv)[:, 0]
                    e[role] = binary_metrics(ph, yb, thr[role])
                    e[f"{role}_by_history"] = binary_metrics(ph, yb, sel["threshold_by_history"][role][h - 1])
                rows.append(e)
            extra.setdefault("cold_start", {})[ts.name] = rows
        for role, m in metrics[ts.name].items():
            log(f"  [{spec.name}] {ts.name} {role}: acc {m['accuracy']:.4f} sens {m['sensitivity']:.4f} "
                f"spec {m['specificity']:.4f} f1 {m['f1']:.4f} auc {m['rocAuc']:.4f} (threshold {thr[role]:.6f})")
    if spec.dataset == "nsl-kdd":
        metrics["test"] = metrics["KDDTest+"]  # alias: the primary test set
    if "threshold_by_history" in sel:
        extra["threshold_by_history"] = sel["threshold_by_history"]
    extra["evaluation"] = {"command": "HealthLedger.Detection/training/evaluate.py", "files_read": ledger.reads,
                           "model_sha256_before_metrics": ck["onnx_sha256"], "test_reads": reads + 1}
    update_metadata(path, "hl.metrics", js({**metrics, "validation": sel["validation"]}))
    out = dict(metrics)
    out.update({"details": extra, "threshold": thr["model"], "onnx_bytes": rec["onnx_bytes"]})
    metrics_path(spec.name).write_text(json.dumps(out, indent=2) + "\n")
    return out
