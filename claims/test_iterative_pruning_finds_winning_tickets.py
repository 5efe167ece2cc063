"""MNIST-2: iterative magnitude pruning with reset finds winning tickets (as accurate, faster)."""
from lth import arms, checks, figures
from lth.claimkit import Claim

test_iterative_pruning_finds_winning_tickets = Claim(
    id="MNIST-2",
    statement=("Iterative magnitude pruning with reset to initialisation finds subnetworks that, at about 51% and "
               "21% of weights remaining, are not less accurate than the dense network and reach their "
               "early-stopping iteration sooner."),
    source="arXiv 1803.03635 (ICLR 2019), Sec. 2, Fig. 3 and Fig. 4a",
    paper_numbers=("ICLR: at Pm = 21% early stopping occurs 38% earlier; tickets are up to 0.35 points more accurate "
                   "at iteration 50K; at 51.3% the ticket learns faster than the dense network."),
    at=(51, 21),
    checks=[
        checks.versus(arms.TICKET, arms.DENSE, margin="margin", label="{pm}: accuracy not below dense - {margin}"),
        checks.versus(arms.TICKET, arms.DENSE, metric="es_iteration", alternative="less",
                      label="{pm}: earlier early stopping than dense"),
    ],
    holds="non-inferior and faster at both levels",
    figures=[figures.accuracy(), figures.accuracy("es_iteration", controls=False), figures.curves()],
    xfail={"ci": (
        "At ci (16 seeds, 2,000 iterations a round) tickets are as accurate as the dense network at 51% and 21% "
        "(non-inferiority p < 1e-11) but do not stop measurably earlier at 51%: early stop 1738 vs 1862 "
        "(p = 0.11, seed base 0); GPU pilot at 2,000 iterations: 1825 vs 1783 (p 0.64), 1808 vs 1725 (p 0.78). "
        "The validation loss has not turned upward by 2,000 iterations, so early stopping sits near the end for "
        "both; the paper's 50,000 iterations (scale 'paper') are needed for this half of the claim.")},
).test
