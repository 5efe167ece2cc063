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
        "Pilot (GPU, 0.1.0, 2,000 iterations a round, seed bases in CHANGELOG): the dense network's early stopping "
        "sits at the end of the 2,000-iteration budget (censored), so 'sooner' cannot be decided at ci: 1825 vs "
        "1783 (p 0.64) and 1808 vs 1725 (p 0.78) at 51%; the accuracy half held (non-inferiority p < 1e-11). "
        "Deciding it takes dedicated longer runs (pilots/speed.py; CHANGELOG 0.2.0). This run's numbers are beside.")},
).test
