"""Paired comparisons for arms that share a seed's initial weights and data order.

Every arm of a seed is one pair member, so a seed whose value is non-finite in either arm
(a diverged run) leaves *both* arms (:func:`pairs`) and is counted in the result's ``test``
text. Each test returns an :class:`lth.stats.TestResult` that is one-sided in the claimed
direction with ``p_opposite`` for the other, an effect with a 95% bootstrap interval that
resamples seeds (pairs stay together) and the minimum detectable effect at 80% power.
Every p-value comes from scipy.stats. :func:`p_values` is the vectorised core that the
single-dataset tests call, so simulations exercise exactly the claims' code path.

The ``test`` text records the design inputs, e.g. ``"paired t (r = 0.12, 1 pair dropped:
non-finite in an arm), one-sided, H1: greater"``: r is the within-seed Pearson correlation
of the analysed pairs (NaN when an arm is constant).
"""
from __future__ import annotations

import math
import warnings
from typing import Sequence

import numpy as np
from scipy import stats

from lth.stats import designs
from lth.stats.results import OPPOSITE, POWER, TestResult, check_alternative, _mean_diff, _p, bootstrap_ci
from lth.stats.unpaired import welch as _welch

SIGNFLIP_EXACT_UP_TO = 16  # pairs: every one of the 2**n sign patterns (65,536 at 16 seeds), so p is exact
SIGNFLIP_RESAMPLES = 99_999  # beyond that, this many random patterns (seeded): the floor is 1/(R+1) = 1e-5


def _name(base: str, r: float, dropped: int) -> str:
    why = ": non-finite in an arm" if dropped else ""
    return f"{base} (r = {r:.2f}, {dropped} {'pair' if dropped == 1 else 'pairs'} dropped{why})"


def pairs(a: Sequence[float], b: Sequence[float]) -> tuple[np.ndarray, np.ndarray, int]:
    """Per-seed arrays aligned by seed, less every seed non-finite in either arm, and how many left."""
    a, b = np.asarray(a, dtype=float).ravel(), np.asarray(b, dtype=float).ravel()
    if a.shape != b.shape:
        raise ValueError(f"paired arms must hold one value per seed each, got {len(a)} and {len(b)}")
    keep = np.isfinite(a) & np.isfinite(b)
    return a[keep], b[keep], int((~keep).sum())


def within_seed_correlation(a: Sequence[float], b: Sequence[float]) -> float:
    """Pearson r between the arms over the seeds they share; NaN when fewer than 3 pairs or an arm is constant."""
    a, b, _ = pairs(a, b)
    if len(a) < 3 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return math.nan
    return float(stats.pearsonr(a, b).statistic)


def _wilcoxon_p(d: np.ndarray, alternative: str) -> tuple[np.ndarray, np.ndarray]:
    """Signed-rank p and rank sum of positive differences, along the last axis, one method per data set.

    No ties and no zeros: the exact null distribution. Otherwise (discrete data) the normal
    approximation with the tie correction, zeros handled by Pratt's method (zeros are ranked,
    so they push the other ranks up, then their ranks are dropped; the variance is adjusted,
    Cureton 1967). Chosen per data set, not by scipy's 'auto' (which decides over a whole
    batch and switches to a slow permutation test for n <= 13 with ties).
    """
    d = np.asarray(d, dtype=float)
    s = np.sort(np.abs(d), axis=-1)
    tied = (s[..., :1] == 0).any(axis=-1) | (np.diff(s, axis=-1) == 0).any(axis=-1)
    p, w = np.full(d.shape[:-1], np.nan), np.full(d.shape[:-1], np.nan)
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-zero data set: no evidence (NaN -> 1)
        for mask, kw in ((~tied, {"method": "exact"}), (tied, {"method": "asymptotic", "zero_method": "pratt"})):
            if mask.any():
                res = stats.wilcoxon(d[mask], axis=-1, alternative=alternative, **kw)
                p[mask], w[mask] = res.pvalue, res.statistic
    return p, w


