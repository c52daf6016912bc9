#!/usr/bin/env python3
"""Independent SPOT/DSPOT/POT reference for Vigil's VigilThresholds goldens.

Written from the paper (Siffer et al., KDD 2017) and Grimshaw (1993), not from any other implementation:
  * initial threshold t = sorted(x)[floor(level * n)], peaks = x[x > t] - t;
  * GPD MLE by Grimshaw: roots of w(theta) = u(theta) v(theta) - 1 with u = 1 + mean(log(1 + theta Y)),
    v = mean(1 / (1 + theta Y)) on (-1/Ymax + 2 eps, -eps) and (2(Ymean-Ymin)/(Ymean Ymin), 2(Ymean-Ymin)/Ymin^2),
    located on a fine grid and refined with scipy.optimize.brentq; gamma = u - 1, sigma = gamma / theta;
    candidates scored with scipy.stats.genpareto / scipy.stats.expon log-likelihoods, best wins;
    the best fit is cross-checked against scipy.stats.genpareto.fit (must not be worse);
  * z_q = t + sigma/gamma ((q n / Nt)^-gamma - 1)  (gamma = 0: t - sigma log(q n / Nt));
  * stream modes 'dynamic', 'fixed', 'reference_static' and DSPOT as documented in Sources/VigilThresholds/SPOT.swift;
  * POT: retry level *= 0.999 on no peaks; deployable threshold = z_q * scale, stream threshold = mean(thresholds) * scale.

Inputs are generated deterministically here (numpy default_rng with fixed seeds), rounded to 7 significant digits
and stored in the golden with the expected outputs.

A library of reference functions: scripts/make_spot_goldens.py writes the SPOT goldens with it and
scripts/make_metrics_goldens.py the metrics goldens.
"""
import argparse
import json
import math

import numpy as np
from scipy import optimize, stats

EPS = 1e-8


def w(y, theta):
    # u v - 1 with u - 1 = mean(log1p(theta y)) and v - 1 = -mean(theta y / (1 + theta y)): no cancellation near 0.
    ty = theta * y
    a = np.mean(np.log1p(ty))
    b = -np.mean(ty / (1.0 + ty))
    return a + b + a * b


def roots_on(y, lo, hi, grid=4000):
    if not (lo < hi):
        return []
    xs = np.linspace(lo, hi, grid + 1)
    fs = np.array([w(y, x) for x in xs])
    out = []
    for i in range(grid):
        if fs[i] == 0:
            out.append(xs[i])
        elif np.sign(fs[i]) != np.sign(fs[i + 1]) and fs[i + 1] != 0:
            out.append(optimize.brentq(lambda th: w(y, th), xs[i], xs[i + 1], xtol=1e-300, rtol=4 * np.finfo(float).eps, maxiter=500))
    if fs[-1] == 0:
        out.append(xs[-1])
    return out


def loglik(y, gamma, sigma):
    if gamma == 0:
        return float(np.sum(stats.expon.logpdf(y, scale=sigma)))
    return float(np.sum(stats.genpareto.logpdf(y, c=gamma, scale=sigma)))


FULL_POSITIVE = False  # mirrors GrimshawOptions.fullPositiveInterval, set per case


def grimshaw(y):
    y = np.asarray(y, dtype=float)
    ymin, ymax, ymean = y.min(), y.max(), y.mean()
    a = -1.0 / ymax
    eps = EPS if abs(a) >= 2 * EPS else abs(a) / 10
    cands = roots_on(y, a + 2 * eps, -eps)
    upper = 2 * (ymean - ymin) / ymin ** 2
    lower = min(eps, upper) if FULL_POSITIVE else 2 * (ymean - ymin) / (ymean * ymin)
    cands += roots_on(y, lower, upper)
    best = (0.0, ymean, loglik(y, 0.0, ymean))
    for th in cands:
        gamma = float(np.mean(np.log1p(th * y)))
        if gamma == 0:
            continue
        sigma = gamma / th
        if not (sigma > 0):
            continue
        ll = loglik(y, gamma, sigma)
        if np.isfinite(ll) and ll > best[2]:
            best = (gamma, sigma, ll)
    return best


def mle_crosscheck(y, best):
    """Log-likelihood of scipy's generic GPD MLE; with the full positive interval it must not beat Grimshaw."""
    c, _, scale = stats.genpareto.fit(y, floc=0)
    ll_fit = loglik(y, c, scale)
    if FULL_POSITIVE:
        assert ll_fit <= best[2] + 1e-6 * max(1.0, abs(best[2])), (ll_fit, best)
    return ll_fit


