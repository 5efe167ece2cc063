"""MNIST-1: larger LeNet-family networks reach higher test accuracy after the same number of iterations."""
from lth import arms, checks, figures
from lth.claimkit import Claim

test_wider_lenets_are_more_accurate = Claim(
    id="MNIST-1",
    statement=("Wider LeNet-300-100-family networks (3:1 hidden widths) reach higher test accuracy after the same "
               "number of iterations."),
    source="arXiv 1803.03635v1, Sec. 3 (MNIST, network size)",
    paper_numbers="v1: larger fully connected MNIST networks train to higher accuracy (no single number quoted here).",
    checks=[checks.trend(arms.LENET_WIDTH, over="widths", metric="test_acc_final",
                         label="test accuracy rises with width")],
    figures=[figures.width_accuracy()],
).test
