#!/usr/bin/env python3
"""scikit-learn IsolationForest reference for Vigil's `vigil bench iforest`.

Modes:
  bench  --data X.npy [--trees 100] [--max-samples auto] [--seed 0] [--repeat 5]
         Times fit and score_samples on the matrix written by `vigil bench iforest --dump-data X.npy` and prints
         {"fit_seconds": median, "score_seconds": median, ...} as JSON (default n_jobs, i.e. as users run it).
  auc    --train T.txt --test S.txt --labels L.txt [--seeds 0 1 2 3 4] [--alt-seeds 5 6 7 8 9]
         [--swift-scores s0.txt s1.txt ...]
         Fits sklearn on the train rows per seed, scores the test rows and prints the ROC-AUC against the labels
         for sklearn and for each given Swift score file (scores there: higher = more anomalous), as JSON.
         --alt-seeds: sklearn again with a disjoint seed set (sklearn_alt_auc), the noise floor of the
         comparison: how far sklearn's mean AUC moves against itself with other seeds.
  paths  --train T.txt --test S.txt --labels L.txt --swift-scores s0.txt ... [--seeds 0 1 ...] [--points 200]
         Path-length comparison: converts each Swift score file (one forest per seed, scores s = 2^(-E[h]/c(psi)))
         back to mean path lengths E[h] and compares them with sklearn's on the same test rows (points: half
         labelled anomalous, half normal, drawn with a fixed seed; labels only pick the points). Prints the mean
         difference Vigil - sklearn over the points with a standard error from the seed-to-seed spread, and the
         separation (mean E[h] of normal points - of anomalous ones; what ROC-AUC rewards) of both.
  trees  --train T.txt --model M.h5 [--seed 0]
         Tree-structure comparison on the training rows: fits sklearn with as many trees as the Vigil detector saved
         by `vigil bench iforest ... --trees N --model-out M.h5` (identity features) and prints per-tree means
         with standard errors for both: node count, mean training-sample depth (sum of n_leaf * depth / psi),
         mean h of the training sub-sample (depth + c(n_leaf)), share of samples in leaves at the height limit
         and in unsplittable leaves (n_leaf > 1 above the limit: all features constant there); a chi-square test
         that the root split features have the same distribution (p-value), and how many features were used at
         the roots vs how many are non-constant in the training rows.
  check-h5 --model M.h5 --test S.txt --scores V.txt
         Re-implements scoring in numpy from a detector saved by `vigil bench iforest ... --model-out M.h5`
         (feature engineering with first-row padding, standardization, tree walk, c(n)) and prints the largest
         difference to Vigil's scores: checks that the HDF5 file is complete and readable by h5py.
Only for reference checks; Vigil itself never runs Python.
"""
import argparse
import json
import statistics
import sys
import time

import numpy as np
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score


def max_samples_arg(v):
    return v if v == "auto" else int(v)


def bench(args):
    x = np.load(args.data)
    fit_t, score_t = [], []
    model = None
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        model = IsolationForest(n_estimators=args.trees, max_samples=args.max_samples, random_state=args.seed).fit(x)
        fit_t.append(time.perf_counter() - t0)
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        s = -model.score_samples(x)
        score_t.append(time.perf_counter() - t0)
    print(json.dumps({
        "rows": int(x.shape[0]), "features": int(x.shape[1]), "trees": args.trees,
        "max_samples": int(model.max_samples_), "repeat": args.repeat,
        "fit_seconds": statistics.median(fit_t), "fit_seconds_min": min(fit_t),
        "score_seconds": statistics.median(score_t), "score_seconds_min": min(score_t),
        "mean_score": float(np.mean(s)),
    }))


