"""Paired designs: exact agreement with scipy, and calibration at the claims' alpha by simulation.

Simulations run the same vectorised p-value code (:func:`lth.paired.p_values`) that the
single-dataset tests call (checked here to agree), over many data sets of n = 16 seeds.
"""
import math

import numpy as np
import pytest
from scipy import stats as sps

from lth.stats import designs, paired
from lth import stats

ALPHA = 0.01 / 12  # family alpha 0.01, Bonferroni over the 12 registered paper claims (lth/registry.py)
N = 16
SIMS = 50_000  # expected false positives at ALPHA: 41.7; the check below flags rates above ~1.5x alpha


def _at_most_alpha(p: np.ndarray) -> tuple[bool, str]:
    """False-positive rate consistent with <= ALPHA: one-sided binomial test not significant at 0.001."""
    k, n = int((p < ALPHA).sum()), p.size
    test = sps.binomtest(k, n, ALPHA, alternative="greater")
    ci = sps.binomtest(k, n).proportion_ci(method="exact")
    return test.pvalue >= 1e-3, f"{k}/{n} = {k / n:.2e} (95% CI {ci.low:.2e}-{ci.high:.2e}, p {test.pvalue:.2g})"


def _bivariate(gen, rho: float, sims: int = SIMS, n: int = N) -> tuple[np.ndarray, np.ndarray]:
    z = gen.standard_normal((2, sims, n))
    return z[0], rho * z[0] + math.sqrt(1 - rho**2) * z[1]


def _es(latent: np.ndarray, shift: float = 0.0, skew: bool = False) -> np.ndarray:
    """Early-stopping iterations: evaluated every 200 iterations up to a budget of 2,000, many censored there."""
    x = (np.exp(0.8 * latent) - math.exp(0.32)) / 0.9 if skew else latent  # skew: log-normal, mean 0
    return np.clip(np.ceil((1700 + 450 * x + shift) / 200) * 200, 200, 2000)


# --- units: agreement with scipy and bookkeeping -------------------------------------------------

def test_pairs_drop_both_arms_of_a_non_finite_seed_and_count_it():
    a, b, dropped = paired.pairs([1.0, np.nan, 3.0, 4.0], [1.5, 2.0, np.inf, 4.5])
    assert a.tolist() == [1.0, 4.0] and b.tolist() == [1.5, 4.5] and dropped == 2
    with pytest.raises(ValueError, match="one value per seed"):
        paired.pairs([1.0, 2.0], [1.0])
    r = paired.paired_t([1.0, 2.0, np.nan, 4.0, 5.0], [0.5, 1.0, 2.0, 3.0, 4.5], alpha=0.05, label="x")
    assert r.n == [4, 4] and "1 pair dropped: non-finite in an arm" in r.test


def test_paired_t_is_scipy_ttest_rel_with_margin_and_both_directions():
    gen = np.random.default_rng(0)
    a, b = gen.normal(1.0, 1, N), gen.normal(0.5, 1, N)
    for alt in ("greater", "less"):
        r = paired.paired_t(a, b, alternative=alt, margin=0.2, alpha=0.05, label="t")
        want = sps.ttest_rel(a + 0.2, b, alternative=alt)
        assert r.p_value == pytest.approx(want.pvalue) and r.statistic == pytest.approx(want.statistic)
        assert r.p_opposite == pytest.approx(1 - want.pvalue)
        assert r.effect == pytest.approx(np.mean(a - b)) and f"H1: {alt}" in r.test and "margin 0.2" in r.test
    sd = np.std(a - b, ddof=1)
    assert r.mde == pytest.approx((sps.t.ppf(0.95, N - 1) + sps.t.ppf(0.8, N - 1)) * sd / math.sqrt(N))


def test_wilcoxon_is_exact_without_ties_and_tie_corrected_with_them():
    gen = np.random.default_rng(1)
    a, b = gen.normal(1, 1, N), gen.normal(0, 1, N)
    r = paired.wilcoxon(a, b, alpha=0.05, label="w")
    assert r.p_value == pytest.approx(sps.wilcoxon(a - b, alternative="greater", method="exact").pvalue)
    assert "exact" in r.test
    ea, eb = _es(gen.standard_normal(N)), _es(gen.standard_normal(N))  # discrete: ties and zero differences
    r = paired.wilcoxon(ea, eb, alternative="less", alpha=0.05, label="es")
    want = sps.wilcoxon(ea - eb, alternative="less", zero_method="pratt", method="asymptotic")
    assert r.p_value == pytest.approx(want.pvalue) and "ties corrected, Pratt zeros" in r.test
    assert r.p_opposite == pytest.approx(sps.wilcoxon(ea - eb, alternative="greater", zero_method="pratt",
                                                      method="asymptotic").pvalue)
    hl = paired.wilcoxon([1.0, 2.0, 3.0, 4.0], [0.0, 0.0, 0.0, 4.0], alpha=0.05, label="hl", n_resamples=0)
    assert hl.effect == 1.5  # Walsh averages of (1, 2, 3, 0): median of 0.5, 1, 1, 1.5, 1.5, 2, 2, 2.5, 3, 0
    assert paired.wilcoxon([1.0, 2.0], [1.0, 2.0], alpha=0.05, label="0", n_resamples=0).p_value == 1.0


