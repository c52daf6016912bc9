#!/usr/bin/env python3
"""Load a Vigil TranAD export into PyTorch the way the serving component does, and check its scores (issue 12).

    python3 scripts/check_torch_export.py BUNDLE_DIR INPUT [--vigil PATH] [--rtol 1e-5]

Reads only what the FastAPI service reads: model.ckpt, scorer_state.json and norm_params.npy.

  1. ckpt = torch.load(BUNDLE_DIR/model.ckpt, weights_only=True): a dict {"model_state_dict": OrderedDict, "epoch": int};
  2. builds the reference TranAD of scripts/tranad_reference.py (F features, window W, the exported activation) with the
     reference's `pos_encoder = PositionalEncoding(2F, 0.1, W)` registered first, so its state_dict has exactly the
     published model's keys in the published order, including the buffer `pos_encoder.pe` (W, 1, 2F);
  3. model.load_state_dict(ckpt["model_state_dict"], strict=True) in the checkpoint's dtype, model.eval();
  4. scores INPUT (raw rows: CSV/whitespace text, .gz, .npy or a JSON request {"data": ...}): x' = (x - min) /
     (max - min + eps) with norm_params.npy, windows of the exported alignment (inclusive: rows i-W+1..i; reference:
     rows i-W..i-1, the reference's convert_to_windows), x1, x2 = model(window, last row), per-dimension scores of
     both scoring modes, 1-D score = mean over dimensions;
  5. compares with `vigil score --model BUNDLE_DIR --input INPUT --include-per-timestep --scoring-mode MODE`:
     - forward in float64 (the float32 weights cast exactly): every score to <= rtol relative;
     - forward in the checkpoint's dtype (what a float32 service computes): to <= --rtol-native (default 1e-4: float32
       rounding in another operation order);
     and the anomaly flags score > threshold.

Prints one line per check and "PASS" or "FAIL"; exits 0 on PASS, 1 on FAIL, 77 (skipped) when torch is not importable.
"""
import argparse
import collections
import json
import os
import subprocess
import sys

try:
    import numpy as np
    import torch
    import torch.nn as nn
except Exception as e:  # noqa: BLE001 - any import failure means "no usable torch here"
    print(f"SKIP: torch is not importable: {type(e).__name__}: {e}")
    sys.exit(77)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tranad_reference import TranADReference  # noqa: E402
from check_export import read_rows  # noqa: E402


class PositionalEncoding(nn.Module):
    """The reference dlutils.PositionalEncoding's state: the buffer pe (max_len, 1, d_model); its values come from the
    checkpoint."""

    def __init__(self, d_model, max_len):
        super().__init__()
        self.dropout = nn.Dropout(p=0.1)
        self.register_buffer("pe", torch.zeros(max_len, 1, d_model))


class TranADServing(TranADReference):
    """TranADReference with the reference's `pos_encoder` buffer, registered first as in the reference __init__."""

    def __init__(self, feats, window, activation):
        super().__init__(feats, window, activation=activation)
        pos_encoder = PositionalEncoding(2 * feats, window)
        modules = dict(self._modules)
        self._modules.clear()
        self._modules["pos_encoder"] = pos_encoder
        self._modules.update(modules)

    def pe(self, length, dtype):
        return self.pos_encoder.pe[:length].to(dtype)


