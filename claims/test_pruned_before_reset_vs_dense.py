"""MNIST-7b: the network pruned before reset is less accurate than the dense network (direction stated in advance)."""
from lth.claimkit import arms
from lth.claimkit import checks
from lth.claimkit import figures
from lth.claimkit.claim import Claim, Expected

test_pruned_before_reset_vs_dense = Claim(
    id="MNIST-7b",
    equivalence=0.001,
    equivalence_why=("0.1 points of test accuracy: the project's margin for 'as accurate as' (preset `margin`), below "
                     "the smallest gap the paper reads as a difference (Fig. 5: about 0.3 points at Pm 13.5%)"),
    statement=("At Pm <= 21%, the trained network pruned but not reset or retrained is less accurate than the dense "
               "network: magnitude pruning of a trained network costs accuracy until it is retrained. Direction "
               "stated before the verdict runs (the seed summary compares with the dense network only in words)."),
    source=("lth's seed summary of arXiv 1803.03635 (its discussion), not a claim the paper states; related: ICLR "
            "App. B"),
    paper_numbers=("ICLR: no number. Direction registered from 0.2.0's run at seed base 0 (96.9/95.4/94.8% against "
                   "the dense 97.3% at 21/7/3.6%), before the verdict runs at fresh seed bases."),
    at=(21.1, 7.0, 3.6),
    checks=[checks.versus(arms.PRUNED_BEFORE_RESET, arms.DENSE, alternative="less", design="signflip",
                          label="{pm}: pruned before reset < dense")],
    holds="pruned-before-reset below dense at every level",
    figures=[figures.accuracy(controls=False, pruned_before_reset=True)],
    expected={"ci": Expected("inconclusive", (
        "Verdict runs (0.3.0, seed bases 60000 and 70000): below dense at 7% and 3.6% (p 6.6e-4 and 1e-5; 5.5e-6 "
        "and 4.7e-5), but at 21% the pruned-before-reset network was only 0.16 and 0.21 points below the dense one "
        "(p 0.18 and 0.07): pruning 20% of a trained 26% ticket costs about as much as the ticket gained over "
        "dense. The registered direction is kept. Claims v3 reads those runs as pilot data (CHANGELOG, 0.3.0 history): at 21% the equivalence test at 0.1 points gave p 0.63-0.78 and the MDE was 0.62-0.78 points, so at ci with 16 seeds the outcome expected is inconclusive, neither the claim nor its absence."))}).test
