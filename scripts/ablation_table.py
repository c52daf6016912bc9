#!/usr/bin/env python3
"""The ablation table of issue 15 from finished runs (reads metrics.json only; computes means, nothing else).

  python3 scripts/ablation_table.py > results/smd-best/ablation.md     (from the directory holding runs/)

The runs it reads (each command from the repository root; DEV / HELD = the machine lists below):
  vigil run experiments/ablation/aN.yaml --machines DEV --out runs/ablation-dev/aN --jobs 2       N = a0, a1, a5
  vigil run experiments/ablation/aN.yaml --machines DEV --out runs/ablation-dev/aN --jobs 2 \
      --scores-from runs/ablation-dev/a1-validation-pot                                         N = a2, a3, a4
  the same with --machines HELD --out runs/ablation-heldout/aN (and --scores-from runs/ablation-heldout/a1-…)
  vigil run experiments/smd-best.yaml --machines all --out runs/smd-best --jobs 2

Rows: the reference protocol, each stage added one at a time (experiments/ablation/a0…a5), the final
experiments/smd-best.yaml; for PCA (the recommended model) and TranAD. Columns: means over the development machines and,
separately, over the held-out machines, at each config's exported threshold, with the ORACLE (best point-wise F1 on
the test labels, an upper bound). Then the non-deployable calibrations of the final config, for comparison.
"""
import glob
import json
import os
import statistics as st

DEV = ["machine-1-2", "machine-1-3", "machine-1-4", "machine-1-5", "machine-1-6", "machine-1-7", "machine-1-8",
       "machine-2-1", "machine-2-2", "machine-2-3", "machine-2-4", "machine-2-5", "machine-2-7", "machine-2-8"]
HELD = ["machine-3-2", "machine-3-3", "machine-3-4", "machine-3-5", "machine-3-10"]
ROWS = [
    ("a0-reference", "reference protocol (POT on the fitted rows' scores, level 0.99995)"),
    ("a1-validation-pot", "+ validation block (20%), POT on its scores (level 0.98)"),
    ("a2-robust-normalization", "+ robust per-dimension normalization (validation median/IQR), mean"),
    ("a3-smoothing", "+ moving average of 10 rows"),
    ("a4-percentile-threshold", "+ threshold: 98.5th percentile of the fitted rows' scores"),
    ("a5-pca-components", "+ PCA at 0.7 of the variance"),
    ("smd-best", "= smd-best.yaml (+ TranAD 15 epochs, early stopping)"),
]


def load(run_dirs, machines):
    """machine → metrics for the machines found in any of run_dirs."""
    out = {}
    for d in run_dirs:
        for p in glob.glob(os.path.join(d, "machine-*", "metrics.json")):
            m = json.load(open(p))
            if m["machine"] in machines:
                out[m["machine"]] = m
    return out


def at(mm, calibration=None):
    """(pw_f1, vus_pr, pr_auc, alarm) at the exported threshold, or at a named calibration."""
    if calibration is None:
        return mm["pw_f1"], mm["vus_pr"], mm["pr_auc"], mm["alarm_rate"]
    rep = mm["calibrations"][calibration]
    key = [k for k in rep if k.startswith("at_threshold_")][0]
    pw = rep[key]["pointwise"]
    return pw["f1"], rep["threshold_free"]["vus_pr"], rep["threshold_free"]["pr_auc"], (pw["tp"] + pw["fp"]) / rep["steps"]


def cells(metrics, model, machines, calibration=None):
    vals = [(at(metrics[m]["models"][model], calibration), metrics[m]["models"][model]["oracle"]["pw_f1"])
            for m in machines if m in metrics and model in metrics[m]["models"]]
    if not vals:
        return ["–"] * 5 + ["0"]
    mean = lambda f: st.mean(f(v) for v in vals)
    return [f"{mean(lambda v: v[0][0]):.3f}", f"{mean(lambda v: v[0][1]):.3f}", f"{mean(lambda v: v[0][2]):.3f}",
            f"{mean(lambda v: v[0][3]):.3f}", f"{mean(lambda v: v[1]):.3f}", str(len(vals))]


def dirs(row, held):
    if row == "smd-best":
        return ["runs/smd-best"]
    return [f"runs/ablation-{'heldout' if held else 'dev'}/{row}"]


def main():
    print("| stage | model | dev pw F1 | dev VUS-PR | dev PR-AUC | dev alarm | dev ORACLE pw F1 | held-out pw F1 | held-out VUS-PR | "
          "held-out PR-AUC | held-out alarm | held-out ORACLE pw F1 |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for model in ["pca", "tranad"]:
        for row, label in ROWS:
            dev = load(dirs(row, False), DEV)
            held = load(dirs(row, True), HELD)
            c_dev, c_held = cells(dev, model, DEV), cells(held, model, HELD)
            if c_dev[-1] != "14" or c_held[-1] != "5":
                label += f" (machines: {c_dev[-1]} dev, {c_held[-1]} held-out)"
            print(f"| {label} | {model} | " + " | ".join(c_dev[:5]) + " | " + " | ".join(c_held[:5]) + " |")
    print()
    print("Not deployable, for comparison (final config's scores; what each reads in brackets):")
    print()
    print("| calibration | model | dev pw F1 | dev alarm | held-out pw F1 | held-out alarm |")
    print("|---|---|---|---|---|---|")
    dev, held = load(["runs/smd-best"], DEV), load(["runs/smd-best"], HELD)
    for model in ["pca", "tranad"]:
        for cal, reads in [("dynamic_hundman", "validation + past scores"), ("pot_stream_reference_static", "train + test scores"),
                           ("percentile_validation_99.5", "validation scores: deployable"),
                           ("pot_validation", "validation scores: deployable")]:
            cd, ch = cells(dev, model, DEV, cal), cells(held, model, HELD, cal)
            print(f"| {cal} ({reads}) | {model} | {cd[0]} | {cd[3]} | {ch[0]} | {ch[3]} |")
    a0dev, a0held = load(dirs("a0-reference", False), DEV), load(dirs("a0-reference", True), HELD)
    cd, ch = cells(a0dev, "tranad", DEV, "pot_stream_reference_static"), cells(a0held, "tranad", HELD, "pot_stream_reference_static")
    print(f"| reference protocol's pot_stream_reference_static (train + test scores), row 0 | tranad | {cd[0]} | {cd[3]} | {ch[0]} | {ch[3]} |")


if __name__ == "__main__":
    main()
