#!/usr/bin/env python3
"""Write the torch.save goldens for Tests/VigilPyTorchTests (real PyTorch output, read back by Swift).

    python3 scripts/make_torch_save_goldens.py [--out Tests/VigilPyTorchTests/Goldens]

Writes, each .pt by torch.save (file stem = archive name) with a .json describing its content in the
format of scripts/check_torch_checkpoint.py (tensors as little-endian bytes in C order):

  torch_save_state_dict.pt   what torch writes beyond Vigil's own subset, for the reader: an OrderedDict
                             of float32/float64/int64 tensors including a 3-D positional-encoding buffer,
                             a 0-d and an empty tensor, a transposed view and an offset view sharing
                             another tensor's storage, a tied (same object) tensor; plus epoch and other
                             scalars (int needing LONG1, negative int, float, unicode str, bool, None).
  torch_save_writer_twin.pt  a TranAD-like {"model_state_dict": OrderedDict, "epoch": 3} with one
                             contiguous storage per tensor — exactly what TorchCheckpointWriter writes, so
                             the Swift test can compare its own output with torch's byte for byte.
Deterministic: fixed torch.Generator seeds. Needs torch (CPU); run it only to regenerate the goldens.
"""
import argparse
import collections
import json
import math
import os
import struct

import torch


def float_bits(x):
    return "%016x" % struct.unpack("<Q", struct.pack("<d", x))[0]


def describe(x):
    if isinstance(x, torch.Tensor):
        flat = x.detach().contiguous().reshape(-1)
        return {"type": "tensor", "dtype": str(x.dtype).removeprefix("torch."), "shape": list(x.shape),
                "data_hex": flat.view(torch.uint8).numpy().tobytes().hex() if flat.numel() else ""}
    if type(x) is collections.OrderedDict:
        return {"type": "OrderedDict", "entries": [[k, describe(v)] for k, v in x.items()]}
    if type(x) is dict:
        return {"type": "dict", "entries": [[k, describe(v)] for k, v in x.items()]}
    if type(x) is bool:
        return {"type": "bool", "value": x}
    if type(x) is int:
        return {"type": "int", "value": x}
    if type(x) is float:
        return {"type": "float", "bits": float_bits(x)}
    if type(x) is str:
        return {"type": "str", "value": x}
    if x is None:
        return {"type": "none"}
    raise TypeError(type(x))


def positional_encoding(window, d_model, dtype):
    """TranAD's table: pe[pos, 0, i] = sin(pos * w_i) + cos(pos * w_i), w_i = exp(-i ln(10000) / d_model)."""
    pos = torch.arange(window, dtype=dtype).unsqueeze(1)
    w = torch.exp(torch.arange(d_model, dtype=dtype) * (-math.log(10000.0) / d_model))
    return (torch.sin(pos * w) + torch.cos(pos * w)).unsqueeze(1)          # (window, 1, d_model)


def state_dict_golden(gen):
    enc_w = torch.randn(4, 3, generator=gen)
    sd = collections.OrderedDict()
    sd["pos_encoder.pe"] = positional_encoding(6, 4, torch.float32)
    sd["encoder.weight"] = enc_w
    sd["encoder.bias"] = torch.randn(4, generator=gen, dtype=torch.float64)
    sd["decoder.weight"] = enc_w.t()          # non-contiguous view of encoder.weight's storage
    sd["encoder.row1"] = enc_w[1]             # storage offset 3
    sd["tied.weight"] = enc_w                 # the same tensor object: pickled as a memo reference
    sd["steps"] = torch.tensor([0, -1, 2**40], dtype=torch.int64)
    sd["scale"] = torch.tensor(0.125, dtype=torch.float64)
    sd["empty"] = torch.zeros(0, 5)
    return {"model_state_dict": sd, "epoch": 12, "step": 2**40, "delta": -70000, "lr": 1e-3,
            "name": "TranAD \u2713", "best": True, "note": None}


def tranad_like(gen, feats=3, window=4, ff=16):
    """Reference TranAD state_dict names and shapes (imperial-qore/TranAD src/models.py, d_model = 2F)."""
    d = 2 * feats
    sd = collections.OrderedDict()
    sd["pos_encoder.pe"] = positional_encoding(window, d, torch.float64)    # buffer, (window, 1, d_model)

    def attention(prefix):
        sd[prefix + ".in_proj_weight"] = torch.randn(3 * d, d, generator=gen)
        sd[prefix + ".in_proj_bias"] = torch.randn(3 * d, generator=gen)
        sd[prefix + ".out_proj.weight"] = torch.randn(d, d, generator=gen)
        sd[prefix + ".out_proj.bias"] = torch.randn(d, generator=gen)

    def feed_forward(prefix):
        sd[prefix + ".linear1.weight"] = torch.randn(ff, d, generator=gen)
        sd[prefix + ".linear1.bias"] = torch.randn(ff, generator=gen)
        sd[prefix + ".linear2.weight"] = torch.randn(d, ff, generator=gen)
        sd[prefix + ".linear2.bias"] = torch.randn(d, generator=gen, dtype=torch.float64)

    attention("transformer_encoder.layers.0.self_attn")
    feed_forward("transformer_encoder.layers.0")
    for dec in ("transformer_decoder1", "transformer_decoder2"):
        attention(dec + ".layers.0.self_attn")
        attention(dec + ".layers.0.multihead_attn")
        feed_forward(dec + ".layers.0")
    sd["fcn.0.weight"] = torch.randn(feats, d, generator=gen)
    sd["fcn.0.bias"] = torch.randn(feats, generator=gen)
    sd["extra.four_d"] = torch.randn(2, 1, 2, 3, generator=gen)           # a size tuple of > 3 items
    sd["extra.count"] = torch.tensor(41, dtype=torch.int64)                 # 0-d
    sd["extra.empty"] = torch.zeros(3, 0)                                   # strides (1, 1)
    return {"model_state_dict": sd, "epoch": 3}


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(root, "Tests", "VigilPyTorchTests", "Goldens"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    goldens = {
        "torch_save_state_dict": state_dict_golden(torch.Generator().manual_seed(12)),
        "torch_save_writer_twin": tranad_like(torch.Generator().manual_seed(3)),
    }
    for name, obj in goldens.items():
        pt = os.path.join(args.out, name + ".pt")
        torch.save(obj, pt)
        with open(os.path.join(args.out, name + ".json"), "w") as f:
            json.dump(describe(obj), f, indent=1)
            f.write("\n")
        print(f"wrote {pt} ({os.path.getsize(pt)} bytes) with torch {torch.__version__}")


if __name__ == "__main__":
    main()
