#!/usr/bin/env python3
"""Reference values pinned by the tests of crates/reports/src/robust/.

The Rust code in crates/reports/src/robust/ implements the statistics of docs/statistics.md
without calling Python; its tests pin the numbers printed here, which come from SciPy and NumPy
(independent implementations) or from brute-force enumeration. Rerun after changing a test's
data and paste the new numbers into that test:

    pip install scipy numpy
    python3 crates/reports/scripts/statistics_reference.py

The values in the tests were produced with SciPy 1.17.1 and NumPy 2.4.6.
"""

import itertools

import numpy as np
import scipy
import scipy.stats as st


def show(label, value):
    print(f"{label} = {value!r}")


def section(title):
    print(f"\n## {title}")


# ---------------------------------------------------------------- interquartile mean (iqm.rs)
section("trimmed mean, proportion 0.25 (scipy.stats.trim_mean)")
TRIM_SAMPLES = {
    "n4": [1.0, 2.0, 3.0, 5.0],
    "n5": [9.0, 1.0, 4.0, 7.0, 2.0],
    "n6": [0.5, 3.5, -1.0, 8.0, 2.0, 2.0],
    "n7": [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0],
    "n8": [6.0, 5.0, 3.0, 5.0, 8.0, 9.0, 7.0, 9.0],
    "n9": [0.91, 0.87, 0.95, 0.42, 0.88, 0.90, 0.93, 0.11, 0.89],
    "n10": [2.5, -3.0, 7.25, 1.0, 0.0, 4.0, 10.0, -8.0, 3.0, 6.5],
}
for name, xs in TRIM_SAMPLES.items():
    show(f"trim_mean({name})", float(st.trim_mean(xs, 0.25)))
show("trim_mean(n10, 0.1)", float(st.trim_mean(TRIM_SAMPLES["n10"], 0.1)))

# rliable's aggregate IQM flattens the runs x tasks matrix; its mean averages per-task means.
SCORES = np.array([  # runs x tasks
    [0.90, 0.40, 0.75],
    [0.85, 0.35, 0.80],
    [0.95, 0.55, 0.70],
    [0.80, 0.45, 0.60],
    [0.99, 0.20, 0.65],
])
show("aggregate_iqm(SCORES)", float(st.trim_mean(SCORES, 0.25, axis=None)))
show("aggregate_mean(SCORES)", float(np.mean(np.mean(SCORES, axis=0))))

# ---------------------------------------------------------------- quantiles (quantile.rs)
section("numpy.percentile, linear (default) method")
Q = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0]
for q in [0.0, 2.5, 25.0, 50.0, 97.5, 100.0]:
    show(f"percentile(Q, {q})", float(np.percentile(Q, q)))

# ---------------------------------------------------------- probability of improvement (improvement.rs)
section("probability of improvement (Mann-Whitney U / (n m), ties 1/2)")
PX = [0.9, 0.8, 0.8, 0.7, 0.95]
PY = [0.8, 0.6, 0.85, 0.7]
u = st.mannwhitneyu(PX, PY, alternative="greater").statistic
show("P(PX > PY)", float(u / (len(PX) * len(PY))))
TX = [[0.9, 0.8, 0.8, 0.7, 0.95], [0.3, 0.5, 0.4], [1.0, 1.0, 2.0]]
TY = [[0.8, 0.6, 0.85, 0.7], [0.5, 0.5, 0.6, 0.2], [1.0, 2.0, 1.0]]
per_task = [
    st.mannwhitneyu(x, y, alternative="greater").statistic / (len(x) * len(y))
    for x, y in zip(TX, TY)
]
show("per-task P(TX > TY)", [float(p) for p in per_task])
show("mean over tasks", float(np.mean(per_task)))

# ---------------------------------------------------------------- Wilcoxon (wilcoxon.rs)
section("scipy.stats.wilcoxon, default arguments (zero_method='wilcox', correction=False)")


def ranks_of_nonzero(d):
    d = np.asarray(d, dtype=float)
    d = d[d != 0]
    r = st.rankdata(np.abs(d))
    return float(r[d > 0].sum()), float(r[d < 0].sum())


