#!/usr/bin/env python3
"""Goldens for VigilBaselines from scikit-learn / numpy / an independent xoshiro twin.

Writes Tests/VigilBaselinesTests/Goldens/baselines_sklearn.json with, on fixed seeded inputs (values rounded to 6
decimals so JSON carries them exactly):

  pca              sklearn.decomposition.PCA(n_components=f or K, svd_solver='full').fit(train):
                   n_components_, explained_variance_ (all components, from a full PCA), mean_, and for the test
                   rows the squared residuals (test - inverse_transform(transform(test)))**2, per dimension.
  knn              sample = vigil_xoshiro.sample_rows(T, max_samples, seed) (the Swift sampling, reimplemented);
                   sklearn.neighbors.NearestNeighbors(n_neighbors=k, algorithm='kd_tree').fit(train[sample])
                   .kneighbors(test)[0][:, k-1]: the distance to the k-th nearest sampled row.
  l2_norm          numpy: x**2 per dimension, np.linalg.norm(x, axis=1).
  range_deviation  numpy: max(0, min - x) + max(0, x - max) per dimension with train min/max; row mean.
  random           vigil_xoshiro.Xoshiro256(seed).unit_double() x N.

Cases cover: a clear eigen-gap low-rank series, a constant column (zero eigenvalue), min-max-scaled-like data,
two training rows (rank 1), fixed component counts; kNN with all rows (T < M), a real sample (T > M) at D = 38,
duplicated reference rows (ties), test rows equal to training rows (distance 0) and k = 1.

Usage: python3 scripts/golden_baselines_sklearn.py [--out Tests/VigilBaselinesTests/Goldens/baselines_sklearn.json]
"""
import argparse
import importlib.metadata
import json
import os
import sys

import numpy as np
from sklearn.decomposition import PCA
from sklearn.neighbors import NearestNeighbors

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vigil_xoshiro import Xoshiro256, sample_rows  # noqa: E402


def r6(a):
    return np.round(np.asarray(a, dtype=np.float64), 6)


def flat(a):
    return [float(v) for v in np.asarray(a, dtype=np.float64).ravel()]


def low_rank(rng, n, d, rank, noise, offset=0.0):
    z = rng.normal(size=(n, rank)) * np.linspace(3, 1, rank)
    a = rng.normal(size=(rank, d))
    return z @ a + noise * rng.normal(size=(n, d)) + offset


def pca_fit(name, train, test, spec):
    if spec.startswith("variance:"):
        nc = float(spec.split(":")[1])
    else:
        nc = int(spec.split(":")[1])
    p = PCA(n_components=nc, svd_solver="full").fit(train)
    full = PCA(svd_solver="full").fit(train)
    ev = full.explained_variance_
    k = int(p.n_components_)
    # The kept subspace must be well defined (eigen gap at k) and the variance rule not at a knife edge.
    if k < len(ev):
        assert ev[k - 1] > ev[k] * (1 + 1e-6) + 1e-12, (name, spec, ev)
    if isinstance(nc, float):
        cum = np.cumsum(full.explained_variance_ratio_)
        assert np.min(np.abs(cum - nc)) > 1e-9, (name, spec)
    resid = test - p.inverse_transform(p.transform(test))
    return {"components": spec, "kept": k, "explained_variance_ratio_kept": float(np.sum(p.explained_variance_ratio_)),
            "squared_residuals": flat(resid ** 2)}


def pca_case(name, train, test, specs):
    train, test = r6(train), r6(test)
    full = PCA(svd_solver="full").fit(train)
    return {"name": name, "rows": int(train.shape[0]), "cols": int(train.shape[1]), "train": flat(train),
            "test_rows": int(test.shape[0]), "test": flat(test), "mean": flat(full.mean_),
            "explained_variance": flat(full.explained_variance_),
            "fits": [pca_fit(name, train, test, s) for s in specs]}


