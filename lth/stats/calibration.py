"""Permutation A/A calibration of the claims' exact decision functions on stored per-seed data.

Under an A/A null (one arm split into two random halves, or a seed's two arms swapped at
random) a claim's decision must declare a difference at most alpha of the time. Running
the very function a claim uses (its test, an intersection-union of several, and
:func:`lth.stats.verdict`) over many random splits of real per-seed values checks it at the
data's own distribution (discrete, censored, skewed), which simulations from a model cannot.

The check is conditional on the stored values: each split is an independent draw from the
permutation distribution, so the number of false positives is binomial(n_splits, q) with q
the test's rejection rate over that distribution, and :func:`calibrated` tests q <= alpha.
It is a stricter check than unconditional calibration: a test calibrated on average can
over-reject on a particular data set (e.g. one with an outlier seed), and that is flagged.
"""
from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np
from scipy import stats

from lth.stats.paired import pairs
from lth.stats.results import CONTRADICTED, REPRODUCED, TestResult, verdict

Decide = Callable[[np.ndarray, np.ndarray], TestResult]
_TAG = 0xA1CA  # keeps the split streams apart from any other use of the same seed


def _summarise(results: list[TestResult], *, alpha: float, aa: bool, n_distinct: int, **extra) -> dict:
    """False positives (through ``verdict``), their Clopper-Pearson interval and the p-values' uniformity.

    Uniformity is tested one-sided (``kstest(p, "uniform", alternative="greater")``: p-values
    stochastically *smaller* than uniform, i.e. anti-conservative). With few seeds the
    permutation distribution has few atoms (``n_distinct``) and so do the p-values; a valid
    p-value on a discrete distribution has P(p <= x) <= x, which the one-sided test accepts
    while a two-sided KS would reject the gaps between atoms. Conservative decisions (the
    intersection-union's max p, a tie-corrected signed-rank test) are not failures either.
    With 1/n_distinct > alpha a single rejecting split already means q > alpha for these data.
    """
    p = np.array([r.p_value for r in results])
    verdicts = [verdict(r, alpha, aa=aa) for r in results]
    n = len(results)
    k = sum(v != REPRODUCED for v in verdicts) if aa else sum(v == REPRODUCED for v in verdicts)
    k_opp = 0 if aa else sum(v == CONTRADICTED for v in verdicts)
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="exact")
    ks = stats.kstest(p, "uniform", alternative="greater")
    return {
        "p_values": p, "n_splits": n, "alpha": alpha, "false_positives": k, "rate": k / n,
        "rate_ci": (float(ci.low), float(ci.high)),
        "binom_p": float(stats.binomtest(k, n, alpha, alternative="greater").pvalue),
        "opposite_false_positives": k_opp,
        "binom_p_opposite": float(stats.binomtest(k_opp, n, alpha, alternative="greater").pvalue),
        "ks_statistic": float(ks.statistic), "ks_p": float(ks.pvalue),
        "ks_two_sided_p": float(stats.kstest(p, "uniform").pvalue), "n_distinct_splits": n_distinct, **extra,
    }


def permutation_aa(values: Sequence[float], decide: Decide, *, n_splits: int = 1_000, alpha: float, seed: int,
                   aa: bool = False) -> dict:
    """Split ONE arm's per-seed values into two random halves ``n_splits`` times and run ``decide`` on each.

    ``decide(x, y)`` is the claim's decision (e.g. ``lambda x, y: stats.welch(x, y, alpha=alpha,
    label=..., n_resamples=0)``); a false positive is a ``reproduced`` verdict (``aa=True``: an
    A/A check's ``contradicted``). Non-finite values are left out first. Returns a dict: p_values,
    n_splits, alpha, false_positives, rate, rate_ci (Clopper-Pearson 95%), binom_p (k false
    positives against alpha, one-sided), the same for the opposite direction, ks_statistic and
    ks_p (one-sided uniformity, see :func:`_summarise`), ks_two_sided_p, n_distinct_splits, n_values.
    """
    v = np.asarray(values, dtype=float).ravel()
    v = v[np.isfinite(v)]
    if len(v) < 4:
        raise ValueError(f"a permutation A/A check needs >= 4 finite values, got {len(v)}")
    gen = np.random.default_rng([int(seed), _TAG])
    h = len(v) // 2
    order = gen.permuted(np.tile(np.arange(len(v)), (n_splits, 1)), axis=1)
    results = [decide(v[o[:h]], v[o[h:]]) for o in order]
    return _summarise(results, alpha=alpha, aa=aa, n_distinct=math.comb(len(v), h), n_values=len(v))