def test_mcnemar_is_the_exact_binomial_on_a_hand_built_discordant_table():
    # 16 seeds: 9 where only a succeeds, 1 where only b does, 4 both, 2 neither
    a = [1] * 9 + [0] + [1] * 4 + [0] * 2
    b = [0] * 9 + [1] + [1] * 4 + [0] * 2
    r = paired.mcnemar(a, b, alpha=0.05, label="m")
    assert r.p_value == pytest.approx(11 / 1024)  # P(X >= 9), X ~ Binomial(10, 1/2)
    assert r.p_opposite == pytest.approx(1 - 1 / 1024)
    assert r.effect == pytest.approx(8 / 16) and r.statistic == 9
    assert "10 discordant seeds: 9 only a, 1 only b" in r.test
    assert r.mde >= math.ceil(math.log2(1 / 0.05)) / 16
    flipped = paired.mcnemar(b, a, alternative="less", alpha=0.05, label="m")
    assert flipped.p_value == pytest.approx(r.p_value)
    none = paired.mcnemar([1, 0, 1], [1, 0, 1], alpha=0.05, label="none", n_resamples=0)
    assert none.p_value == 1.0 and none.p_opposite == 1.0


def test_welch_on_paired_data_is_lth_welch_after_pairing():
    a, b = [0.90, 0.91, np.nan, 0.92, 0.93], [0.50, 0.52, 0.51, np.nan, 0.55]
    r = paired.welch_paired_data(a, b, alpha=0.05, label="w", seed=3)
    want = stats.welch([0.90, 0.91, 0.93], [0.50, 0.52, 0.55], alpha=0.05, label="w", seed=3)
    assert (r.p_value, r.ci, r.n) == (want.p_value, want.ci, [3, 3])
    assert r.test.startswith("Welch t (r = ") and "2 pairs dropped" in r.test and r.test.endswith("H1: greater")


def test_within_seed_correlation():
    assert paired.within_seed_correlation([1, 2, 3, np.nan], [2, 4, 7, 1]) == pytest.approx(
        sps.pearsonr([1, 2, 3], [2, 4, 7]).statistic)
    assert math.isnan(paired.within_seed_correlation([1, 1, 1, 1], [1, 2, 3, 4]))
    assert math.isnan(paired.within_seed_correlation([1, 2], [1, 2]))
    assert not hasattr(paired, "choose_design")  # claims v3: one design per kind of data, no pilot selection


def test_the_design_registry_dispatches_on_the_name_and_names_bad_ones_in_one_line():
    gen = np.random.default_rng(2)
    a, b = gen.normal(1, 1, N), gen.normal(0, 1, N)
    for design, fn in (("paired-t", paired.paired_t), ("wilcoxon", paired.wilcoxon),
                       ("signflip", paired.signflip), ("welch", paired.welch_paired_data)):
        assert designs.run(design, a, b, alpha=0.01, label="c") == fn(a, b, alpha=0.01, label="c")
    r = designs.run("paired-t", a, b, alpha=0.01, label="c")
    assert f"r = {paired.within_seed_correlation(a, b):.2f}" in r.test and "0 pairs dropped" in r.test
    assert designs.run("mcnemar", a > 0.5, b > 0.5, alpha=0.01, label="m").effect_label.startswith("difference")
    with pytest.raises(ValueError, match="^unknown design 'sign-test'; known: fisher, paired-t, wilcoxon, signflip, "
                                         "welch, mcnemar$"):
        designs.run("sign-test", a, b, alpha=0.01, label="c")
    with pytest.raises(ValueError, match="'fisher' has no vectorised core"):
        paired.p_values("fisher", a, b)
    with pytest.raises(ValueError, match="sideways"):
        paired.paired_t(a, b, alternative="sideways", alpha=0.01, label="c")
    with pytest.raises(ValueError, match="needs >= 2 seeds"):
        paired.paired_t([1.0, np.nan], [1.0, 2.0], alpha=0.01, label="c")


