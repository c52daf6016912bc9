#!/usr/bin/env python3
"""Writes the metrics cross-check goldens of VigilMetricsTests: Tests/VigilMetricsTests/Goldens/sklearn_metrics.json.

Inputs (300 steps with tied scores, label segments at both ends and a single point, per-dimension scores with
interpretation labels) are generated deterministically; expected values come from sklearn (ROC AUC, average
precision, nDCG) and the independent Python in scripts/spot_reference.py (`metrics_goldens`).

Usage: python3 scripts/make_metrics_goldens.py [--out Tests/VigilMetricsTests/Goldens/sklearn_metrics.json]
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from spot_reference import metrics_goldens  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="Tests/VigilMetricsTests/Goldens/sklearn_metrics.json")
    args = ap.parse_args()
    T, D, thr, scores, labels, per, interp, e = metrics_goldens()
    fl = lambda xs: [float(x) for x in xs]
    golden = {
        "generator": "scripts/make_metrics_goldens.py",
        "dimensions": D, "threshold": float(thr),
        "scores": fl(scores), "labels": [bool(x) for x in labels],
        "per_dimension": fl(per.ravel()), "interpretation": [bool(x) for x in interp.ravel()],
        "expected": {
            "pointwise": fl(e["pointwise"]), "point_adjusted": fl(e["point_adjusted"]), "eventwise": fl(e["event"]),
            "pak_f1_area": float(e["pak_f1_area"]), "pak_f1_at_40": float(e["pak_f1_40"]),
            "roc_auc": float(e["roc_auc"]), "average_precision": float(e["ap"]), "roc_auc_binary": float(e["roc_binary"]),
            "oracle_point_adjusted_f1": float(e["oracle_pa_f1"]), "oracle_pointwise_f1": float(e["oracle_pw_f1"]),
            "hit100": e["hit100"], "hit150": e["hit150"], "ndcg100": e["ndcg100"], "ndcg150": e["ndcg150"],
        },
    }
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(golden, f, separators=(",", ":"))  # floats as shortest round-trip decimals: exact
    print("metrics goldens:", golden["expected"])


if __name__ == "__main__":
    main()