WILCOXON_CASES = {
    # no ties, no zeros, n = 10: exact distribution
    "exact10": (
        [1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30, 2.01],
        [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.12, 1.29, 1.20],
    ),
    # ties among |d|, n = 8: exact conditional (permutation) distribution
    "ties8": (
        [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
        [0.0, 1.0, 4.0, 3.0, 3.0, 5.0, 4.0, 10.0],
    ),
    # zeros and ties, n = 9: exact conditional (permutation) distribution
    "zeros9": (
        [5.0, 3.0, 6.0, 2.0, 7.0, 4.0, 4.0, 9.0, 1.0],
        [5.0, 1.0, 4.0, 2.0, 3.0, 5.0, 1.0, 3.0, 2.0],
    ),
    # ties, n = 20: normal approximation with tie correction
    "ties20": (
        [3, 5, 2, 8, 6, 4, 7, 9, 5, 6, 4, 3, 8, 7, 5, 6, 9, 2, 4, 7],
        [1, 5, 3, 6, 3, 4, 4, 6, 2, 5, 1, 4, 6, 4, 3, 3, 5, 2, 2, 5],
    ),
}
# no ties, n = 60 (> 50): normal approximation
rng = np.random.default_rng(20190915)
x60 = np.round(rng.normal(0.3, 1.0, 60), 6)
d60 = np.round(rng.normal(0.0, 1.0, 60), 6)
WILCOXON_CASES["large60"] = (list(map(float, x60)), list(map(float, np.round(x60 - d60, 6))))
# no ties, n = 30: exact distribution (dynamic programme over 2^30 sign patterns)
x30 = np.round(rng.normal(0.0, 1.0, 30), 6)
d30 = np.round(rng.normal(0.35, 1.0, 30), 6)
WILCOXON_CASES["exact30"] = (list(map(float, np.round(x30 + d30, 6))), list(map(float, x30)))

for name, (x, y) in WILCOXON_CASES.items():
    res = st.wilcoxon(x, y)
    rp, rm = ranks_of_nonzero(np.subtract(x, y))
    show(f"{name}: statistic", float(res.statistic))
    show(f"{name}: pvalue", float(res.pvalue))
    show(f"{name}: r_plus, r_minus", (rp, rm))
    show(f"{name}: rank-biserial", (rp - rm) / (rp + rm))
    asym = st.wilcoxon(x, y, method="asymptotic")
    show(f"{name}: asymptotic pvalue", float(asym.pvalue))
    show(f"{name}: asymptotic z", float(asym.zstatistic))
for name in ["large60", "exact30"]:
    x, y = WILCOXON_CASES[name]
    print(f"{name}: x = {x!r}")
    print(f"{name}: y = {y!r}")
x, y = WILCOXON_CASES["exact10"]
show("exact10: pvalue, method='exact'", float(st.wilcoxon(x, y, method="exact").pvalue))

# ------------------------------------------------------ expected maximum (expected_max.rs)
section("expected best of k draws with replacement, by enumerating all N^k draws")
TRIALS = [0.71, 0.64, 0.80, 0.64, 0.77]
for goal, best in [("maximise", max), ("minimise", min)]:
    for k in range(1, len(TRIALS) + 1):
        outcomes = [best(draw) for draw in itertools.product(TRIALS, repeat=k)]
        mean = float(np.mean(outcomes))
        std = float(np.std(outcomes))  # population std of the best over all equally likely draws
        show(f"{goal} k={k}: mean, std", (mean, std))

# ------------------------------------------------------------------ AlgoPerf (algoperf.rs)
section("AlgoPerf benchmark score: numerical integration of the step profile")
# times[submission][workload]
TIMES = np.array([
    [10.0, 200.0, np.inf, 50.0],
    [20.0, 100.0, 30.0, 45.0],
    [12.0, 450.0, 90.0, np.inf],
])
best = TIMES.min(axis=0)
ratios = TIMES / best
show("ratios", ratios.tolist())
taus = np.linspace(1.0, 4.0, 3_000_001)
for s in range(TIMES.shape[0]):
    rho = (ratios[s][None, :] <= taus[:, None]).mean(axis=1)
    show(f"score[{s}] (trapezoid on 3e6 points)", float(np.trapezoid(rho, taus) / 3.0))
REF = np.array([20.0, 100.0, 30.0, 45.0])
SUB = np.array([10.0, 200.0, np.inf, 50.0])
both = np.isfinite(REF) & np.isfinite(SUB)
show("geometric-mean speedup of SUB over REF", float(np.exp(np.mean(np.log(REF[both] / SUB[both])))))
STUDIES = [[9.0, np.inf, 7.0], [np.inf, np.inf, np.inf], [5.0, 6.0, 8.0], [7.5, 12.0, np.inf]]
show("median over studies of the fastest trial", float(np.median([min(s) for s in STUDIES])))

print(f"\nscipy {scipy.__version__}, numpy {np.__version__}")
