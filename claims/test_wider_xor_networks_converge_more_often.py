"""XOR-1: wider networks converge more often (v1, Sec. 2)."""
import numpy as np
import pytest

from lth import evidence, stats


@pytest.mark.claim(
    id="XOR-1",
    statement="Wider 2-H-1 networks fit XOR more often under a fixed training budget.",
    source="arXiv 1803.03635v1, Sec. 2 (XOR)",
    schedule=1,  # seconds of work: last, to fill a worker's idle end
    paper_numbers="v1: the chance that a network converges grows with its hidden-layer width (2 to 10 units).",
)
def test_wider_xor_networks_converge_more_often(lth_lab, claim):
    widths = lth_lab.preset.xor_widths
    runs = {h: lth_lab.xor_convergence(h) for h in widths}
    conv = {h: runs[h]["converged"].numpy() for h in widths}
    groups = np.concatenate([np.full(len(conv[h]), h) for h in widths])
    outcome = np.concatenate([conv[h] for h in widths]).astype(float)
    kw = claim.options
    result = stats.all_hold([
        stats.trend(groups, outcome, label="convergence rate rises with width", **kw),
        stats.fisher(conv[max(widths)], conv[min(widths)],
                     label=f"H={max(widths)} converges more often than H={min(widths)}", **kw),
    ], label="trend and extremes")
    rates = ", ".join(f"H={h}: {100 * conv[h].mean():.1f}%" for h in widths)
    claim.conclude(
        result,
        measured=f"convergence rates {rates}",
        figures=[evidence.rates_bar("XOR: convergence rate against hidden width (95% Wilson)",
                                    "fraction of seeds converged", {f"H={h}": conv[h] for h in widths})],
        seeds={"xor": lth_lab.seeds("xor")},
    )
