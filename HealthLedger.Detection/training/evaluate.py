#!/usr/bin/python3
"""Evaluation stage (the only code that reads test data): scores every model of the comparison
(DSAE+BiLSTM, gradient boosting, random forest) on the test data in one pass at the thresholds the
fit stage chose on validation rows, and writes Models/<name>.metrics.json and hl.metrics.

    /usr/bin/python3 HealthLedger.Detection/training/evaluate.py [--only NAME ...]

Run it once per shipped model, after train.py; the metrics file records which files it read.
"""
from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402

import torch  # noqa: E402

torch.set_num_threads(1)

from hl_training.data import HERE, data_dir  # noqa: E402
from hl_training.stages import SPECS, evaluate_stage  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", choices=list(SPECS), action="append")
    ap.add_argument("--repeat", action="store_true",
                    help="read the test data again for a model already evaluated (counted in the metrics file)")
    args = ap.parse_args()
    d = data_dir()
    which = args.only or list(SPECS)
    logf = open(HERE / ("evaluate.log" if args.only is None else f"evaluate.{'+'.join(which)}.log"), "w")

    def log(s):
        print(s, flush=True)
        logf.write(s + "\n")

    for w in which:
        evaluate_stage(SPECS[w], d, log, repeat=args.repeat)


if __name__ == "__main__":
    main()