def auc(args):
    xtr = np.loadtxt(args.train, delimiter=",", ndmin=2)
    xte = np.loadtxt(args.test, delimiter=",", ndmin=2)
    y = np.loadtxt(args.labels, delimiter=",").astype(int).ravel()
    if len(y) != len(xte):
        sys.exit(f"{args.labels}: {len(y)} labels for {len(xte)} test rows")
    sk = []
    for seed in args.seeds:
        m = IsolationForest(n_estimators=args.trees, max_samples=args.max_samples, random_state=seed).fit(xtr)
        sk.append(roc_auc_score(y, -m.score_samples(xte)))
    alt = []
    for seed in args.alt_seeds or []:
        m = IsolationForest(n_estimators=args.trees, max_samples=args.max_samples, random_state=seed).fit(xtr)
        alt.append(roc_auc_score(y, -m.score_samples(xte)))
    sw = []
    for path in args.swift_scores or []:
        s = np.loadtxt(path)
        if len(s) != len(y):
            sys.exit(f"{path}: {len(s)} scores for {len(y)} test rows")
        sw.append(roc_auc_score(y, s))
    print(json.dumps({"sklearn_auc": sk, "swift_auc": sw, "sklearn_alt_auc": alt,
                      "sklearn_alt_auc_mean": float(np.mean(alt)) if alt else None,
                      "sklearn_auc_mean": float(np.mean(sk)),
                      "swift_auc_mean": float(np.mean(sw)) if sw else None}))


def paths(args):
    xtr = np.loadtxt(args.train, delimiter=",", ndmin=2)
    xte = np.loadtxt(args.test, delimiter=",", ndmin=2)
    y = np.loadtxt(args.labels, delimiter=",").astype(int).ravel()
    rng = np.random.default_rng(12345)
    half = args.points // 2
    pos, neg = np.where(y == 1)[0], np.where(y == 0)[0]
    pts = np.concatenate([rng.choice(pos, min(half, len(pos)), replace=False),
                          rng.choice(neg, args.points - min(half, len(pos)), replace=False)])
    sk_h, sw_h = [], []
    for seed in args.seeds:
        m = IsolationForest(n_estimators=args.trees, max_samples=args.max_samples, random_state=seed).fit(xtr)
        c = c_of([m.max_samples_])[0]
        sk_h.append(-np.log2(-m.score_samples(xte[pts])) * c)
    for path in args.swift_scores:
        s = np.loadtxt(path)
        sw_h.append(-np.log2(s[pts]) * c)
    sk_h, sw_h = np.array(sk_h), np.array(sw_h)           # (seeds, points)
    k1, k2 = len(sk_h), len(sw_h)
    per_seed_sk, per_seed_sw = sk_h.mean(1), sw_h.mean(1)  # mean over points, one per forest
    diff = per_seed_sw.mean() - per_seed_sk.mean()
    se = (per_seed_sw.var(ddof=1) / k2 + per_seed_sk.var(ddof=1) / k1) ** 0.5
    d_pt = sw_h.mean(0) - sk_h.mean(0)                     # per point
    se_pt = (sw_h.var(0, ddof=1) / k2 + sk_h.var(0, ddof=1) / k1) ** 0.5
    z_pt = d_pt / se_pt
    is_pos = np.isin(pts, pos)
    # Separation per forest: mean E[h] of normal points - of anomalous points (larger = better ranking).
    sep_sk = sk_h[:, ~is_pos].mean(1) - sk_h[:, is_pos].mean(1)
    sep_sw = sw_h[:, ~is_pos].mean(1) - sw_h[:, is_pos].mean(1)
    sep_se = (sep_sw.var(ddof=1) / k2 + sep_sk.var(ddof=1) / k1) ** 0.5
    print(json.dumps({
        "points": int(len(pts)), "anomalous_points": int(is_pos.sum()), "forests_each": [k2, k1],
        "trees": args.trees,
        "mean_h_vigil": float(per_seed_sw.mean()), "mean_h_sklearn": float(per_seed_sk.mean()),
        "mean_diff": float(diff), "se": float(se), "z": float(diff / se),
        "mean_diff_anomalous": float(d_pt[is_pos].mean()), "mean_diff_normal": float(d_pt[~is_pos].mean()),
        "per_point_z_mean": float(z_pt.mean()), "per_point_z_sd": float(z_pt.std(ddof=1)),
        "points_abs_z_gt_3": int((np.abs(z_pt) > 3).sum()),
        "separation_vigil": float(sep_sw.mean()), "separation_sklearn": float(sep_sk.mean()),
        "separation_diff": float(sep_sw.mean() - sep_sk.mean()), "separation_se": float(sep_se),
        "separation_z": float((sep_sw.mean() - sep_sk.mean()) / sep_se),
    }))


