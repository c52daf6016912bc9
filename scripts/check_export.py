#!/usr/bin/env python3
"""Independent check of a Vigil serving export (issue 12), with h5py and NumPy only.

    python3 scripts/check_export.py BUNDLE_DIR INPUT [--vigil PATH] [--scoring-mode MODE ...] [--rtol 1e-5]

BUNDLE_DIR is an export (RUN-DIR/<machine>/export/<model> of `vigil run`, or the --out of `vigil export`); INPUT holds
raw rows (CSV or whitespace text, .gz, .npy, or a JSON request {"data": [[...]]}). The script

  1. verifies checksums.sha256 (hashlib) and, in model.h5, every dataset's Vigil checksum: sha256 of the line
     "vigil-hdf5-sha256-v1 <kind> <d0>,<d1>,...\\n" followed by the values' little-endian bytes;
  2. reads scorer_state.json, norm_params.npy (float64, shape (2, F)) and the model from model.h5 with h5py;
  3. scores INPUT itself: x' = (x - min) / (max - min + eps), then
     - TranAD: its own forward pass in float64 from the state_dict datasets (d_model = 2F, F heads of width 2, no
       LayerNorm, pe from pos_encoder.pe after scaling by sqrt(F), phase 1 with c = 0, phase 2 with c = (x1 - W)^2,
       decoder target = last window row twice, fcn + sigmoid), with the window alignment the export carries
       (inclusive: rows i-W+1..i; reference: rows i-W..i-1; row 0 repeats as padding) and each scoring mode asked for
       (phase2_only: (x2 - x)^2; averaged: 0.5 (x1 - x)^2 + 0.5 (x2 - x)^2), 1-D score = mean over dimensions;
     - Isolation Forest (without feature engineering): every row down every tree (left when x[f] <= threshold),
       h = depth + c(leaf samples), score = 2^(-mean h / c(max_samples));
  4. runs `vigil score --model BUNDLE_DIR --input INPUT --include-per-timestep [--scoring-mode MODE]` and compares:
     every per-timestep score to <= rtol relative (|vigil - ours| / |ours|), is_anomaly = score > threshold (a
     disagreement is allowed only for a score within rtol of the threshold), n_anomalies, anomaly_ratio, the segments
     (maximal runs of anomalous rows: start, end, length, peak, mean) and, for TranAD, the attributed dimensions
     (baselines = feature_baselines; mean elevation = mean(score/baseline) over the segment, share of the excess
     max(score - baseline, 0); ranked by elevation, kept while >= 2 until 80 % of the excess, at most 10).

Prints one line per check and a final "PASS" or "FAIL" line; exits 0 on PASS, 1 on FAIL, 2 on usage errors and 77
(the conventional "skipped" status) when h5py or NumPy cannot be imported.
"""
import argparse
import gzip
import hashlib
import json
import math
import os
import subprocess
import sys

try:
    import h5py
    import numpy as np
except Exception as e:  # noqa: BLE001 - any import failure means "cannot check here"
    print(f"SKIP: h5py and numpy are needed: {type(e).__name__}: {e}")
    sys.exit(77)


class Report:
    def __init__(self):
        self.failed = 0

    def check(self, ok, text):
        print(("ok    " if ok else "FAIL  ") + text)
        if not ok:
            self.failed += 1
        return ok


# ---------------------------------------------------------------------------------------------------------- files

def verify_manifest(bundle, rep):
    path = os.path.join(bundle, "checksums.sha256")
    lines = [l for l in open(path, encoding="utf-8").read().splitlines() if l]
    names = []
    for line in lines:
        digest, name = line.split("  ", 1)
        with open(os.path.join(bundle, name), "rb") as f:
            actual = hashlib.sha256(f.read()).hexdigest()
        rep.check(actual == digest, f"checksums.sha256: {name} sha256 {actual[:16]}...")
        names.append(name)
    return names


