"""FMNIST-3: on Fashion-MNIST, iterative pruning finds more accurate tickets than one-shot pruning."""
from lth.claimkit import arms
from lth.claimkit import checks
from lth.claimkit import figures
from lth.claimkit.claim import Claim


test_fmnist_iterative_beats_one_shot = Claim(
    id="FMNIST-3",
    statement=("On Fashion-MNIST, at about 51% and 21% of weights remaining, LeNet-300-100 tickets found by iterative "
               "magnitude pruning are more accurate than one-shot pruned tickets of the same size."),
    source=("arXiv 1803.03635 (ICLR 2019), Sec. 2, Fig. 4a vs 4c (MNIST), transferred to Fashion-MNIST "
            "(arXiv 1708.07747); not in the paper"),
    paper_numbers=("None on Fashion-MNIST (the paper's LeNet results are on MNIST only). On MNIST the paper finds "
                   "iterative pruning gives smaller winning tickets than one-shot; at 51-21% the two are close."),
    checks=[checks.versus(arms.TICKET.on(arms.FASHION).at(51), arms.ONE_SHOT.on(arms.FASHION).at(51), design="welch",
                          pilot="pilot ci, seed base 90000 (never a verdict run), 12 seeds: within-seed r = 0.17",
                          label="{a}: iterative > one-shot (Fashion-MNIST)"),
            checks.versus(arms.TICKET.on(arms.FASHION).at(21), arms.ONE_SHOT.on(arms.FASHION).at(21), design="paired-t",
                          pilot="pilot ci, seed base 90000 (never a verdict run), 12 seeds: within-seed r = 0.83",
                          label="{a}: iterative > one-shot (Fashion-MNIST)")],
    holds="iterative beats one-shot at both levels",
    xfail={"ci": (
        "Pilot (ci, seed base 90000, 12 seeds, before any verdict run): at Pm 51% iterative and one-shot tickets were "
        "equally accurate on Fashion-MNIST (87.42% vs 87.37%, within-seed difference +0.05 points, 95% CI -0.11 to "
        "+0.23, p 0.28), while at 21% iterative pruning won clearly (88.30% vs 87.80%, p 1.5e-7); the claim needs "
        "both levels. This run's numbers are beside.")},
    figures=[figures.fmnist_accuracy()],
).test
