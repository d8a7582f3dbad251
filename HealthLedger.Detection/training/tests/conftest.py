"""Small synthetic datasets in the real files' layouts, so the tests run in seconds without the shared data."""
from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from hl_training import data as D  # noqa: E402

WUSTL_COLUMNS = ("Dir,Flgs,SrcAddr,DstAddr,Sport,Dport,SrcBytes,DstBytes,SrcLoad,DstLoad,SrcGap,DstGap,SIntPkt,DIntPkt,"
                 "SIntPktAct,DIntPktAct,SrcJitter,DstJitter,sMaxPktSz,dMaxPktSz,sMinPktSz,dMinPktSz,Dur,Trans,TotPkts,"
                 "TotBytes,Load,Loss,pLoss,pSrcLoss,pDstLoss,Rate,SrcMac,DstMac,Packet_num,Temp,SpO2,Pulse_Rate,SYS,DIA,"
                 "Heart_rate,Resp_Rate,ST,Attack Category,Label").split(",")
NSL_ATTRS = """@attribute 'duration' real
@attribute 'protocol_type' {'tcp','udp', 'icmp'}
@attribute 'service' {'http', 'smtp', 'ftp'}
@attribute 'flag' { 'REJ', 'SF' }
""" + "".join(f"@attribute 'f{k}' real\n" for k in range(37)) + "@attribute 'class' {'normal', 'anomaly'}\n"


def write_wustl(d: Path, rows: int, seed: int = 0) -> None:
    """A WUSTL-layout CSV whose feature value Rate = row number, so a test can see which rows a stage kept."""
    rng = np.random.RandomState(seed)
    f = d / D.WUSTL_FILE
    f.parent.mkdir(parents=True, exist_ok=True)
    const = {"SrcGap", "DstGap", "DIntPktAct", "Trans", "dMinPktSz"}
    lines = [",".join(WUSTL_COLUMNS)]
    for r in range(rows):
        attack = r % 7 == 3
        vals = []
        for c in WUSTL_COLUMNS:
            if c == "Attack Category":
                vals.append("Spoofing" if attack else "normal")
            elif c == "Label":
                vals.append("1" if attack else "0")
            elif c in const:
                vals.append("0")
            elif c == "Rate":
                vals.append(str(r))
            elif c in ("Dir", "Flgs", "SrcAddr", "DstAddr", "SrcMac", "DstMac"):
                vals.append("x")
            else:
                vals.append(f"{rng.rand():.4f}")
        lines.append(",".join(vals))
    f.write_text("\n".join(lines) + "\n")


def write_nsl(d: Path, rel: str, rows: int, seed: int = 0) -> None:
    rng = np.random.RandomState(seed)
    (d / "nsl-kdd").mkdir(parents=True, exist_ok=True)
    (d / D.NSL_ATTRS).write_text(NSL_ATTRS)
    out = []
    for r in range(rows):
        attack = ["normal", "neptune", "smurf"][r % 3]
        out.append(",".join([str(r), ["tcp", "udp", "icmp"][r % 3], ["http", "smtp", "ftp"][r % 3], ["REJ", "SF"][r % 2]]
                            + [f"{rng.rand():.3f}" for _ in range(37)] + [attack, "21"]))
    (d / rel).write_text("\n".join(out) + "\n")


@pytest.fixture
def wustl_dir(tmp_path: Path) -> Path:
    write_wustl(tmp_path, 5 * D.WUSTL_BLOCK + 120)  # 6 blocks: 2 validation, 4 test, 0, 1, 3, 5 training
    return tmp_path


@pytest.fixture
def nsl_train_only_dir(tmp_path: Path) -> Path:
    """The NSL-KDD training file and schema, and no test file at all."""
    write_nsl(tmp_path, D.NSL_TRAIN, 50)
    return tmp_path