def quantile(t, gamma, sigma, q, n, nt):
    r = q * n / nt
    if gamma != 0:
        return t + sigma / gamma * (r ** (-gamma) - 1)
    return t - sigma * math.log(r)


def initialise(x, level, q):
    x = np.asarray(x, dtype=float)
    s = np.sort(x)
    t = float(s[min(len(s) - 1, int(level * len(s)))])
    peaks = x[x > t] - t
    if peaks.size == 0:
        return None
    g, sg, ll = grimshaw(peaks)
    return dict(level=level, t=t, n=len(x), nt=int(peaks.size), gamma=g, sigma=sg, ll=ll,
                z=quantile(t, g, sg, q, len(x), peaks.size), peaks=list(peaks))


def run_stream(ini, stream, q, mode):
    t, z, n = ini["t"], ini["z"], ini["n"]
    peaks = list(ini["peaks"])
    g, sg, ll = ini["gamma"], ini["sigma"], ini["ll"]
    th, alarms = [], []
    for i, x in enumerate(stream):
        if mode == "fixed":
            if x > z:
                alarms.append(i)
        elif mode == "reference_static":
            if x > t:
                z = t
                alarms.append(i)
        else:  # dynamic
            if x > z:
                alarms.append(i)
            elif x > t:
                peaks.append(x - t)
                n += 1
                g, sg, ll = grimshaw(peaks)
                z = quantile(t, g, sg, q, n, len(peaks))
            else:
                n += 1
        th.append(z)
    return th, alarms, (g, sg, ll), z, len(peaks)


def dspot(cal, stream, q, level, depth):
    cal = np.asarray(cal, dtype=float)
    res = np.array([cal[i] - cal[i - depth:i].mean() for i in range(depth, len(cal))])
    ini = initialise(res, level, q)
    t, z, n = ini["t"], ini["z"], ini["n"]
    peaks = list(ini["peaks"])
    g, sg, ll = ini["gamma"], ini["sigma"], ini["ll"]
    window = list(cal[-depth:])
    th, alarms = [], []
    for i, x in enumerate(stream):
        m = float(np.mean(window))
        r = x - m
        if r > z:
            alarms.append(i)
        else:
            if r > t:
                peaks.append(r - t)
                n += 1
                g, sg, ll = grimshaw(peaks)
                z = quantile(t, g, sg, q, n, len(peaks))
            else:
                n += 1
            window = window[1:] + [x]
        th.append(z + m)
    return ini, th, alarms, (g, sg, ll), z, len(peaks)


def pot_init_retry(cal, level, q, factor=0.999, max_attempts=100):
    lv = level
    for attempt in range(1, max_attempts + 1):
        ini = initialise(cal, lv, q)
        if ini is not None:
            return ini, attempt
        if attempt < max_attempts:
            lv *= factor
    raise RuntimeError("initialisation failed")


def r7(a):
    return [float(f"{v:.7g}") for v in a]


def case_record(name, kind, cal, stream, q, level, mode=None, depth=None, scale=None, full_positive=False):
    global FULL_POSITIVE
    FULL_POSITIVE = full_positive
    rec = dict(name=name, kind=kind, q=q, level=level, full_positive_interval=full_positive, calibration=cal, stream=stream)
    if mode:
        rec["mode"] = mode
    if depth:
        rec["depth"] = depth
    if scale:
        rec["scale"] = scale
    if kind == "spot":
        ini = initialise(cal, level, q)
        th, alarms, fin, z, nt = run_stream(ini, stream, q, mode)
        attempts = 1
    elif kind == "dspot":
        ini, th, alarms, fin, z, nt = dspot(cal, stream, q, level, depth)
        attempts = 1
    else:  # pot_train / pot_stream
        ini, attempts = pot_init_retry(cal, level, q)
        if kind == "pot_stream":
            th, alarms, fin, z, nt = run_stream(ini, stream, q, mode)
        else:
            th, alarms, fin, z, nt = [], [], (ini["gamma"], ini["sigma"], ini["ll"]), ini["z"], ini["nt"]
    exp = dict(initial_threshold=ini["t"], level_used=ini["level"], attempts=attempts, peaks=ini["nt"],
               gamma=ini["gamma"], sigma=ini["sigma"], log_likelihood=ini["ll"], extreme_quantile=ini["z"],
               alarms=len(alarms), alarm_indices=alarms[:50],
               final_gamma=fin[0], final_sigma=fin[1], final_extreme_quantile=z, final_peaks=nt)
    exp["scipy_genpareto_fit_log_likelihood"] = mle_crosscheck(np.asarray(ini["peaks"]), (ini["gamma"], ini["sigma"], ini["ll"]))
    if th:
        exp["mean_threshold"] = float(np.mean(th))
        exp["last_threshold"] = float(th[-1])
    if kind == "pot_train":
        exp["threshold"] = ini["z"] * scale
    elif kind == "pot_stream":
        exp["threshold"] = float(np.mean(th)) * scale
    else:
        exp["threshold"] = float(th[-1])
    rec["expected"] = exp
    return rec


