"""SUPERMASK-1: a "large final, same sign" mask makes the untrained network far better than chance."""
from lth.claimkit import arms
from lth.claimkit import checks
from lth.claimkit import figures
from lth.claimkit.claim import Claim
from lth.claimkit.magnitude import PaperValue

test_supermasks_beat_chance_untrained = Claim(
    id="SUPERMASK-1",
    equivalence=0.02,
    equivalence_why=("2 points of test accuracy: within Zhou et al.'s own run-to-run spread of untrained supermask "
                     "accuracy (their error bars span several points)"),
    statement=("On MNIST, the 'large final, same sign' mask (the trained dense network's largest final weights whose "
               "sign equals their initial sign), kept at the per-layer counts of Pm = 21% and applied to the untrained "
               "initial weights, gives a test accuracy above 50% without any training, and above a random mask of the "
               "same per-layer density on the same weights."),
    source=("Zhou, Lan, Liu, Yosinski, arXiv 1905.01067 (NeurIPS 2019), Sec. 5 'Supermasks' (MNIST FC = "
            "LeNet-300-100) and the abstract"),
    paper_numbers=("Zhou et al. (abstract): supermasks reach 86% test accuracy on MNIST without training, far better "
                   "than chance (10%). Which of their settings (original or signed-constant weights, which density) "
                   "gives the 86% is not checked here: the full text was not reachable; both are measured."),
    at=(21,),
    checks=[checks.threshold(arms.SUPERMASK, threshold="supermask_threshold",
                                      label="{pm}: untrained supermask accuracy > {threshold}"),
            checks.versus(arms.SUPERMASK, arms.RANDOM_MASK, design="signflip",
                          label="{pm}: supermask > random mask (same initial weights, untrained)")],
    holds="far above chance and above a random mask",
    paper_values=[PaperValue(0.86, "mean", arms.SUPERMASK_SIGNED.at(21.1), "test_acc",
                             "untrained supermask accuracy on the signed constant, Pm 21% (Zhou et al. abstract: 86% "
                             "on MNIST; their density and network not checked against ours)")],
    reported=[checks.threshold(arms.SUPERMASK_SIGNED, threshold="supermask_threshold",
                                        label="{pm}: untrained supermask on the signed constant > {threshold}")],
    reported_why="Zhou et al.'s 86% used the signed constant; the claim tests the original initial weights",
    figures=[figures.supermask(21.1)]).test
