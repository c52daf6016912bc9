#!/usr/bin/env python3
"""Writes the Isolation Forest golden of VigilIsolationForestTests: Tests/VigilIsolationForestTests/Goldens/sklearn_iforest.json.

A 4-tree sklearn IsolationForest(max_samples=16, random_state=0) fitted on 40 float32 rows of 3 features: its trees
(feature, threshold, children, node sample counts), 12 test rows and sklearn's scores (-score_samples) for them.
Vigil scores the same trees and must match sklearn exactly (float32-exact inputs, so both sides compare equal values).

Usage: python3 scripts/make_iforest_goldens.py [--out Tests/VigilIsolationForestTests/Goldens/sklearn_iforest.json]
"""
import argparse
import json
import os

import numpy as np
import sklearn
from sklearn.ensemble import IsolationForest


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="Tests/VigilIsolationForestTests/Goldens/sklearn_iforest.json")
    args = ap.parse_args()
    rng = np.random.default_rng(7)
    x = rng.normal(size=(40, 3)).astype(np.float32)
    xt = np.vstack([x[:6], rng.normal(scale=3.0, size=(6, 3)).astype(np.float32)])
    m = IsolationForest(n_estimators=4, max_samples=16, random_state=0).fit(x)
    trees = []
    for est, feats in zip(m.estimators_, m.estimators_features_):
        t = est.tree_
        leaf = t.children_left == -1
        feat = np.where(leaf, -1, np.asarray(feats)[np.where(leaf, 0, t.feature)])
        trees.append({"feature": [int(v) for v in feat], "threshold": [float(v) for v in np.where(leaf, 0.0, t.threshold)],
                      "left": [int(v) for v in t.children_left], "right": [int(v) for v in t.children_right],
                      "samples": [int(v) for v in t.n_node_samples]})
    golden = {"generator": "scripts/make_iforest_goldens.py", "sklearn_version": sklearn.__version__,
              "max_samples": int(m.max_samples_), "feature_count": 3,
              "test_rows": [float(v) for v in xt.ravel()], "sklearn_scores": [float(v) for v in -m.score_samples(xt)],
              "trees": trees}
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(golden, f, separators=(",", ":"))  # floats as shortest round-trip decimals: exact
    print(f"{len(trees)} trees, {len(xt)} test rows -> {args.out}")


if __name__ == "__main__":
    main()
