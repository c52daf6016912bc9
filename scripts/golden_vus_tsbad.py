#!/usr/bin/env python3
"""VUS-ROC / VUS-PR goldens from TSB-AD itself, for Vigil's VigilMetrics.VUS.

For each fixed, seeded input (labels, raw scores) and buffer length w in WINDOWS this calls what TSB-AD's
`get_metrics` calls for its leaderboard numbers:

    s = sklearn.preprocessing.MinMaxScaler(feature_range=(0, 1)).fit_transform(score.reshape(-1, 1)).ravel()
    TSB_AD.evaluation.basic_metrics.generate_curve(labels.astype(int), s, w, 'opt', 250)  ->  avg_auc_3d, avg_ap_3d

and stores VUS-ROC (avg_auc_3d) and VUS-PR (avg_ap_3d). For the largest window it also stores the per-buffer areas
(buffer 0..w) computed from the curves generate_curve returns (trapezoid of (FPR, TPR) and sum of dTPR * precision,
exactly as RangeAUC_volume_opt does per buffer), and checks that their means are the returned volumes.

The raw (unscaled) scores go into the golden: the Swift side scales them the way sklearn does.
Cases: tiny/small series (n < 250: repeated thresholds), one anomaly segment, many segments with gaps of 1..3
(touching and overlapping buffers), anomalies at both ends, single-point anomalies, iid labels, ties in the scores,
constant scores, a window longer than the series, scores on a large offset (min-max scaling merges neighbours).

Usage: python3 scripts/golden_vus_tsbad.py [--out Tests/VigilMetricsTests/Goldens/vus_tsbad.json]
"""
import argparse
import importlib.metadata
import json
import time
import warnings

import numpy as np
from sklearn.preprocessing import MinMaxScaler
from TSB_AD.evaluation.basic_metrics import generate_curve

WINDOWS = [0, 1, 5, 20, 100]
THRESHOLDS = 250


def segments_labels(n, segs):
    y = np.zeros(n, dtype=int)
    for a, b in segs:  # inclusive
        y[a:b + 1] = 1
    return y


def bumped_scores(rng, y, noise=1.0, bump=1.5, digits=6):
    x = rng.gamma(2.0, noise, len(y)) + bump * y * rng.random(len(y))
    return np.array([float(f"{v:.{digits}g}") for v in x])


def cases():
    out = []
    rng = np.random.default_rng(20240613)

    out.append(("tiny_n2", np.array([1, 0]), np.array([0.3, 0.1])))
    out.append(("tiny_n2_inverted", np.array([1, 0]), np.array([0.1, 0.3])))
    out.append(("small_n5_ties", np.array([0, 1, 1, 0, 0]), np.array([0.2, 0.9, 0.2, 0.9, 0.1])))
    out.append(("small_n7_both_ends", np.array([1, 0, 0, 0, 0, 0, 1]), np.array([0.5, 0.1, 0.4, 0.2, 0.6, 0.3, 0.5])))

    y = segments_labels(50, [(20, 29)])
    out.append(("n50_one_segment", y, bumped_scores(rng, y)))

    y = segments_labels(300, [(140, 171)])
    out.append(("n300_one_segment", y, bumped_scores(rng, y, bump=0.8)))

    y = segments_labels(500, [(0, 9), (230, 240), (488, 499)])
    out.append(("n500_both_ends", y, bumped_scores(rng, y)))

    # Many segments with small gaps: buffers touch, overlap and merge.
    segs, t = [], 15
    while t < 1900:
        length = int(rng.integers(1, 25))
        segs.append((t, min(t + length - 1, 1999)))
        t += length + int(rng.choice([1, 2, 3, 8, 30, 60, 120]))
    y = segments_labels(2000, segs)
    out.append(("n2000_many_segments", y, bumped_scores(rng, y, bump=1.0)))

    # Single-point anomalies, some at distance 2, one at each end.
    pts = [0, 40, 42, 44, 100, 101, 300, 302, 550, 700, 701, 702, 999]
    y = np.zeros(1000, dtype=int)
    y[pts] = 1
    out.append(("n1000_point_anomalies", y, bumped_scores(rng, y, bump=2.0)))

    # iid labels: hundreds of short segments.
    y = (rng.random(1000) < 0.1).astype(int)
    out.append(("n1000_iid_labels", y, bumped_scores(rng, y, bump=0.7)))

    # Heavy ties: one decimal.
    y = segments_labels(400, [(50, 59), (200, 239), (390, 399)])
    x = np.round(np.clip(rng.random(400) * 0.8 + 0.4 * y, 0, 1), 1)
    out.append(("n400_ties_one_decimal", y, x))

    # Integer scores with very few distinct values.
    y = segments_labels(600, [(100, 119), (400, 404)])
    x = (rng.integers(0, 4, 600) + 2 * y * rng.integers(0, 2, 600)).astype(float)
    out.append(("n600_integer_scores", y, x))

    y = segments_labels(100, [(30, 34), (70, 71)])
    out.append(("n100_constant_scores", y, np.full(100, 0.7)))

    # Window longer than the series.
    y = segments_labels(60, [(5, 7), (30, 31), (55, 59)])
    out.append(("n60_window_exceeds_length", y, bumped_scores(rng, y)))

    # Large offset: neighbours 1 ulp apart; sklearn's x*scale + min_ merges some of them.
    y = segments_labels(800, [(200, 260), (600, 610)])
    ulp = np.spacing(1e6)
    x = 1e6 + ulp * (rng.integers(0, 40, 800) + 20 * y)
    out.append(("n800_offset_ulp_ties", y, x))

    # SMD-like: long series, a dozen segments of varied length.
    segs = [(310, 335), (900, 905), (1400, 1520), (2000, 2000), (2101, 2180), (2600, 2640), (2990, 2999)]
    y = segments_labels(3000, segs)
    out.append(("n3000_smd_like", y, bumped_scores(rng, y, bump=0.9)))
    return out


