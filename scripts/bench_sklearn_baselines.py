#!/usr/bin/env python3
"""scikit-learn / numpy on the data VigilBaselinesBench dumped (--dump DIR): same normalized SMD matrices.

For each DIR/<machine>/ (train.npy, test.npy, labels.npy, scores_<key>.npy, knn_sample.npy):
  pca    sklearn PCA(n_components=0.95, svd_solver='full'): score = mean over dims of (x - inverse_transform(transform(x)))**2
  knn    sample = vigil_xoshiro.sample_rows(T, 2000, 0) (checked against knn_sample.npy);
         NearestNeighbors(n_neighbors=5, algorithm=a).fit(train[sample]).kneighbors(test), a in kd_tree, ball_tree, brute
  l2_norm / range_deviation  numpy
  random  vigil_xoshiro stream (seed 0)
Prints, per model, sklearn's fit+score seconds (median of --repeat), ROC-AUC and PR-AUC (sklearn.metrics) and the
largest |Vigil - sklearn| score difference (relative to the score scale). Seconds are single-process wall clock on a
shared machine: the load is printed.

Usage: python3 scripts/bench_sklearn_baselines.py DIR [--repeat 3]
"""
import argparse
import os
import sys
import time

import numpy as np
from sklearn.decomposition import PCA
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.neighbors import NearestNeighbors

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vigil_xoshiro import Xoshiro256, sample_rows  # noqa: E402


def timed(fn, repeat):
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    print(f"load: {open('/proc/loadavg').read().strip()}")
    for machine in sorted(os.listdir(args.dir)):
        d = os.path.join(args.dir, machine)
        train, test = np.load(f"{d}/train.npy"), np.load(f"{d}/test.npy")
        y = np.load(f"{d}/labels.npy").astype(int)
        print(f"\n## {machine} (scikit-learn {__import__('sklearn').__version__}, numpy {np.__version__})")
        print(f"{'model':<22}{'fit+score s':>12}{'ROC-AUC':>10}{'PR-AUC':>10}{'Vigil ROC':>11}{'Vigil PR':>10}  max |Δscore| / max score")
        rows = []

        def pca():
            p = PCA(n_components=0.95, svd_solver="full").fit(train)
            return ((test - p.inverse_transform(p.transform(test))) ** 2).mean(axis=1), p.n_components_
        secs, (s, k) = timed(pca, args.repeat)
        rows.append((f"pca (K={k})", "pca", secs, s))

        sample = sample_rows(train.shape[0], 2000, 0)
        dumped = np.load(f"{d}/knn_sample.npy").astype(int)
        assert list(dumped) == sample, "kNN sample differs from the Python twin"
        ref = train[sample]
        for algo in ["kd_tree", "ball_tree", "brute"]:
            secs, s = timed(lambda: NearestNeighbors(n_neighbors=5, algorithm=algo).fit(ref).kneighbors(test)[0][:, 4], args.repeat)
            rows.append((f"knn ({algo})", "knn", secs, s))

        secs, s = timed(lambda: np.linalg.norm(test, axis=1), args.repeat)
        rows.append(("l2_norm (numpy)", "l2_norm", secs, s))

        def rng_dev():
            lo, hi = train.min(axis=0), train.max(axis=0)
            return (np.maximum(0, lo - test) + np.maximum(0, test - hi)).mean(axis=1)
        secs, s = timed(rng_dev, args.repeat)
        rows.append(("range_deviation (np)", "range_deviation", secs, s))

        g = Xoshiro256(0)
        s = np.array([g.unit_double() for _ in range(test.shape[0])])
        rows.append(("random (twin)", "random", float("nan"), s))

        for label, key, secs, s in rows:
            v = np.load(f"{d}/scores_{key}.npy")
            diff = np.max(np.abs(v - s)) / max(np.max(np.abs(s)), 1e-300)
            print(f"{label:<22}{secs:12.4f}{roc_auc_score(y, s):10.4f}{average_precision_score(y, s):10.4f}"
                  f"{roc_auc_score(y, v):11.4f}{average_precision_score(y, v):10.4f}  {diff:.2e}")
    print(f"\nload: {open('/proc/loadavg').read().strip()}")


if __name__ == "__main__":
    main()
