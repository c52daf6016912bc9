#!/usr/bin/env python3
"""Independent PyTorch implementation of TranAD (Tuli et al., VLDB 2022) and its golden-file writer.

This file is the proof of faithfulness for Vigil's Swift TranAD (issue 3). It re-implements the
architecture of the published code (imperial-qore/TranAD, src/models.py class TranAD and
src/dlutils.py PositionalEncoding / TransformerEncoderLayer / TransformerDecoderLayer) from its facts:

  * d_model = 2F, F attention heads of width 2, feed-forward width 16, one encoder layer and two
    decoders (one per phase) of one layer each, NO LayerNorm anywhere;
  * feed-forward activation nn.LeakyReLU(True) == negative slope 1.0 == identity (`reference_identity`);
  * pe[pos, i] = sin(pos*w_i) + cos(pos*w_i), w_i = exp(-i*ln(10000)/d_model) on every channel,
    added after the encoder input concat(window, c) is scaled by sqrt(F);
  * phase 1: c = 0, decoder 1 -> x1; phase 2: c = (x1 - window)^2, decoder 2 -> x2;
    decoder target = last window row repeated twice on the feature axis, shape (1, B, 2F);
  * head fcn = Linear(2F -> F) then sigmoid; attention = torch.nn.MultiheadAttention semantics;
  * loss = mean(w1 * (x1 - elem)^2 + w2 * (x2 - elem)^2), epoch_inverse: w1 = 1/n, w2 = 1 - 1/n.

Attention is written out by hand (packed in_proj GEMM, per-head softmax(q k^T / sqrt(2)) v,
out_proj) and, as a cross-check, compared against torch.nn.MultiheadAttention at run time.
The parameters live in real nn.Linear / nn.MultiheadAttention modules so that (a) their initial
values are PyTorch's defaults and (b) their state_dict names are the reference names
(`transformer_encoder.layers.0.self_attn.in_proj_weight`, ..., `fcn.0.weight`).

Differences from the published code, on purpose:
  * The positional-encoding table is computed in the model's dtype (the reference computes it in
    float32 and then casts the buffer with model.double()); the Swift side does the same.
  * Dropout is an explicit argument (goldens use 0 = eval behaviour).

The golden files for Vigil's parity tests are written by scripts/make_tranad_goldens.py with this model;
scripts/bench_pytorch_tranad.py times it.

Usage:
  python3 scripts/tranad_reference.py        # prints the parameter count at F=38 (127,538)
"""
import argparse
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn


class EncoderLayer(nn.Module):
    """TransformerEncoderLayer of the reference: self-attention and feed-forward, residual, no norm."""

    def __init__(self, d_model, nhead, ff=16):
        super().__init__()
        self.self_attn = nn.MultiheadAttention(d_model, nhead, dropout=0.0)
        self.linear1 = nn.Linear(d_model, ff)
        self.linear2 = nn.Linear(ff, d_model)


class DecoderLayer(nn.Module):
    """TransformerDecoderLayer of the reference: self-attn, cross-attn on memory, feed-forward."""

    def __init__(self, d_model, nhead, ff=16):
        super().__init__()
        self.self_attn = nn.MultiheadAttention(d_model, nhead, dropout=0.0)
        self.multihead_attn = nn.MultiheadAttention(d_model, nhead, dropout=0.0)
        self.linear1 = nn.Linear(d_model, ff)
        self.linear2 = nn.Linear(ff, d_model)


class Stack(nn.Module):
    """Holds `layers` like nn.TransformerEncoder / nn.TransformerDecoder (norm=None)."""

    def __init__(self, layer):
        super().__init__()
        self.layers = nn.ModuleList([layer])


def activation_fn(name):
    if name == "reference_identity":
        return lambda x: x  # nn.LeakyReLU(True): negative_slope = True = 1.0
    if name == "leaky_relu_0.01":
        return lambda x: torch.nn.functional.leaky_relu(x, 0.01)
    if name == "relu":
        return torch.relu
    raise ValueError(f"unknown activation {name}")