# ----------------------------------------------------------------------------------------------------------------
# Metrics cross-check goldens (sklearn + independent Python) for Tests/VigilMetricsTests: the cases and expected values
# that scripts/make_metrics_goldens.py writes.
# ----------------------------------------------------------------------------------------------------------------
def metrics_goldens():
    from sklearn.metrics import average_precision_score, ndcg_score, roc_auc_score
    rng = np.random.default_rng(21)
    T, D = 300, 8
    labels = np.zeros(T, dtype=bool)
    for a, b_ in [(0, 4), (40, 40), (90, 110), (200, 203), (290, 299)]:
        labels[a:b_ + 1] = True
    scores = np.round(rng.random(T) * 0.8 + labels * rng.random(T) * 0.5, 2)   # 2 decimals: many ties
    thr = 0.7
    pred = scores > thr

    def segs(x):
        out, i = [], 0
        while i < len(x):
            if x[i]:
                j = i
                while j + 1 < len(x) and x[j + 1]:
                    j += 1
                out.append((i, j))
                i = j + 1
            else:
                i += 1
        return out

    def prf(p, l):
        tp = int(np.sum(p & l)); fp = int(np.sum(p & ~l)); fn = int(np.sum(~p & l))
        pr = tp / (tp + fp) if tp + fp else 0.0
        rc = tp / (tp + fn) if tp + fn else 0.0
        return pr, rc, (2 * pr * rc / (pr + rc) if pr + rc else 0.0)

    def adjust(p, l, k):
        out = p.copy()
        for a, b_ in segs(l):
            c = int(np.sum(p[a:b_ + 1]))
            if c > 0 and c * 100 >= k * (b_ - a + 1):
                out[a:b_ + 1] = True
        return out

    pa = adjust(pred, labels, 0)
    f1k = [prf(adjust(pred, labels, k), labels)[2] for k in range(101)]
    auc_f1 = float(np.trapz(f1k, dx=0.01)) if hasattr(np, "trapz") else float(np.trapezoid(f1k, dx=0.01))
    te, pe = segs(labels), segs(pred)
    det = sum(1 for a, b_ in te if pred[a:b_ + 1].any())
    cor = sum(1 for a, b_ in pe if labels[a:b_ + 1].any())
    ep = cor / len(pe) if pe else 0.0
    er = det / len(te) if te else 0.0
    ef = 2 * ep * er / (ep + er) if ep + er else 0.0
    # Oracle (point-adjusted F1), brute force over every distinct flag set.
    cands = sorted(set(scores.tolist())) + [float(np.nextafter(scores.min(), -np.inf))]
    best_pa = max(prf(adjust(scores > c, labels, 0), labels)[2] for c in cands)
    best_pw = max(prf(scores > c, labels)[2] for c in cands)
    # Root cause: per-dim scores with ties; interpretation labels on anomalous rows only.
    per = np.round(rng.random((T, D)), 1)
    interp = np.zeros((T, D), dtype=bool)
    for t in np.where(labels)[0]:
        interp[t, rng.choice(D, size=rng.integers(1, 6), replace=False)] = True
    hits, ndcgs = {100: [], 150: []}, {100: [], 150: []}
    for t in range(T):
        lab = set(np.where(interp[t])[0])
        if not lab:
            continue
        order = np.argsort(per[t], kind="stable").tolist()[::-1]
        for p in (100, 150):
            k = round(p * len(lab) / 100)
            hits[p].append(len(set(order[:k]) & lab) / len(lab))
            ndcgs[p].append(ndcg_score(interp[t].reshape(1, -1).astype(float), per[t].reshape(1, -1), k=k))
    exp = dict(pointwise=prf(pred, labels), point_adjusted=prf(pa, labels), pak_f1_area=auc_f1,
               pak_f1_40=f1k[40], event=(ep, er, ef),
               roc_auc=roc_auc_score(labels, scores), ap=average_precision_score(labels, scores),
               roc_binary=roc_auc_score(labels, pa), oracle_pa_f1=best_pa, oracle_pw_f1=best_pw,
               hit100=float(np.mean(hits[100])), hit150=float(np.mean(hits[150])),
               ndcg100=float(np.mean(ndcgs[100])), ndcg150=float(np.mean(ndcgs[150])))
    return T, D, thr, scores, labels, per, interp, exp