def per_buffer(labels, scaled, w):
    Y, Z, X, X_ap, W, Z_ap, avg_auc, avg_ap = generate_curve(labels, scaled, w, 'opt', THRESHOLDS)
    tpr = X.reshape(w + 1, THRESHOLDS + 2)
    fpr = Y.reshape(w + 1, THRESHOLDS + 2)
    prec = W.reshape(w + 1, THRESHOLDS + 1)
    roc = [float(np.dot(fpr[k, 1:] - fpr[k, :-1], (tpr[k, 1:] + tpr[k, :-1]) / 2)) for k in range(w + 1)]
    pr = [float(np.dot(tpr[k, 1:-1] - tpr[k, :-2], prec[k, 1:])) for k in range(w + 1)]
    return roc, pr, float(avg_auc), float(avg_ap)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="Tests/VigilMetricsTests/Goldens/vus_tsbad.json")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    out_cases = []
    for name, labels, raw in cases():
        labels = np.asarray(labels, dtype=int)
        raw = np.asarray(raw, dtype=float)
        scaled = MinMaxScaler(feature_range=(0, 1)).fit_transform(raw.reshape(-1, 1)).ravel()
        results = []
        for w in WINDOWS:
            t0 = time.perf_counter()
            _, _, _, _, _, _, vus_roc, vus_pr = generate_curve(labels, scaled, w, 'opt', THRESHOLDS)
            results.append({"window": w, "vus_roc": float(vus_roc), "vus_pr": float(vus_pr),
                            "tsbad_seconds": round(time.perf_counter() - t0, 4)})
        wmax = max(WINDOWS)
        roc, pr, avg_auc, avg_ap = per_buffer(labels, scaled, wmax)
        assert abs(np.mean(roc) - avg_auc) < 1e-12 and abs(np.mean(pr) - avg_ap) < 1e-12, name
        for r in results:  # a buffer's area does not depend on the largest window
            k = r["window"] + 1
            assert abs(sum(roc[:k]) / k - r["vus_roc"]) < 1e-12, (name, r["window"])
            assert abs(sum(pr[:k]) / k - r["vus_pr"]) < 1e-12, (name, r["window"])
        out_cases.append({
            "name": name,
            "labels": "".join(str(v) for v in labels),
            "scores": [float(v) for v in raw],
            "distinct_raw": int(len(np.unique(raw))),
            "distinct_scaled": int(len(np.unique(scaled))),
            "results": results,
            "per_buffer_window": wmax,
            "per_buffer_roc": roc,
            "per_buffer_pr": pr,
        })
        print(f"{name:28s} n={len(labels):5d} distinct raw/scaled {out_cases[-1]['distinct_raw']}/"
              f"{out_cases[-1]['distinct_scaled']}  " + "  ".join(
                  f"w{r['window']}: {r['vus_roc']:.4f}/{r['vus_pr']:.4f}" for r in results))
    golden = {
        "generator": "scripts/golden_vus_tsbad.py",
        "tsb_ad_version": importlib.metadata.version("TSB_AD"),
        "numpy_version": np.__version__,
        "call": "generate_curve(labels, MinMaxScaler((0,1)).fit_transform(score), window, 'opt', 250)",
        "windows": WINDOWS,
        "cases": out_cases,
    }
    with open(args.out, "w") as f:
        json.dump(golden, f, separators=(",", ":"))
        f.write("\n")
    print("wrote", args.out)


if __name__ == "__main__":
    main()
