"""The two protocol stages end to end on a tiny synthetic NSL-KDD layout: the fit stage runs with no
test file present, the evaluation reads each test file once and refuses a second read."""
from __future__ import annotations

from dataclasses import replace

import pytest

from conftest import write_nsl
from hl_training import data as D
from hl_training import export as E
from hl_training import fitting as Fi
from hl_training import stages as S


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    monkeypatch.setattr(E, "MODELS", tmp_path / "Models")
    monkeypatch.setattr(Fi, "RF_TREES", 5)
    write_nsl(tmp_path, D.NSL_TRAIN, 200)
    hp = replace(S.NSL_HP, members=1, epochs=1, ae_epochs=1, distill_aug=0.0, h1=8, h2=4, lstm_hidden=4)
    return tmp_path, S.Spec("tiny-nsl", "nsl-kdd", False, hp)


def test_fit_stage_runs_without_any_test_file_and_records_only_the_training_file(tiny):
    d, spec = tiny
    rec = S.fit_stage(spec, d, lambda s: None, d / "work")
    assert [r["file"] for r in rec["files_read"]] == [D.NSL_TRAIN]
    assert set(rec["selection"]["thresholds"]) == {"model", "baseline", "random_forest"}
    assert (E.MODELS / "tiny-nsl.onnx").exists() and (E.MODELS / "tiny-nsl.parity.json").exists()


def test_evaluation_reads_each_test_file_once_and_refuses_a_second_read(tiny):
    d, spec = tiny
    S.fit_stage(spec, d, lambda s: None, d / "work")
    write_nsl(d, D.NSL_TESTS["KDDTest+"], 30, seed=1)
    write_nsl(d, D.NSL_TESTS["KDDTest-21"], 20, seed=2)
    out = S.evaluate_stage(spec, d, lambda s: None, d / "work")
    ev = out["details"]["evaluation"]
    assert sorted(r["file"] for r in ev["files_read"]) == sorted(D.NSL_TESTS.values())
    assert ev["test_reads"] == 1
    assert all(out[t][role]["threshold"] == out["details"]["protocol"]["thresholds"][role]
               for t in ("KDDTest+", "KDDTest-21") for role in ("model", "baseline", "random_forest"))
    with pytest.raises(S.TestDataAlreadyRead):
        S.evaluate_stage(spec, d, lambda s: None, d / "work")
    again = S.evaluate_stage(spec, d, lambda s: None, d / "work", repeat=True)
    assert again["details"]["evaluation"]["test_reads"] == 2


def test_refitting_the_same_model_keeps_its_test_read_count(tiny):
    d, spec = tiny
    S.fit_stage(spec, d, lambda s: None, d / "work")
    write_nsl(d, D.NSL_TESTS["KDDTest+"], 30, seed=1)
    write_nsl(d, D.NSL_TESTS["KDDTest-21"], 20, seed=2)
    S.evaluate_stage(spec, d, lambda s: None, d / "work")
    S.fit_stage(spec, d, lambda s: None, d / "work")  # seeded: the same model again
    with pytest.raises(S.TestDataAlreadyRead):
        S.evaluate_stage(spec, d, lambda s: None, d / "work")
