"""FMNIST-2a: on Fashion-MNIST, tickets at Pm 21% reach early stopping sooner than the dense network."""
from lth.claimkit import arms
from lth.claimkit import checks
from lth.claimkit import figures
from lth.claimkit.claim import Claim, Expected

test_fmnist_tickets_learn_faster = Claim(
    id="FMNIST-2a",
    equivalence=200,
    equivalence_why=("200 iterations: one validation interval of the Fashion-MNIST rounds"),
    statement=("On Fashion-MNIST, LeNet-300-100 tickets found by iterative magnitude pruning with reset reach their "
               "early-stopping iteration (minimum validation loss) sooner than the dense network at about 21% of "
               "weights remaining."),
    source=("arXiv 1803.03635 (ICLR 2019), Sec. 2, Fig. 3 and Fig. 4a (MNIST), transferred to Fashion-MNIST "
            "(arXiv 1708.07747); not in the paper"),
    paper_numbers="None on Fashion-MNIST. On MNIST: at Pm = 21% early stopping occurs 38% earlier than dense.",
    at=(21,),
    checks=[checks.versus(arms.TICKET.on(arms.FASHION), arms.DENSE.on(arms.FASHION), metric="es_iteration", alternative="less",
                          design="signflip", label="{pm}: earlier early stopping than dense (Fashion-MNIST)")],
    figures=[figures.fmnist_accuracy("es_iteration")],
    expected={"ci": Expected("inconclusive", (
        "Pilot (ci, seed base 90000, 12 seeds, 2,000 iterations a round, before any verdict run): early stopping is "
        "censored at the budget in 50% of the dense networks and 33% of the tickets at 21% (1817 vs 1717 on average, "
        "sign-flip p 0.20), so 'sooner' cannot be decided at ci; the Fashion-MNIST budget leaves no room for "
        "dedicated longer runs. Expected inconclusive: censored arms make the difference in iterations a bound, not an estimate, so neither the claim nor its absence can be shown."))}).test
