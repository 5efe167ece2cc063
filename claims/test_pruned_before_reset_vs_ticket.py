"""MNIST-7a: the network pruned before reset (trained, pruned, not retrained) is less accurate than the ticket."""
from lth.claimkit import arms
from lth.claimkit import checks
from lth.claimkit import figures
from lth.claimkit.claim import Claim

test_pruned_before_reset_vs_ticket = Claim(
    id="MNIST-7a",
    equivalence=0.001,
    equivalence_why=("0.1 points of test accuracy: the project's margin for 'as accurate as' (preset `margin`), below "
                     "the smallest gap the paper reads as a difference (Fig. 5: about 0.3 points at Pm 13.5%)"),
    statement=("At Pm <= 21%, the trained network pruned but not reset or retrained is less accurate than the "
               "trained ticket of the same size: the ticket's accuracy comes from retraining from the original "
               "initialisation, not from the mask alone."),
    source=("lth's seed summary of arXiv 1803.03635 (its discussion), not a claim the paper states; related: ICLR "
            "App. B (pruning without resetting between rounds does worse)"),
    paper_numbers="ICLR: no number for this comparison.",
    at=(21.1, 7.0, 3.6),
    checks=[checks.versus(arms.TICKET, arms.PRUNED_BEFORE_RESET, design="signflip",
                          label="{pm}: trained ticket > pruned before reset")],
    holds="ticket beats pruned-before-reset at every level",
    figures=[figures.accuracy(controls=False, pruned_before_reset=True)]).test
