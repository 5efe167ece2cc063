"""The shared vocabulary of every test: a result as plain data, the four verdicts, Holm, bootstrap intervals.

Every test is one-sided in the claimed direction and also run in the opposite direction, and, at the
claim's pre-registered equivalence margin, as two one-sided tests (TOST). So a verdict is one of four:
``reproduced`` (significant as claimed), ``contradicted`` (significant the other way), ``absent``
(equivalent to no effect within the margin) or ``inconclusive`` (none of the three: the seeds cannot
tell; the result says how many seeds would). Effects come with seeded bootstrap 95% intervals
(scipy.stats.bootstrap, percentile method) and the minimum detectable effect at 80% power.
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

REPRODUCED, CONTRADICTED, ABSENT, INCONCLUSIVE = "reproduced", "contradicted", "absent", "inconclusive"
VERDICTS = (REPRODUCED, CONTRADICTED, ABSENT, INCONCLUSIVE)
NOT_REPRODUCED = "not reproduced"  # 0.3.0's third verdict ("absent" and "inconclusive" together): old files only
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
    censored: list[float] | None = None  # per arm, the fraction of seeds whose early stopping the budget cut off
    per_seed: dict | None = None  # the data the test ran on: design, alternative, margin, and per arm its seeds and values
    p_equivalence: float | None = None  # TOST p at the equivalence margin (None: the design has no TOST here)
    equivalence_margin: float | None = None
    p_floor: float | None = None  # the smallest p the design can give with these seeds (None: a model's tail)
    resolution: str = ""  # how p was computed, and its floor, in words
    seeds_to_decide: int | None = None  # seeds per arm at which the MDE would reach the observed effect
    fixed_budget: int | None = None  # iterations, when an arm's early stopping was cut off by a shorter budget

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
    eq = [r.p_equivalence for r in results if r.p_equivalence is not None]
    floors = [r.p_floor for r in results if r.p_floor is not None]
    return TestResult(
        test=f"intersection-union of {k}: {binding.test}", label=label,
        p_value=max(r.p_value for r in results), p_opposite=min(1.0, k * min(r.p_opposite for r in results)),
        statistic=binding.statistic, effect=binding.effect, effect_label=f"{binding.effect_label} ({binding.label})",
        ci=binding.ci, n=binding.n, mde=binding.mde, alpha=binding.alpha,
        components=[r.to_dict() for r in results],
        # one comparison equivalent to no effect refutes the conjunction: Bonferroni over the k comparisons
        p_equivalence=min(1.0, k * min(eq)) if eq else None, equivalence_margin=binding.equivalence_margin,
        p_floor=max(floors) if floors else None, resolution=binding.resolution,
        seeds_to_decide=binding.seeds_to_decide,
        fixed_budget=max((r.fixed_budget for r in results if r.fixed_budget), default=None),
    )


def verdict(result: TestResult, alpha: float, aa: bool = False) -> str:
    """One of :data:`VERDICTS` at level ``alpha``: reproduced, else contradicted, else absent (TOST), else inconclusive."""
    if aa:
        return REPRODUCED if result.p_value >= alpha else CONTRADICTED
    if result.p_value < alpha:
        return REPRODUCED
    if result.p_opposite < alpha:
        return CONTRADICTED
    if result.p_equivalence is not None and result.p_equivalence < alpha:
        return ABSENT
    return INCONCLUSIVE


def verdict_of(p_value: float, p_opposite: float, p_equivalence: float | None, alpha: float) -> str:
    """The verdict from the three p-values (what ``lth report`` checks a claims.json against)."""
    r = TestResult("", "", p_value, p_opposite, 0.0, 0.0, "", (0.0, 0.0), [], 0.0, alpha, p_equivalence=p_equivalence)
    return verdict(r, alpha)


def seeds_to_decide(n: int, mde: float, effect: float, margin: float | None, alternative: str) -> int | None:
    """Seeds per arm that would make the MDE (which shrinks as 1/sqrt(n)) reach what decides the claim: the
    observed effect when it points the claimed way, else the room left inside the equivalence margin."""
    if not (n and math.isfinite(mde) and math.isfinite(effect)) or mde <= 0:
        return None
    signed = effect if alternative == "greater" else -effect
    target = signed if signed > 0 else (margin - abs(effect)) if margin else 0.0
    if target <= 0:
        return None
    return max(n, math.ceil(n * (mde / target) ** 2))


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values (Holm 1979): max over i<=k of (m - i + 1) p_(i), capped at 1."""
    p = np.asarray(p_values, dtype=float)
    m = len(p)
    order = np.argsort(p, kind="stable")
    adjusted = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    out = np.empty(m)
    out[order] = adjusted
    return out.tolist()
