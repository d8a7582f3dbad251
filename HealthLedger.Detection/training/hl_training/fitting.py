"""Fitting: DSAE pretraining, fine-tuning (with distillation from the GB teacher), and the baselines.

Everything here sees a `Split` holding training and validation rows only (data.FitData).
"""
from __future__ import annotations

import copy
import random
import time
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as Fn
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier

from .data import Split, Table, cold_start_index, gb_windows, net_windows, synthetic_windows
from .model import HP, Detector, Ensemble, kl_sparsity

# The second conventional baseline of the comparison (docs/detection.md, "Evaluation protocol").
RF_TREES = 300


def seed_all(s: int):
    random.seed(s)
    np.random.seed(s)
    torch.manual_seed(s)


def pretrain_dsae(model: Detector, Z: np.ndarray, hp: HP, log):
    """Greedy layer-wise sparse AE pretraining (no labels) on standardised training records."""
    Zt = torch.tensor(Z, dtype=torch.float32)
    g = torch.Generator().manual_seed(hp.seed + 1)
    for layer, (enc, dec) in enumerate([(model.enc1, model.dec1), (model.enc2, model.dec2)]):
        with torch.no_grad():
            inp = model.embed(Zt) if layer == 0 else model.h1_of(Zt)
        opt = torch.optim.Adam(list(enc.parameters()) + list(dec.parameters()), lr=hp.ae_lr,
                               weight_decay=hp.ae_weight_decay)
        for ep in range(hp.ae_epochs):
            perm = torch.randperm(len(inp), generator=g)
            tot = 0.0
            for k in range(0, len(inp), hp.batch):
                b = inp[perm[k:k + hp.batch]]
                h = torch.sigmoid(enc(b))
                r = dec(h) if layer == 0 else torch.sigmoid(dec(h))
                loss = Fn.mse_loss(r, b) + hp.beta * kl_sparsity(h, hp.rho)
                opt.zero_grad()
                loss.backward()
                opt.step()
                tot += loss.item() * len(b)
        log(f"    AE layer {layer + 1}: final loss {tot / len(inp):.4f}")


def predict(model: Detector, Xw: np.ndarray, batch: int = 2048) -> np.ndarray:
    model.eval()
    outs = []
    with torch.no_grad():
        for k in range(0, len(Xw), batch):
            outs.append(model(torch.tensor(Xw[k:k + batch], dtype=torch.float32)).numpy())
    return np.concatenate(outs).astype(np.float64)


def finetune(model: Detector, Xtr, ytr, Xva, yva, hp: HP, C: int, log, teacher=None, labelled=None):
    """labelled: optional 0/1 per training sample; 0 = synthetic sample trained on the teacher only."""
    lab = None if labelled is None else torch.tensor(labelled, dtype=torch.float32)
    counts = np.bincount(ytr if labelled is None else ytr[labelled > 0], minlength=C).astype(np.float64)
    if hp.class_weight == "balanced":
        w = counts.sum() / (C * counts)
    elif hp.class_weight == "sqrt":
        w = np.sqrt(counts.sum() / (C * counts))
    else:
        w = np.ones(C)
    wt = torch.tensor(w / w.mean(), dtype=torch.float32)
    opt = torch.optim.Adam(model.parameters(), lr=hp.lr, weight_decay=hp.weight_decay)
    Xt = torch.tensor(Xtr, dtype=torch.float32)
    yt = torch.tensor(ytr)
    tt = None
    if teacher is not None and hp.distill > 0:
        # teacher's softened class distribution: softmax(log p_teacher / tau)
        lp = np.log(np.clip(teacher, 1e-6, 1.0)) / hp.distill_tau
        lp = lp - lp.max(axis=1, keepdims=True)
        q = np.exp(lp)
        tt = torch.tensor(q / q.sum(axis=1, keepdims=True), dtype=torch.float32)
    g = torch.Generator().manual_seed(hp.seed + 2)
    best = (float("inf"), None, -1)
    bad = 0
    for ep in range(hp.epochs):
        model.train()
        perm = torch.randperm(len(Xt), generator=g)
        for k in range(0, len(Xt), hp.batch):
            sel = perm[k:k + hp.batch]
            lg = model.logits(Xt[sel])
            if lab is None:
                loss = Fn.cross_entropy(lg, yt[sel], weight=wt)
            else:
                wl = wt[yt[sel]] * lab[sel]
                loss = (Fn.cross_entropy(lg, yt[sel], reduction="none") * wl).sum() / wl.sum().clamp_min(1e-12)
            if tt is not None:
                tau = hp.distill_tau
                kd = Fn.kl_div(Fn.log_softmax(lg / tau, dim=1), tt[sel], reduction="batchmean")
                loss = loss + hp.distill * tau * tau * kd
            opt.zero_grad()
            loss.backward()
            opt.step()
        pva = predict(model, Xva)
        vloss = float(-np.log(np.clip(pva[np.arange(len(yva)), yva], 1e-12, 1)).mean())
        if vloss < best[0] - 1e-5:
            best = (vloss, copy.deepcopy(model.state_dict()), ep)
            bad = 0
        else:
            bad += 1
        if bad >= hp.patience:
            break
    model.load_state_dict(best[1])
    log(f"    fine-tune: best epoch {best[2] + 1} val loss {best[0]:.4f} (stopped after {ep + 1})")
    return best[2] + 1