def permutation_aa_paired(a: Sequence[float], b: Sequence[float], decide: Decide, *, n_splits: int = 1_000,
                          alpha: float, seed: int, aa: bool = False) -> dict:
    """The A/A null of a paired design: swap each seed's two arms with probability 1/2 (sign flips).

    A real difference between the arms is destroyed by the swaps while the within-seed
    correlation is kept, so this checks a paired (or Welch-on-paired) decision on the data's
    own dependence. Seeds non-finite in either arm leave both (:func:`lth.paired.pairs`) and
    are counted in ``dropped``. Returns the dict of :func:`permutation_aa` with n_pairs, dropped.
    """
    a, b, dropped = pairs(a, b)
    if len(a) < 2:
        raise ValueError(f"a paired permutation A/A check needs >= 2 complete pairs, got {len(a)}")
    gen = np.random.default_rng([int(seed), _TAG, 1])
    flips = gen.random((n_splits, len(a))) < 0.5
    results = [decide(np.where(f, b, a), np.where(f, a, b)) for f in flips]
    return _summarise(results, alpha=alpha, aa=aa, n_distinct=2 ** len(a), n_pairs=len(a), dropped=dropped)


def calibrated(result: dict, alpha: float | None = None, *, level: float = 0.01, directions: int = 2) -> bool:
    """Whether a permutation A/A result is consistent with a false-positive rate <= alpha.

    The false-positive count (``directions=2``: both directions' counts) must not exceed alpha
    significantly (one-sided binomial test at ``level``) and the p-values must not be
    stochastically smaller than uniform (one-sided KS at ``level``). ``alpha`` defaults to the
    one the check ran at. ``directions=1`` checks the claimed direction only: for an
    intersection-union claim, "contradicted" is any one of k comparisons significant the other
    way at alpha / k, a far tail where a t test under sign flips is not exact (see
    claims/test_calibration.py); its count is then reported, not asserted.
    """
    if directions not in (1, 2):
        raise ValueError(f"directions must be 1 or 2, got {directions!r}")
    alpha = result["alpha"] if alpha is None else alpha
    n = result["n_splits"]
    counts = (result["false_positives"], result["opposite_false_positives"])[:directions]
    for k in counts:
        if stats.binomtest(k, n, alpha, alternative="greater").pvalue < level:
            return False
    return result["ks_p"] >= level


def permutation_aa_claim(comparisons: Sequence[tuple[Sequence[float], Sequence[float]]],
                         tests: Sequence[tuple[str, str]], combine: Callable[[list[TestResult]], TestResult], *,
                         n_splits: int = 1_000, alpha: float, seed: int) -> dict:
    """A claim's whole decision under its A/A null: every comparison's arms swapped by one pattern per seed.

    ``comparisons`` are (a, b) per-seed arrays over the same seeds (a claim's comparisons at all its
    levels); ``tests[i]`` is comparison i's (design, alternative). Each comparison's p-values in both
    directions over all splits come from :func:`lth.paired.p_values`, the vectorised core of the
    claims' tests (``tests/test_paired.py`` checks they agree with the single-data-set tests to
    1e-12); each split's results then go through the claim's ``combine`` (e.g.
    :func:`lth.stats.all_hold`) and :func:`lth.stats.verdict`, so the verdict counted is exactly
    the claim's. A seed that is non-finite in any comparison leaves all of them (counted in
    ``dropped``). Returns the dict of :func:`permutation_aa` with n_pairs, dropped and n_comparisons.
    """
    from lth.stats.paired import p_values
    from lth.stats.results import OPPOSITE

    if len(comparisons) != len(tests) or not comparisons:
        raise ValueError(f"need one test per comparison, got {len(comparisons)} comparisons and {len(tests)}")
    arrays = [(np.asarray(a, dtype=float).ravel(), np.asarray(b, dtype=float).ravel()) for a, b in comparisons]
    if len({len(a) for pair in arrays for a in pair}) != 1:
        raise ValueError(f"every comparison must hold one value per seed of the same seeds, got lengths "
                         f"{[(len(a), len(b)) for a, b in arrays]}")
    keep = np.logical_and.reduce([np.isfinite(a) & np.isfinite(b) for a, b in arrays])
    arrays = [(a[keep], b[keep]) for a, b in arrays]
    n = int(keep.sum())
    if n < 2:
        raise ValueError(f"a claim-level permutation A/A check needs >= 2 complete seeds, got {n}")
    gen = np.random.default_rng([int(seed), _TAG, 2])
    flips = gen.random((n_splits, n)) < 0.5
    columns = []
    for (a, b), (design, alternative) in zip(arrays, tests):
        x, y = np.where(flips, b, a), np.where(flips, a, b)
        columns.append((design, p_values(design, x, y, alternative=alternative),
                        p_values(design, x, y, alternative=OPPOSITE[alternative])))
    nan = float("nan")
    results = [combine([TestResult(test=design, label=f"comparison {i}", p_value=float(p[s]),
                                   p_opposite=float(q[s]), statistic=nan, effect=nan, effect_label="",
                                   ci=(nan, nan), n=[n, n], mde=nan, alpha=alpha)
                        for i, (design, p, q) in enumerate(columns)])
               for s in range(n_splits)]
    return _summarise(results, alpha=alpha, aa=False, n_distinct=2 ** n, n_pairs=n, dropped=int((~keep).sum()),
                      n_comparisons=len(arrays))