def test_censored_fraction_counts_seeds_at_the_budget():
    assert paired.censored_fraction([2000, 1800, 2000, np.nan, 400], 2000) == 0.5
    assert math.isnan(paired.censored_fraction([np.nan], 2000))


def test_intervals_resample_seeds_in_pairs_and_are_seeded():
    gen = np.random.default_rng(3)
    shared = gen.normal(0, 1, N)
    a, b = shared + 0.3 + gen.normal(0, 0.1, N), shared + gen.normal(0, 0.1, N)  # rho ~ 0.99
    r1, r2 = (paired.paired_t(a, b, alpha=ALPHA, label="ci", seed=5) for _ in range(2))
    w = paired.welch_paired_data(a, b, alpha=ALPHA, label="ci", seed=5)
    assert r1.ci == r2.ci and r1.ci[0] < r1.effect < r1.ci[1]
    assert r1.ci[1] - r1.ci[0] < (w.ci[1] - w.ci[0]) / 5 and r1.mde < w.mde / 5  # pairing removes the seed effect
    h = paired.wilcoxon(a, b, alpha=ALPHA, label="ci", seed=5)
    assert h.ci[0] < h.effect < h.ci[1] and 0.2 < h.effect < 0.4


def test_vectorised_p_values_match_the_single_data_set_tests():
    gen = np.random.default_rng(4)
    x, y = _bivariate(gen, 0.3, sims=6)
    cont = (x, y + 0.5)
    disc = (_es(x), _es(y, -300))
    disc[0][0, :] = np.arange(N) * 100 + 50  # one data set without ties in a batch with ties
    for design, fn, (a, b) in (("paired-t", paired.paired_t, cont), ("welch", paired.welch_paired_data, cont),
                               ("wilcoxon", paired.wilcoxon, cont), ("wilcoxon", paired.wilcoxon, disc),
                               ("signflip", paired.signflip, disc),
                               ("mcnemar", paired.mcnemar, (x > 0, y > 0.5))):
        for alt in ("greater", "less"):
            vec = paired.p_values(design, a, b, alternative=alt)
            one = [fn(a[i], b[i], alternative=alt, alpha=0.05, label="v", n_resamples=0).p_value for i in range(6)]
            np.testing.assert_allclose(vec, one, rtol=1e-12, err_msg=f"{design} {alt}")


# --- simulations at the claims' alpha ------------------------------------------------------------

@pytest.mark.parametrize("rho", [-0.2, 0.0, 0.5])
def test_false_positive_rate_on_correlated_normal_pairs(rho):
    gen = np.random.default_rng(100 + int(10 * rho))
    a, b = _bivariate(gen, rho)
    for design in ("paired-t", "wilcoxon") + (("welch",) if rho >= 0 else ()):
        for alt in ("greater", "less"):
            ok, text = _at_most_alpha(paired.p_values(design, a, b, alternative=alt))
            assert ok, f"{design} {alt} at rho {rho}: {text}"
    if rho < 0:  # the rule's premise: Welch ignores a negative covariance and over-rejects (~2x alpha)
        p = np.concatenate([paired.p_values("welch", a, b, alternative=alt) for alt in ("greater", "less")])
        ok, text = _at_most_alpha(p)
        assert not ok and (p < ALPHA).mean() > 1.5 * ALPHA, text


@pytest.mark.parametrize("rho", [-0.2, 0.0, 0.5])
@pytest.mark.parametrize("skew", [False, True])
def test_signed_rank_false_positive_rate_on_censored_early_stopping_iterations(rho, skew):
    gen = np.random.default_rng(200 + int(10 * rho) + skew)
    x, y = _bivariate(gen, rho)
    a, b = _es(x, skew=skew), _es(y, skew=skew)
    assert 0.25 < paired.censored_fraction(a, 2000) < 0.55  # many seeds never stop early
    for alt in ("greater", "less"):
        ok, text = _at_most_alpha(paired.p_values("wilcoxon", a, b, alternative=alt))
        assert ok, f"wilcoxon {alt}, rho {rho}, skew {skew}: {text}"


