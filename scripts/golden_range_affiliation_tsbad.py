#!/usr/bin/env python3
"""Range-based (Tatbul et al.) and affiliation (Huet et al.) P/R/F1 goldens from TSB-AD itself, for VigilMetrics.

For fixed, seeded (labels, predictions) pairs given as 0/1 integer arrays this stores what TSB-AD 1.5 computes:
  * range: basic_metricor() (flat bias) -> range_recall_new(labels, preds, 0.2)[0] (recall, alpha = 0.2),
    range_recall_new(preds, labels, 0)[0] (precision) and metric_RF1(labels, None, preds=preds) (F1),
    i.e. the settings of its reported "R-based-F1";
  * affiliation: pr_from_events(convert_vector_to_events(preds), convert_vector_to_events(labels), (0, T)) ->
    Affiliation_Precision, Affiliation_Recall, and metric_Affiliation(labels, None, preds=preds) (F, with its +1e-15).
Undefined values are stored as null: affiliation precision without predicted events (NaN in TSB-AD) and everything
affiliation without true events (TSB-AD raises). Series flagged at every step are left out of the range goldens:
TSB-AD's range finder returns no range for them (documented in RangeMetrics.swift).

Series are stored as event lists [[start, end], ...] (inclusive) with their length T, to keep the file small.

Usage: python3 scripts/golden_range_affiliation_tsbad.py [--out Tests/VigilMetricsTests/Goldens/range_affiliation_tsbad.json]
"""
import argparse
import importlib.metadata
import json
import math
import warnings

import numpy as np
from TSB_AD.evaluation.affiliation.generics import convert_vector_to_events
from TSB_AD.evaluation.affiliation.metrics import pr_from_events
from TSB_AD.evaluation.basic_metrics import basic_metricor


def vec(n, events):
    y = np.zeros(n, dtype=int)
    for a, b in events:
        y[a:b + 1] = 1
    return y


def events_of(y):
    d = np.diff(np.r_[0, y, 0])
    return [[int(a), int(b) - 1] for a, b in zip(np.nonzero(d == 1)[0], np.nonzero(d == -1)[0])]


def hand_cases():
    c = []
    c.append(("exact_match", 10, [[2, 4]], [[2, 4]]))
    c.append(("half_overlap", 10, [[2, 5]], [[4, 7]]))
    c.append(("one_pred_spans_two_truths", 12, [[1, 2], [6, 8]], [[0, 9]]))
    c.append(("two_preds_in_one_truth", 12, [[2, 9]], [[2, 3], [6, 7]]))
    c.append(("both_ends", 10, [[0, 1], [8, 9]], [[1, 1], [9, 9]]))
    c.append(("pred_far_away", 20, [[2, 3]], [[16, 18]]))
    c.append(("pred_before_and_after", 30, [[10, 14]], [[3, 4], [20, 21]]))
    c.append(("no_predictions", 10, [[3, 5]], []))
    c.append(("no_truth", 10, [], [[3, 5]]))
    c.append(("nothing", 5, [], []))
    c.append(("single_steps", 15, [[0, 0], [7, 7], [14, 14]], [[1, 1], [7, 7], [12, 13]]))
    c.append(("length_one_series", 1, [[0, 0]], [[0, 0]]))
    c.append(("all_flagged_affiliation_only", 8, [[2, 3]], [[0, 7]]))
    return c


def random_cases(rng):
    c = []
    for k in range(40):
        n = int(rng.choice([20, 50, 200, 1000, 5000, 28479]))
        y = np.zeros(n, dtype=int)
        for _ in range(int(rng.integers(1, 8))):
            a = int(rng.integers(0, n))
            y[a:a + int(rng.integers(1, max(2, n // 20)))] = 1
        p = np.zeros(n, dtype=int)
        for a, b in events_of(y):  # detections near some true events, with jitter
            if rng.random() < 0.7:
                s = int(np.clip(a + rng.integers(-5, 6), 0, n - 1))
                p[s:int(np.clip(b + rng.integers(-5, 6), s, n - 1)) + 1] = 1
        for _ in range(int(rng.integers(0, 6))):  # false alarms
            a = int(rng.integers(0, n))
            p[a:a + int(rng.integers(1, 6))] = 1
        c.append((f"random_{k:02d}_n{n}", n, events_of(y), events_of(p)))
    return c


def nan_to_none(x):
    return None if (x is None or (isinstance(x, float) and math.isnan(x))) else float(x)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="Tests/VigilMetricsTests/Goldens/range_affiliation_tsbad.json")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    g = basic_metricor()
    out = []
    for name, n, truth, pred in hand_cases() + random_cases(np.random.default_rng(2018)):
        y, p = vec(n, truth), vec(n, pred)
        case = {"name": name, "n": n, "labels": truth, "predictions": pred}
        if y.all() or p.all():
            case["range"] = None
        else:
            recall = g.range_recall_new(y, p, 0.2)[0]
            precision = g.range_recall_new(p, y, 0)[0]
            case["range"] = {"precision": float(precision), "recall": float(recall),
                             "f1": float(g.metric_RF1(y, None, preds=p))}
        if y.sum() == 0:
            case["affiliation"] = {"precision": None, "recall": None, "f1": None}
        else:
            r = pr_from_events(convert_vector_to_events(p), convert_vector_to_events(y), (0, n))
            case["affiliation"] = {"precision": nan_to_none(r["Affiliation_Precision"]),
                                   "recall": nan_to_none(r["Affiliation_Recall"]),
                                   "f1": nan_to_none(g.metric_Affiliation(y, None, preds=p))}
        out.append(case)
        print(f"{name:34s} range {case['range']}  affiliation {case['affiliation']}")
    golden = {"generator": "scripts/golden_range_affiliation_tsbad.py",
              "tsb_ad_version": importlib.metadata.version("TSB_AD"),
              "range_settings": {"alpha": 0.2, "bias": "flat", "cardinality": "reciprocal"},
              "cases": out}
    with open(args.out, "w") as f:
        json.dump(golden, f, separators=(",", ":"))
        f.write("\n")
    print("wrote", args.out, len(out), "cases")


if __name__ == "__main__":
    main()
