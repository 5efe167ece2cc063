"""Permutation A/A calibration: accepts the claims' decisions on noise, flags anti-conservative ones."""
import math
from dataclasses import replace

import numpy as np
import pytest

from lth.stats import calibration
from lth.stats import paired
from lth import stats

ALPHA = 0.01 / 12
N = 16


def _welch(x, y):
    return stats.welch(x, y, alpha=ALPHA, label="aa", n_resamples=0)


def _scaled(factor: float, floor: float = 0.0):
    """The claims' Welch test with its p-values multiplied by ``factor`` (and floored at ``floor``)."""
    return lambda x, y: (lambda r: replace(r, p_value=max(floor, r.p_value * factor)))(_welch(x, y))


def _noise(seed: int = 0, n: int = N) -> np.ndarray:
    return np.random.default_rng(seed).normal(0.97, 0.01, n)


def test_claims_decisions_on_pure_noise_are_calibrated():
    v = _noise()
    result = calibration.permutation_aa(v, _welch, alpha=ALPHA, seed=1)
    assert result["n_splits"] == 1000 and len(result["p_values"]) == 1000 and result["n_distinct_splits"] == 12870
    assert result["rate_ci"][0] <= ALPHA <= result["rate_ci"][1] or result["false_positives"] == 0
    assert calibration.calibrated(result), result["binom_p"]

    def both(x, y):  # intersection-union with a comparison that truly holds: the least favourable case
        return stats.all_hold([_welch(x, y), _welch(v + 1.0, v)], label="both")

    assert calibration.calibrated(calibration.permutation_aa(v, both, alpha=ALPHA, seed=2, n_splits=500))
    aa = calibration.permutation_aa(
        v, lambda x, y: stats.same_distribution(x, y, alpha=ALPHA, label="aa", n_resamples=0),
        alpha=ALPHA, seed=3, aa=True, n_splits=500)
    assert calibration.calibrated(aa) and aa["opposite_false_positives"] == 0


def test_a_test_run_at_ten_times_alpha_is_flagged():
    result = calibration.permutation_aa(_noise(), _scaled(0.1), alpha=ALPHA, seed=1)
    assert result["false_positives"] > 3 * ALPHA * 1000 and result["binom_p"] < 0.01
    assert result["rate_ci"][0] > ALPHA
    assert not calibration.calibrated(result)


def test_each_criterion_flags_on_its_own():
    tail_only = calibration.permutation_aa(  # over-rejects only below p = 0.05: the binomial count catches it
        _noise(), lambda x, y: (lambda r: replace(r, p_value=r.p_value / 10 if r.p_value < 0.05 else r.p_value))(
            _welch(x, y)), alpha=ALPHA, seed=4)
    assert tail_only["binom_p"] < 0.01 and not calibration.calibrated(tail_only)
    bulk_only = calibration.permutation_aa(_noise(), _scaled(0.7, floor=0.01), alpha=ALPHA, seed=4,
                                            n_splits=500)
    assert bulk_only["false_positives"] == 0 and bulk_only["ks_p"] < 0.01  # p stochastically smaller than uniform
    assert not calibration.calibrated(bulk_only)
    conservative = calibration.permutation_aa(_noise(), _scaled(1.5), alpha=ALPHA, seed=4, n_splits=500)
    assert conservative["ks_two_sided_p"] < 0.01 and calibration.calibrated(conservative)  # one-sided on purpose


def test_paired_swaps_keep_pairs_remove_a_real_shift_and_keep_calibration():
    gen = np.random.default_rng(5)
    shared = gen.normal(0, 1, N)
    a, b = shared + 2.0 + gen.normal(0, 0.5, N), shared + gen.normal(0, 0.5, N)
    a[3] = np.nan  # a diverged seed leaves both arms
    seen = []

    def decide(x, y):
        seen.append((x, y))
        return paired.paired_t(x, y, alpha=ALPHA, label="p", n_resamples=0)

    assert stats.verdict(decide(*paired.pairs(a, b)[:2]), ALPHA) == stats.REPRODUCED  # the shift is real
    result = calibration.permutation_aa_paired(a, b, decide, alpha=ALPHA, seed=6)
    ka, kb, _ = paired.pairs(a, b)
    x, y = seen[1]
    assert np.array_equal(np.sort([x, y], axis=0), np.sort([ka, kb], axis=0))  # each seed keeps its two values
    assert not np.array_equal(x, ka)
    assert (result["n_pairs"], result["dropped"], result["n_distinct_splits"]) == (15, 1, 2**15)
    assert calibration.calibrated(result)


def test_signed_rank_on_censored_iterations_is_calibrated_under_swaps():
    gen = np.random.default_rng(7)
    shared = gen.normal(0, 1, N)
    es = [np.clip(np.ceil((1900 + 450 * (0.6 * shared + 0.8 * gen.normal(0, 1, N))) / 200) * 200, 200, 2000)
          for _ in range(2)]
    assert paired.censored_fraction(es[0], 2000) > 0.2
    result = calibration.permutation_aa_paired(
        es[0], es[1], lambda x, y: paired.wilcoxon(x, y, alternative="less", alpha=ALPHA, label="es", n_resamples=0),
        alpha=ALPHA, seed=8, n_splits=1000)
    assert calibration.calibrated(result)


def test_splits_are_seeded_and_non_finite_values_are_left_out():
    v = np.append(_noise(9, 10), [np.nan, np.inf])
    r1, r2 = (calibration.permutation_aa(v, _welch, alpha=ALPHA, seed=10, n_splits=50) for _ in range(2))
    r3 = calibration.permutation_aa(v, _welch, alpha=ALPHA, seed=11, n_splits=50)
    assert np.array_equal(r1["p_values"], r2["p_values"]) and not np.array_equal(r1["p_values"], r3["p_values"])
    assert r1["n_values"] == 10 and r1["n_distinct_splits"] == math.comb(10, 5)
    with pytest.raises(ValueError, match=">= 4 finite values"):
        calibration.permutation_aa([1.0, 2.0, np.nan], _welch, alpha=ALPHA, seed=0)


def test_claim_level_check_decides_swapped_pairs_with_the_claims_tests():
    from functools import partial

    gen = np.random.default_rng(7)
    shared = gen.normal(0, 1, N)
    a, b = shared + gen.normal(0, 0.3, N), shared + gen.normal(0, 0.3, N)
    c = np.round(gen.normal(3000, 800, N), -2)  # iterations on a grid, a discrete comparison
    d = np.round(gen.normal(3000, 800, N), -2)
    combine = partial(stats.all_hold, label="both")
    result = calibration.permutation_aa_claim([(a, b), (c, d)], [("paired-t", "greater"), ("signflip", "less")],
                                              combine, alpha=ALPHA, seed=8, n_splits=300)
    assert result["n_splits"] == 300 and result["n_comparisons"] == 2 and result["n_pairs"] == N
    assert calibration.calibrated(result, directions=1)
    with pytest.raises(ValueError, match="one test per comparison"):
        calibration.permutation_aa_claim([(a, b)], [], combine, alpha=ALPHA, seed=8)
    with pytest.raises(ValueError, match="directions"):
        calibration.calibrated(result, directions=3)
