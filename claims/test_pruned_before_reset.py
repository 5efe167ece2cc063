"""MNIST-7: the network pruned before reset (trained, pruned, not retrained) against the ticket."""
from lth import arms, checks, figures
from lth.claimkit import Claim

test_pruned_before_reset = Claim(
    id="MNIST-7",
    statement=("At Pm <= 21%, the trained network pruned but not reset or retrained is less accurate than the "
               "trained ticket of the same size: the ticket's accuracy comes from retraining from the original "
               "initialisation, not from the mask alone."),
    source="arXiv 1803.03635 (ICLR 2019), Sec. 7 (discussion) and App. B",
    paper_numbers="ICLR: not reported as such; App. B finds that pruning without resetting between rounds does worse.",
    at=(21, 7, 3.6),
    checks=[checks.versus(arms.TICKET, arms.PRUNED_BEFORE_RESET, label="{pm}: trained ticket > pruned before reset")],
    holds="ticket beats pruned-before-reset at every level",
    figures=[figures.accuracy(controls=False, pruned_before_reset=True)],
).test