def vigil_checksum(arr):
    kind = {np.dtype("<f4"): "float32", np.dtype("<f8"): "float64", np.dtype("<i4"): "int32",
            np.dtype("<i8"): "int64", np.dtype("uint8"): "uint8"}[arr.dtype.newbyteorder("<")]
    head = f"vigil-hdf5-sha256-v1 {kind} {','.join(str(d) for d in arr.shape)}\n".encode()
    return hashlib.sha256(head + np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<")).tobytes()).hexdigest()


def verify_dataset_checksums(h5, rep):
    bad, n = [], 0

    def visit(name, obj):
        nonlocal n
        if isinstance(obj, h5py.Dataset) and "sha256" in obj.attrs:
            n += 1
            stored = obj.attrs["sha256"]
            stored = stored.decode() if isinstance(stored, bytes) else str(stored)
            if vigil_checksum(obj[()] if obj.shape == () else obj[...]) != stored:
                bad.append(name)
    h5.visititems(visit)
    rep.check(not bad and n > 0, f"model.h5: {n} dataset checksums verified" + (f", damaged: {bad}" if bad else ""))


def read_rows(path):
    """Raw rows (N, F) and the JSON request (or None)."""
    if path.endswith(".npy"):
        a = np.load(path)
        return (a.reshape(-1, 1) if a.ndim == 1 else a).astype(np.float64), None
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        text = f.read()
    if text.lstrip().startswith("{"):
        req = json.loads(text)
        return np.asarray(req["data"], dtype=np.float64), req
    delim = "," if "," in text else None
    lines = [l for l in text.splitlines() if l.strip()]
    try:
        float(lines[0].split(delim)[0])
    except ValueError:
        lines = lines[1:]  # a header line
    return np.asarray([[float(v) for v in l.split(delim)] for l in lines], dtype=np.float64), None


# --------------------------------------------------------------------------------------------------------- TranAD

def attr(h5, name):
    v = h5.attrs[name]
    return v.decode() if isinstance(v, bytes) else (str(v) if isinstance(v, str) else v)


def mha(x_q, x_kv, sd, prefix, heads):
    """torch.nn.MultiheadAttention (packed in_proj, per-head softmax(q k^T / sqrt(hd)) v, out_proj).
    x_q: (Lq, B, d), x_kv: (Lk, B, d) -> (Lq, B, d)."""
    w, b = sd[prefix + "in_proj_weight"], sd[prefix + "in_proj_bias"]
    d = w.shape[1]
    hd = d // heads
    q = x_q @ w[:d].T + b[:d]
    k = x_kv @ w[d:2 * d].T + b[d:2 * d]
    v = x_kv @ w[2 * d:].T + b[2 * d:]
    lq, bsz, _ = q.shape
    lk = k.shape[0]
    q = q.reshape(lq, bsz, heads, hd).transpose(1, 2, 0, 3)  # (B, H, Lq, hd)
    k = k.reshape(lk, bsz, heads, hd).transpose(1, 2, 0, 3)
    v = v.reshape(lk, bsz, heads, hd).transpose(1, 2, 0, 3)
    s = q @ k.transpose(0, 1, 3, 2) / math.sqrt(hd)
    s = s - s.max(axis=-1, keepdims=True)
    p = np.exp(s)
    p /= p.sum(axis=-1, keepdims=True)
    o = (p @ v).transpose(2, 0, 1, 3).reshape(lq, bsz, d)
    return o @ sd[prefix + "out_proj.weight"].T + sd[prefix + "out_proj.bias"]


def activation(name):
    if name == "reference_identity":
        return lambda x: x  # the reference's nn.LeakyReLU(True): negative slope 1.0
    if name == "leaky_relu_0.01":
        return lambda x: np.where(x > 0, x, 0.01 * x)
    if name == "relu":
        return lambda x: np.maximum(x, 0)
    raise ValueError(f"unknown activation {name}")


def tranad_forward(src, sd, feats, act):
    """src: (W, B, F) windows -> x1, x2: (B, F)."""
    w = src.shape[0]
    pe = sd["pos_encoder.pe"][:w]  # (W, 1, 2F)
    elem = src[-1:]  # (1, B, F)
    tgt = np.concatenate([elem, elem], axis=2)

    def encode(c):
        x = np.concatenate([src, c], axis=2) * math.sqrt(feats) + pe
        p = "transformer_encoder.layers.0."
        x = x + mha(x, x, sd, p + "self_attn.", feats)
        ff = act(x @ sd[p + "linear1.weight"].T + sd[p + "linear1.bias"]) @ sd[p + "linear2.weight"].T + sd[p + "linear2.bias"]
        return x + ff

    def decode(n, memory):
        p = f"transformer_decoder{n}.layers.0."
        t = tgt + mha(tgt, tgt, sd, p + "self_attn.", feats)
        t = t + mha(t, memory, sd, p + "multihead_attn.", feats)
        t = t + (act(t @ sd[p + "linear1.weight"].T + sd[p + "linear1.bias"]) @ sd[p + "linear2.weight"].T + sd[p + "linear2.bias"])
        y = t @ sd["fcn.0.weight"].T + sd["fcn.0.bias"]
        return 1 / (1 + np.exp(-y))

    x1 = decode(1, encode(np.zeros_like(src)))
    x2 = decode(2, encode((x1 - src) ** 2))
    return x1[0], x2[0]


def tranad_scores(x, sd, window, alignment, modes, act, batch=512):
    """Per-dimension scores (N, F) for each mode in `modes`."""
    n, feats = x.shape
    shift = 1 if alignment == "inclusive" else 0
    out = {m: np.empty((n, feats)) for m in modes}
    for start in range(0, n, batch):
        rows = np.arange(start, min(start + batch, n))
        idx = np.maximum(rows[None, :] - window + np.arange(window)[:, None] + shift, 0)  # (W, B)
        src = x[idx]  # (W, B, F)
        x1, x2 = tranad_forward(src, sd, feats, act)
        e = src[-1]
        for m in modes:
            out[m][rows] = (x2 - e) ** 2 if m == "phase2_only" else 0.5 * (x1 - e) ** 2 + 0.5 * (x2 - e) ** 2
    return out


def load_tranad(h5, rep):
    order = json.loads(attr(h5, "state_dict_json"))
    sd = {e["key"]: h5[e["key"]][...].astype(np.float64) for e in order}
    feats, window = int(h5.attrs["features"]), int(h5.attrs["window"])
    d = 2 * feats
    rep.check(order[0]["key"] == "pos_encoder.pe" and sd["pos_encoder.pe"].shape == (window, 1, d),
              f"model.h5: {len(order)} state_dict datasets in reference order, pos_encoder.pe {sd['pos_encoder.pe'].shape}")
    pos = np.arange(window, dtype=np.float64)[:, None]
    w = np.exp(np.arange(d, dtype=np.float64) * (-math.log(10000.0) / d))
    pe = (np.sin(pos * w) + np.cos(pos * w))[:, None, :]
    dt = h5["pos_encoder.pe"].dtype
    err = np.abs(pe - sd["pos_encoder.pe"]).max()
    # the stored buffer is the formula rounded to the model's dtype; libm's and NumPy's exp/sin/cos differ by ulps,
    # which pos (up to W - 1) multiplies in the argument: allow 4 ulps of the dtype, at least 64 ulps of float64
    tol = max(float(np.finfo(dt).eps) * 4, float(np.finfo(np.float64).eps) * 64)
    rep.check(err <= tol, f"pos_encoder.pe = sin(pos w_i) + cos(pos w_i) in {dt}: max difference {err:.2e} (tolerance {tol:.1e})")
    return sd, feats, window


# ------------------------------------------------------------------------------------------------ Isolation Forest

def c_factor(n):
    n = np.asarray(n, dtype=np.float64)
    out = np.where(n > 2, 2 * (np.log(np.maximum(n - 1, 1)) + 0.5772156649015329) - 2 * (n - 1) / np.maximum(n, 1), 0.0)
    return np.where(n == 2, 1.0, out)


def iforest_scores(x, h5, rep):
    g = h5["iforest_detector"]
    tr = g["features"].attrs
    identity = (int(tr["include_raw"]) == 1 and attr(g["features"], "lags") == "" and int(tr["differences"]) == 0
                and attr(g["features"], "rolling_statistics") == "" and int(tr["standardize"]) == 0)
    if not rep.check(identity, "iforest: no feature engineering (the only transform this check implements)"):
        return None
    f = g["forest"]
    off, feat, thr = f["tree_offsets"][...], f["feature"][...], f["threshold"][...]
    left, right, samples = f["left"][...], f["right"][...], f["node_samples"][...]
    h = np.zeros(x.shape[0])
    for t in range(len(off) - 1):
        base = int(off[t])
        node = np.zeros(x.shape[0], dtype=np.int64)
        depth = np.zeros(x.shape[0])
        while True:
            g_node = base + node
            internal = feat[g_node] >= 0
            if not internal.any():
                break
            go_left = x[np.arange(x.shape[0]), np.where(internal, feat[g_node], 0)] <= thr[g_node]
            nxt = np.where(go_left, left[g_node], right[g_node])
            node = np.where(internal, nxt, node)
            depth += internal
        h += depth + c_factor(samples[base + node])
    h /= len(off) - 1
    c = float(c_factor(int(f.attrs["max_samples"])))
    return 2.0 ** (-h / c) if c > 0 else np.ones_like(h)


# -------------------------------------------------------------------------------------------- the decision, again

def segments(scores, threshold):
    out, t, n = [], 0, len(scores)
    while t < n:
        if not scores[t] > threshold:
            t += 1
            continue
        s = t
        while t < n and scores[t] > threshold:
            t += 1
        run = scores[s:t]
        out.append((s, t - 1, int(s + np.argmax(run)), float(run.max()), float(run.mean())))
    return out


def attribute(per_dim, baselines, start, end):
    seg = per_dim[start:end + 1]
    elevation = (seg / baselines).mean(axis=0)
    excess = np.maximum(seg - baselines, 0).sum(axis=0)
    share = excess / excess.sum() if excess.sum() > 0 else np.zeros_like(excess)
    ranked = sorted(range(len(elevation)), key=lambda d: (-elevation[d], d))
    kept, covered = [], 0.0
    for d in ranked:
        if elevation[d] < 2.0 or len(kept) >= 10 or covered >= 0.8:
            break
        kept.append((d, elevation[d], share[d]))
        covered += share[d]
    return kept


def compare(mode, ours, per_dim, vig, state, rtol, rep):
    got = np.array([t["score"] for t in vig["per_timestep"]])
    rep.check(len(got) == len(ours) and vig["n_timesteps"] == len(ours), f"[{mode}] {len(ours)} rows scored")
    rel = np.abs(got - ours) / np.maximum(np.abs(ours), 1e-300)
    worst = int(np.argmax(rel))
    rep.check(rel.max() <= rtol, f"[{mode}] per-timestep scores: max relative difference {rel.max():.3e} (row {worst}: vigil "
              f"{got[worst]:.17g}, ours {ours[worst]:.17g}), max absolute {np.abs(got - ours).max():.3e}; tolerance {rtol:g}")
    thr = state["threshold"]
    flags = ours > thr
    vflags = np.array([t["is_anomaly"] for t in vig["per_timestep"]])
    differ = np.nonzero(flags != vflags)[0]
    borderline = all(abs(ours[i] - thr) <= rtol * abs(thr) for i in differ)
    rep.check(borderline and np.array_equal(vflags, got > thr),
              f"[{mode}] is_anomaly = score > threshold {thr:.17g}: {int(flags.sum())} anomalous rows, "
              f"{len(differ)} disagreement(s){' (all within rtol of the threshold)' if len(differ) else ''}")
    rep.check(vig["n_anomalies"] == int(vflags.sum()) and abs(vig["anomaly_ratio"] - vflags.sum() / len(vflags)) < 1e-15,
              f"[{mode}] n_anomalies {vig['n_anomalies']}, anomaly_ratio {vig['anomaly_ratio']:.6g}")
    if len(differ):
        return
    mine = segments(ours, thr)
    theirs = vig["anomaly_segments"]
    same = len(mine) == len(theirs) and all(
        s == v["segment_start"] and e == v["segment_end"] and e - s + 1 == v["segment_length"] and p == v["peak_timestamp"]
        and abs(ps - v["peak_score"]) <= rtol * abs(ps) and abs(ms - v["mean_score"]) <= rtol * abs(ms)
        for (s, e, p, ps, ms), v in zip(mine, theirs))
    rep.check(same, f"[{mode}] {len(mine)} anomaly segments (start, end, length, peak, mean) agree")
    if per_dim is None or state.get("feature_baselines") is None:
        rep.check(all(v["attributed_dimensions"] is None for v in theirs), f"[{mode}] no per-dimension scores: attributed_dimensions null")
        return
    b = np.asarray(state["feature_baselines"])
    mismatched = 0
    for (s, e, *_), v in zip(mine, theirs):
        ours_dims = attribute(per_dim, b, s, e)
        their_dims = v["attributed_dimensions"]
        ok = [d for d, *_ in ours_dims] == [t["dim"] for t in their_dims] and all(
            abs(el - t["mean_elevation"]) <= rtol * abs(el) and abs(sh - t["contribution"]) <= rtol * max(abs(sh), 1e-12)
            for (d, el, sh), t in zip(ours_dims, their_dims))
        mismatched += not ok
    n_attr = sum(len(v["attributed_dimensions"]) for v in theirs)
    rep.check(mismatched == 0, f"[{mode}] attribution of {len(theirs)} segments ({n_attr} dimensions) agrees"
              + (f"; {mismatched} differ" if mismatched else ""))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("bundle")
    ap.add_argument("input")
    ap.add_argument("--vigil", default=os.environ.get("VIGIL", ".build/debug/vigil"), help="the vigil binary")
    ap.add_argument("--scoring-mode", action="append", choices=["phase2_only", "averaged"],
                    help="TranAD scoring mode(s) to check (default: both)")
    ap.add_argument("--rtol", type=float, default=1e-5)
    args = ap.parse_args()
    rep = Report()

    names = verify_manifest(args.bundle, rep)
    state = json.load(open(os.path.join(args.bundle, "scorer_state.json"), encoding="utf-8"))
    norm = np.load(os.path.join(args.bundle, "norm_params.npy"))
    f = state["n_features"]
    rep.check(norm.dtype == np.float64 and norm.shape == (2, f), f"norm_params.npy: {norm.dtype} {norm.shape}")
    rep.check(state["reads_test_scores"] is False and state["reads_test_labels"] is False,
              f"scorer_state.json: {state['model']}, threshold {state['threshold']:.17g} ({state['method']}), "
              "reads neither test scores nor test labels")
    model = state["model"]
    if model == "tranad":
        rep.check("model.ckpt" in names, "model.ckpt is in the bundle")

    raw, _ = read_rows(args.input)
    x = (raw - norm[0]) / (norm[1] - norm[0] + state["normalization"]["epsilon"])
    with h5py.File(os.path.join(args.bundle, "model.h5"), "r") as h5:
        verify_dataset_checksums(h5, rep)
        rep.check(attr(h5, "export_format") == "vigil-serving-model" and attr(h5, "model") == model,
                  f"model.h5: export_format {attr(h5, 'export_format')}, model {attr(h5, 'model')}")
        if model == "tranad":
            sd, feats, window = load_tranad(h5, rep)
            alignment, act_name = attr(h5, "alignment"), attr(h5, "activation")
            rep.check(feats == f and window == state["window_size"] and alignment == state["alignment"],
                      f"TranAD F={feats}, window {window}, alignment {alignment}, activation {act_name}, dtype {attr(h5, 'dtype')}")
            modes = args.scoring_mode or ["phase2_only", "averaged"]
            per_dim = tranad_scores(x, sd, window, alignment, modes, activation(act_name))
            results = {m: (per_dim[m].mean(axis=1), per_dim[m]) for m in modes}
        elif model == "iforest":
            s = iforest_scores(x, h5, rep)
            results = {} if s is None else {state["scoring_mode"]: (s, None)}
        else:
            print(f"SKIP: this check implements TranAD and Isolation Forest inference, not {model}")
            return 77
    for mode, (ours, per_dim) in results.items():
        cmd = [args.vigil, "score", "--model", args.bundle, "--input", args.input, "--include-per-timestep"]
        if model == "tranad":
            cmd += ["--scoring-mode", mode]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if not rep.check(r.returncode == 0, f"[{mode}] {' '.join(cmd[1:])} exited {r.returncode} {r.stderr.strip()[-300:]}"):
            continue
        compare(mode, ours, per_dim, json.loads(r.stdout), state, args.rtol, rep)
    print(f"{'PASS' if rep.failed == 0 else 'FAIL'}: {model} export {args.bundle} against {args.input}"
          + ("" if rep.failed == 0 else f" ({rep.failed} check(s) failed)"))
    return 0 if rep.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