def fit_preprocessing(Xtr_rows: np.ndarray, hp: HP):
    sk = pd.DataFrame(Xtr_rows).skew().fillna(0).to_numpy()
    logmask = (np.abs(sk) > hp.log_skew).astype(np.float64)
    binary = np.all((Xtr_rows == 0) | (Xtr_rows == 1), axis=0) if hp.binary_raw else np.zeros(Xtr_rows.shape[1], bool)
    logmask[binary] = 0.0
    Xl = np.where(logmask > 0, np.sign(Xtr_rows) * np.log1p(np.abs(Xtr_rows)), Xtr_rows)
    mean = np.where(binary, 0.0, Xl.mean(axis=0))
    std = Xl.std(axis=0)
    std = np.where(binary | (std < 1e-9), 1.0, std)
    return logmask, mean, std, Xl


@dataclass
class Fitted:
    """The three models of a comparison, fitted on the same training rows."""
    model: torch.nn.Module       # DSAE+BiLSTM (or an Ensemble of them)
    gb: HistGradientBoostingClassifier
    rf: RandomForestClassifier | None
    best_epoch: int | list[int]

    def probabilities(self) -> dict:
        """Role -> function(raw rows X, window index [n,T]) -> class probabilities [n, C]. The network gets
        float32 windows, the trees the flattened float64 window (exactly what they were fitted on)."""
        out = {"model": lambda X, idx: predict(self.model, net_windows(X, idx)),
               "baseline": lambda X, idx: self.gb.predict_proba(gb_windows(X, idx))}
        if self.rf is not None:
            out["random_forest"] = lambda X, idx: self.rf.predict_proba(gb_windows(X, idx))
        return out

    def scorers(self) -> dict:
        """Role -> function(X, window index) -> P(attack) = 1 - P(normal)."""
        return {role: (lambda f: lambda X, idx: 1.0 - f(X, idx)[:, 0])(f) for role, f in self.probabilities().items()}


def fit_random_forest(Xflat: np.ndarray, y: np.ndarray, seed: int = 0) -> RandomForestClassifier:
    """The second conventional baseline: a random forest on the flattened raw window."""
    return RandomForestClassifier(n_estimators=RF_TREES, random_state=seed, n_jobs=1).fit(Xflat, y)


