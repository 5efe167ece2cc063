"""The statistics layer: calibrated under the null, powerful under large effects, deterministic."""
import numpy as np
import pytest

from lth import stats

ALPHA = 0.05
SIMS = 1_000
# binomial standard error of a rejection rate of ALPHA over SIMS simulations is about 0.0069;
# a calibrated test stays below ALPHA + 3 SE
LIMIT = ALPHA + 3 * np.sqrt(ALPHA * (1 - ALPHA) / SIMS)


def _rate(test, draw, sims=SIMS):
    gen = np.random.default_rng(12345)
    rejections = sum(test(*draw(gen)).p_value < ALPHA for _ in range(sims))
    return rejections / sims


def test_welch_false_positive_rate_is_at_most_alpha():
    rate = _rate(lambda a, b: stats.welch(a, b, alpha=ALPHA, label="null", n_resamples=0),
                 lambda g: (g.normal(0.97, 0.002, 8), g.normal(0.97, 0.002, 8)))
    assert rate <= LIMIT, rate


def test_non_inferiority_false_positive_rate_is_at_most_alpha():
    # true difference exactly at the margin: the boundary of the null hypothesis
    rate = _rate(lambda a, b: stats.welch(a, b, margin=0.005, alpha=ALPHA, label="null", n_resamples=0),
                 lambda g: (g.normal(0.965, 0.003, 8), g.normal(0.970, 0.003, 8)))
    assert rate <= LIMIT, rate


def test_fisher_false_positive_rate_is_at_most_alpha():
    rate = _rate(lambda a, b: stats.fisher(a, b, alpha=ALPHA, label="null", n_resamples=0),
                 lambda g: (g.random(200) < 0.4, g.random(200) < 0.4))
    assert rate <= LIMIT, rate


def test_trend_false_positive_rate_is_at_most_alpha():
    groups = np.repeat([1, 2, 3, 4], 8)
    rate = _rate(lambda x, y: stats.trend(x, y, alpha=ALPHA, label="null", n_resamples=0),
                 lambda g: (groups, g.normal(0, 1, len(groups))), sims=400)
    assert rate <= ALPHA + 3 * np.sqrt(ALPHA * (1 - ALPHA) / 400), rate


def test_one_sample_false_positive_rate_is_at_most_alpha():
    rate = _rate(lambda v, _: stats.one_sample(v, 0.5, alpha=ALPHA, label="null", n_resamples=0),
                 lambda g: (g.normal(0.5, 0.05, 8), None))
    assert rate <= LIMIT, rate


def test_intersection_union_false_positive_rate_is_at_most_alpha():
    def both(a, b):
        return stats.all_hold([stats.welch(a[0], b[0], alpha=ALPHA, label="1", n_resamples=0),
                               stats.welch(a[1], b[1], alpha=ALPHA, label="2", n_resamples=0)], label="both")
    # one comparison is truly null, the other truly positive: the least favourable case of the IUT
    rate = _rate(both, lambda g: ((g.normal(0, 1, 8), g.normal(5, 1, 8)), (g.normal(0, 1, 8), g.normal(0, 1, 8))))
    assert rate <= LIMIT, rate


def test_aa_check_declares_differences_at_most_alpha():
    gen = np.random.default_rng(7)
    declared = sum(stats.verdict(stats.same_distribution(gen.normal(size=8), gen.normal(size=8), alpha=ALPHA,
                                                         label="aa", n_resamples=0), ALPHA, aa=True)
                   != stats.REPRODUCED for _ in range(SIMS))
    assert declared / SIMS <= LIMIT


def test_large_effects_are_reproduced_and_reversed_ones_contradicted():
    gen = np.random.default_rng(0)
    a, b = gen.normal(0.975, 0.002, 8), gen.normal(0.95, 0.002, 8)
    assert stats.verdict(stats.welch(a, b, alpha=0.001, label="up"), 0.001) == stats.REPRODUCED
    assert stats.verdict(stats.welch(b, a, alpha=0.001, label="down"), 0.001) == stats.CONTRADICTED
    same = stats.welch(a, a + gen.normal(0, 1e-4, 8), alpha=0.001, label="same")
    assert stats.verdict(same, 0.001) == stats.INCONCLUSIVE  # no equivalence test ran: never "absent"


def test_effect_interval_and_mde_are_sensible_and_seeded():
    gen = np.random.default_rng(1)
    a, b = gen.normal(1.0, 0.1, 20), gen.normal(0.0, 0.1, 20)
    r1 = stats.welch(a, b, alpha=0.001, label="x", seed=3)
    r2 = stats.welch(a, b, alpha=0.001, label="x", seed=3)
    assert r1.ci == r2.ci  # seeded bootstrap: identical intervals
    assert r1.ci[0] < r1.effect < r1.ci[1]
    assert 0 < r1.mde < 1.0


def test_holm_matches_the_step_down_definition():
    assert stats.holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert stats.holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])


def test_wilson_interval_contains_the_rate():
    lo, hi = stats.wilson(30, 100)
    assert lo < 0.3 < hi and 0.2 < lo and hi < 0.4


def test_bad_input_raises_value_error_naming_it():
    with pytest.raises(ValueError, match="sideways"):
        stats.welch([1, 2], [3, 4], alternative="sideways", alpha=0.05, label="x")
    with pytest.raises(ValueError, match="needs >= 2"):
        stats.welch([1.0], [2.0, 3.0], alpha=0.05, label="x")
    with pytest.raises(ValueError, match="at least one"):
        stats.all_hold([], label="none")


def test_non_finite_values_are_dropped_not_propagated():
    r = stats.welch([0.9, 0.91, float("nan"), 0.92], [0.5, 0.52, 0.51], alpha=0.05, label="nan")
    assert r.n == [3, 3] and np.isfinite(r.p_value)
