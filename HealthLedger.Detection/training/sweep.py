#!/usr/bin/python3
"""Ranks hyper-parameter variants on VALIDATION rows only, by the protocol's criterion.

    /usr/bin/python3 HealthLedger.Detection/training/sweep.py wustl-binary|nsl-kdd|... VARIANT [VARIANT ...]

A variant is a comma-separated list of HP overrides of the named model's HP (e.g. "cold_start=0.25",
"lstm_hidden=16") or "base". Each variant is fitted with the fit stage's code (no test file is
opened: the data comes from hl_training.data's fit loaders) and scored by the gate's job: attack
recall at the protocol's threshold (validation specificity >= 99 %) on full windows and, for
windowed models, on windows cut to h = 1 (a device's first record), each with its own threshold.
"""
from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import json  # noqa: E402
import sys  # noqa: E402
from dataclasses import replace  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)

from hl_training.data import data_dir  # noqa: E402
from hl_training.fitting import fit_models  # noqa: E402
from hl_training.model import HP  # noqa: E402
from hl_training.selection import operating_points  # noqa: E402
from hl_training.stages import SPECS, fit_data  # noqa: E402


def parse(v: str, base: HP) -> dict:
    """HP overrides from "k=v,k=v" (or "base" for none), typed like the fields of `base`."""
    if v == "base":
        return {}
    out = {}
    for kv in v.split(","):
        k, val = kv.split("=")
        cur = getattr(base, k)
        out[k] = val.lower() in ("1", "true") if isinstance(cur, bool) else type(cur)(val)
    return out


def score(which: str, variant: str, log=lambda s: None) -> dict:
    spec = SPECS[which]
    hp = replace(spec.hp, **parse(variant, spec.hp))
    spec = replace(spec, hp=hp)
    fd = fit_data(spec, data_dir())
    fitted = fit_models(fd.tab, fd.split, hp, log, with_rf=False)
    yb = (fd.tab.y[fd.split.val] > 0).astype(np.int64)
    sel = operating_points({"model": fitted.scorers()["model"]}, fd.split, yb, hp.T, by_history=hp.T > 1)
    out = {"model": which, "variant": variant, "rule": sel["rule"],
           "validation": {k: sel["validation"]["model"][k] for k in ("accuracy", "sensitivity", "specificity", "rocAuc")}}
    if hp.T > 1:
        from hl_training.data import truncate
        from hl_training.selection import binary_metrics
        p1 = fitted.scorers()["model"](fd.split.X, truncate(fd.split.widx[fd.split.val], 1))
        m1 = binary_metrics(p1, yb, sel["threshold_by_history"]["model"][0])
        out["validation_first_record"] = {k: m1[k] for k in ("accuracy", "sensitivity", "specificity")}
    return out


def main():
    which = sys.argv[1]
    for v in sys.argv[2:]:
        print(json.dumps(score(which, v)), flush=True)


if __name__ == "__main__":
    main()
