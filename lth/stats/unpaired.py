"""Tests of unpaired data on scipy.stats: Welch, Fisher, Kendall trend, one-sample t, and the A/A pair.

Each returns a :class:`~lth.stats.results.TestResult` with both one-sided p-values, its effect with a
bootstrap interval, and the minimum detectable effect.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
from scipy import stats

from lth.stats import designs
from lth.stats.results import (OPPOSITE, POWER, TestResult, check_alternative, _clean, _mean_diff, _p, _rate_table_and_mde,
                               _welch_se_df, bootstrap_ci)


def welch(
    a: Sequence[float], b: Sequence[float], *, alternative: str = "greater", margin: float = 0.0,
    alpha: float, label: str, seed: int = 0, n_resamples: int = 2_000,
) -> TestResult:
    """Welch's t test of mean(a) + margin vs mean(b) (margin > 0: non-inferiority of a, one-sided TOST)."""
    check_alternative(alternative)
    a, b = _clean(a), _clean(b)
    if len(a) < 2 or len(b) < 2:
        raise ValueError(f"{label}: Welch's t needs >= 2 finite values per group, got {len(a)} and {len(b)}")
    p = stats.ttest_ind(a + margin, b, equal_var=False, alternative=alternative)
    p_opp = stats.ttest_ind(a + margin, b, equal_var=False, alternative=OPPOSITE[alternative])
    se, df = _welch_se_df(a, b)
    mde = float((stats.t.ppf(1 - alpha, df) + stats.t.ppf(POWER, df)) * se)
    name = "Welch t, one-sided" + (f" non-inferiority (margin {margin:g})" if margin else "")
    return TestResult(
        test=f"{name}, H1: {alternative}", label=label, p_value=_p(p.pvalue), p_opposite=_p(p_opp.pvalue),
        statistic=float(p.statistic), effect=float(a.mean() - b.mean()), effect_label="difference in means",
        ci=bootstrap_ci((a, b), _mean_diff, seed=seed, label=label, n_resamples=n_resamples),
        n=[len(a), len(b)], mde=mde, alpha=alpha,
    )


def fisher(
    success_a: Sequence[bool], success_b: Sequence[bool], *, alternative: str = "greater",
    alpha: float, label: str, seed: int = 0, n_resamples: int = 2_000,
) -> TestResult:
    """Fisher's exact test that group a succeeds more (or less) often than group b."""
    check_alternative(alternative)
    a, b = np.asarray(success_a, dtype=float), np.asarray(success_b, dtype=float)
    if len(a) < 1 or len(b) < 1:
        raise ValueError(f"{label}: Fisher's exact test needs non-empty groups, got {len(a)} and {len(b)}")
    table, mde = _rate_table_and_mde(a, b, stats.norm.ppf(1 - alpha) + stats.norm.ppf(POWER))
    p = stats.fisher_exact(table, alternative=alternative)
    p_opp = stats.fisher_exact(table, alternative=OPPOSITE[alternative])
    return TestResult(
        test=f"Fisher exact, one-sided, H1: {alternative}", label=label, p_value=_p(p.pvalue),
        p_opposite=_p(p_opp.pvalue), statistic=float(p.statistic), effect=float(a.mean() - b.mean()),
        effect_label="difference in rates", n=[len(a), len(b)], mde=mde, alpha=alpha,
        ci=bootstrap_ci((a, b), _mean_diff, seed=seed, label=label, n_resamples=n_resamples),
    )


def _tau(x, y, axis=-1):
    x, y = np.atleast_2d(x), np.atleast_2d(y)
    out = np.array([stats.kendalltau(xi, yi).statistic for xi, yi in zip(x, y)])
    out = np.nan_to_num(out, nan=0.0)  # a resample with one group only carries no trend information
    return out if out.size > 1 else out[0]


def trend(
    groups: Sequence[float], values: Sequence[float], *, alternative: str = "greater",
    alpha: float, label: str, seed: int = 0, n_resamples: int = 2_000,
) -> TestResult:
    """Trend over ordered groups: Kendall's tau-b between group and outcome (Jonckheere/Cochran-Armitage-like)."""
    check_alternative(alternative)
    g, v = np.asarray(groups, dtype=float), np.asarray(values, dtype=float)
    keep = np.isfinite(g) & np.isfinite(v)
    g, v = g[keep], v[keep]
    if len(g) < 3:
        raise ValueError(f"{label}: a trend test needs >= 3 observations, got {len(g)}")
    p = stats.kendalltau(g, v, alternative=alternative)
    p_opp = stats.kendalltau(g, v, alternative=OPPOSITE[alternative])
    n = len(g)
    sd0 = math.sqrt(2 * (2 * n + 5) / (9 * n * (n - 1)))
    mde = float((stats.norm.ppf(1 - alpha) + stats.norm.ppf(POWER)) * sd0)
    return TestResult(
        test=f"Kendall tau-b trend, one-sided, H1: {alternative}", label=label, p_value=_p(p.pvalue),
        p_opposite=_p(p_opp.pvalue), statistic=float(p.statistic), effect=float(p.statistic),
        effect_label="Kendall's tau-b", n=[n], mde=mde, alpha=alpha,
        ci=bootstrap_ci((g, v), _tau, seed=seed, label=label, n_resamples=min(n_resamples, 500), paired=True),
    )