def test_t_tests_over_reject_on_skewed_censored_iterations_which_is_why_discrete_means_signed_rank():
    gen = np.random.default_rng(300)
    x, y = _bivariate(gen, -0.2, sims=200_000)  # paired t ~1.4x alpha, Welch ~2.2x: 200,000 to see the former
    a, b = _es(x, skew=True), _es(y, skew=True)
    for design in ("paired-t", "welch"):
        p = np.concatenate([paired.p_values(design, a, b, alternative=alt) for alt in ("greater", "less")])
        ok, text = _at_most_alpha(p)
        assert not ok, f"{design} was expected to over-reject here: {text}"
    p = np.concatenate([paired.p_values("wilcoxon", a, b, alternative=alt) for alt in ("greater", "less")])
    assert _at_most_alpha(p)[0]


def _uncensored_es(latent: np.ndarray) -> np.ndarray:
    """Early stopping in the speed runs: skewed, on a 200-iteration grid, budget 8,000 (pilot: dense 4912, sd 1775)."""
    x = (np.exp(0.8 * latent) - math.exp(0.32)) / 0.9
    return np.clip(np.ceil((4900 + 1800 * x) / 200) * 200, 200, 8000)


@pytest.mark.parametrize("rho", [-0.3, 0.2])
def test_sign_flip_false_positive_rate_on_discrete_skewed_iterations(rho):
    """The speed claims' design at their alpha, on data shaped like the speed pilot (rho -0.32 to +0.24 there)."""
    gen = np.random.default_rng(600 + int(10 * rho))
    x, y = _bivariate(gen, rho, sims=1_500)  # 9 ms a test: 3,000 tests; expected false positives 2.5
    a, b = _uncensored_es(x), _uncensored_es(y)
    p = np.concatenate([paired.p_values("signflip", a, b, alternative=alt) for alt in ("greater", "less")])
    ok, text = _at_most_alpha(p)
    assert ok, text
    assert p.min() >= paired.signflip_floor(16)  # the exact test's floor, 1/2^16, well below ALPHA


def test_sign_flip_has_power_where_the_pilot_says_it_should():
    """The pilot's ticket-at-21% and dense early stopping (seed base 50000): p 4.6e-4 exact; here p < ALPHA."""
    dense = [2400, 3200, 4200, 4600, 7400, 2800, 5600, 5600, 2800, 4600, 2800, 5200, 7000, 6600, 7800, 6000]
    t21 = [2800, 4000, 4200, 3000, 2000, 1200, 2000, 2000, 2000, 2000, 3200, 1200, 2000, 2200, 2400, 1600]
    r = paired.signflip(t21, dense, alternative="less", alpha=ALPHA, label="pilot", n_resamples=0)
    assert r.p_value < ALPHA and r.p_opposite > 0.99 and r.effect == pytest.approx(np.mean(t21) - np.mean(dense))
    assert "(exact)" in r.test and r.p_floor == 2.0 ** -16 and "65,536 sign patterns" in r.resolution
    assert r.p_value == pytest.approx(round(r.p_value * 2 ** 16) / 2 ** 16)  # a count of patterns over 2^16


def test_exact_mcnemar_false_positive_rate_on_correlated_successes():
    gen = np.random.default_rng(400)
    x, y = _bivariate(gen, 0.4, sims=5_000, n=64)  # 64 seeds: ~20 discordant, enough to reach ALPHA
    a, b = x > -0.5, y > -0.5  # ~69% success in both arms, correlated within seed
    for alt in ("greater", "less"):
        ok, text = _at_most_alpha(paired.p_values("mcnemar", a, b, alternative=alt))
        assert ok, text


def test_power_with_a_real_shift():
    gen = np.random.default_rng(500)
    x, y = _bivariate(gen, 0.5, sims=2_000)
    for design, want in (("paired-t", 0.9), ("wilcoxon", 0.8), ("welch", 0.5)):
        power = (paired.p_values(design, x + 1.5, y) < ALPHA).mean()
        assert power > want, (design, power)
    a, b = _es(x, shift=-900), _es(y)  # tickets stop much earlier
    power = (paired.p_values("wilcoxon", a, b, alternative="less") < ALPHA).mean()
    assert power > 0.5, power
    ok = paired.p_values("mcnemar", x[:, :] > -1.5, y > 1.0)  # 93% against 16% success
    assert (ok < ALPHA).mean() > 0.5
    a1, b1 = x[0] + 3, y[0]
    assert stats.verdict(designs.run("paired-t", a1, b1, alpha=ALPHA, label="up"), ALPHA) == stats.REPRODUCED
    assert stats.verdict(designs.run("paired-t", b1, a1, alpha=ALPHA, label="down"), ALPHA) == stats.CONTRADICTED
