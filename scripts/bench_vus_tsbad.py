#!/usr/bin/env python3
"""VUS speed benchmark, Python side (used by scripts/bench-vus).

  make --out DATA.json [--smd DIR]   writes the benchmark series: `smd_sized_synthetic` (28,479 steps, seeded,
                                     30 anomaly segments of 5..400 steps, ~10 % anomalous, gamma noise + bumps) and,
                                     if DIR/test_label/machine-1-6.txt.gz exists, `machine-1-6_labels` (its real test
                                     labels, 30 segments, with seeded synthetic scores);
  time --data DATA.json --windows "0 100" --repeat R
                                     times TSB-AD: MinMaxScaler + generate_curve(labels, s, w, 'opt', 250); prints one
                                     JSON line per (series, window) with best/median seconds and the volumes.
"""
import argparse
import gzip
import json
import os
import time
import warnings

import numpy as np


def make(args):
    rng = np.random.default_rng(28479)
    n = 28479
    y = np.zeros(n, dtype=int)
    starts = np.sort(rng.choice(np.arange(200, n - 500, 800), 30, replace=False))
    for s in starts:
        y[s:s + int(rng.integers(5, 400))] = 1
    cases = []
    x = rng.gamma(2.0, 1.0, n) + 1.2 * y * rng.random(n)
    cases.append({"name": "smd_sized_synthetic", "labels": "".join(map(str, y)), "scores": [float(f"{v:.7g}") for v in x]})
    path = os.path.join(args.smd, "test_label", "machine-1-6.txt.gz")
    if os.path.exists(path):
        with gzip.open(path, "rt") as f:
            y = np.array([int(float(l)) for l in f if l.strip()])
        x = rng.gamma(2.0, 1.0, len(y)) + 1.2 * y * rng.random(len(y))
        cases.append({"name": "machine-1-6_labels", "labels": "".join(map(str, y)), "scores": [float(f"{v:.7g}") for v in x]})
    with open(args.out, "w") as f:
        json.dump({"cases": cases}, f)


def time_tsbad(args):
    from sklearn.preprocessing import MinMaxScaler
    from TSB_AD.evaluation.basic_metrics import generate_curve
    warnings.simplefilter("ignore")
    with open(args.data) as f:
        cases = json.load(f)["cases"]
    for c in cases:
        y = np.array([int(ch) for ch in c["labels"]])
        x = np.array(c["scores"])
        for w in [int(v) for v in args.windows.split()]:
            times, res = [], None
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                s = MinMaxScaler(feature_range=(0, 1)).fit_transform(x.reshape(-1, 1)).ravel()
                res = generate_curve(y, s, w, 'opt', 250)
                times.append(time.perf_counter() - t0)
            times.sort()
            print(json.dumps({"name": c["name"], "n": len(y), "window": w, "best_s": times[0],
                              "median_s": times[len(times) // 2], "vus_roc": float(res[6]), "vus_pr": float(res[7])}),
                  flush=True)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("make")
    m.add_argument("--out", required=True)
    m.add_argument("--smd", default="../shared/datasets/SMD")
    t = sub.add_parser("time")
    t.add_argument("--data", required=True)
    t.add_argument("--windows", default="0 100")
    t.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    make(args) if args.cmd == "make" else time_tsbad(args)


if __name__ == "__main__":
    main()
