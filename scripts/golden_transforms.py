#!/usr/bin/env python3
"""Goldens for VigilTransforms and the dynamic threshold, computed independently with numpy/pandas.

Writes Tests/VigilTransformsTests/Goldens/transforms.json and Tests/VigilThresholdsTests/Goldens/dynamic_threshold.json.
Run from the repository root: python3 scripts/golden_transforms.py  (numpy, pandas).

* normalization: numpy mean/std (ddof 0) and np.percentile (linear) per column, scale floored at f·median(scales);
* aggregation: numpy mean / max / mean of np.sort(...)[-k:];
* smoothing: pandas rolling(w, min_periods=1).mean() and ewm(span=w, adjust=False).mean();
* causal robust normalization: pandas rolling(W, min_periods=2) median / quantiles on (history ++ stream) shifted by
  one row, the reference (median, IQR of the history) where fewer than 2 values precede;
* dynamic threshold: telemanom's errors.py (find_epsilon, compare_to_epsilon, prune_anoms; non-inverse, without the
  value-scale checks) transcribed with numpy, on windows of the last window·batch scores ending at each batch end.
"""
import json
import os
from itertools import groupby

import numpy as np
import pandas as pd

rng = np.random.default_rng(20261121)
out = {}


def stats(x, kind):
    if kind == "zscore":
        return x.mean(axis=0), x.std(axis=0)
    q25, q50, q75 = np.percentile(x, [25, 50, 75], axis=0)
    return q50, q75 - q25


def transform(train, test, validation, normalize, statistics, aggregate, k, smooth, w, causal, floor_f):
    src = {"train": train, "validation": validation}[statistics]
    if normalize == "none":
        c, s = np.zeros(train.shape[1]), np.ones(train.shape[1])
    else:
        c, raw = stats(src, normalize)
        fl = max(floor_f * np.median(raw), 1e-12)
        s = np.maximum(raw, fl)

    def stages(x):
        z = (x - c) / s
        if aggregate == "mean":
            a = z.mean(axis=1)
        elif aggregate == "max":
            a = z.max(axis=1)
        else:
            a = np.sort(z, axis=1)[:, -min(k, z.shape[1]):].mean(axis=1)
        ser = pd.Series(a)
        if smooth == "moving_average":
            a = ser.rolling(w, min_periods=1).mean().to_numpy()
        elif smooth == "ewma":
            a = ser.ewm(span=w, adjust=False).mean().to_numpy()
        return a, z

    ytest, ztest = stages(test)
    result = {"center": c.tolist(), "scale": s.tolist(), "test_normalized": ztest.ravel().tolist()}
    if causal > 0:
        hist_stream, _ = stages(np.vstack([train, validation]))
        hist = hist_stream[-causal:]
        m_ref = np.median(hist)
        r_ref = max(np.percentile(hist, 75) - np.percentile(hist, 25), 1e-12)
        full = pd.Series(np.concatenate([hist, ytest]))
        prev = full.shift(1)
        med = prev.rolling(causal, min_periods=2).median().to_numpy()[len(hist):]
        q75 = prev.rolling(causal, min_periods=2).quantile(0.75, interpolation="linear").to_numpy()[len(hist):]
        q25 = prev.rolling(causal, min_periods=2).quantile(0.25, interpolation="linear").to_numpy()[len(hist):]
        iqr = q75 - q25
        cnt = prev.rolling(causal, min_periods=1).count().to_numpy()[len(hist):]
        fl = max(floor_f * r_ref, 1e-12)
        med = np.where(cnt >= 2, med, m_ref)
        iqr = np.where(cnt >= 2, iqr, r_ref)
        ytest = (ytest - med) / np.maximum(iqr, fl)
        result["causal_history"] = hist.tolist()
    result["test_transformed"] = ytest.tolist()
    return result


