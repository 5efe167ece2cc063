"""FMNIST-4a: on Fashion-MNIST, tickets beat random reinitialisation and random pruning at Pm 21%."""
from lth.claimkit import arms
from lth.claimkit import checks
from lth.claimkit import figures
from lth.claimkit.claim import Claim

test_fmnist_tickets_beat_random_controls = Claim(
    id="FMNIST-4a",
    equivalence=0.001,
    equivalence_why=("0.1 points of test accuracy: the project's margin for 'as accurate as' (preset `margin`), below "
                     "the smallest gap the paper reads as a difference (Fig. 5: about 0.3 points at Pm 13.5%)"),
    statement=("On Fashion-MNIST, at Pm = 21%, LeNet-300-100 tickets are more accurate than the same masks with fresh "
               "weights (random reinitialisation) and than the original weights under a random mask of the same "
               "per-layer density (random pruning)."),
    source=("arXiv 1803.03635 (ICLR 2019), Sec. 2, Fig. 4 and App. E (MNIST), transferred to Fashion-MNIST "
            "(arXiv 1708.07747); not in the paper"),
    paper_numbers=("None on Fashion-MNIST. On MNIST: reinitialised networks fall behind tickets from Pm = 21.1% on; "
                   "random sparse networks do worse."),
    at=(21,),
    checks=[checks.versus(arms.TICKET.on(arms.FASHION), arms.REINIT.on(arms.FASHION), design="signflip",
                          label="{pm}: ticket > random reinit (Fashion-MNIST)"),
            checks.versus(arms.TICKET.on(arms.FASHION), arms.RANDOM_PRUNING.on(arms.FASHION), design="signflip",
                          label="{pm}: ticket > random pruning (Fashion-MNIST)")],
    holds="the ticket beats both controls",
    figures=[figures.fmnist_accuracy()]).test
