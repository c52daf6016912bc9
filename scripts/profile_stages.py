#!/usr/bin/env python3
"""Stage table of `perf script -F comm,tid,time,ip,sym,dso` output of `vigil bench tranad` (scripts/profile-tranad).

A sample belongs to the training epoch from the first sample whose stack holds the trainer's epoch function up to
the first sample in the scoring engine (OpenBLAS frames carry no frame pointers, so the time order, not the stack,
separates the parts); its stage is chosen by its innermost frame.

Usage: perf script ... | profile_stages.py [--freq HZ --threads N]
With the sampling frequency and the thread count, a third column gives each stage's seconds per thread
(samples / HZ / N): per training worker, comparable with the GEMM floor that scripts/bench-tranad prints.
"""
import argparse
import collections
import re
import sys

STAGES = [  # (stage, pattern on the innermost symbol or its library), first match wins
    ("GEMM (OpenBLAS)", r"openblas|[sd]gemm|_kernel_[A-Z]|copy_[A-Z]"),
    ("attention kernels", r"[Aa]ttention|SoftmaxNumerators|expInPlace|storeInterleaved|keepFactors"),
    ("dropout masks (RNG)", r"DropoutMask|[Dd]ropout(Keep|Bits)|applyDropout32|Xoshiro"),
    ("optimizer (AdamW)", r"[Aa]dam"),
    ("zeroing (memset)", r"memset"),
    ("copies (memcpy)", r"memmove|memcpy"),
    ("allocation", r"malloc|free|_int_|memalign|BufferPool|mmap|munmap|brk|page_fault|clear_page"),
    ("tape (graph, backward bookkeeping)", r"backward|GradNode|record|makeOp|accumulateLeafGrad|sumToShape|visit"),
    ("Swift runtime (ARC, metadata)", r"swift_|libswiftCore"),
    ("elementwise / fused ops", r"[Dd]ropout|unary|binary|reduceSum|EncoderInput|sigmoid|sumAll|[Ff]used|concat|slice|"
                                r"stridedCopy|[Rr]esidual|linear|Step|columnSums|gather"),
    ("threads (dispatch, kernel)", r"dispatch|futex|sched|\[kernel"),
]


def stage(sym, dso):
    for name, pat in STAGES:
        if re.search(pat, sym) or re.search(pat, dso):
            return name
    return "other"


def main():
    ap = argparse.ArgumentParser(description="Stage table of perf samples of `vigil bench tranad`.")
    ap.add_argument("--freq", type=float, help="perf sampling frequency in Hz (perf record -F)")
    ap.add_argument("--threads", type=int, default=1, help="threads the bench ran (its --threads)")
    args = ap.parse_args()
    samples, cur, times = [], None, []
    for line in sys.stdin:
        line = line.rstrip("\n")
        if not line.strip():
            if cur:
                samples.append(cur)
            cur = None
            continue
        if line[0] not in " \t":  # sample header: comm tid time:
            m = re.search(r"(\d+\.\d+):", line)
            times.append(float(m.group(1)) if m else 0.0)
            cur = []
            continue
        parts = line.strip().split(None, 1)
        if len(parts) == 2 and cur is not None:
            m = re.match(r"(.*) \((.*)\)$", parts[1])
            cur.append((m.group(1), m.group(2)) if m else (parts[1], ""))
    if cur:
        samples.append(cur)
    times = times[:len(samples)]
    first = lambda pat: min((t for t, st in zip(times, samples) if any(re.search(pat, s) for s, _ in st)), default=None)
    t_train, t_score = first(r"trainEpoch"), first(r"ADInference")
    if t_train is None or t_score is None:
        sys.exit("profile_stages: no training or scoring samples found (was it `vigil bench tranad`?)")
    counts, totals = collections.Counter(), collections.Counter()
    for t, st in zip(times, samples):
        part = "training epoch" if t_train <= t < t_score else ("scoring" if t >= t_score else "setup")
        if not st:
            continue
        counts[(part, stage(*st[0]))] += 1
        totals[part] += 1
    for part in ["training epoch", "scoring"]:
        print(f"{part}: {totals[part]} samples")
        seconds = (lambda n: f"{n / args.freq / args.threads:>11.3f}") if args.freq else (lambda n: "")
        print(f"  {'stage':36}{'samples':>8}{'share':>8}" + (f"{'s/thread':>11}" if args.freq else ""))
        for (p, s), n in sorted(counts.items(), key=lambda kv: -kv[1]):
            if p == part:
                print(f"  {s:36}{n:>8}{100 * n / totals[part]:>7.1f}%" + seconds(n))


if __name__ == "__main__":
    main()