def fit_models(tab: Table, sp: Split, hp: HP, log, gb_seed: int = 0, with_rf: bool = True) -> Fitted:
    """Fits the GB baseline (also the distillation teacher), the random forest and the DSAE+BiLSTM on sp.train."""
    C = len(tab.classes)
    flat = lambda rows: gb_windows(sp.X, sp.widx[rows])  # noqa: E731
    y = tab.y
    # Baseline: HistGradientBoosting on the flattened raw window [T*F] (same rows, same split).
    # Fitted first because it is also the distillation teacher (training split only).
    t1 = time.time()
    gb = HistGradientBoostingClassifier(random_state=gb_seed, early_stopping=False)
    gb.fit(flat(sp.train), y[sp.train])
    teacher = None
    if hp.distill > 0 and hp.distill_oof > 1:
        # cross-fitted teacher: each training window is scored by a GB fitted on the other folds
        teacher = np.zeros((len(sp.train), C))
        for part in np.array_split(np.arange(len(sp.train)), hp.distill_oof):
            rest = np.setdiff1d(np.arange(len(sp.train)), part)
            g_k = HistGradientBoostingClassifier(random_state=gb_seed, early_stopping=False)
            g_k.fit(flat(sp.train[rest]), y[sp.train[rest]])
            teacher[part] = g_k.predict_proba(flat(sp.train[part]))
    elif hp.distill > 0:
        teacher = gb.predict_proba(flat(sp.train))
    Xtrain, ytrain = net_windows(sp.X, sp.widx[sp.train]), y[sp.train]
    if hp.cold_start > 0 and hp.T > 1:
        pos, idx = cold_start_index(sp.widx[sp.train], hp.cold_start, hp.seed)
        Xtrain = np.concatenate([Xtrain, net_windows(sp.X, idx)])
        ytrain = np.concatenate([ytrain, y[sp.train][pos]])
        if teacher is not None:
            teacher = np.concatenate([teacher, gb.predict_proba(gb_windows(sp.X, idx))])
        log(f"    cold-start augmentation: +{len(pos)} truncated training windows")
    labelled = None
    if hp.distill_aug > 0 and teacher is not None:
        Xs = synthetic_windows(sp.X[sp.widx[sp.train]], tab.names, hp.distill_aug, hp.seed)
        ts = gb.predict_proba(Xs.reshape(len(Xs), -1))
        labelled = np.concatenate([np.ones(len(Xtrain)), np.zeros(len(Xs))])
        Xtrain = np.concatenate([Xtrain, Xs.astype(np.float32)])
        ytrain = np.concatenate([ytrain, ts.argmax(axis=1)])
        teacher = np.concatenate([teacher, ts])
        log(f"    distillation on synthetic inputs: +{len(Xs)} teacher-labelled windows")
    t_gb = time.time() - t1
    t0 = time.time()
    logmask, mean, std, Xl = fit_preprocessing(sp.X[sp.train], hp)
    Zraw = (Xl - mean) / std
    zmin, zmax = (Zraw.min(axis=0), Zraw.max(axis=0)) if hp.clip_train_range else (None, None)
    ple_edges = None
    if hp.ple_bins > 0:
        Zc = np.clip(Zraw, -10.0, 10.0)
        ple_edges = np.quantile(Zc, np.linspace(0.0, 1.0, hp.ple_bins + 1), axis=0).T  # [F, K+1]
        ple_edges = np.maximum.accumulate(ple_edges, axis=1)
    members, best_epochs = [], []
    for k in range(hp.members):
        hpk = replace(hp, seed=hp.seed + 1000 * k)
        seed_all(hpk.seed)
        model = Detector(len(tab.names), C, mean, std, logmask, hp.h1, hp.h2, hp.lstm_hidden,
                         hp.use_delta, hp.skip_last, hp.dropout, hp.lstm_raw, zmin, zmax, ple_edges)
        Ztr = np.clip(Zraw, model.zmin.numpy(), model.zmax.numpy())
        pretrain_dsae(model, Ztr, hpk, log)
        best_epochs.append(finetune(model, Xtrain, ytrain, net_windows(sp.X, sp.widx[sp.val]), y[sp.val], hpk, C, log, teacher, labelled))
        members.append(model)
    model = members[0] if hp.members == 1 else Ensemble(members)
    best_epoch = best_epochs[0] if hp.members == 1 else best_epochs
    t_model = time.time() - t0
    rf = None
    if with_rf:
        t2 = time.time()
        rf = fit_random_forest(flat(sp.train), y[sp.train])
        log(f"    random forest: {time.time() - t2:.0f} s")
    log(f"    training time: model {t_model:.0f} s (pretrain + fine-tune), baseline {t_gb:.0f} s")
    return Fitted(model, gb, rf, best_epoch)