def knn_case(name, train, test, k, max_samples, seed):
    train, test = r6(train), r6(test)
    idx = sample_rows(train.shape[0], max_samples, seed)
    nn = NearestNeighbors(n_neighbors=k, algorithm="kd_tree").fit(train[idx])
    dist = nn.kneighbors(test)[0][:, k - 1]
    return {"name": name, "rows": int(train.shape[0]), "cols": int(train.shape[1]), "train": flat(train),
            "test_rows": int(test.shape[0]), "test": flat(test), "k": k, "max_samples": max_samples, "seed": seed,
            "sample_indices": [int(i) for i in idx], "kth_distance": flat(dist)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="Tests/VigilBaselinesTests/Goldens/baselines_sklearn.json")
    args = ap.parse_args()
    rng = np.random.default_rng(20240917)

    pca = []
    tr = low_rank(rng, 300, 8, 3, 0.05, offset=2.0)
    te = np.vstack([low_rank(rng, 40, 8, 3, 0.05, offset=2.0), rng.normal(2.0, 1.0, size=(10, 8))])
    pca.append(pca_case("lowrank_f8", tr, te, ["variance:0.95", "variance:0.5", "count:2", "count:8"]))

    tr = low_rank(rng, 200, 6, 2, 0.1)
    tr[:, 3] = 0.25
    te = low_rank(rng, 30, 6, 2, 0.1)
    te[:5, 3] = 0.9  # constant in train, moved in test: the whole move is residual
    pca.append(pca_case("constant_column_f6", tr, te, ["variance:0.9", "count:6"]))

    z = rng.random((500, 4))
    tr = np.clip(z @ rng.random((4, 12)) / 2 + 0.02 * rng.normal(size=(500, 12)), 0, 1)
    te = np.clip(rng.random((80, 4)) @ rng.random((4, 12)) / 2 + 0.05 * rng.normal(size=(80, 12)), -0.2, 1.3)
    pca.append(pca_case("minmax_like_f12", tr, te, ["variance:0.95", "count:5"]))

    tr = np.array([[0.1, 0.5, 0.9], [0.3, 0.2, 0.4]])
    te = rng.random((6, 3))
    pca.append(pca_case("two_rows_f3", tr, te, ["variance:0.95"]))

    knn = []
    tr = rng.random((400, 5))
    te = np.vstack([rng.random((50, 5)), tr[:5], rng.random((5, 5)) * 3 - 1])
    knn.append(knn_case("all_rows_f5_k5", tr, te, 5, 2000, 0))

    tr = r6(rng.random((400, 38)) ** 2)
    te = np.vstack([rng.random((40, 38)) ** 2, tr[[3, 200, 399]], tr[:4] + 1e-6])
    knn.append(knn_case("sampled_f38_k5_m100_seed7", tr, te, 5, 100, 7))

    base = rng.random((30, 4))
    tr = np.vstack([base, np.repeat(base[:3], 4, axis=0)])  # rows 0-2 appear 5 times
    te = np.vstack([base[:6], base[:3] + 0.01, rng.random((10, 4))])
    knn.append(knn_case("duplicates_f4_k3", tr, te, 3, 2000, 3))
    knn.append(knn_case("duplicates_f4_k1", tr, te, 1, 2000, 3))
    knn.append(knn_case("sampled_f4_k1_m20_seed18446744073709551615", tr, te, 1, 20, 2 ** 64 - 1))

    simple = []
    tr = r6(rng.random((50, 7)))
    te = r6(np.vstack([rng.random((10, 7)), rng.random((10, 7)) * 2 - 0.5, tr[:2]]))
    lo, hi = tr.min(axis=0), tr.max(axis=0)
    dev = np.maximum(0, lo - te) + np.maximum(0, te - hi)
    simple.append({"name": "uniform_and_outside_f7", "rows": 50, "cols": 7, "train": flat(tr), "test_rows": int(te.shape[0]),
                   "test": flat(te), "l2_per_dimension": flat(te ** 2), "l2_norm": flat(np.linalg.norm(te, axis=1)),
                   "range_per_dimension": flat(dev), "range_mean": flat(dev.mean(axis=1))})

    random = []
    for seed in [0, 42, 2 ** 64 - 1]:
        g = Xoshiro256(seed)
        random.append({"seed": str(seed), "scores": [g.unit_double() for _ in range(25)]})

    out = {"generator": "scripts/golden_baselines_sklearn.py",
           "sklearn_version": importlib.metadata.version("scikit-learn"), "numpy_version": np.__version__,
           "pca": pca, "knn": knn, "simple": simple, "random": random}
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {args.out}: {len(pca)} PCA, {len(knn)} kNN, {len(simple)} norm/range, {len(random)} random cases")


if __name__ == "__main__":
    main()
