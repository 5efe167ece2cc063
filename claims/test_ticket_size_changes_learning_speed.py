"""MNIST-5: the early-stopping iteration falls as the ticket shrinks to about 21%, then rises again."""
from lth.claimkit import arms
from lth.claimkit import checks
from lth.claimkit import figures
from lth.claimkit.claim import Claim


test_ticket_size_changes_learning_speed = Claim(
    id="MNIST-5",
    equivalence=200,
    equivalence_why=("200 iterations: one validation interval of the ci speed runs (two at the paper scale); a smaller"
                     " difference in early-stopping iteration is not resolvable on the evaluation grid"),
    statement=("The early-stopping iteration of iterative tickets falls from the dense network to about 21% of "
               "weights remaining and rises again by about 3.6%."),
    source="arXiv 1803.03635 (ICLR 2019), Sec. 2, Fig. 3 and Fig. 4a",
    paper_numbers=("ICLR: at 21% early stopping is 38% earlier than dense; at Pm = 3.6% a ticket 'regresses to the "
                   "performance of the original network'. Measured in dedicated speed runs (preset speed_train)."),
    checks=[
        checks.versus(arms.SPEED_TICKET.at(21.1), arms.SPEED_DENSE, metric="es_iteration", alternative="less",
                      design="signflip", label="{a} stops earlier than dense"),
        checks.versus(arms.SPEED_TICKET.at(3.6), arms.SPEED_TICKET.at(21.1), metric="es_iteration",
                      alternative="greater", design="signflip", label="{a} stops later than {b}"),
    ],
    holds="falls then rises",
    figures=[figures.speed(), figures.speed_curves()]).test