def torch_scores(model, x, w, alignment, dtype, batch=1024):
    """Per-dimension scores (N, F) of both modes, the forward pass in `dtype`."""
    model = model.to(dtype)
    x = torch.as_tensor(x, dtype=dtype)
    out = {"phase2_only": [], "averaged": []}
    with torch.no_grad():
        for s in range(0, x.shape[0], batch):
            rows = torch.arange(s, min(s + batch, x.shape[0]))
            shift = 1 if alignment == "inclusive" else 0
            idx = torch.clamp(rows[None, :] - w + torch.arange(w)[:, None] + shift, min=0)
            src = x[idx]  # (W, B, F) windows, row 0 repeated as padding
            elem = src[-1:]
            x1, x2 = model(src, elem)
            out["phase2_only"].append(((x2 - elem) ** 2)[0])
            out["averaged"].append((0.5 * (x1 - elem) ** 2 + 0.5 * (x2 - elem) ** 2)[0])
    return {m: torch.cat(v).to(torch.float64).numpy() for m, v in out.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("bundle")
    ap.add_argument("input")
    ap.add_argument("--vigil", default=os.environ.get("VIGIL", ".build/debug/vigil"))
    ap.add_argument("--rtol", type=float, default=1e-5)
    ap.add_argument("--rtol-native", type=float, default=1e-4, help="tolerance of the forward pass in the checkpoint's dtype")
    args = ap.parse_args()
    failed = 0

    def check(ok, text):
        nonlocal failed
        print(("ok    " if ok else "FAIL  ") + text)
        failed += not ok
        return ok

    state = json.load(open(os.path.join(args.bundle, "scorer_state.json"), encoding="utf-8"))
    norm = np.load(os.path.join(args.bundle, "norm_params.npy"))
    if state["model"] != "tranad":
        print(f"SKIP: model.ckpt exists for TranAD exports only, this one is {state['model']}")
        return 77
    ckpt = torch.load(os.path.join(args.bundle, "model.ckpt"), weights_only=True)
    sd = ckpt["model_state_dict"]
    check(type(ckpt) is dict and set(ckpt) == {"model_state_dict", "epoch"} and type(sd) is collections.OrderedDict
          and type(ckpt["epoch"]) is int,
          f"torch {torch.__version__}: torch.load(model.ckpt, weights_only=True) -> dict(model_state_dict: OrderedDict of "
          f"{len(sd)} tensors, epoch: {ckpt['epoch']})")
    dtypes = {t.dtype for t in sd.values()}
    check(len(dtypes) == 1, f"every tensor is {dtypes}")
    dtype = dtypes.pop()
    f, w = state["n_features"], state["window_size"]
    act = state["provenance"]["model_settings"]["activation"]
    model = TranADServing(f, w, act).to(dtype)
    check(list(model.state_dict().keys()) == list(sd.keys()),
          f"keys equal the reference state_dict's, in its order (first {next(iter(sd))} {tuple(sd['pos_encoder.pe'].shape)})")
    missing, unexpected = model.load_state_dict(sd, strict=True)
    check(not missing and not unexpected, f"load_state_dict(strict=True) into the reference TranAD (F={f}, W={w}, {act}, {dtype})")
    model.eval()

    raw, _ = read_rows(args.input)
    x = (raw - norm[0]) / (norm[1] - norm[0] + state["normalization"]["epsilon"])
    alignment = state["alignment"]
    exact = torch_scores(model, x, w, alignment, torch.float64)
    native = torch_scores(model, x, w, alignment, dtype) if dtype != torch.float64 else None
    thr = state["threshold"]
    for mode in ["phase2_only", "averaged"]:
        cmd = [args.vigil, "score", "--model", args.bundle, "--input", args.input, "--include-per-timestep", "--scoring-mode", mode]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if not check(r.returncode == 0, f"[{mode}] vigil score exited {r.returncode} {r.stderr.strip()[-300:]}"):
            continue
        vig = json.loads(r.stdout)
        got = np.array([t["score"] for t in vig["per_timestep"]])
        ours = exact[mode].mean(axis=1)
        rel = np.abs(got - ours) / np.maximum(np.abs(ours), 1e-300)
        i = int(np.argmax(rel))
        check(len(got) == len(ours) and rel.max() <= args.rtol,
              f"[{mode}] {len(ours)} rows, PyTorch float64 forward vs vigil: max relative difference {rel.max():.3e} "
              f"(row {i}: {got[i]:.12g} vs {ours[i]:.12g}); tolerance {args.rtol:g}")
        if native is not None:
            nat = native[mode].mean(axis=1)
            nrel = np.abs(got - nat) / np.maximum(np.abs(nat), 1e-300)
            check(nrel.max() <= args.rtol_native,
                  f"[{mode}] PyTorch {dtype} forward (the service's precision) vs vigil: max relative difference "
                  f"{nrel.max():.3e}, median {np.median(nrel):.3e}, max absolute {np.abs(got - nat).max():.3e}; tolerance {args.rtol_native:g}")
        flags = np.array([t["is_anomaly"] for t in vig["per_timestep"]])
        differ = np.nonzero(flags != (ours > thr))[0]
        check(all(abs(ours[k] - thr) <= args.rtol * abs(thr) for k in differ),
              f"[{mode}] anomalies (score > {thr:.12g}): vigil {int(flags.sum())}, PyTorch {int((ours > thr).sum())}"
              + (f", {len(differ)} borderline" if len(differ) else ""))
    print(f"{'PASS' if failed == 0 else 'FAIL'}: model.ckpt of {args.bundle} in PyTorch against vigil score on {args.input}"
          + ("" if failed == 0 else f" ({failed} check(s) failed)"))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
