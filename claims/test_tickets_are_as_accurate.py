"""MNIST-2b: iterative tickets at 51% and 21% are at least as accurate as the dense network, and more at 21%."""
from lth.claimkit import arms
from lth.claimkit import checks
from lth.claimkit import figures
from lth.claimkit.claim import Claim, Expected

test_tickets_are_as_accurate = Claim(
    id="MNIST-2b",
    equivalence=0.001,
    equivalence_why=("0.1 points of test accuracy: the project's margin for 'as accurate as' (preset `margin`), below "
                     "the smallest gap the paper reads as a difference (Fig. 5: about 0.3 points at Pm 13.5%)"),
    statement=("At about 51% and 21% of weights remaining, iterative tickets are at least as accurate at early "
               "stopping as the dense network (non-inferiority, margin 0.1 points), and at 21% more accurate."),
    source="arXiv 1803.03635 (ICLR 2019), Sec. 2, Fig. 3 and Fig. 4b",
    paper_numbers=("ICLR: winning tickets reach higher test accuracy at early stopping than the original network, "
                   "by more than 0.3 points at Pm = 13.5% (Fig. 4b); at 21% and 51.3% above the dense line. Measured in "
                   "the speed runs, where the dense network's early stopping is not cut off by the budget."),
    checks=[
        checks.versus(arms.SPEED_TICKET.at(51.3), arms.SPEED_DENSE, margin="margin", design="signflip",
                      label="{a}: accuracy not below dense - {margin}"),
        checks.versus(arms.SPEED_TICKET.at(21.1), arms.SPEED_DENSE, margin="margin", design="signflip",
                      label="{a}: accuracy not below dense - {margin}"),
        checks.versus(arms.SPEED_TICKET.at(21.1), arms.SPEED_DENSE, design="signflip",
                      label="{a}: more accurate than dense"),
    ],
    holds="non-inferior at both levels, superior at 21%",
    figures=[figures.speed(), figures.accuracy(controls=False)],
    expected={"ci": Expected("inconclusive", (
        "Verdict runs (0.3.0, 16 seeds, speed runs of 8,000 iterations): reproduced at seed base 60000 (p 1.1e-5) "
        "but not at 70000 (p 4.9e-3 against alpha 8.3e-4: at 21% the ticket's gain over dense was 0.21 points, "
        "p 4.9e-3, and non-inferiority at 51% p 2.7e-3). 16 seeds do not decide a gain of 0.2 points reliably; "
        "the paper scale (32 seeds, 50,000 iterations) is built to. Claims v3 reads those runs as pilot data: expected inconclusive at ci (a gain of 0.2 points against an MDE of about 0.25), not absent."))}).test
