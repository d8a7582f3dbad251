"""Generates the tiny contract-conforming ONNX models used by the detection unit tests.

Run from this folder with: /usr/bin/python3 make_tiny_models.py
Outputs (all a few KB): tiny-binary.onnx (+ tiny-binary.parity.json, PyTorch outputs) and
broken variants, each breaking exactly one rule of the model contract.
"""
import copy
import json

import numpy as np
import onnx
import torch
from torch import nn

torch.manual_seed(7)
FEATURES = ["duration", "src_bytes", "protocol_type=tcp", "protocol_type=udp", "protocol_type=icmp", "Temp"]
T = 3
F = len(FEATURES)
MEAN = np.array([10.0, 500.0, 0.5, 0.3, 0.2, 37.0], dtype=np.float32)
STD = np.array([5.0, 250.0, 0.5, 0.45, 0.4, 1.5], dtype=np.float32)


class Tiny(nn.Module):
    def __init__(self, rank3=True, classes=2):
        super().__init__()
        self.rank3 = rank3
        self.register_buffer("mean", torch.tensor(MEAN))
        self.register_buffer("std", torch.tensor(STD))
        self.lstm = nn.LSTM(F, 4, batch_first=True, bidirectional=True)
        self.head = nn.Linear(8, classes)

    def forward(self, features):
        x = (features - self.mean) / self.std
        if not self.rank3:
            x = x.unsqueeze(1)
        out, _ = self.lstm(x)
        return torch.softmax(self.head(out[:, -1, :]), dim=-1)


def metadata(window=T, features=FEATURES, classes=("normal", "attack")):
    metrics = {"test": {"model": {"accuracy": 0.5, "sensitivity": 0.5, "specificity": 0.5, "precision": 0.5,
                                  "f1": 0.5, "rocAuc": 0.5, "confusion": [[1, 1], [1, 1]]},
                        "baseline": {"accuracy": 0.5, "sensitivity": 0.5, "specificity": 0.5, "precision": 0.5,
                                     "f1": 0.5, "rocAuc": 0.5, "confusion": [[1, 1], [1, 1]]}}}
    return {
        "hl.schema": "1",
        "hl.dataset": "wustl-ehms-2020",
        "hl.dataset_sha256": "0" * 64,
        "hl.features": json.dumps(list(features)),
        "hl.window": str(window),
        "hl.classes": json.dumps(list(classes)),
        "hl.threshold": "0.5",
        "hl.training": json.dumps({"seed": 7, "note": "tiny unit-test model, random weights"}),
        "hl.metrics": json.dumps(metrics),
        "hl.split": json.dumps({"kind": "blocked", "file": "wustl-ehms-2020/wustl-ehms-2020_with_attacks_categories.csv",
                                "block_size": 4, "train": [0], "validation": [1], "test": [2]}),
    }


def export(model, path, example, meta, input_name="features", output_name="probabilities", opset=13):
    model.eval()
    torch.onnx.export(model, example, path, input_names=[input_name], output_names=[output_name],
                      dynamic_axes={input_name: {0: "N"}, output_name: {0: "N"}}, opset_version=opset)
    m = onnx.load(path)
    del m.metadata_props[:]
    for k, v in meta.items():
        p = m.metadata_props.add()
        p.key, p.value = k, v
    onnx.checker.check_model(m)
    onnx.save(m, path)
    return m


def with_meta(base, path, change):
    m = copy.deepcopy(base)
    meta = {p.key: p.value for p in m.metadata_props}
    change(meta)
    del m.metadata_props[:]
    for k, v in meta.items():
        p = m.metadata_props.add()
        p.key, p.value = k, v
    onnx.save(m, path)


def main():
    model = Tiny()
    example = torch.zeros(2, T, F)
    base = export(model, "tiny-binary.onnx", example, metadata())

    rng = np.random.default_rng(7)
    n = 32
    x = (MEAN + STD * rng.standard_normal((n, T, F))).astype(np.float32)
    x[:, :, 2:5] = 0.0
    x[np.arange(n), :, 2 + rng.integers(0, 3, n)] = 1.0
    with torch.no_grad():
        p = model(torch.tensor(x)).numpy()
    with open("tiny-binary.parity.json", "w") as f:
        json.dump({"inputs": x.tolist(), "probabilities": p.astype(float).tolist()}, f)

    export(Tiny(classes=3), "tiny-3class.onnx", example, metadata(classes=("normal", "Spoofing", "Data Alteration")))
    export(model, "tiny-wrong-input-name.onnx", example, metadata(), input_name="x")
    export(model, "tiny-wrong-output-name.onnx", example, metadata(), output_name="logits")
    export(Tiny(rank3=False), "tiny-wrong-input-rank.onnx", torch.zeros(2, F), metadata())
    export(model.double(), "tiny-double-input.onnx", example.double(), metadata())
    with_meta(base, "tiny-missing-features.onnx", lambda m: m.pop("hl.features"))
    with_meta(base, "tiny-wrong-schema.onnx", lambda m: m.update({"hl.schema": "2"}))
    with_meta(base, "tiny-window-mismatch.onnx", lambda m: m.update({"hl.window": "5"}))
    with_meta(base, "tiny-feature-count-mismatch.onnx", lambda m: m.update({"hl.features": json.dumps(FEATURES[:-1])}))
    with_meta(base, "tiny-bad-threshold.onnx", lambda m: m.update({"hl.threshold": "1.5"}))
    with_meta(base, "tiny-bad-classes.onnx", lambda m: m.update({"hl.classes": json.dumps(["attack", "normal"])}))
    with open("tiny-not-onnx.onnx", "wb") as f:
        f.write(b"this is not an onnx model\n")


if __name__ == "__main__":
    main()
