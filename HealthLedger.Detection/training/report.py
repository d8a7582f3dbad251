#!/usr/bin/python3
"""Print the model card's metric tables (markdown) from Models/*.metrics.json."""
import json
from pathlib import Path

MODELS = Path(__file__).resolve().parent.parent / "Models"


def pct(x):
    return f"{100 * x:.2f}"


def row(label, m):
    (tn, fp), (fn, tp) = m["confusion"]
    return (f"| {label} | {pct(m['accuracy'])} | {pct(m['sensitivity'])} | {pct(m['specificity'])} | "
            f"{pct(m['precision'])} | {pct(m['f1'])} | {m['rocAuc']:.4f} | {m['threshold']:.4f} | "
            f"[[{tn}, {fp}], [{fn}, {tp}]] |")


HEAD = ("| model | accuracy % | sensitivity (attack recall) % | specificity % | precision % | attack F1 % | ROC AUC "
        "| threshold | confusion [[TN, FP], [FN, TP]] |\n|---|---|---|---|---|---|---|---|---|")


def main():
    for name in ("wustl-ehms-binary", "wustl-ehms-3class", "nsl-kdd-binary", "wustl-ehms-binary-fast"):
        p = MODELS / f"{name}.metrics.json"
        if not p.exists():
            continue
        m = json.loads(p.read_text())
        print(f"### {name}\n")
        for test in [k for k in m if isinstance(m[k], dict) and "model" in m[k]]:
            if name.startswith("nsl") and test == "test":
                continue  # alias of KDDTest+
            print(f"Test set `{test}`:\n\n{HEAD}")
            print(row("DSAE+BiLSTM", m[test]["model"]))
            print(row("HistGradientBoosting", m[test]["baseline"]))
            if "model_random_split" in m[test]:
                print(row("DSAE+BiLSTM, random-row split (leaky)", m[test]["model_random_split"]))
                print(row("HistGradientBoosting, random-row split (leaky)",
                          m["details"]["random_split"]["baseline_random_split"]))
            print()
        v = m["details"]["validation"]
        print(f"Validation split:\n\n{HEAD}")
        print(row("DSAE+BiLSTM", v["model"]))
        print(row("HistGradientBoosting", v["baseline"]))
        print()
        mc = m["details"].get("multiclass")
        if mc:
            for test, r in mc.items():
                for who in ("model", "baseline"):
                    x = r[who]
                    print(f"3-class `{test}` {who}: accuracy {pct(x['accuracy'])} %, macro F1 {pct(x['macroF1'])} %; "
                          + "; ".join(f"{c}: P {pct(v['precision'])} R {pct(v['recall'])} F1 {pct(v['f1'])}"
                                      for c, v in x["perClass"].items())
                          + f"; confusion (rows true {x['classes']}, cols predicted) {x['confusion']}\n")
        cs = m["details"].get("cold_start")
        if cs:
            for test, rows in cs.items():
                has = "model_by_history" in rows[0]
                print(f"Cold start, test set `{test}` (every record sees only h records of its device):\n")
                print("| h | model, single threshold: spec / sens % | model, per-history threshold: spec / sens / acc % | "
                      "GB, per-history threshold: spec / sens / acc % |\n|---|---|---|---|")
                for r in rows:
                    a = r["model"]
                    b = r["model_by_history"] if has else a
                    g = r["baseline_by_history"] if has else r["baseline"]
                    print(f"| {r['history']} | {pct(a['specificity'])} / {pct(a['sensitivity'])} | "
                          f"{pct(b['specificity'])} / {pct(b['sensitivity'])} / {pct(b['accuracy'])} | "
                          f"{pct(g['specificity'])} / {pct(g['sensitivity'])} / {pct(g['accuracy'])} |")
                print()
        th = m["details"].get("threshold_by_history")
        if th:
            print("Per-history thresholds (h = 1..T): model " + ", ".join(f"{t:.4f}" for t in th["model"])
                  + "; GB " + ", ".join(f"{t:.4f}" for t in th["baseline"]) + "\n")
        sel = m["details"].get("operating_point_selection")
        if sel:
            print(f"Operating-point selection (novel-traffic split; held-out attack families: {', '.join(sel['held_out_families'])}; "
                  f"held-out normal services: {', '.join(sel['held_out_normal_services'])}; rows {sel['rows']}; "
                  f"ROC AUC model {sel['model_rocAuc']:.4f}, GB {sel['baseline_rocAuc']:.4f}):\n")
            print("| rule | model: threshold / accuracy % / held-out-family recall % / held-out-service specificity % "
                  "| GB: threshold / accuracy % / held-out-family recall % / held-out-service specificity % |\n|---|---|---|")
            for a, b in zip(sel["scores"]["model"], sel["scores"]["baseline"]):
                print(f"| {a['rule']} | {a['threshold']:.4f} / {pct(a['accuracy'])} / {pct(a['held_out_family_recall'])} / "
                      f"{pct(a['held_out_service_specificity'])} | {b['threshold']:.4f} / {pct(b['accuracy'])} / "
                      f"{pct(b['held_out_family_recall'])} / {pct(b['held_out_service_specificity'])} |")
            print(f"\nChosen: model `{sel['model_rule']}`, GB `{sel['baseline_rule']}`.\n")
        if "leak_check" in m["details"]:
            print(f"Leak check: {m['details']['leak_check']}\n")


if __name__ == "__main__":
    main()