def tree_stats(left, right, ns, max_depth, psi):
    """Per-tree statistics from node arrays (leaf: left == -1); returns a dict of floats."""
    depth = np.zeros(len(left), dtype=int)
    for i in range(len(left)):                     # children come after their parent in both layouts
        if left[i] >= 0:
            depth[left[i]] = depth[i] + 1
            depth[right[i]] = depth[i] + 1
    leaf = left < 0
    n, d = ns[leaf].astype(float), depth[leaf]
    return {"nodes": float(len(left)), "sample_depth": float((n * d).sum() / psi),
            "sample_h": float((n * (d + c_of(n))).sum() / psi),
            "at_limit": float(n[d >= max_depth].sum() / psi),
            "unsplittable": float(n[(d < max_depth) & (n > 1)].sum() / psi)}


def trees(args):
    import h5py
    xtr = np.loadtxt(args.train, delimiter=",", ndmin=2)
    g = h5py.File(args.model, "r")["iforest_detector/forest"]
    off, left, right, ns = g["tree_offsets"][:], g["left"][:], g["right"][:], g["node_samples"][:]
    psi = int(g.attrs["max_samples"])
    max_depth = int(np.ceil(np.log2(max(psi, 2))))
    sw = [tree_stats(left[a:b], right[a:b], ns[a:b], max_depth, psi) for a, b in zip(off[:-1], off[1:])]
    m = IsolationForest(n_estimators=len(sw), max_samples=psi, random_state=args.seed).fit(xtr)
    sk = [tree_stats(e.tree_.children_left, e.tree_.children_right, e.tree_.n_node_samples, max_depth, psi)
          for e in m.estimators_]
    out = {"trees": len(sw), "max_samples": psi}
    # Root split feature: same distribution? (two-sample chi-square on the counts per feature)
    from scipy.stats import chi2_contingency
    feat = g["feature"][:]
    rf_sw = np.bincount(feat[off[:-1]], minlength=xtr.shape[1])
    rf_sk = np.bincount([e.tree_.feature[0] for e in m.estimators_], minlength=xtr.shape[1])
    used = (rf_sw + rf_sk) > 0
    out["root_feature_chi2_p"] = float(chi2_contingency(np.vstack([rf_sw[used], rf_sk[used]]))[1])
    out["root_features_used"] = [int(used.sum()), int((np.ptp(xtr, axis=0) > 1e-7).sum())]
    for k in sw[0]:
        a, b = np.array([t[k] for t in sw]), np.array([t[k] for t in sk])
        se = (a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b)) ** 0.5
        out[k] = {"vigil": float(a.mean()), "sklearn": float(b.mean()), "diff": float(a.mean() - b.mean()),
                  "se": float(se), "z": float((a.mean() - b.mean()) / se) if se > 0 else 0.0}
    print(json.dumps(out))


def c_of(n):
    n = np.asarray(n, dtype=float)
    out = np.zeros_like(n)
    out[n == 2] = 1.0
    m = n > 2
    out[m] = 2.0 * (np.log(n[m] - 1.0) + np.euler_gamma) - 2.0 * (n[m] - 1.0) / n[m]
    return out


