"""MNIST-1: larger LeNet-family networks reach higher test accuracy after the same number of iterations."""
import numpy as np
import pytest

from lth import evidence, stats


@pytest.mark.claim(
    id="MNIST-1",
    statement="Wider LeNet-300-100-family networks (3:1 hidden widths) reach higher test accuracy after the same number of iterations.",
    source="arXiv 1803.03635v1, Sec. 3 (MNIST, network size)",
    paper_numbers="v1: larger fully connected MNIST networks train to higher accuracy (no single number quoted here).",
    schedule=-1,  # its width runs share nothing with the pruning run: start them first, on another worker
)
def test_wider_lenets_are_more_accurate(lth_lab, claim):
    widths = lth_lab.preset.widths
    # width 1 is round 0 of the shared pruning run: ask for it last, after the widths no other claim needs
    runs = {w: lth_lab.lenet_width(w) for w in sorted(widths, key=lambda w: w == 1.0)}
    acc = {w: runs[w]["test_acc_final"].numpy() for w in widths}
    groups = np.concatenate([np.full(len(acc[w]), w) for w in widths])
    values = np.concatenate([acc[w] for w in widths])
    result = stats.trend(groups, values, label="test accuracy rises with width", **claim.options)
    means = ", ".join(f"x{w:g}: {100 * np.nanmean(acc[w]):.2f}%" for w in widths)
    claim.conclude(
        result,
        measured=f"mean test accuracy at iteration {lth_lab.preset.lenet_train.iterations}: {means}",
        figures=[evidence.line("MNIST: test accuracy against width (mean, 95% band)", "width multiplier",
                               "test accuracy at the last iteration",
                               [evidence.line_series("LeNet family", widths, [acc[w] for w in widths])],
                               xscale="log")],
        seeds={"mnist": lth_lab.seeds("mnist")},
    )
