"""FMNIST-2b: on Fashion-MNIST, tickets at Pm 21% are at least as accurate as the dense network."""
from lth.claimkit import arms
from lth.claimkit import checks
from lth.claimkit import figures
from lth.claimkit.claim import Claim

test_fmnist_tickets_as_accurate_as_dense = Claim(
    id="FMNIST-2b",
    equivalence=0.001,
    equivalence_why=("0.1 points of test accuracy: the project's margin for 'as accurate as' (preset `margin`), below "
                     "the smallest gap the paper reads as a difference (Fig. 5: about 0.3 points at Pm 13.5%)"),
    statement=("On Fashion-MNIST, LeNet-300-100 tickets found by iterative magnitude pruning with reset are, at about "
               "21% of weights remaining, not less accurate than the dense network (non-inferiority)."),
    source=("arXiv 1803.03635 (ICLR 2019), Sec. 2, Fig. 3 and Fig. 4a (MNIST), transferred to Fashion-MNIST "
            "(arXiv 1708.07747); not in the paper"),
    paper_numbers=("None on Fashion-MNIST. On MNIST: tickets are up to 0.35 points more accurate than the dense "
                   "network at iteration 50K."),
    at=(21,),
    checks=[checks.versus(arms.TICKET.on(arms.FASHION), arms.DENSE.on(arms.FASHION), margin="margin", design="signflip",
                          label="{pm}: accuracy not below dense - {margin} (Fashion-MNIST)")],
    figures=[figures.fmnist_accuracy()]).test
