"""Statistical tests for claims, all on scipy.stats.

Every test is one-sided in the claimed direction and also run in the opposite
direction, so a verdict can be ``reproduced`` (significant as claimed),
``contradicted`` (significant the other way) or ``not reproduced``. Effects come with
seeded bootstrap 95% intervals (scipy.stats.bootstrap, percentile method) and the
minimum detectable effect at 80% power for the sample sizes used.
"""
from __future__ import annotations

import math
import warnings
import zlib
from dataclasses import asdict, dataclass, field
from typing import Callable, Sequence

import numpy as np
from scipy import stats

from lth import rng

REPRODUCED, NOT_REPRODUCED, CONTRADICTED = "reproduced", "not reproduced", "contradicted"
POWER = 0.8
OPPOSITE = {"greater": "less", "less": "greater"}


@dataclass
class TestResult:
    """One statistical comparison, as plain data."""

    test: str  # name of the scipy test and its direction
    label: str  # what is compared, in words
    p_value: float  # one-sided p in the claimed direction
    p_opposite: float  # one-sided p in the opposite direction
    statistic: float
    effect: float
    effect_label: str
    ci: tuple[float, float]
    n: list[int]
    mde: float  # minimum detectable effect at 80% power, at the alpha used, in the effect's units
    alpha: float
    components: list[dict] = field(default_factory=list)
    censored: list[float] | None = None  # early stopping: per arm, the fraction of seeds stopped at the budget

    def to_dict(self) -> dict:
        d = asdict(self)
        d["ci"] = [float(c) for c in self.ci]
        return d


def _clean(x: Sequence[float]) -> np.ndarray:
    a = np.asarray(x, dtype=float).ravel()
    return a[np.isfinite(a)]


def _check_alternative(alternative: str) -> None:
    if alternative not in OPPOSITE:
        raise ValueError(f"alternative must be 'greater' or 'less', got {alternative!r}")


def _p(value: float) -> float:
    """A p-value that scipy could not compute (constant data) counts as no evidence."""
    return 1.0 if value is None or not math.isfinite(value) else float(value)


def bootstrap_ci(
    data: tuple[np.ndarray, ...],
    statistic: Callable,
    *,
    seed: int,
    label: str,
    n_resamples: int,
    paired: bool = False,
) -> tuple[float, float]:
    """95% percentile interval from scipy.stats.bootstrap with a generator seeded from (seed, label).

    ``n_resamples=0`` skips the interval (NaN, NaN): for simulations that need only p-values.
    """
    if n_resamples == 0 or any(len(d) < 2 for d in data):
        return (math.nan, math.nan)
    gen = np.random.default_rng(rng.stream_seed(seed, "bootstrap", zlib.crc32(label.encode())))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # degenerate resamples (all equal) give a zero-width interval
        res = stats.bootstrap(data, statistic, n_resamples=n_resamples, confidence_level=0.95,
                              method="percentile", paired=paired, vectorized=True, rng=gen)
    lo, hi = res.confidence_interval
    return (float(lo), float(hi))


def _mean_diff(a, b, axis=-1):
    return np.mean(a, axis=axis) - np.mean(b, axis=axis)


def _welch_se_df(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Standard error of mean(a) - mean(b) and its Welch-Satterthwaite degrees of freedom."""
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se = math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1)) if se > 0 else len(a) + len(b) - 2
    return se, df


def _rate_table_and_mde(a: np.ndarray, b: np.ndarray, z: float) -> tuple[list[list[int]], float]:
    """The 2x2 table of successes and failures, and the normal-approximation MDE for ``z`` = z_alpha + z_power."""
    table = [[int(a.sum()), len(a) - int(a.sum())], [int(b.sum()), len(b) - int(b.sum())]]
    pooled = (a.sum() + b.sum()) / (len(a) + len(b))
    return table, float(z * math.sqrt(max(pooled * (1 - pooled), 1e-12) * (1 / len(a) + 1 / len(b))))


def welch(
    a: Sequence[float], b: Sequence[float], *, alternative: str = "greater", margin: float = 0.0,
    alpha: float, label: str, seed: int = 0, n_resamples: int = 2_000,
) -> TestResult:
    """Welch's t test of mean(a) + margin vs mean(b) (margin > 0: non-inferiority of a, one-sided TOST)."""
    _check_alternative(alternative)
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
    _check_alternative(alternative)
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
    _check_alternative(alternative)
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
    _check_alternative(alternative)
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


def all_hold(results: list[TestResult], label: str) -> TestResult:
    """Intersection-union test: the claim holds only if every comparison does, so p = max p.

    The headline effect is the binding comparison's (the one with the largest p). The claim
    is contradicted when any comparison is significant the other way (Bonferroni over them).
    """
    if not results:
        raise ValueError("all_hold needs at least one comparison")
    binding = max(results, key=lambda r: r.p_value)
    k = len(results)
    return TestResult(
        test=f"intersection-union of {k}: {binding.test}", label=label,
        p_value=max(r.p_value for r in results), p_opposite=min(1.0, k * min(r.p_opposite for r in results)),
        statistic=binding.statistic, effect=binding.effect, effect_label=f"{binding.effect_label} ({binding.label})",
        ci=binding.ci, n=binding.n, mde=binding.mde, alpha=binding.alpha,
        components=[r.to_dict() for r in results],
    )


def verdict(result: TestResult, alpha: float, aa: bool = False) -> str:
    """``reproduced`` / ``not reproduced`` / ``contradicted`` at level ``alpha``."""
    if aa:
        return REPRODUCED if result.p_value >= alpha else CONTRADICTED
    if result.p_value < alpha:
        return REPRODUCED
    if result.p_opposite < alpha:
        return CONTRADICTED
    return NOT_REPRODUCED


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values (Holm 1979): max over i<=k of (m - i + 1) p_(i), capped at 1."""
    p = np.asarray(p_values, dtype=float)
    m = len(p)
    order = np.argsort(p, kind="stable")
    adjusted = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    out = np.empty(m)
    out[order] = adjusted
    return out.tolist()


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
