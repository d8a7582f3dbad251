"""The export contract: one ONNX graph, input `features` [N,T,F] of raw values, output `probabilities`
[N,C] (a softmax, class 0 normal), hl.* metadata, a parity file the graph reproduces."""
from __future__ import annotations

import json

import numpy as np
import onnx
import pytest
import torch

from hl_training import export as E
from hl_training.fitting import fit_preprocessing, predict
from hl_training.model import HP, Detector


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    torch.manual_seed(0)
    rng = np.random.RandomState(0)
    T, F, C = 3, 4, 2
    X = rng.rand(64, F) * np.array([1.0, 100.0, 1.0, 1.0])
    X[:, 3] = (X[:, 3] > 0.5)
    logmask, mean, std, _ = fit_preprocessing(X, HP(binary_raw=True))
    model = Detector(F, C, mean, std, logmask, 8, 4, 4, True, True, 0.0)
    path = tmp_path_factory.mktemp("m") / "tiny.onnx"
    windows = X[np.arange(30)[:, None] + np.arange(T)[None, :]]
    meta = {"hl.schema": "1", "hl.window": str(T), "hl.threshold": "0.5", "hl.metrics": "{}"}
    E.export(model, path, meta, windows)
    return model, path, windows


def test_graph_has_the_contract_input_and_output_with_a_dynamic_batch(exported):
    _, path, _ = exported
    m = onnx.load(str(path))
    onnx.checker.check_model(m)
    (inp,), (out,) = m.graph.input, m.graph.output
    assert inp.name == "features" and out.name == "probabilities"
    assert [d.dim_param or d.dim_value for d in inp.type.tensor_type.shape.dim] == ["N", 3, 4]
    assert m.opset_import[0].version == 15
    assert inp.type.tensor_type.elem_type == onnx.TensorProto.FLOAT


def test_metadata_props_are_written_and_one_can_be_replaced_without_touching_the_graph(exported):
    _, path, _ = exported
    before = onnx.load(str(path)).graph.SerializeToString()
    assert E.metadata(path)["hl.threshold"] == "0.5"
    E.update_metadata(path, "hl.metrics", '{"test":{}}')
    assert E.metadata(path)["hl.metrics"] == '{"test":{}}' and E.metadata(path)["hl.window"] == "3"
    assert onnx.load(str(path)).graph.SerializeToString() == before
    with pytest.raises(AssertionError):
        E.update_metadata(path, "hl.unknown", "x")


def test_parity_file_holds_the_windows_and_the_softmax_pytorch_gives_them(exported):
    model, path, windows = exported
    parity = json.loads(path.with_suffix(".parity.json").read_text())
    probs = np.array(parity["probabilities"])
    assert np.array(parity["inputs"]).shape == windows.shape
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    assert np.allclose(probs, predict(model, windows.astype(np.float32)), atol=1e-6)


def test_parity_rows_take_sixteen_of_each_class_from_the_rows_given():
    y = (np.arange(200) % 3 == 0).astype(np.int64)
    rows = np.arange(100, 200)
    pr = E.parity_rows(rows, y)
    assert len(pr) == 32 and set(pr.tolist()) <= set(rows.tolist())
    assert int(y[pr].sum()) == 16


def test_training_metadata_names_one_rule_for_every_model():
    t = E.training_meta(HP(), "blocked", 7, "spec>=0.99", "1.13")
    assert t["threshold_rule"]["rule"] == "spec>=0.99"
    assert t["threshold_rule"]["applies_to"] == ["model", "baseline", "random_forest"]
    assert "min_val_specificity" not in t
