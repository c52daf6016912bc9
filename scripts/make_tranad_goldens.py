#!/usr/bin/env python3
"""Writes the TranAD golden files of Vigil's parity tests: Tests/VigilTranADTests/Goldens/tranad_*.json.

Each file is one configuration computed in Float64 by the independent PyTorch implementation in
scripts/tranad_reference.py (hand-written attention, cross-checked against torch.nn.MultiheadAttention):

  {"generator": "scripts/make_tranad_goldens.py",
   "config": {features, window, batch, epoch, seed, activation, weighting, dropout, perturbed, dtype, layout,
              parameter_names, parameter_count},
   "arrays": {name: {"shape": [...], "values": [row-major float64, shortest round-trip decimals]}}}

Arrays: `input.window` (W, B, F) (the encoder input; elem = its last row), every parameter under its
state_dict name (the 2nd and 3rd goldens add N(0, 0.05^2) noise to the default init so that the
zero-initialised attention biases are exercised), `output.x1` / `output.x2` (1, B, F), `output.loss` (1,),
and `grad.<param name>`.

Usage:
  python3 scripts/make_tranad_goldens.py [--out Tests/VigilTranADTests/Goldens]
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tranad_reference import TranADReference, cross_check_mha, weighted_loss  # noqa: E402


def write_golden(out_dir, name, feats, window, batch, epoch, seed, activation, perturb):
    torch.manual_seed(seed)
    model = TranADReference(feats, window, activation=activation).double()
    model.eval()
    if perturb:  # default init has zero attention biases; perturb so every bias path is exercised
        with torch.no_grad():
            for p in model.parameters():
                p.add_(0.05 * torch.randn_like(p))
    gen = torch.Generator().manual_seed(seed + 1)
    src = torch.rand(window, batch, feats, generator=gen, dtype=torch.float64)
    cross_check_mha(model, src)
    elem = src[-1:]
    with torch.no_grad():  # whole-model cross-check against nn.MultiheadAttention's forward
        model.torch_mha = True
        t1, t2 = model(src, elem)
        model.torch_mha = False
    x1, x2 = model(src, elem)
    assert (x1 - t1).abs().max().item() < 1e-12 and (x2 - t2).abs().max().item() < 1e-12
    loss = weighted_loss(x1, x2, elem, epoch)
    model.zero_grad()
    loss.backward()

    arrays = [("input.window", src)]
    sd = model.state_dict()
    names = list(sd.keys())
    arrays += [(k, sd[k]) for k in names]
    arrays += [("output.x1", x1), ("output.x2", x2), ("output.loss", loss.reshape(1))]
    params = dict(model.named_parameters())
    arrays += [("grad." + k, params[k].grad) for k in names]

    index = {"generator": "scripts/make_tranad_goldens.py", "config": {"features": feats, "window": window, "batch": batch, "epoch": epoch,
                        "seed": seed, "activation": activation, "weighting": "epoch_inverse",
                        "dropout": 0.0, "perturbed": perturb, "dtype": "float64", "layout": "window is (W, B, F)",
                        "parameter_names": names,
                        "parameter_count": sum(p.numel() for p in model.parameters())},
             "arrays": {}}
    for key, t in arrays:
        a = t.detach().to(torch.float64).contiguous().reshape(-1).tolist()
        index["arrays"][key] = {"shape": list(t.shape), "values": [float(v) for v in a]}
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, name + ".json"), "w") as f:
        json.dump(index, f, separators=(",", ":"))  # floats as shortest round-trip decimals: exact
    print(f"{name}: F={feats} W={window} B={batch} n={epoch} act={activation} "
          f"params={index['config']['parameter_count']} loss={loss.item():.12g} -> {out_dir}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="Tests/VigilTranADTests/Goldens")
    args = ap.parse_args()
    write_golden(args.out, "tranad_f5_w10_b3", feats=5, window=10, batch=3, epoch=1, seed=1234,
                 activation="reference_identity", perturb=False)
    write_golden(args.out, "tranad_f7_w6_b4_n3", feats=7, window=6, batch=4, epoch=3, seed=99,
                 activation="reference_identity", perturb=True)
    write_golden(args.out, "tranad_f4_w5_b2_relu", feats=4, window=5, batch=2, epoch=2, seed=7,
                 activation="relu", perturb=True)


if __name__ == "__main__":
    sys.exit(main())
