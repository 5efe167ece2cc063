"""Simulated size of the claims' decisions: each decision function, on realistic null data, rejects at most alpha.

This replaces 0.3.0's run-time A/A check, which asked whether an exact test is exact. Here each decision the
claims make (the sign-flip test, the intersection-union of a claim's comparisons, the four-valued verdict,
non-inferiority at its margin, equivalence by TOST) runs on thousands of simulated data sets shaped like the
claims' data: accuracies quantised to the 10,000-image test set (ties), skewed, correlated within a seed;
early-stopping iterations on a 200-iteration grid, skewed and censored at the budget. Under each null (arms
exchangeable within a seed; or an effect exactly at a margin) the decision must not reject detectably more
often than alpha: the exact binomial test of its rejections against alpha, one-sided at 1% (eight size checks
here: a 5% check would fire by chance in a third of runs), must not fire.

Every simulation has the draws to detect a size of 2 x alpha with 80% power (:func:`draws_for`); each test
says so in its assertion message. The level simulated is 0.01, not the claims' 8.3e-4: the sign-flip test is
exact at every level, and 2 x 8.3e-4 would need about 10,000 draws per simulation. A power check beside each
size check shows the decision is not trivially conservative.
"""
import math

import numpy as np
import pytest
from scipy import stats as sps

from lth import stats
from lth.stats import equivalence, paired

ALPHA = 0.01
SEEDS = 12  # Fashion-MNIST's count; exact enumeration of 4,096 sign patterns


CHECK_LEVEL = 0.01  # the binomial check's own level


def draws_for(alpha: float, factor: float = 2.0, power: float = 0.8, level: float = CHECK_LEVEL) -> int:
    """The fewest simulated data sets with which a one-sided exact binomial test at ``level`` detects a true
    size of ``factor`` x ``alpha`` with probability ``power``."""
    n = 50
    while True:
        k = int(sps.binom.isf(level, n, alpha)) + 1  # reject when rejections >= k (P <= level under alpha)
        while sps.binom.sf(k - 1, n, alpha) > level:
            k += 1
        if sps.binom.sf(k - 1, n, factor * alpha) >= power:
            return n
        n += 10


N = draws_for(ALPHA)


def _size_ok(rejections: np.ndarray, what: str) -> None:
    k, n = int(np.sum(rejections)), len(rejections)
    p = sps.binomtest(k, n, ALPHA, alternative="greater").pvalue
    assert p >= CHECK_LEVEL, (f"{what}: {k} of {n} null data sets rejected at alpha {ALPHA} (binomial p {p:.3g}); "
                       f"{n} draws detect a size of 2 x alpha with 80% power")


