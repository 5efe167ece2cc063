"""MNIST-1: larger LeNet-family networks reach higher test accuracy after the same number of iterations."""
from lth.claimkit import arms
from lth.claimkit import checks
from lth.claimkit import figures
from lth.claimkit.claim import Claim

test_wider_lenets_are_more_accurate = Claim(
    id="MNIST-1",
    equivalence=0.001,
    equivalence_why=("0.1 points of test accuracy: the project's margin for 'as accurate as' (preset `margin`), below "
                     "the smallest gap the paper reads as a difference (Fig. 5: about 0.3 points at Pm 13.5%)"),
    statement=("Wider LeNet-300-100-family networks (3:1 hidden widths) reach higher test accuracy after the same "
               "number of iterations: a monotone trend over widths x0.25 to x2 (the step from x1 to x2 is reported "
               "beside it, since the trend can hide a plateau)."),
    source="arXiv 1803.03635v1, Sec. 3 (MNIST, network size)",
    paper_numbers="v1: larger fully connected MNIST networks train to higher accuracy (no single number quoted here).",
    checks=[checks.trend(arms.LENET_WIDTH, over="widths", metric="test_acc_final",
                         label="test accuracy rises with width")],
    reported=[checks.versus(arms.LENET_WIDTH.at(w2), arms.LENET_WIDTH.at(w1), metric="test_acc_final",
                            design="signflip", label="{a} more accurate than {b}")
              for w1, w2 in ((0.25, 0.5), (0.5, 1.0), (1.0, 2.0))],
    reported_why=("the claim is a trend (Kendall's tau over all widths); each adjacent step is shown so that a "
                  "plateau (0.2.0 at seed base 0: x1 to x2 +0.05 points) is visible, not hidden by the trend."),
    figures=[figures.width_accuracy()]).test
