#!/usr/bin/env python3
"""Times TranAD in PyTorch (CPU) at the shape of `vigil bench tranad`, for the side-by-side table.

One training epoch: batch 128 (last batch smaller), AdamW(lr 1e-4, weight_decay 1e-5), the two-phase
loss mean((1/n)(x1-elem)^2 + (1-1/n)(x2-elem)^2) with n = 1, dropout 0.1 in train mode, exactly as the
published code trains (nn.MultiheadAttention forward, windows in order, no shuffling).
One full inference pass: eval mode, no grad, all windows in batches of --batch (the published code
feeds the whole test set in one batch; batching does not change the numbers and bounds memory).
Synthetic data: uniform [0, 1) of shape (--windows, --features), windows of 10 built as the
reference's convert_to_windows (row 0 repeated as padding).

Prints JSON with the same keys as `vigil bench tranad --json`:
  {"epoch_seconds", "train_windows_per_second", "inference_seconds", "dtype", "threads"}
plus epoch_cpu_seconds / inference_cpu_seconds (process CPU time, less sensitive to other load).
"""
import argparse
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tranad_reference import TranADReference, weighted_loss  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--windows", type=int, default=28479)
    ap.add_argument("--features", type=int, default=38)
    ap.add_argument("--window", type=int, default=10)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    dtype = torch.float32 if args.dtype == "float32" else torch.float64
    F, W = args.features, args.window
    data = torch.rand(args.windows, F, dtype=dtype)
    # reference windows: window i = rows i-W..i-1 with row 0 as padding -> (N, W, F)
    padded = torch.cat([data[:1].repeat(W, 1), data[:-1]])
    windows = padded.unfold(0, W, 1).permute(0, 2, 1).contiguous()  # (N, W, F)
    assert windows.shape == (args.windows, W, F)

    model = TranADReference(F, W, dropout=0.1, torch_mha=True).to(dtype)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=1e-5)
    sched = torch.optim.lr_scheduler.StepLR(opt, 5, 0.9)

    model.train()
    c0 = time.process_time()
    t0 = time.perf_counter()
    for s in range(0, args.windows, args.batch):
        d = windows[s:s + args.batch]
        window = d.permute(1, 0, 2)  # (W, B, F)
        elem = window[-1:]
        x1, x2 = model(window, elem)
        loss = weighted_loss(x1, x2, elem, 1)
        opt.zero_grad()
        loss.backward()
        opt.step()
    sched.step()
    epoch = time.perf_counter() - t0
    epoch_cpu = time.process_time() - c0

    model.eval()
    c0 = time.process_time()
    t0 = time.perf_counter()
    with torch.no_grad():
        for s in range(0, args.windows, args.batch):
            window = windows[s:s + args.batch].permute(1, 0, 2)
            _, x2 = model(window, window[-1:])
            _ = (x2 - window[-1:]) ** 2
    inference = time.perf_counter() - t0
    inference_cpu = time.process_time() - c0

    print(json.dumps({"epoch_seconds": round(epoch, 4),
                      "train_windows_per_second": round(args.windows / epoch, 1),
                      "inference_seconds": round(inference, 4),
                      "dtype": args.dtype, "threads": args.threads,
                      "epoch_cpu_seconds": round(epoch_cpu, 4), "inference_cpu_seconds": round(inference_cpu, 4)}))


if __name__ == "__main__":
    main()
