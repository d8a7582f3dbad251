"""Operating points: the protocol's one rule, applied to every model on validation rows only."""
from __future__ import annotations

import numpy as np
import pytest

from hl_training import data as D
from hl_training import selection as S


@pytest.mark.parametrize("target", [0.9, 0.95, 0.99])
def test_specificity_rule_gives_the_lowest_threshold_meeting_the_floor(target):
    rng = np.random.RandomState(1)
    y = (rng.rand(2000) < 0.3).astype(np.int64)
    p = np.clip(rng.rand(2000) * 0.7 + 0.3 * y, 0, 1)
    t = S.threshold_for_specificity(p, y, target)
    spec = lambda thr: float((p[y == 0] < thr).mean())  # noqa: E731
    assert spec(t) >= target
    lower = np.sort(p[y == 0])
    below = lower[lower < t]
    assert len(below) == 0 or spec(below[-1]) < target  # any lower cut among the normals' scores breaks the floor


def test_protocol_rule_is_the_gates_job():
    assert S.PROTOCOL_RULE == "spec>=0.99"
    assert S.CURVE_SPECIFICITIES[0] == 0.9 and S.CURVE_SPECIFICITIES[-1] == 0.999 and 0.99 in S.CURVE_SPECIFICITIES


def _split(rows=300, T=2):
    X = np.arange(rows, dtype=np.float64)[:, None]
    return D.Split(X, D.window_index([(0, rows)], T), np.arange(0, 200), np.arange(200, 260), {"test": np.arange(260, rows)})


def test_every_model_gets_the_same_rule_and_only_validation_rows_are_scored():
    sp = _split()
    y = (np.arange(300) % 4 == 0).astype(np.int64)
    seen: dict[str, set] = {}

    def scorer(role, bias):
        def f(X, idx):
            seen.setdefault(role, set()).update(idx[:, -1].tolist())
            return np.clip(0.6 * y[idx[:, -1]] + 0.1 * np.sin(X[idx[:, -1], 0] * bias) + 0.2, 0, 1)
        return f

    sel = S.operating_points({"model": scorer("model", 1.0), "baseline": scorer("baseline", 2.0),
                              "random_forest": scorer("random_forest", 3.0)}, sp, y[sp.val], T=2, by_history=True)
    assert sel["rule"] == S.PROTOCOL_RULE
    assert set(sel["thresholds"]) == {"model", "baseline", "random_forest"}
    for role in sel["thresholds"]:
        assert seen[role] <= set(sp.val.tolist())
        assert sel["validation"][role]["specificity"] >= 0.99
        assert sel["thresholds"][role] == sel["threshold_by_history"][role][-1]
        assert [c["specificity"] for c in sel["curve"][role]] == S.CURVE_SPECIFICITIES


def test_thresholds_do_not_depend_on_test_rows():
    sp = _split()
    y = (np.arange(300) % 4 == 0).astype(np.int64)
    p = np.where(y == 1, 0.8, 0.1) + 0.001 * np.arange(300)

    def run(scores):
        return S.operating_points({"model": lambda X, idx: scores[idx[:, -1]]}, sp, y[sp.val], T=2)["thresholds"]

    changed = p.copy()
    changed[sp.tests["test"]] = 1.0 - changed[sp.tests["test"]]
    assert run(p) == run(changed)


def test_binary_metrics_count_the_confusion_matrix():
    m = S.binary_metrics(np.array([0.9, 0.2, 0.6, 0.1]), np.array([1, 1, 0, 0]), 0.5)
    assert m["confusion"] == [[1, 1], [1, 1]] and m["accuracy"] == 0.5 and m["threshold"] == 0.5


@pytest.mark.parametrize("target,expected", [(0.9, 0.85), (0.5, 0.45), (1.0, 0.900001)])
def test_rule_gives_the_thresholds_the_csharp_twin_is_tested_with(target, expected):
    # the same vectors as HealthLedger.Tests/Detection/Evaluation/OperatingPointRuleTests.cs
    p = np.array([0.05, 0.10, 0.20, 0.30, 0.40, 0.50, 0.60, 0.70, 0.80, 0.90, 0.35, 0.95])
    y = np.array([0] * 10 + [1, 1])
    assert S.threshold_for_specificity(p, y, target) == pytest.approx(expected, abs=1e-9)
