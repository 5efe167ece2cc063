"""CAL-1: the machinery does not declare two seed sets of one configuration different (A/A)."""
import pytest

from lth import evidence, stats


@pytest.mark.claim(
    id="CAL-1",
    statement=("Two independent seed sets of one configuration are not declared different by the same machinery "
               "(A/A check on dense LeNet test accuracy and on width-4 XOR convergence)."),
    source="lth calibration (not a claim of the paper)",
    paper_numbers="none: a false positive here would mean the statistics layer is miscalibrated.",
)
def test_calibration(lth_lab, claim):
    kw = claim.options
    acc = lth_lab.lenet_iterative()["rounds"][0]["test_acc_es"].numpy()
    xor = lth_lab.xor_convergence(4)["converged"].numpy()
    ha, hx = len(acc) // 2, len(xor) // 2
    parts = [stats.same_distribution(acc[:ha], acc[ha:], label="dense LeNet accuracy, seed halves", **kw),
             stats.same_rate(xor[:hx], xor[hx:], label="XOR H=4 convergence, seed halves", **kw)]
    result = min(parts, key=lambda r: r.p_value)  # the A/A check fails if either comparison is declared different
    result.components = [r.to_dict() for r in parts]
    claim.conclude(
        result, aa=True,
        measured=(f"LeNet halves {100 * acc[:ha].mean():.2f}% vs {100 * acc[ha:].mean():.2f}% (p {parts[0].p_value:.3g}); "
                  f"XOR halves {100 * xor[:hx].mean():.1f}% vs {100 * xor[hx:].mean():.1f}% (p {parts[1].p_value:.3g})"),
        figures=[evidence.strip("A/A: dense LeNet test accuracy by seed half", "test accuracy at early stopping",
                                {"first half": acc[:ha], "second half": acc[ha:]}),
                 evidence.rates_bar("A/A: XOR H=4 convergence by seed half (95% Wilson)", "fraction converged",
                                    {"first half": xor[:hx], "second half": xor[hx:]})],
        seeds={"mnist": lth_lab.seeds("mnist"), "xor": lth_lab.seeds("xor")},
    )
