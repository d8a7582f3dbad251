#!/usr/bin/python3
"""Draws test accuracy against the validation specificity the operating-point rule demands, for
every model on both datasets (docs/figures/accuracy-vs-specificity.png, and the same numbers as CSV),
from the curves evaluate.py recorded in Models/*.metrics.json. No model is scored here."""
import csv
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
MODELS = ROOT / "HealthLedger.Detection" / "Models"
OUT = ROOT / "docs" / "figures"
PANELS = [("wustl-ehms-binary", "test", "WUSTL-EHMS-2020, blocked test"),
          ("nsl-kdd-binary", "KDDTest+", "NSL-KDD, KDDTest+"),
          ("nsl-kdd-binary", "KDDTest-21", "NSL-KDD, KDDTest-21")]
ROLES = {"model": "DSAE+BiLSTM", "baseline": "HistGradientBoosting", "random_forest": "RandomForest"}


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    rows = []
    for name, test, _ in PANELS:
        curve = json.loads((MODELS / f"{name}.metrics.json").read_text())["details"]["curve"][test]
        for role, pts in curve.items():
            for p in pts:
                rows.append({"model_file": name, "test_set": test, "model": ROLES[role], **p})
    with open(OUT / "accuracy-vs-specificity.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(PANELS), figsize=(15, 4.4))
    for ax, (name, test, title) in zip(axes, PANELS):
        for role, label in ROLES.items():
            pts = [r for r in rows if r["model_file"] == name and r["test_set"] == test and r["model"] == label]
            if pts:
                ax.plot([100 * p["specificity_demanded"] for p in pts], [100 * p["accuracy"] for p in pts],
                        marker="o", ms=3, label=label)
        ax.axvline(99, color="grey", ls=":", lw=1)
        ax.set_title(title)
        ax.set_xlabel("validation specificity demanded by the rule (%)")
        ax.set_ylabel("test accuracy (%)")
        ax.grid(alpha=0.3)
    axes[0].legend(loc="lower left", fontsize=8)
    fig.suptitle("Every model, one rule: lowest threshold meeting the demanded validation specificity "
                 "(dotted: the protocol's 99 %)", fontsize=10)
    fig.tight_layout()
    fig.savefig(OUT / "accuracy-vs-specificity.png", dpi=110)


if __name__ == "__main__":
    main()
