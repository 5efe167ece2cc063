"""MNIST-6: weights that start small stay small, so magnitude pruning selects by initial magnitude."""
from lth import checks, figures
from lth.claimkit import Claim

test_small_weights_stay_small = Claim(
    id="MNIST-6",
    statement=("Weights that start small stay small: per layer, |initial| and |final| weights of the trained dense "
               "network are positively rank-correlated, and the weights that survive pruning to about 21% started "
               "larger than those pruned."),
    source="arXiv 1803.03635 (ICLR 2019), App. F (Fig. 13-14, initial weights of winning tickets)",
    paper_numbers=("ICLR App. F: surviving weights of the second hidden and output layers skew to larger initial "
                   "magnitudes ('increasingly bimodal'); the first hidden layer's distribution changes less."),
    checks=[checks.initial_weights(pm=21)],
    holds="every layer, both properties",
    figures=[figures.initial_weights(pm=21)],
).test
