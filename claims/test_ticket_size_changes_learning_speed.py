"""MNIST-5: the early-stopping iteration falls as the ticket shrinks to about 21%, then rises again."""
from lth import arms, checks, figures
from lth.claimkit import Claim

test_ticket_size_changes_learning_speed = Claim(
    id="MNIST-5",
    statement=("The early-stopping iteration of iterative tickets falls from the dense network to about 21% of "
               "weights remaining and rises again by about 3.6%."),
    source="arXiv 1803.03635 (ICLR 2019), Sec. 2, Fig. 3 and Fig. 4a",
    paper_numbers=("ICLR: at 21% early stopping is 38% earlier than dense; at Pm = 3.6% a ticket 'regresses to the "
                   "performance of the original network'."),
    checks=[
        checks.versus(arms.TICKET.at(21), arms.DENSE, metric="es_iteration", alternative="less",
                      label="{a} stops earlier than dense"),
        checks.versus(arms.TICKET.at(3.6), arms.TICKET.at(21), metric="es_iteration", alternative="greater",
                      label="{a} stops later than {b}"),
    ],
    holds="falls then rises",
    figures=[figures.accuracy("es_iteration", controls=False), figures.curves()],
    xfail={"ci": (
        "Pilot (GPU, 0.1.0, 2,000 iterations a round): both steps point the claimed way but the early-stopping "
        "iteration is censored near the 2,000-iteration budget, so neither is decisive at alpha 0.001 (fall: p 0.35 "
        "and 0.13). Uncensored runs of 8,000 iterations decide it (pilots/speed.py at seed base 50000: p 2e-5; "
        "CHANGELOG 0.2.0). This run's numbers are beside.")},
).test
