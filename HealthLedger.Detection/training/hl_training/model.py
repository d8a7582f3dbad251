"""Model: the DSAE+BiLSTM network (raw windows in, class probabilities out) and its hyper-parameters."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn as nn


class Detector(nn.Module):
    """Raw [N,T,F] -> in-graph preprocessing -> stacked sparse AE codes -> BiLSTM -> softmax."""

    def __init__(self, F: int, C: int, mean: np.ndarray, std: np.ndarray, logmask: np.ndarray,
                 h1: int, h2: int, lstm_hidden: int, use_delta: bool, skip_last: bool, dropout: float,
                 lstm_raw: bool = False, zmin: np.ndarray | None = None, zmax: np.ndarray | None = None,
                 ple_edges: np.ndarray | None = None):
        super().__init__()
        # optional piecewise-linear encoding of each standardised feature over K training-quantile bins
        # (Gorishniy et al., "On Embeddings for Numerical Features in Tabular Deep Learning", 2022):
        # the DSAE then encodes [z ; PLE(z)] instead of z
        self.ple = ple_edges is not None
        E = F
        if self.ple:
            lo = ple_edges[:, :-1]
            w = np.maximum(ple_edges[:, 1:] - lo, 1e-6)
            self.register_buffer("ple_lo", torch.tensor(lo, dtype=torch.float32))
            self.register_buffer("ple_inv_w", torch.tensor(1.0 / w, dtype=torch.float32))
            E = F * (1 + lo.shape[1])
        # per-feature clamp of the standardised value (training-split range, or +-10)
        lo = np.full(F, -10.0) if zmin is None else np.maximum(zmin, -10.0)
        hi = np.full(F, 10.0) if zmax is None else np.minimum(zmax, 10.0)
        self.register_buffer("zmin", torch.tensor(lo, dtype=torch.float32))
        self.register_buffer("zmax", torch.tensor(hi, dtype=torch.float32))
        self.register_buffer("logmask", torch.tensor(logmask, dtype=torch.float32))
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32))
        self.register_buffer("inv_std", torch.tensor(1.0 / std, dtype=torch.float32))
        self.enc1 = nn.Linear(E, h1)
        self.dec1 = nn.Linear(h1, E)
        self.enc2 = nn.Linear(h1, h2)
        self.dec2 = nn.Linear(h2, h1)
        self.use_delta = use_delta
        self.skip_last = skip_last
        self.lstm_raw = lstm_raw
        lstm_in = h2 + (F if use_delta else 0) + (F if lstm_raw else 0)
        self.lstm = nn.LSTM(lstm_in, lstm_hidden, batch_first=True, bidirectional=True)
        self.H = lstm_hidden
        head_in = 2 * lstm_hidden + h2 + (F if skip_last else 0)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(head_in, C)

    # in-graph preprocessing: signed log1p on heavy-tailed columns, then standardise, clip
    def prep(self, x: torch.Tensor) -> torch.Tensor:
        m = self.logmask
        xl = torch.sign(x) * torch.log1p(torch.abs(x))
        x = x * (1.0 - m) + xl * m
        z = (x - self.mean) * self.inv_std
        return torch.minimum(torch.maximum(z, self.zmin), self.zmax)

    def embed(self, z: torch.Tensor) -> torch.Tensor:
        if not self.ple:
            return z
        e = torch.clamp((z.unsqueeze(-1) - self.ple_lo) * self.ple_inv_w, 0.0, 1.0)
        return torch.cat([z, torch.flatten(e, start_dim=-2)], dim=-1)

    def h1_of(self, z):
        return torch.sigmoid(self.enc1(self.embed(z)))

    def code_of(self, z):
        return torch.sigmoid(self.enc2(self.h1_of(z)))

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        z = self.prep(x)
        c = self.code_of(z)
        parts = [c]
        if self.use_delta:
            prev = torch.cat([z[:, :1, :], z[:, :-1, :]], dim=1)
            parts.append(z - prev)
        if self.lstm_raw:
            parts.append(z)
        seq = torch.cat(parts, dim=2) if len(parts) > 1 else c
        out, _ = self.lstm(seq)
        H = self.H
        feat = [out[:, -1, :H], out[:, 0, H:], c[:, -1, :]]
        if self.skip_last:
            feat.append(z[:, -1, :])
        return self.head(self.drop(torch.cat(feat, dim=1)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.logits(x), dim=1)


class Ensemble(nn.Module):
    """K DSAE+BiLSTM members in one graph: the output is the mean of their softmax outputs."""

    def __init__(self, members: list[Detector]):
        super().__init__()
        self.members = nn.ModuleList(members)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        p = self.members[0](x)
        for m in self.members[1:]:
            p = p + m(x)
        return p / float(len(self.members))


def kl_sparsity(act: torch.Tensor, rho: float) -> torch.Tensor:
    rho_hat = act.mean(dim=0).clamp(1e-6, 1 - 1e-6)
    return (rho * torch.log(rho / rho_hat) + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))).sum()


@dataclass
class HP:
    T: int = 10
    h1: int = 64
    h2: int = 32
    lstm_hidden: int = 32
    rho: float = 0.05
    beta: float = 3.0
    ae_weight_decay: float = 1e-4
    ae_epochs: int = 15
    ae_lr: float = 1e-3
    epochs: int = 40
    patience: int = 6
    lr: float = 1e-3
    weight_decay: float = 1e-5
    batch: int = 256
    dropout: float = 0.2
    class_weight: str = "sqrt"  # none | sqrt | balanced
    use_delta: bool = True
    clip_train_range: bool = False  # clamp each standardised feature to its training-split range
    lstm_raw: bool = False  # also feed the standardised record (beside its code) to the BiLSTM
    skip_last: bool = True
    log_skew: float = 2.0  # signed log1p on columns whose training |skew| exceeds this
    # 0/1 columns (one-hot categories, flags) enter as they are instead of standardised: standardising
    # a rare category's indicator turns a 1 into a value near the +-10 clamp (1 / sqrt(p) for frequency p)
    binary_raw: bool = False
    min_val_specificity: float = 0.0  # floor for the "max-accuracy" rule only (sweeps); the protocol uses spec>=0.99
    # knowledge distillation from the HistGradientBoosting baseline (teacher fit on the training
    # split only): loss = CE(y) + distill * tau^2 * KL(teacher_tau || student_tau) on training windows
    distill: float = 0.0
    distill_tau: float = 2.0
    distill_oof: int = 0  # >1: teacher targets are out-of-fold GB predictions (k contiguous folds of the training rows)
    # cold-start augmentation: this fraction of the training rows gets a second, truncated training
    # window (history h ~ U{1..T-1} records, left-padded like a new device's window at run time)
    cold_start: float = 0.0
    # per-history thresholds: for every history length h = 1..T a threshold chosen on validation
    # windows truncated to h (same rule as the full window); exported as hl.threshold_by_history
    thresholds_by_history: bool = False
    # distillation on synthetic inputs: this many synthetic windows per training window, each
    # taking every feature group (a numeric column, or all one-hot columns of one categorical)
    # from one of two random training windows; labelled by the teacher only (no hard label)
    distill_aug: float = 0.0
    ple_bins: int = 0  # >0: piecewise-linear encoding of each feature over this many quantile bins
    members: int = 1  # seed ensemble size; member k uses seed + 1000*k, outputs averaged in the graph
    seed: int = 20200421


