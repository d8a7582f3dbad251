#!/usr/bin/python3
"""Ranks WUSTL-EHMS binary variants on the VALIDATION blocks, at every history length.

    /usr/bin/python3 HealthLedger.Detection/training/sweep_wustl.py VARIANT [VARIANT ...]

A variant is a comma-separated list of HP overrides of WUSTL_HP (e.g. "cold_start=0.5") or "base".
Prints, per variant, the validation accuracy and specificity with full windows and with windows
cut to h = 1..T records (each history length with its own threshold, chosen on validation by the
same rule). The test blocks are never scored here.
"""
from __future__ import annotations

import json
import sys
from dataclasses import replace

import numpy as np

import train as tr
from sweep_nsl import parse


def main():
    d = tr.data_dir()
    tab = tr.load_wustl(d, three_class=False)
    for v in sys.argv[1:]:
        hp = replace(tr.WUSTL_HP, **parse(v, tr.WUSTL_HP))
        trn, val, _, widx, _ = tr.wustl_blocked_split(len(tab.y), hp.T)
        sp = tr.Split(tab.X, widx, trn, val, {})
        model, gb, _, _, _ = tr.fit_models(tab, sp, hp, lambda s: None)
        yb = (tab.y[val] > 0).astype(np.int64)
        res = []
        for h in range(1, hp.T + 1):
            iv = tr.truncate(widx[val], h)
            p = 1 - tr.predict(model, tr.net_windows(tab.X, iv))[:, 0]
            t = tr.apply_rule(p, yb, "max-accuracy", hp.min_val_specificity)
            m = tr.binary_metrics(p, yb, t)
            res.append((h, m["accuracy"], m["specificity"], m["sensitivity"]))
        print(json.dumps({"variant": v, "full_window_accuracy": res[-1][1],
                          "mean_accuracy_over_h": round(float(np.mean([r[1] for r in res])), 6),
                          "by_history": res}), flush=True)


if __name__ == "__main__":
    main()