def one_sample(
    values: Sequence[float], popmean: float, *, alternative: str = "greater",
    alpha: float, label: str, seed: int = 0, n_resamples: int = 2_000,
) -> TestResult:
    """One-sample t test of mean(values) against ``popmean`` (e.g. per-seed correlations against 0)."""
    check_alternative(alternative)
    v = _clean(values)
    if len(v) < 2:
        raise ValueError(f"{label}: a one-sample t test needs >= 2 finite values, got {len(v)}")
    p = stats.ttest_1samp(v, popmean, alternative=alternative)
    p_opp = stats.ttest_1samp(v, popmean, alternative=OPPOSITE[alternative])
    se = v.std(ddof=1) / math.sqrt(len(v))
    df = len(v) - 1
    mde = float((stats.t.ppf(1 - alpha, df) + stats.t.ppf(POWER, df)) * se)
    return TestResult(
        test=f"one-sample t, one-sided, H1: {alternative} than {popmean:g}", label=label,
        p_value=_p(p.pvalue), p_opposite=_p(p_opp.pvalue), statistic=float(p.statistic),
        effect=float(v.mean() - popmean), effect_label=f"mean minus {popmean:g}", n=[len(v)], mde=mde, alpha=alpha,
        ci=tuple(c - popmean for c in bootstrap_ci((v,), np.mean, seed=seed, label=label, n_resamples=n_resamples)),
    )


def same_distribution(
    a: Sequence[float], b: Sequence[float], *, alpha: float, label: str, seed: int = 0, n_resamples: int = 2_000,
) -> TestResult:
    """A/A check: two-sided Welch t. Here a *small* p is the failure (the machinery saw a difference that is not there)."""
    a, b = _clean(a), _clean(b)
    if len(a) < 2 or len(b) < 2:
        raise ValueError(f"{label}: needs >= 2 finite values per group, got {len(a)} and {len(b)}")
    p = stats.ttest_ind(a, b, equal_var=False, alternative="two-sided")
    se, df = _welch_se_df(a, b)
    mde = float((stats.t.ppf(1 - alpha / 2, df) + stats.t.ppf(POWER, df)) * se)
    return TestResult(
        test="Welch t, two-sided (A/A: reproduced when not significant)", label=label, p_value=_p(p.pvalue),
        p_opposite=_p(p.pvalue), statistic=float(p.statistic), effect=float(a.mean() - b.mean()),
        effect_label="difference in means", n=[len(a), len(b)], mde=mde, alpha=alpha,
        ci=bootstrap_ci((a, b), _mean_diff, seed=seed, label=label, n_resamples=n_resamples),
    )


def wilson(successes: int, n: int) -> tuple[float, float]:
    """95% Wilson score interval for a rate (scipy.stats.binomtest)."""
    if n == 0:
        return (math.nan, math.nan)
    ci = stats.binomtest(int(successes), int(n)).proportion_ci(confidence_level=0.95, method="wilson")
    return (float(ci.low), float(ci.high))


def mean_band(values: np.ndarray) -> tuple[float, float, float]:
    """Mean and 95% t interval of the mean (for figure bands)."""
    v = _clean(values)
    if len(v) == 0:
        return (math.nan, math.nan, math.nan)
    if len(v) == 1:
        return (float(v[0]), float(v[0]), float(v[0]))
    lo, hi = stats.t.interval(0.95, len(v) - 1, loc=v.mean(), scale=stats.sem(v)) if v.std() > 0 else (v.mean(), v.mean())
    return (float(v.mean()), float(lo), float(hi))


def same_rate(
    a: Sequence[bool], b: Sequence[bool], *, alpha: float, label: str, seed: int = 0, n_resamples: int = 2_000,
) -> TestResult:
    """A/A check for rates: two-sided Fisher exact test; a small p is the failure."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if len(a) < 1 or len(b) < 1:
        raise ValueError(f"{label}: needs non-empty groups, got {len(a)} and {len(b)}")
    table, mde = _rate_table_and_mde(a, b, stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(POWER))
    p = stats.fisher_exact(table, alternative="two-sided")
    return TestResult(
        test="Fisher exact, two-sided (A/A: reproduced when not significant)", label=label, p_value=_p(p.pvalue),
        p_opposite=_p(p.pvalue), statistic=float(p.statistic), effect=float(a.mean() - b.mean()),
        effect_label="difference in rates", n=[len(a), len(b)], mde=mde, alpha=alpha,
        ci=bootstrap_ci((a, b), _mean_diff, seed=seed, label=label, n_resamples=n_resamples),
    )


def _fisher_design(a, b, *, margin: float = 0.0, **kw) -> TestResult:
    if margin:
        raise ValueError(f"Fisher's exact test compares rates and takes no margin, got {margin!r}")
    return fisher(a, b, **kw)


designs.register_design("fisher", _fisher_design, paired=False)  # two independent groups of successes
