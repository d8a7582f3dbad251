#!/usr/bin/python3
"""Ranks NSL-KDD hyper-parameter variants on the novel-traffic selection split (training file only).

    /usr/bin/python3 HealthLedger.Detection/training/sweep_nsl.py VARIANT [VARIANT ...]

A variant is a comma-separated list of HP overrides, e.g. "distill=10,distill_tau=4" or "base".
For each, prints the model's best operating-point rule and its accuracy on the in-family
validation rows plus the held-out attack-family and normal-service rows (see select_nsl_rules in train.py). The test files
are never scored here; the shipped NSL_HP is the variant with the highest selection accuracy.
"""
from __future__ import annotations

import json
import sys
from dataclasses import replace

import numpy as np

import train as tr


def parse(v: str, base: tr.HP) -> dict:
    """HP overrides from "k=v,k=v" (or "base" for none), typed like the fields of `base`."""
    if v == "base":
        return {}
    out = {}
    for kv in v.split(","):
        k, val = kv.split("=")
        cur = getattr(base, k)
        out[k] = type(cur)(val) if not isinstance(cur, bool) else val.lower() in ("1", "true")
    return out


def main():
    d = tr.data_dir()
    tr_tab = tr.load_nsl(d, tr.NSL_TRAIN)
    n_tr = len(tr_tab.y)
    n_fit = int(round(0.8 * n_tr))
    for v in sys.argv[1:]:
        hp = replace(tr.NSL_HP, **parse(v, tr.NSL_HP))
        widx = tr.window_index([(0, n_tr)], hp.T)
        sel = tr.select_nsl_rules(tr_tab, widx, n_fit, n_tr, hp, lambda s: None)
        best = max(sel["scores"]["model"], key=lambda r: r["accuracy"])
        print(json.dumps({"variant": v, "rule": sel["model_rule"], "accuracy": best["accuracy"],
                          "held_out_family_recall": best["held_out_family_recall"],
                          "held_out_service_specificity": best["held_out_service_specificity"],
                          "rocAuc": sel["model_rocAuc"], "baseline_rocAuc": sel["baseline_rocAuc"],
                          "baseline_rule": sel["baseline_rule"],
                          "baseline_accuracy": max(r["accuracy"] for r in sel["scores"]["baseline"])}), flush=True)


if __name__ == "__main__":
    main()
