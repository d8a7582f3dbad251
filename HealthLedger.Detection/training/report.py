#!/usr/bin/python3
"""Print the model card's metric tables (markdown) from Models/*.metrics.json (written by evaluate.py)."""
import json
from pathlib import Path

MODELS = Path(__file__).resolve().parent.parent / "Models"
NAMES = ("wustl-ehms-binary", "wustl-ehms-3class", "nsl-kdd-binary", "wustl-ehms-binary-fast")
ROLES = {"model": "DSAE+BiLSTM", "baseline": "HistGradientBoosting", "random_forest": "RandomForest"}


def pct(x):
    return f"{100 * x:.2f}"


def row(label, m):
    (tn, fp), (fn, tp) = m["confusion"]
    return (f"| {label} | {pct(m['accuracy'])} | {pct(m['sensitivity'])} | {pct(m['specificity'])} | "
            f"{pct(m['precision'])} | {pct(m['f1'])} | {m['rocAuc']:.4f} | {m['threshold']:.4f} | "
            f"[[{tn}, {fp}], [{fn}, {tp}]] |")


HEAD = ("| model | accuracy % | sensitivity (attack recall) % | specificity % | precision % | attack F1 % | ROC AUC "
        "| threshold | confusion [[TN, FP], [FN, TP]] |\n|---|---|---|---|---|---|---|---|---|")


def test_sets(m):
    return [k for k in m if isinstance(m[k], dict) and "model" in m[k] and k != "details"
            and not (k == "test" and "KDDTest+" in m)]


def main():
    for name in NAMES:
        p = MODELS / f"{name}.metrics.json"
        if not p.exists():
            continue
        m = json.loads(p.read_text())
        det = m["details"]
        print(f"#### {name}\n")
        print(f"Rule for every model: `{det['protocol']['rule']}` on the validation rows.\n")
        for test in test_sets(m):
            print(f"Test set `{test}`:\n\n{HEAD}")
            for role, label in ROLES.items():
                if role in m[test]:
                    print(row(label, m[test][role]))
            print()
        print(f"Validation split:\n\n{HEAD}")
        for role, label in ROLES.items():
            if role in det["validation"]:
                print(row(label, det["validation"][role]))
        print()
        for test, r in det.get("multiclass", {}).items():
            for role in r:
                x = r[role]
                print(f"3-class `{test}` {ROLES[role]}: accuracy {pct(x['accuracy'])} %, macro F1 {pct(x['macroF1'])} %; "
                      + "; ".join(f"{c}: P {pct(v['precision'])} R {pct(v['recall'])} F1 {pct(v['f1'])}"
                                  for c, v in x["perClass"].items())
                      + f"; confusion (rows true {x['classes']}, cols predicted) {x['confusion']}\n")
        for test, rows in det.get("cold_start", {}).items():
            print(f"Cold start, test set `{test}` (every record sees only h records of its device; per-history "
                  "thresholds, same rule): spec / sens / acc %\n")
            print("| h | DSAE+BiLSTM, single threshold: spec / sens | DSAE+BiLSTM | HistGradientBoosting | RandomForest |\n"
                  "|---|---|---|---|---|")
            for r in rows:
                a = r["model"]
                cells = [f"{pct(r[k]['specificity'])} / {pct(r[k]['sensitivity'])} / {pct(r[k]['accuracy'])}"
                         if k in r else "" for k in ("model_by_history", "baseline_by_history", "random_forest_by_history")]
                print(f"| {r['history']} | {pct(a['specificity'])} / {pct(a['sensitivity'])} | " + " | ".join(cells) + " |")
            print()
        th = det.get("threshold_by_history")
        if th:
            print("Per-history thresholds (h = 1..T): " + "; ".join(
                f"{ROLES[k]} " + ", ".join(f"{t:.4f}" for t in v) for k, v in th.items()) + "\n")
        if "leak_check" in det:
            print(f"Leak check: {det['leak_check']}\n")
        reads = det["evaluation"]["files_read"]
        print("Files read by the evaluation: " + "; ".join(f"`{r['file']}` ({r['rows']} rows: {r['purpose']})"
                                                          for r in reads) + ".\n")


if __name__ == "__main__":
    main()
