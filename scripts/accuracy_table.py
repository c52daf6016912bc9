#!/usr/bin/env python3
"""Means over machines of a run or a sweep, per (point, model, calibration): the research tables of issue 15.

Reads only Vigil's outputs (metrics.json, result.json, sweep.json); computes nothing Vigil did not. Usage:
  python3 scripts/accuracy_table.py runs/base-v20 [--model tranad] [--calibration pot_validation] [--top 20] [--sort pw_f1]
  python3 scripts/accuracy_table.py runs/sweeps/s1 ...          (a sweep: one row per point)
Columns: pw_f1, vus_pr, pr_auc, alarm (rate) at the calibration, ORACLE pw F1 (test labels: an upper bound), the mean
validation selection score (synthetic VUS-PR; no test data) and the number of machines.
"""
import argparse
import glob
import json
import os
import statistics as st


def calib_rows(mm):
    """(calibration name → (pw_f1, alarm, vus_pr, pr_auc)) of one model's metrics block."""
    out = {}
    for cal, rep in mm.get("calibrations", {}).items():
        key = [k for k in rep if k.startswith("at_threshold_")][0]
        a, free, n = rep[key], rep["threshold_free"], rep["steps"]
        pw = a["pointwise"]
        out[cal] = (pw["f1"], (pw["tp"] + pw["fp"]) / n, free.get("vus_pr"), free.get("pr_auc"),
                    rep["threshold_selection"])
    return out


def units(d):
    """(point label, machine, metrics) of every complete unit of a run or sweep directory."""
    if os.path.exists(os.path.join(d, "sweep.json")):
        plan = json.load(open(os.path.join(d, "sweep.json")))
        for t in plan["trials"]:
            p = os.path.join(d, "trials", t["id"], "metrics.json")
            if os.path.exists(p):
                sw = plan["points"][t["point"]]["swept"]
                yield (t["point"], json.dumps(sw, sort_keys=True)), t["machine"], json.load(open(p))
    else:
        for p in sorted(glob.glob(os.path.join(d, "machine-*", "metrics.json"))):
            m = json.load(open(p))
            yield (0, os.path.basename(d)), m["machine"], m


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dirs", nargs="+")
    ap.add_argument("--model")
    ap.add_argument("--calibration", help="substring of the calibration name (default: every one)")
    ap.add_argument("--sort", default="pw_f1")
    ap.add_argument("--top", type=int, default=0)
    ap.add_argument("--machines", help="comma-separated subset")
    a = ap.parse_args()
    keep = set(a.machines.split(",")) if a.machines else None
    acc = {}
    for d in a.dirs:
        for point, machine, m in units(d):
            if keep and machine not in keep:
                continue
            for model, mm in m["models"].items():
                if a.model and model != a.model:
                    continue
                sel = (mm.get("validation") or {}).get("selection_score")
                for cal, (f1, alarm, vus, pr, thr) in calib_rows(mm).items():
                    if a.calibration and a.calibration not in cal:
                        continue
                    acc.setdefault((d, point, model, cal), []).append((f1, vus, pr, alarm, mm["oracle"]["pw_f1"], sel, thr))
    rows = []
    for (d, point, model, cal), v in acc.items():
        mean = lambda i: st.mean(x[i] for x in v if x[i] is not None) if any(x[i] is not None for x in v) else float("nan")
        flags = v[0][6]
        reads = ",".join(k[6:] for k in ("reads_train_scores", "reads_validation_scores", "reads_past_scores", "reads_test_scores",
                                         "reads_test_labels") if flags.get(k))
        rows.append(dict(dir=os.path.basename(d.rstrip("/")), point=point[0], swept=point[1], model=model, cal=cal, pw_f1=mean(0),
                         vus_pr=mean(1), pr_auc=mean(2), alarm=mean(3), oracle=mean(4), selection=mean(5), n=len(v), reads=reads))
    rows.sort(key=lambda r: -r[a.sort] if r[a.sort] == r[a.sort] else 0)
    if a.top:
        rows = rows[: a.top]
    print("| dir | point | model | calibration | reads | pw F1 | VUS-PR | PR-AUC | alarm | ORACLE pw F1 | selection | n | swept |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['dir']} | {r['point']} | {r['model']} | {r['cal']} | {r['reads']} | {r['pw_f1']:.3f} | {r['vus_pr']:.3f} | "
              f"{r['pr_auc']:.3f} | {r['alarm']:.3f} | {r['oracle']:.3f} | {r['selection']:.3f} | {r['n']} | {r['swept']} |")


if __name__ == "__main__":
    main()
