"""MNIST-3: iterative pruning finds more accurate small tickets than one-shot pruning."""
from lth.claimkit import arms
from lth.claimkit import checks
from lth.claimkit import figures
from lth.claimkit.claim import Claim

test_iterative_beats_one_shot = Claim(
    id="MNIST-3",
    equivalence=0.001,
    equivalence_why=("0.1 points of test accuracy: the project's margin for 'as accurate as' (preset `margin`), below "
                     "the smallest gap the paper reads as a difference (Fig. 5: about 0.3 points at Pm 13.5%)"),
    statement=("At about 7% and 3.6% of weights remaining, iteratively pruned tickets are more accurate than one-shot "
               "pruned tickets of the same size."),
    source="arXiv 1803.03635 (ICLR 2019), Sec. 2, Fig. 4c vs Fig. 4a",
    paper_numbers=("ICLR: one-shot tickets are more accurate than the dense network only for 95.0% >= Pm >= 5.17%, "
                   "iterative ones down to smaller sizes; iterative pruning finds smaller winning tickets."),
    at=(7.0, 3.6),
    checks=[checks.versus(arms.TICKET, arms.ONE_SHOT, design="signflip", label="{pm}: iterative > one-shot")],
    holds="iterative beats one-shot at both levels",
    figures=[figures.accuracy()]).test
