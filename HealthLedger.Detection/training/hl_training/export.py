"""Export: the ONNX file with its hl.* metadata (the model contract), the parity file, and the
metrics file. docs/detection.md describes the contract."""
from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import numpy as np
import onnx
import torch
import torch.nn as nn

from .data import MODELS
from .model import HP


def export(model: nn.Module, path: Path, meta: dict, parity_x: np.ndarray) -> int:
    """Writes the ONNX graph (opset 15, dynamic batch, input `features`, output `probabilities`) with
    `meta` as metadata_props, checks it, and writes <name>.parity.json beside it. Returns the size."""
    path.parent.mkdir(parents=True, exist_ok=True)
    model.eval()
    dummy = torch.tensor(parity_x[:2], dtype=torch.float32)
    torch.onnx.export(model, dummy, str(path), input_names=["features"], output_names=["probabilities"],
                      dynamic_axes={"features": {0: "N"}, "probabilities": {0: "N"}},
                      opset_version=15, do_constant_folding=True)
    m = onnx.load(str(path))
    set_metadata(m, meta)
    m.producer_name = "healthledger-training"
    onnx.checker.check_model(m, full_check=True)
    onnx.save(m, str(path))
    size = path.stat().st_size
    assert size < 3 * 1024 * 1024, size
    with torch.no_grad():
        probs = model(torch.tensor(parity_x, dtype=torch.float32)).numpy()
    parity = {"inputs": parity_x.astype(np.float32).tolist(), "probabilities": probs.astype(np.float32).tolist()}
    path.with_suffix(".parity.json").write_text(json.dumps(parity) + "\n")
    return size


def set_metadata(m: onnx.ModelProto, meta: dict) -> None:
    del m.metadata_props[:]
    for k, v in meta.items():
        p = m.metadata_props.add()
        p.key = k
        p.value = v


def update_metadata(path: Path, key: str, value: str) -> None:
    """Replaces one metadata_props entry of an exported model (the graph is untouched)."""
    m = onnx.load(str(path))
    meta = {p.key: p.value for p in m.metadata_props}
    assert key in meta, key
    meta[key] = value
    set_metadata(m, meta)
    onnx.checker.check_model(m, full_check=True)
    onnx.save(m, str(path))


def fingerprint(path: Path) -> str:
    """SHA-256 of the model without its hl.metrics entry: the evaluation stage rewrites hl.metrics only,
    so the fingerprint tells whether a file still holds the graph and metadata the fit stage exported."""
    import hashlib
    m = onnx.load(str(path))
    keep = [(p.key, p.value) for p in m.metadata_props if p.key != "hl.metrics"]
    set_metadata(m, dict(keep))
    return hashlib.sha256(m.SerializeToString()).hexdigest()


def metadata(path: Path) -> dict:
    return {p.key: p.value for p in onnx.load(str(path)).metadata_props}


def parity_rows(rows: np.ndarray, y: np.ndarray, n: int = 32) -> np.ndarray:
    """32 real windows: 16 normal and 16 attack, evenly spaced through `rows` (validation rows: the
    fitting stage never reads a test row)."""
    out = []
    for cls in (0, 1):
        r = rows[(y[rows] > 0) == bool(cls)]
        pick = np.linspace(0, len(r) - 1, n // 2).round().astype(int)
        out.extend(r[pick].tolist())
    return np.array(sorted(out))


def js(o) -> str:
    return json.dumps(o, separators=(",", ":"), ensure_ascii=False)


def training_meta(hp: HP, split_kind: str, best_epoch, rule: str, torch_version: str) -> dict:
    t = asdict(hp)
    if not hp.binary_raw:
        del t["binary_raw"]
    del t["min_val_specificity"]  # superseded by the protocol's rule (threshold_rule)
    t.update({"split": split_kind, "optimizer": "Adam", "ae_pretraining": "greedy layer-wise, sigmoid units, KL sparsity",
              "best_epoch": best_epoch,
              "baseline": "sklearn HistGradientBoostingClassifier(random_state=0, early_stopping=False) on the flattened raw "
                          "window [T*F]; second baseline RandomForestClassifier(n_estimators=300, random_state=0); "
                          "thresholds by the same rule as the model",
              "distillation": ("none" if hp.distill <= 0 else
                               f"teacher = the baseline GB, fitted on the training split only; fine-tuning loss = weighted CE(y) + "
                               f"{hp.distill} * tau^2 * KL(teacher_tau || student_tau) on the training windows, tau = {hp.distill_tau}; "
                               "the teacher never sees validation or test labels"),
              "threshold_rule": {"rule": rule, "applies_to": ["model", "baseline", "random_forest"],
                                 "chosen_on": "validation rows only (evaluation protocol, docs/detection.md)"},
              "torch": torch_version, "threads": 1})
    return t


def metrics_path(name: str) -> Path:
    return MODELS / f"{name}.metrics.json"


def onnx_path(name: str) -> Path:
    return MODELS / f"{name}.onnx"

