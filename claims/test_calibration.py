"""CAL-1: the machinery does not declare two seed sets of one configuration different (A/A)."""
from lth import arms, checks, figures
from lth.claimkit import Claim

test_calibration = Claim(
    id="CAL-1",
    statement=("Two independent seed sets of one configuration are not declared different by the same machinery "
               "(A/A check on dense LeNet test accuracy and on width-4 XOR convergence)."),
    source="lth calibration (not a claim of the paper)",
    paper_numbers="none: a false positive here would mean the statistics layer is miscalibrated.",
    checks=[checks.seed_halves(arms.DENSE, label="dense LeNet accuracy, seed halves"),
            checks.seed_halves(arms.XOR_DENSE.at(4), label="XOR H=4 convergence, seed halves", rate=True)],
    figures=[figures.seed_halves()],
    aa=True,
).test
