"""FMNIST-3: on Fashion-MNIST, iterative pruning finds more accurate tickets than one-shot pruning."""
from lth import arms, checks, figures
from lth.claimkit import Claim

PILOT = "provisional"

test_fmnist_iterative_beats_one_shot = Claim(
    id="FMNIST-3",
    statement=("On Fashion-MNIST, at about 51% and 21% of weights remaining, LeNet-300-100 tickets found by iterative "
               "magnitude pruning are more accurate than one-shot pruned tickets of the same size."),
    source=("arXiv 1803.03635 (ICLR 2019), Sec. 2, Fig. 4a vs 4c (MNIST), transferred to Fashion-MNIST "
            "(arXiv 1708.07747); not in the paper"),
    paper_numbers=("None on Fashion-MNIST (the paper's LeNet results are on MNIST only). On MNIST the paper finds "
                   "iterative pruning gives smaller winning tickets than one-shot; at 51-21% the two are close."),
    at=(51, 21),
    checks=[checks.versus(arms.FMNIST_TICKET, arms.FMNIST_ONE_SHOT, design="paired-t", pilot=PILOT,
                          label="{pm}: iterative > one-shot (Fashion-MNIST)")],
    holds="iterative beats one-shot at both levels",
    figures=[figures.fmnist_accuracy()],
).test
