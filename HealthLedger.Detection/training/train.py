#!/usr/bin/python3
"""Fit stage: train the HealthLedger detectors and baselines, choose every operating point on
validation rows by the protocol's one rule, and export the ONNX models.

    /usr/bin/python3 HealthLedger.Detection/training/train.py [--only NAME ...]
    /usr/bin/python3 HealthLedger.Detection/training/evaluate.py [--only NAME ...]   # then, once: the test data

This stage never opens a test file (hl_training.data.FileLedger refuses them; the WUSTL test blocks
are dropped on load). Everything is seeded and runs on one CPU thread with deterministic
algorithms. The model contract and the evaluation protocol are in docs/detection.md.
"""
from __future__ import annotations

import os

# Pin threads before numpy / torch / sklearn load their thread pools.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import time  # noqa: E402

import torch  # noqa: E402

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)

from hl_training.data import HERE, data_dir  # noqa: E402
from hl_training.stages import SPECS, fit_stage  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", choices=list(SPECS), action="append")
    args = ap.parse_args()
    d = data_dir()
    which = args.only or list(SPECS)
    logf = open(HERE / ("train.log" if args.only is None else f"train.{'+'.join(which)}.log"), "w")

    def log(s):
        print(s, flush=True)
        logf.write(s + "\n")

    t0 = time.time()
    for w in which:
        fit_stage(SPECS[w], d, log)
    log(f"total {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