def _accuracies(gen: np.random.Generator, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Two exchangeable arms per seed: a shared seed effect (within-seed r about 0.5), skewed noise (gamma),
    quantised to 1/10,000 like a 10,000-image test set."""
    seed_effect = gen.normal(0, 0.0015, shape)
    noise = lambda: -(gen.gamma(2.0, 0.0007, shape) - 0.0014)  # noqa: E731  (long left tail, mean 0)
    a, b = 0.98 + seed_effect + noise(), 0.98 + seed_effect + noise()
    return np.round(a * 10_000) / 10_000, np.round(b * 10_000) / 10_000


def _iterations(gen: np.random.Generator, shape: tuple[int, ...], budget: int = 2000) -> tuple[np.ndarray, np.ndarray]:
    """Early stopping: lognormal with a shared seed effect, on the 200-iteration grid, censored at ``budget``."""
    seed_effect = gen.normal(0, 0.3, shape)
    its = lambda: np.clip(np.ceil(np.exp(7.2 + seed_effect + gen.normal(0, 0.4, shape)) / 200) * 200, 200, budget)  # noqa: E731
    return its(), its()


def test_enough_draws_for_twice_alpha_at_80_percent_power():
    assert N == draws_for(ALPHA) and 1000 < N < 3000
    k = int(sps.binom.isf(CHECK_LEVEL, N, ALPHA)) + 1
    while sps.binom.sf(k - 1, N, ALPHA) > CHECK_LEVEL:
        k += 1
    assert sps.binom.sf(k - 1, N, 2 * ALPHA) >= 0.8 and sps.binom.sf(k - 1, N, ALPHA) <= CHECK_LEVEL


@pytest.mark.parametrize("kind", ["accuracy", "iterations"])
def test_the_sign_flip_test_is_at_most_alpha_on_skewed_tied_correlated_data(kind):
    gen = np.random.default_rng(16_001 if kind == "accuracy" else 16_002)
    a, b = (_accuracies if kind == "accuracy" else _iterations)(gen, (N, SEEDS))
    p = paired.p_values("signflip", a, b, alternative="greater")
    _size_ok(p < ALPHA, f"sign-flip on {kind}")
    assert (a == b).any() and p.min() >= paired.signflip_floor(SEEDS)  # ties present; nothing below the floor
    shift = 0.003 if kind == "accuracy" else 800  # a real effect of about 1.5 sd of the difference is found
    assert np.mean(paired.p_values("signflip", a + shift, b, alternative="greater") < ALPHA) > 0.5


def _claim_decisions(gen, shift: float = 0.0, k: int = 3) -> list[str]:
    """The four-valued verdict of a claim of ``k`` accuracy comparisons (intersection-union), per data set."""
    data = [_accuracies(gen, (N, SEEDS)) for _ in range(k)]
    p = [paired.p_values("signflip", a + shift, b, alternative="greater") for a, b in data]
    q = [paired.p_values("signflip", a + shift, b, alternative="less") for a, b in data]
    out = []
    for i in range(N):
        parts = [stats.TestResult("signflip", f"c{j}", float(p[j][i]), float(q[j][i]), 0.0, 0.0, "", (0.0, 0.0),
                                  [SEEDS, SEEDS], 0.0, ALPHA) for j in range(k)]
        out.append(stats.verdict(stats.all_hold(parts, label="every comparison"), ALPHA))
    return out


def test_a_claims_verdict_under_the_null_is_reproduced_or_contradicted_at_most_alpha_each():
    verdicts = np.array(_claim_decisions(np.random.default_rng(16_003)))
    _size_ok(verdicts == stats.REPRODUCED, "intersection-union of 3 null comparisons: 'reproduced'")
    _size_ok(verdicts == stats.CONTRADICTED, "intersection-union of 3 null comparisons: 'contradicted' (Bonferroni)")
    assert set(verdicts) <= {stats.REPRODUCED, stats.CONTRADICTED, stats.INCONCLUSIVE}  # no TOST ran: never absent
    real = np.array(_claim_decisions(np.random.default_rng(16_004), shift=0.004))
    assert np.mean(real == stats.REPRODUCED) > 0.5


def test_non_inferiority_at_its_margin_is_at_most_alpha():
    margin = 0.001
    gen = np.random.default_rng(16_005)
    a, b = _accuracies(gen, (N, SEEDS))
    a = a - margin  # exactly at the boundary of the null: a is worse than b by the margin
    p = paired.p_values("signflip", a, b, alternative="greater", margin=margin)
    _size_ok(p < ALPHA, f"non-inferiority (margin {margin}) at the boundary")
    assert np.mean(paired.p_values("signflip", a + margin + 0.003, b, alternative="greater", margin=margin) < ALPHA) > 0.5


def test_equivalence_by_tost_at_the_margin_is_at_most_alpha_and_finds_true_equivalence():
    margin = 0.003
    gen = np.random.default_rng(16_006)
    a, b = _accuracies(gen, (N, SEEDS))
    at_margin = [equivalence.tost("signflip", a[i] + margin, b[i], margin) for i in range(N)]  # effect = +margin
    _size_ok(np.array(at_margin) < ALPHA, f"TOST (margin {margin}) with the effect at the margin")
    wide = [equivalence.tost("signflip", a[i], b[i], 0.006) for i in range(200)]  # no effect, a wide margin
    assert np.mean(np.array(wide) < ALPHA) > 0.5


def test_the_verdict_is_absent_only_through_a_registered_tost():
    r = stats.TestResult("t", "l", 0.4, 0.6, 0.0, 0.0001, "", (0.0, 0.0), [16, 16], 0.002, ALPHA)
    assert stats.verdict(r, ALPHA) == stats.INCONCLUSIVE
    r.p_equivalence = ALPHA / 2
    assert stats.verdict(r, ALPHA) == stats.ABSENT
    assert stats.seeds_to_decide(16, 0.002, 0.001, 0.003, "greater") == 64  # (MDE / effect)^2 x n
    assert stats.seeds_to_decide(16, 0.002, -0.001, 0.003, "greater") == 16  # room in the margin 0.002 = MDE
    assert math.isclose(paired.signflip_floor(16), 2 ** -16) and paired.signflip_floor(32) == 1 / 100_000
