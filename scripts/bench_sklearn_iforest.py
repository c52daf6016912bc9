#!/usr/bin/env python3
"""scikit-learn IsolationForest reference for Vigil's `vigil bench iforest`.

Two modes:
  bench  --data X.npy [--trees 100] [--max-samples auto] [--seed 0] [--repeat 5]
         Times fit and score_samples on the matrix written by `vigil bench iforest --dump-data X.npy` and prints
         {"fit_seconds": median, "score_seconds": median, ...} as JSON (default n_jobs, i.e. as users run it).
  auc    --train T.txt --test S.txt --labels L.txt [--seeds 0 1 2 3 4] [--swift-scores s0.txt s1.txt ...]
         Fits sklearn on the train rows per seed, scores the test rows and prints the ROC-AUC against the labels
         for sklearn and for each given Swift score file (scores there: higher = more anomalous), as JSON.
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
    sw = []
    for path in args.swift_scores or []:
        s = np.loadtxt(path)
        if len(s) != len(y):
            sys.exit(f"{path}: {len(s)} scores for {len(y)} test rows")
        sw.append(roc_auc_score(y, s))
    print(json.dumps({"sklearn_auc": sk, "swift_auc": sw,
                      "sklearn_auc_mean": float(np.mean(sk)),
                      "swift_auc_mean": float(np.mean(sw)) if sw else None}))


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
    a.add_argument("--swift-scores", nargs="*")
    for q in (a, b):
        q.add_argument("--trees", type=int, default=100)
        q.add_argument("--max-samples", type=max_samples_arg, default="auto")
        q.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    bench(args) if args.mode == "bench" else auc(args)


if __name__ == "__main__":
    main()
