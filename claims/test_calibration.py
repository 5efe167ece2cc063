"""Permutation A/A check of the claims' own decisions on this run's stored per-seed data.

Not a claim: it is outside the families of lth/registry.py, so it changes no claim's alpha
and no Holm adjustment. For each paired claim below, each seed's arms are swapped at random
(one pattern per seed across all the claim's comparisons) 1,000 times, and the claim's exact
decision (its tests' p-values from their vectorised core, the intersection-union, the verdict
at its alpha) runs on each split:
it must declare the claim reproduced no more often than alpha (binomial), with p-values not
smaller than uniform (one-sided KS). Together the claims below use every paired design
(sign-flip, paired t, Welch on paired data, exact McNemar). Non-inferiority comparisons are
left out: swapping arms is not their null.

"Contradicted" under swaps is counted and shown in the report, not asserted. It is any one of
k comparisons significant the other way at alpha / k; for a paired t on a comparison whose
differences are all of about one size (a large, consistent effect, e.g. ticket against random
pruning at 3.6%), sign flips make t depend mostly on how many signs are positive, and its far
tail is heavier than Student's (the t test is conservative under sign symmetry only at
ordinary levels, Efron 1969). Measured on MNIST-4a's nine comparisons at seed bases 60000 and
70000: 9 of 1,000 splits "contradicted" against alpha 8.3e-4 (claimed direction: 1 of 1,000).
The claims' verdicts are not at risk from this: their effects are many standard errors in the
claimed direction.
"""
from functools import partial

import pytest

from lth.stats import calibration
from lth.claimkit import families as registry
from lth import stats
from lth.claimkit.checks import Versus

from test_controls_learn_slower import test_controls_learn_slower as _mnist4b
from test_iterative_beats_one_shot import test_iterative_beats_one_shot as _mnist3
from test_pruned_before_reset_vs_dense import test_pruned_before_reset_vs_dense as _mnist7b
from test_ticket_size_changes_learning_speed import test_ticket_size_changes_learning_speed as _mnist5
from test_tickets_beat_random_controls import test_tickets_beat_random_controls as _mnist4a
from test_xor_tickets_beat_controls import test_xor_tickets_beat_controls as _xor2

CHECKED = [t.lth_claim for t in (_mnist3, _mnist4a, _mnist4b, _mnist5, _mnist7b, _xor2)]
N_SPLITS = 1_000


@pytest.mark.parametrize("declared", CHECKED, ids=[c.id for c in CHECKED])
def test_claim_decision_is_calibrated_under_swaps(declared, lth_lab, record_property):
    alpha = lth_lab.preset.family_alpha / registry.m(declared.id)
    comparisons, tests = [], []
    for level in declared.at or (None,):
        for check in declared.checks:
            if isinstance(check, Versus) and not check.margin:
                comparisons.append((check.a.values(lth_lab, level, check.metric),
                                    check.b.values(lth_lab, level, check.metric)))
                tests.append((check.design, check.alternative))
    combine = (lambda rs: rs[0]) if len(tests) == 1 else partial(stats.all_hold, label=declared.holds)
    result = calibration.permutation_aa_claim(comparisons, tests, combine, n_splits=N_SPLITS, alpha=alpha,
                                              seed=lth_lab.seed_base)
    summary = {k: v for k, v in result.items() if k != "p_values"}
    record_property("lth_calibration", {"id": declared.id, **summary})
    if lth_lab.preset.name == "smoke":  # 4 seeds: 16 swap patterns, each 1/16 > alpha; recorded, not asserted
        return
    assert calibration.calibrated(result, directions=1), (
        f"{declared.id}: under random within-seed swaps its decision declared 'reproduced' in "
        f"{result['false_positives']}/{N_SPLITS} splits and 'contradicted' in {result['opposite_false_positives']} "
        f"(alpha {alpha:.3g}; binomial p {result['binom_p']:.3g} and {result['binom_p_opposite']:.3g}; "
        f"KS p {result['ks_p']:.3g})")


test_claim_decision_is_calibrated_under_swaps.lth_schedule = 9  # after the claims: their data are then cached
