"""The shared vocabulary of every test: a result as plain data, the verdict rule, Holm, bootstrap intervals.

Every test is one-sided in the claimed direction and also run in the opposite direction, so a verdict can
be ``reproduced`` (significant as claimed), ``contradicted`` (significant the other way) or ``not
reproduced``. Effects come with seeded bootstrap 95% intervals (scipy.stats.bootstrap, percentile
method) and the minimum detectable effect at 80% power for the sample sizes used.
"""
from __future__ import annotations

import math
import warnings
import zlib
from dataclasses import asdict, dataclass, field
from typing import Callable, Sequence

import numpy as np
from scipy import stats

from lth.core import rng

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
    per_seed: dict | None = None  # the data the test ran on: design, alternative, margin, and per arm its seeds and values

    def to_dict(self) -> dict:
        d = asdict(self)
        d["ci"] = [float(c) for c in self.ci]
        return d


def _clean(x: Sequence[float]) -> np.ndarray:
    a = np.asarray(x, dtype=float).ravel()
    return a[np.isfinite(a)]


def check_alternative(alternative: str) -> None:
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