train = rng.gamma(2.0, 0.05, size=(60, 4))
train[:, 3] *= 0.001            # a near-constant column: its scale is floored
validation = rng.gamma(2.0, 0.06, size=(25, 4))
test = rng.gamma(2.0, 0.07, size=(40, 4))
test[20:26, 1] += 1.0           # an anomaly on one column
out["inputs"] = {"train": train.ravel().tolist(), "validation": validation.ravel().tolist(), "test": test.ravel().tolist(),
                 "dims": 4}
cases = [
    dict(name="zscore_train_max_none", normalize="zscore", statistics="train", aggregate="max", k=1, smooth="none", w=1, causal=0, floor=0.01),
    dict(name="robust_validation_topk_ma", normalize="robust", statistics="validation", aggregate="top_k", k=2, smooth="moving_average", w=5, causal=0, floor=0.1),
    dict(name="zscore_validation_mean_ewma", normalize="zscore", statistics="validation", aggregate="mean", k=1, smooth="ewma", w=7, causal=0, floor=0.01),
    dict(name="robust_train_max_ewma_causal", normalize="robust", statistics="train", aggregate="max", k=1, smooth="ewma", w=3, causal=12, floor=0.05),
    dict(name="none_mean_ma_causal", normalize="none", statistics="train", aggregate="mean", k=1, smooth="moving_average", w=4, causal=30, floor=0.01),
]
out["cases"] = []
for cse in cases:
    r = transform(train, test, validation, cse["normalize"], cse["statistics"], cse["aggregate"], cse["k"], cse["smooth"], cse["w"],
                  cse["causal"], cse["floor"])
    out["cases"].append({**cse, **r})

root = os.path.join(os.path.dirname(__file__), "..")
with open(os.path.join(root, "Tests/VigilTransformsTests/Goldens/transforms.json"), "w") as f:
    json.dump(out, f, indent=1)


# ---- dynamic threshold (telemanom errors.py, non-inverse) ----
def consecutive_groups(idx):
    return [[v for _, v in g] for _, g in groupby(enumerate(idx), key=lambda p: p[1] - p[0])]


def find_epsilon(e_s, error_buffer):
    mean, sd = np.mean(e_s), np.std(e_s)
    sd_lim = 12.0
    epsilon = mean + sd_lim * sd
    max_score = -10000000
    for z in np.arange(2.5, sd_lim, 0.5):
        eps = mean + (sd * z)
        pruned_e_s = e_s[e_s < eps]
        i_anom = np.argwhere(e_s >= eps).reshape(-1,)
        buffer = np.arange(1, error_buffer)
        i_anom = np.sort(np.concatenate((i_anom, np.array([i + buffer for i in i_anom]).flatten(),
                                         np.array([i - buffer for i in i_anom]).flatten())))
        i_anom = i_anom[(i_anom < len(e_s)) & (i_anom >= 0)]
        i_anom = np.sort(np.unique(i_anom))
        if len(i_anom) > 0:
            groups = consecutive_groups(i_anom)
            E_seq = [(g[0], g[-1]) for g in groups if not g[0] == g[-1]]
            mean_perc_decrease = (mean - np.mean(pruned_e_s)) / mean
            sd_perc_decrease = (sd - np.std(pruned_e_s)) / sd
            score = (mean_perc_decrease + sd_perc_decrease) / (len(E_seq) ** 2 + len(i_anom))
            if score >= max_score and len(E_seq) <= 5 and len(i_anom) < (len(e_s) * 0.5):
                max_score = score
                epsilon = mean + z * sd
    return epsilon


