"""LMC-1: two copies of an MNIST ticket trained with different data orders are linearly connected."""
from lth.claimkit import arms
from lth.claimkit import checks
from lth.claimkit import figures
from lth.claimkit.claim import Claim

test_tickets_are_linearly_connected = Claim(
    id="LMC-1",
    equivalence=0.005,
    equivalence_why=("0.5 points of test error in the barrier: a quarter of Frankle et al.'s 2% stability threshold, "
                     "so barriers this close are 'the same' by their own yardstick"),
    statement=("On MNIST, two copies of the iterative LeNet-300-100 ticket (mask at Pm = 21% or 3.6%, reset to the "
               "original initialisation) trained with different data orders are linearly mode connected: the test "
               "error barrier on the straight line between them is below 2%; at 3.6% it is also smaller than that of "
               "randomly pruned subnetworks of the same per-layer density."),
    source=("Frankle, Dziugaite, Roy, Carbin, arXiv 1912.05671 (ICML 2020), Sec. 2 (instability analysis, error "
            "barrier) and Sec. 4 (IMP subnetworks of LeNet, stable at initialisation)"),
    paper_numbers=("Frankle et al.: LeNet's IMP subnetworks are stable at initialisation (error barrier about 0, "
                   "under their 2% threshold) down to the sparsest levels they test, and matching; randomly pruned "
                   "subnetworks of LeNet are unstable at high sparsity."),
    checks=[checks.threshold(arms.LMC_TICKET.at(21), threshold="lmc_threshold", metric="barrier",
                                      alternative="less", label="{pm}: ticket error barrier < {threshold}"),
            checks.threshold(arms.LMC_TICKET.at(3.6), threshold="lmc_threshold", metric="barrier",
                                      alternative="less", label="{pm}: ticket error barrier < {threshold}"),
            checks.versus(arms.LMC_TICKET.at(3.6), arms.LMC_RANDOM_PRUNING.at(3.6), metric="barrier",
                          alternative="less", design="signflip",
                          label="{a}: ticket barrier < random pruning's")],
    holds="stable at both levels and more stable than random pruning at 3.6%",
    reported=[checks.threshold(arms.LMC_RANDOM_PRUNING.at(3.6), threshold="lmc_threshold", metric="barrier",
                                        alternative="greater", label="{pm}: random pruning error barrier > {threshold}")],
    reported_why="the paper's other half: randomly pruned subnetworks are unstable at high sparsity",
    figures=[figures.lmc()]).test