def p_values(design: str, a: np.ndarray, b: np.ndarray, *, alternative: str = "greater",
             margin: float = 0.0) -> np.ndarray:
    """One-sided p-values of ``design`` for many data sets at once (pairs along the last axis, finite)."""
    check_alternative(alternative)
    core = designs.get(design).vectorised
    if core is None:
        raise ValueError(f"design {design!r} has no vectorised core; those with one: "
                         f"{', '.join(n for n, d in designs.DESIGNS.items() if d.vectorised)}")
    a, b = np.asarray(a, dtype=float) + margin, np.asarray(b, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # constant data: NaN p, counted as no evidence
        p = core(a, b, alternative)
    return np.where(np.isfinite(p), p, 1.0)


def _vec_paired_t(a, b, alternative):
    return stats.ttest_rel(a, b, axis=-1, alternative=alternative).pvalue


def _vec_welch(a, b, alternative):
    return stats.ttest_ind(a, b, axis=-1, equal_var=False, alternative=alternative).pvalue


def _vec_wilcoxon(a, b, alternative):
    return _wilcoxon_p(a - b, alternative)[0]


def _differences(d) -> np.ndarray:
    """Within-seed differences rounded to 1e-12: float noise (0.9812 + 0.001 - 0.9822 is -9e-19, not 0) would give
    a tie at the margin a sign, and the sign-flip test's exactness rests on exact zeros and exact symmetry."""
    return np.round(np.asarray(d, dtype=float), 12) + 0.0  # + 0.0 turns -0.0 into 0.0


def _vec_signflip(a, b, alternative):
    return _signflip_p(_differences(a - b), alternative)


def _vec_mcnemar(a, b, alternative):
    return np.vectorize(lambda x, y: _mcnemar_p(x, y, alternative), signature="(n),(n)->()")(a > 0.5, b > 0.5)


def _need(a: np.ndarray, label: str, name: str, k: int = 2) -> None:
    if len(a) < k:
        raise ValueError(f"{label}: {name} needs >= {k} seeds finite in both arms, got {len(a)}")


def paired_t(a: Sequence[float], b: Sequence[float], *, alternative: str = "greater", margin: float = 0.0,
             alpha: float, label: str, seed: int = 0, n_resamples: int = 2_000) -> TestResult:
    """Paired t (scipy.stats.ttest_rel) of a + margin against b, seed by seed."""
    check_alternative(alternative)
    r = within_seed_correlation(a, b)
    a, b, dropped = pairs(a, b)
    _need(a, label, "a paired t test")
    res = stats.ttest_rel(a + margin, b, alternative=alternative)
    p_opp = p_values("paired-t", a, b, alternative=OPPOSITE[alternative], margin=margin)
    n, d = len(a), a - b
    mde = float((stats.t.ppf(1 - alpha, n - 1) + stats.t.ppf(POWER, n - 1)) * d.std(ddof=1) / math.sqrt(n))
    name = "paired t, one-sided" + (f" non-inferiority (margin {margin:g})" if margin else "")
    return TestResult(
        test=f"{_name(name, r, dropped)}, H1: {alternative}", label=label, p_value=_p(res.pvalue),
        p_opposite=_p(float(p_opp)), statistic=float(res.statistic), effect=float(d.mean()),
        effect_label="mean within-seed difference", n=[n, n], mde=mde, alpha=alpha,
        ci=bootstrap_ci((a, b), _mean_diff, seed=seed, label=label, n_resamples=n_resamples, paired=True),
    )


def _hodges_lehmann(a, b, axis=-1):
    """Median of the Walsh averages of the differences: the signed-rank test's estimate of the shift."""
    d = np.moveaxis(np.asarray(a) - np.asarray(b), axis, -1)
    i, j = np.triu_indices(d.shape[-1])
    return np.median((d[..., i] + d[..., j]) / 2, axis=-1)


def wilcoxon(a: Sequence[float], b: Sequence[float], *, alternative: str = "greater", margin: float = 0.0,
             alpha: float, label: str, seed: int = 0, n_resamples: int = 2_000) -> TestResult:
    """Wilcoxon signed-rank test of the differences a + margin - b (ties: see :func:`_wilcoxon_p`).

    Effect: Hodges-Lehmann shift (median of Walsh averages). MDE: the paired t's, divided by
    sqrt(3/pi), the signed-rank test's asymptotic relative efficiency under normality (an
    approximation; with ties and zeros the test is more conservative). With n pairs the exact
    test cannot reach p below 2**-n, so n >= 11 is needed at alpha = 0.01/12.
    """
    check_alternative(alternative)
    r = within_seed_correlation(a, b)
    a, b, dropped = pairs(a, b)
    _need(a, label, "a signed-rank test")
    d = a + margin - b
    p, w = _wilcoxon_p(d, alternative)
    p_opp = _wilcoxon_p(d, OPPOSITE[alternative])[0]
    n = len(a)
    t_mde = (stats.t.ppf(1 - alpha, n - 1) + stats.t.ppf(POWER, n - 1)) * (a - b).std(ddof=1) / math.sqrt(n)
    exact = np.unique(np.abs(d)).size == n and (d != 0).all()  # the same rule as _wilcoxon_p
    kind = "exact" if exact else "normal approx., ties corrected, Pratt zeros"
    name = f"Wilcoxon signed-rank ({kind}), one-sided" + (f" non-inferiority (margin {margin:g})" if margin else "")
    return TestResult(
        test=f"{_name(name, r, dropped)}, H1: {alternative}", label=label, p_value=_p(float(p)),
        p_opposite=_p(float(p_opp)), statistic=float(w), effect=float(_hodges_lehmann(a, b)),
        effect_label="Hodges-Lehmann within-seed shift", n=[n, n], mde=float(t_mde / math.sqrt(3 / math.pi)),
        alpha=alpha, ci=bootstrap_ci((a, b), _hodges_lehmann, seed=seed, label=label, n_resamples=n_resamples,
                                     paired=True),
    )


def signflip_floor(n: int) -> float:
    """The smallest p the sign-flip test can give with ``n`` pairs: 2**-n exact, 1/(R+1) with R random patterns."""
    return 2.0 ** -n if n <= SIGNFLIP_EXACT_UP_TO else 1.0 / (SIGNFLIP_RESAMPLES + 1)


def signflip_resolution(n: int) -> str:
    if n <= SIGNFLIP_EXACT_UP_TO:
        return f"exact: all {2 ** n:,} sign patterns of {n} seeds, so p >= 1/2^{n} = {signflip_floor(n):.2g}"
    return (f"Monte Carlo: {SIGNFLIP_RESAMPLES:,} random sign patterns of {n} seeds (seeded), so p >= "
            f"{signflip_floor(n):.2g}")


def _signflip_p(d: np.ndarray, alternative: str, seed: int = 0) -> np.ndarray:
    """Sign-flip permutation p of mean(d) (scipy.stats.permutation_test, one sample, 'samples' type), per data set.

    Every sign pattern (exact) up to :data:`SIGNFLIP_EXACT_UP_TO` pairs; beyond, :data:`SIGNFLIP_RESAMPLES`
    random patterns from a generator seeded by ``seed`` (scipy counts the observed pattern, so the test
    stays valid). Data sets along the leading axes are tested in one call (the same patterns for each).
    """
    d = np.asarray(d, dtype=float)
    n = d.shape[-1]
    rows = int(np.prod(d.shape[:-1])) if d.ndim > 1 else 1
    exact = n <= SIGNFLIP_EXACT_UP_TO
    batch = max(1, min(2 ** n if exact else SIGNFLIP_RESAMPLES, 4_000_000 // max(1, rows * n)))
    res = stats.permutation_test((d,), np.mean, permutation_type="samples", vectorized=True, axis=-1,
                                 n_resamples=np.inf if exact else SIGNFLIP_RESAMPLES, alternative=alternative,
                                 batch=batch, rng=np.random.default_rng(seed))
    return np.asarray(res.pvalue, dtype=float).reshape(d.shape[:-1])


def signflip(a: Sequence[float], b: Sequence[float], *, alternative: str = "greater", margin: float = 0.0,
             alpha: float, label: str, seed: int = 0, n_resamples: int = 2_000) -> TestResult:
    """Sign-flip permutation test of the mean within-seed difference a + margin - b: the one design for paired data.

    Under the null a seed's two arms are exchangeable, so each difference is as likely with
    either sign; p is the share of the 2**n sign patterns whose mean is at least as extreme as
    observed (scipy.stats.permutation_test; :func:`_signflip_p`): every pattern up to 16 seeds,
    so the test is exact whatever the distribution (skewed, tied on an evaluation grid, censored
    at a budget); Ties and zero differences need no special rule. Effect: mean within-seed
    difference, with a seed-resampling bootstrap interval. MDE: the paired t's (the permutation
    test's large-sample power equals it). Smallest attainable p: :func:`signflip_floor`.
    """
    check_alternative(alternative)
    r = within_seed_correlation(a, b)
    a, b, dropped = pairs(a, b)
    _need(a, label, "a sign-flip permutation test")
    d = _differences(a + margin - b)
    p = float(_signflip_p(d, alternative, seed))
    p_opp = float(_signflip_p(d, OPPOSITE[alternative], seed))
    n = len(a)
    sd = (a - b).std(ddof=1)
    mde = float((stats.t.ppf(1 - alpha, n - 1) + stats.t.ppf(POWER, n - 1)) * sd / math.sqrt(n))
    kind = "exact" if n <= SIGNFLIP_EXACT_UP_TO else f"{SIGNFLIP_RESAMPLES:,} random sign patterns"
    name = f"sign-flip permutation of the mean difference ({kind}), one-sided" + (
        f" non-inferiority (margin {margin:g})" if margin else "")
    return TestResult(
        test=f"{_name(name, r, dropped)}, H1: {alternative}", label=label, p_value=_p(p), p_opposite=_p(p_opp),
        statistic=float(d.mean()), effect=float((a - b).mean()), effect_label="mean within-seed difference",
        n=[n, n], mde=mde, alpha=alpha,
        ci=bootstrap_ci((a, b), _mean_diff, seed=seed, label=label, n_resamples=n_resamples, paired=True),
        p_floor=signflip_floor(n), resolution=signflip_resolution(n),
    )


def _mcnemar_p(a: np.ndarray, b: np.ndarray, alternative: str) -> float:
    b01, b10 = int((a & ~b).sum()), int((~a & b).sum())
    return stats.binomtest(b01, b01 + b10, 0.5, alternative=alternative).pvalue if b01 + b10 else 1.0


def mcnemar(success_a: Sequence[float], success_b: Sequence[float], *, alternative: str = "greater",
            margin: float = 0.0, alpha: float, label: str, seed: int = 0, n_resamples: int = 2_000) -> TestResult:
    """Exact McNemar: scipy.stats.binomtest of the seeds where only a succeeded among the discordant seeds.

    Seeds where both or neither succeeded carry no information on which arm succeeds more.
    MDE: normal approximation, (z_alpha + z_power) sqrt(psi / n) with psi the observed
    discordant fraction, but at least k/n, where k = ceil(log2(1/alpha)) is the fewest
    discordant pairs (all one way) with which the exact test can reject at all.
    """
    check_alternative(alternative)
    if margin:
        raise ValueError(f"{label}: McNemar's test has no non-inferiority margin, got {margin!r}")
    r = within_seed_correlation(success_a, success_b)
    a, b, dropped = pairs(success_a, success_b)
    _need(a, label, "McNemar's test", 1)
    sa, sb = a > 0.5, b > 0.5
    b01, b10, n = int((sa & ~sb).sum()), int((~sa & sb).sum()), len(a)
    z = stats.norm.ppf(1 - alpha) + stats.norm.ppf(POWER)
    mde = max(float(z * math.sqrt((b01 + b10) / n / n)), math.ceil(math.log2(1 / alpha)) / n)
    base = f"exact McNemar (binomial on {b01 + b10} discordant seeds: {b01} only a, {b10} only b), one-sided"
    return TestResult(
        test=f"{_name(base, r, dropped)}, H1: {alternative}", label=label, p_value=_p(_mcnemar_p(sa, sb, alternative)),
        p_opposite=_p(_mcnemar_p(sa, sb, OPPOSITE[alternative])), statistic=float(b01),
        effect=float(sa.mean() - sb.mean()), effect_label="difference in rates (paired)", n=[n, n], mde=mde,
        alpha=alpha, ci=bootstrap_ci((sa.astype(float), sb.astype(float)), _mean_diff, seed=seed, label=label,
                                     n_resamples=n_resamples, paired=True),
        p_floor=0.5 ** (b01 + b10) if b01 + b10 else 1.0,
        resolution=f"exact binomial on {b01 + b10} discordant seeds, so p >= 0.5^{b01 + b10}",
    )


def welch_paired_data(a: Sequence[float], b: Sequence[float], *, alternative: str = "greater", margin: float = 0.0,
                      alpha: float, label: str, seed: int = 0, n_resamples: int = 2_000) -> TestResult:
    """Welch's t (lth.stats.welch) on the pair-cleaned arms: for outcomes where pairing does not pay.

    The bootstrap resamples each arm's seeds separately, as the unpaired analysis assumes.
    """
    r = within_seed_correlation(a, b)
    a, b, dropped = pairs(a, b)
    res = _welch(a, b, alternative=alternative, margin=margin, alpha=alpha, label=label, seed=seed,
                 n_resamples=n_resamples)
    head, _, rest = res.test.partition(", ")
    res.test = f"{_name(head, r, dropped)}, {rest}"
    return res


def censored_fraction(es_iterations: Sequence[float], budget: int) -> float:
    """Fraction of seeds whose early-stopping iteration is the last evaluated one (censored at the budget).

    Those seeds never stopped early: their true early-stopping iteration is only known to be
    >= budget. Non-finite values (diverged seeds) are left out; NaN when none is left.
    """
    v = np.asarray(es_iterations, dtype=float).ravel()
    v = v[np.isfinite(v)]
    return float(np.mean(v >= budget)) if len(v) else math.nan


designs.register_design("paired-t", paired_t, vectorised=_vec_paired_t)
designs.register_design("wilcoxon", wilcoxon, vectorised=_vec_wilcoxon)
designs.register_design("signflip", signflip, vectorised=_vec_signflip)
designs.register_design("welch", welch_paired_data, vectorised=_vec_welch, paired=False)
designs.register_design("mcnemar", mcnemar, vectorised=_vec_mcnemar)