def compare_and_prune(e_s, epsilon, batch_len, previous_global, window_start, error_buffer, p):
    i_anom = np.argwhere(e_s >= epsilon).reshape(-1,)
    if len(i_anom) == 0:
        return []
    buffer = np.arange(1, error_buffer + 1)
    i_anom = np.sort(np.concatenate((i_anom, np.array([i + buffer for i in i_anom]).flatten(),
                                     np.array([i - buffer for i in i_anom]).flatten())))
    i_anom = i_anom[(i_anom < len(e_s)) & (i_anom >= 0)]
    i_anom = i_anom[i_anom >= len(e_s) - batch_len]
    i_anom = np.sort(np.unique(i_anom)).astype(int)
    if len(i_anom) == 0:
        return []
    window_indices = np.arange(0, len(e_s)) + window_start
    adj_i_anom = i_anom + window_start
    window_indices = np.setdiff1d(window_indices, np.append(np.array(previous_global, dtype=int), adj_i_anom))
    candidate_indices = np.unique(window_indices - window_start)
    non_anom_max = np.max(np.take(e_s, candidate_indices)) if len(candidate_indices) else 0.0
    groups = consecutive_groups(list(i_anom))
    E_seq = [(g[0], g[-1]) for g in groups if not g[0] == g[-1]]
    if len(E_seq) == 0:
        return []
    E_seq_max = np.array([max(e_s[e[0]:e[1] + 1]) for e in E_seq])
    E_seq_max_sorted = np.sort(E_seq_max)[::-1]
    E_seq_max_sorted = np.append(E_seq_max_sorted, [non_anom_max])
    i_to_remove = np.array([])
    for i in range(0, len(E_seq_max_sorted) - 1):
        if (E_seq_max_sorted[i] - E_seq_max_sorted[i + 1]) / E_seq_max_sorted[i] < p:
            i_to_remove = np.append(i_to_remove, np.argwhere(E_seq_max == E_seq_max_sorted[i]))
        else:
            i_to_remove = np.array([])
    keep = [s for j, s in enumerate(E_seq) if j not in set(i_to_remove.astype(int).tolist())]
    return [i for s in keep for i in range(s[0], s[1] + 1)]


def dynamic(stream, history, batch, window_batches, error_buffer, p):
    hist = history[-batch * window_batches:]
    allv = np.concatenate([hist, stream])
    off = len(hist)
    flags = np.zeros(len(stream), dtype=bool)
    thr = np.zeros(len(stream))
    start = 0
    while start < len(stream):
        end = min(len(stream), start + batch)
        hi = off + end
        lo = max(0, hi - batch * window_batches)
        e_s = allv[lo:hi]
        eps = find_epsilon(e_s, error_buffer)
        thr[start:end] = eps
        if np.std(e_s) == 0:  # a constant window flags nothing (Vigil's stand-in for telemanom's scale check)
            start = end
            continue
        previous = [lo + i for i in range(0, len(e_s) - (end - start)) if lo + i - off >= 0 and flags[lo + i - off]]
        kept = compare_and_prune(e_s, eps, end - start, previous, lo, error_buffer, p)
        for i in kept:
            flags[lo + i - off] = True
        start = end
    return flags, thr


dyn = {"cases": []}
for name, n_hist, n, batch, wb, buf, p, bursts in [
    ("bursts_small_buffer", 300, 400, 20, 10, 3, 0.13, [(120, 8, 2.5), (260, 5, 1.2), (330, 12, 0.9)]),
    ("telemanom_defaults", 2100, 1500, 70, 30, 100, 0.13, [(400, 30, 3.0), (900, 10, 0.8)]),
    ("no_history_spikes", 0, 500, 25, 8, 2, 0.2, [(50, 1, 4.0), (200, 3, 2.0), (420, 6, 1.5)]),
]:
    hist = np.abs(rng.normal(0.2, 0.05, n_hist))
    s = np.abs(rng.normal(0.2, 0.05, n))
    for at, length, amp in bursts:
        s[at:at + length] += amp * 0.2
    f, t = dynamic(s, hist, batch, wb, buf, p)
    dyn["cases"].append({"name": name, "history": hist.tolist(), "stream": s.tolist(), "batch": batch, "window_batches": wb,
                         "buffer": buf, "prune": p, "flags": f.astype(int).tolist(), "thresholds": t.tolist()})
with open(os.path.join(root, "Tests/VigilThresholdsTests/Goldens/dynamic_threshold.json"), "w") as f:
    json.dump(dyn, f)
print("wrote transforms.json (%d cases) and dynamic_threshold.json (%d cases)" % (len(out["cases"]), len(dyn["cases"])))
for c in dyn["cases"]:
    print(c["name"], "flags", sum(c["flags"]))
