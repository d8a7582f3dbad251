"""Selection: operating-point rules, metrics, and the protocol's one rule applied to every model.

The selection stage reads validation rows only (data.FitData). The rule is fixed by the
evaluation protocol (docs/detection.md): the lowest threshold on P(attack) whose validation
specificity is at least PROTOCOL_SPECIFICITY, for every model in a comparison.
"""
from __future__ import annotations

import numpy as np
from sklearn.metrics import roc_auc_score

from .data import Split, truncate

PROTOCOL_SPECIFICITY = 0.99
PROTOCOL_RULE = f"spec>={PROTOCOL_SPECIFICITY}"
# Demanded validation specificities for the accuracy-vs-specificity curve (reported, never used to choose).
CURVE_SPECIFICITIES = [round(0.90 + 0.01 * k, 2) for k in range(10)] + [0.995, 0.999]


def choose_threshold(p_attack: np.ndarray, y_bin: np.ndarray, min_spec: float) -> float:
    """Threshold on P(attack) maximising validation accuracy, subject to validation specificity."""
    order = np.argsort(-p_attack, kind="stable")
    ps = p_attack[order]
    ys = y_bin[order]
    tp = np.cumsum(ys)
    fp = np.cumsum(1 - ys)
    P, N = ys.sum(), len(ys) - ys.sum()
    # cut after position k: items 0..k are "attack"; only cut between distinct values
    distinct = np.r_[ps[1:] != ps[:-1], True]
    acc = (tp + (N - fp)) / len(ys)
    spec = (N - fp) / max(N, 1)
    ok = distinct & (spec >= min_spec)
    cand_acc = np.where(ok, acc, -1.0)
    none_acc = N / len(ys)  # threshold above every score
    k = int(np.argmax(cand_acc))
    if cand_acc[k] < none_acc:
        return float(min(1.0, ps[0] + 1e-6))
    nxt = ps[k + 1] if k + 1 < len(ps) else 0.0
    return float((ps[k] + nxt) / 2.0)


def threshold_for_specificity(p_attack: np.ndarray, y_bin: np.ndarray, target: float) -> float:
    """Lowest threshold on P(attack) whose validation specificity is at least `target` (maximises
    attack recall subject to the false-alarm budget 1 - target)."""
    a = np.sort(p_attack[y_bin == 0])
    n = len(a)
    k = int(np.ceil(target * n - 1e-9))  # at least k normals must score below the threshold
    if k <= 0:
        return float(a[0]) if n else 0.5
    if k >= n:
        return float(min(1.0, a[-1] + 1e-6))
    hi = a[k:][a[k:] > a[k - 1]]
    return float((a[k - 1] + hi[0]) / 2.0) if len(hi) else float(min(1.0, a[-1] + 1e-6))


def apply_rule(p_attack: np.ndarray, y_bin: np.ndarray, rule: str, min_spec: float) -> float:
    """Operating-point rules: "max-accuracy" (validation accuracy subject to the specificity floor)
    or "spec>=S" (lowest threshold with validation specificity >= S)."""
    if rule == "max-accuracy":
        return choose_threshold(p_attack, y_bin, min_spec)
    assert rule.startswith("spec>="), rule
    return threshold_for_specificity(p_attack, y_bin, float(rule[6:]))


def binary_metrics(p_attack: np.ndarray, y_bin: np.ndarray, thr: float) -> dict:
    pred = (p_attack >= thr).astype(np.int64)
    tn = int(((pred == 0) & (y_bin == 0)).sum())
    fp = int(((pred == 1) & (y_bin == 0)).sum())
    fn = int(((pred == 0) & (y_bin == 1)).sum())
    tp = int(((pred == 1) & (y_bin == 1)).sum())
    sens = tp / max(tp + fn, 1)
    prec = tp / max(tp + fp, 1)
    return {
        "accuracy": round((tp + tn) / len(y_bin), 6),
        "sensitivity": round(sens, 6),
        "specificity": round(tn / max(tn + fp, 1), 6),
        "precision": round(prec, 6),
        "f1": round(2 * prec * sens / max(prec + sens, 1e-12), 6),
        "rocAuc": round(float(roc_auc_score(y_bin, p_attack)), 6),
        "confusion": [[tn, fp], [fn, tp]],
        "threshold": round(thr, 6),
    }


def multiclass_report(prob: np.ndarray, y: np.ndarray, thr: float, classes: list[str]) -> dict:
    """Attack when P(attack) >= thr, then the most likely attack class."""
    p_attack = 1.0 - prob[:, 0]
    pred = np.where(p_attack >= thr, 1 + np.argmax(prob[:, 1:], axis=1), 0)
    C = len(classes)
    cm = np.zeros((C, C), dtype=int)
    for t, p in zip(y, pred):
        cm[t, p] += 1
    per = {}
    for c in range(C):
        tp = cm[c, c]
        prec = tp / max(cm[:, c].sum(), 1)
        rec = tp / max(cm[c, :].sum(), 1)
        per[classes[c]] = {"precision": round(prec, 6), "recall": round(rec, 6),
                           "f1": round(2 * prec * rec / max(prec + rec, 1e-12), 6)}
    return {"accuracy": round(float(np.trace(cm) / cm.sum()), 6),
            "macroF1": round(float(np.mean([v["f1"] for v in per.values()])), 6),
            "perClass": per, "confusion": cm.tolist(), "classes": classes}


def operating_points(scorers: dict, sp: Split, y_val_bin: np.ndarray, T: int, rule: str = PROTOCOL_RULE,
                     by_history: bool = False) -> dict:
    """Applies ONE rule to every model (role) on the validation rows of `sp`.

    Returns {"rule", "thresholds": {role: thr}, "threshold_by_history": {role: [thr_h for h=1..T]} (when asked),
    "curve": {role: [{"specificity": S, "threshold": t}]}, "validation": {role: metrics}}. Only sp.val is scored.
    """
    out: dict = {"rule": rule, "thresholds": {}, "curve": {}, "validation": {}}
    if by_history and T > 1:
        out["threshold_by_history"] = {}
    for role, score in scorers.items():
        p = score(sp.X, sp.widx[sp.val])
        thr = apply_rule(p, y_val_bin, rule, 0.0)
        if "threshold_by_history" in out:
            hs = [round(apply_rule(score(sp.X, truncate(sp.widx[sp.val], h)), y_val_bin, rule, 0.0), 6)
                  for h in range(1, T + 1)]
            out["threshold_by_history"][role] = hs
            thr = hs[-1]
        out["thresholds"][role] = round(thr, 6)
        out["validation"][role] = binary_metrics(p, y_val_bin, thr)
        out["curve"][role] = [{"specificity": s, "threshold": round(threshold_for_specificity(p, y_val_bin, s), 6)}
                              for s in CURVE_SPECIFICITIES]
    return out