def check_h5(args):
    import h5py
    f = h5py.File(args.model, "r")
    ft, g = f["iforest_detector/features"], f["iforest_detector/forest"]
    x = np.loadtxt(args.test, delimiter=",", ndmin=2)
    n = len(x)
    pad = lambda k: np.vstack([np.repeat(x[:1], k, axis=0), x])   # rows before the first = the first row
    blocks = [x] if ft.attrs["include_raw"] else []
    for lag in [int(v) for v in str(ft.attrs["lags"]).split(",") if v]:
        blocks.append(pad(lag)[:n])
    if ft.attrs["differences"]:
        blocks.append(x - pad(1)[:n])
    w = int(ft.attrs["rolling_window"])
    for stat in [v for v in str(ft.attrs["rolling_statistics"]).split(",") if v]:
        win = np.lib.stride_tricks.sliding_window_view(pad(w - 1), w, axis=0)   # (n, F, w)
        blocks.append(getattr(np, stat)(win, axis=2))
    z = np.hstack(blocks)
    if ft.attrs["standardize"]:
        z = (z - ft["mean"][:]) / ft["scale"][:]
    off, feat, thr = g["tree_offsets"][:], g["feature"][:], g["threshold"][:]
    left, right, ns = g["left"][:], g["right"][:], g["node_samples"][:]
    h = np.zeros(n)
    for t in range(len(off) - 1):
        o, idx, depth = off[t], np.zeros(n, dtype=int), np.zeros(n)
        while True:
            rows = np.where(feat[o + idx] >= 0)[0]
            if len(rows) == 0:
                break
            nodes = o + idx[rows]
            idx[rows] = np.where(z[rows, feat[nodes]] <= thr[nodes], left[nodes], right[nodes])
            depth[rows] += 1
        h += depth + c_of(ns[o + idx])
    s = 2.0 ** (-(h / (len(off) - 1)) / c_of([g.attrs["max_samples"]])[0])
    v = np.loadtxt(args.scores)
    print(json.dumps({"rows": n, "features": int(z.shape[1]), "trees": int(len(off) - 1),
                      "max_abs_diff": float(np.abs(s - v).max())}))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="mode", required=True)
    b = sub.add_parser("bench", help="time fit and score on a .npy matrix")
    b.add_argument("--data", required=True)
    b.add_argument("--repeat", type=int, default=5)
    a = sub.add_parser("auc", help="ROC-AUC of sklearn (and given Swift scores) on a train/test/label triple")
    a.add_argument("--train", required=True)
    a.add_argument("--test", required=True)
    a.add_argument("--labels", required=True)
    a.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    a.add_argument("--alt-seeds", type=int, nargs="*")
    a.add_argument("--swift-scores", nargs="*")
    pa = sub.add_parser("paths", help="compare mean path lengths of Vigil and sklearn per test point")
    pa.add_argument("--train", required=True)
    pa.add_argument("--test", required=True)
    pa.add_argument("--labels", required=True)
    pa.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    pa.add_argument("--swift-scores", nargs="+", required=True)
    pa.add_argument("--points", type=int, default=200)
    tr = sub.add_parser("trees", help="compare tree-structure statistics of a saved Vigil forest and sklearn")
    tr.add_argument("--train", required=True)
    tr.add_argument("--model", required=True)
    tr.add_argument("--seed", type=int, default=0)
    for q in (a, b, pa):
        q.add_argument("--trees", type=int, default=100)
        q.add_argument("--max-samples", type=max_samples_arg, default="auto")
        q.add_argument("--seed", type=int, default=0)
    c = sub.add_parser("check-h5", help="recompute Vigil scores in numpy from a saved detector")
    c.add_argument("--model", required=True)
    c.add_argument("--test", required=True)
    c.add_argument("--scores", required=True)
    args = p.parse_args()
    {"bench": bench, "auc": auc, "paths": paths, "trees": trees, "check-h5": check_h5}[args.mode](args)


if __name__ == "__main__":
    main()