class TranADReference(nn.Module):
    """TranAD with hand-written attention; parameters named as the reference state_dict."""

    def __init__(self, feats, window=10, ff=16, activation="reference_identity", dropout=0.0,
                 torch_mha=False):
        super().__init__()
        self.n_feats = feats
        self.n_window = window
        d = 2 * feats
        self.d_model = d
        self.nhead = feats
        self.transformer_encoder = Stack(EncoderLayer(d, feats, ff))
        self.transformer_decoder1 = Stack(DecoderLayer(d, feats, ff))
        self.transformer_decoder2 = Stack(DecoderLayer(d, feats, ff))
        self.fcn = nn.Sequential(nn.Linear(d, feats), nn.Sigmoid())
        self.act = activation_fn(activation)
        self.p = dropout
        self.torch_mha = torch_mha  # use nn.MultiheadAttention's own forward (benchmark / cross-check)
        if torch_mha:
            for m in self.modules():
                if isinstance(m, nn.MultiheadAttention):
                    m.dropout = dropout

    def pe(self, length, dtype):
        pos = torch.arange(length, dtype=dtype).unsqueeze(1)
        w = torch.exp(torch.arange(self.d_model, dtype=dtype) * (-math.log(10000.0) / self.d_model))
        return (torch.sin(pos * w) + torch.cos(pos * w)).unsqueeze(1)  # (L, 1, d)

    def drop(self, x):
        return torch.nn.functional.dropout(x, self.p, self.training) if self.p > 0 else x

    def mha(self, m, q_in, kv_in):
        """Multi-head attention. q_in: (Lq, B, d), kv_in: (Lk, B, d) -> (Lq, B, d)."""
        if self.torch_mha:
            return m(q_in, kv_in, kv_in, need_weights=False)[0]
        d, H = self.d_model, self.nhead
        hd = d // H
        w, b = m.in_proj_weight, m.in_proj_bias
        q = q_in @ w[:d].T + b[:d]
        k = kv_in @ w[d:2 * d].T + b[d:2 * d]
        v = kv_in @ w[2 * d:].T + b[2 * d:]
        Lq, B, _ = q.shape
        Lk = k.shape[0]
        q = q.reshape(Lq, B, H, hd).permute(1, 2, 0, 3)  # (B, H, Lq, hd)
        k = k.reshape(Lk, B, H, hd).permute(1, 2, 0, 3)
        v = v.reshape(Lk, B, H, hd).permute(1, 2, 0, 3)
        s = (q @ k.transpose(-1, -2)) / math.sqrt(hd)  # (B, H, Lq, Lk)
        p = self.drop(torch.softmax(s, dim=-1))
        o = (p @ v).permute(2, 0, 1, 3).reshape(Lq, B, d)
        return o @ m.out_proj.weight.T + m.out_proj.bias

    def ff(self, layer, x):
        return layer.linear2(self.drop(self.act(layer.linear1(x))))

    def encode(self, src, c):
        x = torch.cat((src, c), dim=2) * math.sqrt(self.n_feats)
        x = self.drop(x + self.pe(x.shape[0], x.dtype))
        layer = self.transformer_encoder.layers[0]
        x = x + self.drop(self.mha(layer.self_attn, x, x))
        x = x + self.drop(self.ff(layer, x))
        return x

    def decode(self, stack, tgt, memory):
        layer = stack.layers[0]
        t = tgt + self.drop(self.mha(layer.self_attn, tgt, tgt))
        t = t + self.drop(self.mha(layer.multihead_attn, t, memory))
        t = t + self.drop(self.ff(layer, t))
        return t

    def forward(self, src, tgt):
        """src: (W, B, F) window, tgt: (1, B, F) last row -> x1, x2 each (1, B, F)."""
        tgt2 = tgt.repeat(1, 1, 2)
        memory = self.encode(src, torch.zeros_like(src))
        x1 = self.fcn(self.decode(self.transformer_decoder1, tgt2, memory))
        memory = self.encode(src, (x1 - src) ** 2)
        x2 = self.fcn(self.decode(self.transformer_decoder2, tgt2, memory))
        return x1, x2


def weighted_loss(x1, x2, elem, n, weighting="epoch_inverse", eps=None):
    """mean(w1 (x1-elem)^2 + w2 (x2-elem)^2)."""
    if weighting == "epoch_inverse":
        w1 = 1.0 / n
    else:
        w1 = eps ** (-n)
    return torch.mean(w1 * (x1 - elem) ** 2 + (1 - w1) * (x2 - elem) ** 2)


def windows_reference(data, w):
    """Reference convert_to_windows: window i = rows i-W..i-1, row 0 repeated as padding."""
    out = []
    for i in range(data.shape[0]):
        if i >= w:
            out.append(data[i - w:i])
        else:
            out.append(torch.cat([data[0].repeat(w - i, 1), data[0:i]]))
    return torch.stack(out)


def cross_check_mha(model, src):
    """Our attention must equal torch.nn.MultiheadAttention's own forward."""
    layer = model.transformer_decoder1.layers[0]
    x = torch.cat((src, src), dim=2)
    t = x[-1:]
    ours = model.mha(layer.multihead_attn, t, x)
    theirs = layer.multihead_attn(t, x, x, need_weights=False)[0]
    err = (ours - theirs).abs().max().item()
    assert err < 1e-12, f"hand-written attention differs from nn.MultiheadAttention by {err}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.parse_args()
    torch.manual_seed(0)
    count = sum(p.numel() for p in TranADReference(38).parameters())
    print(f"parameter count at F=38: {count}")
    assert count == 127538, count


if __name__ == "__main__":
    sys.exit(main())
