"""MNIST-7: the network pruned before reset (trained, pruned, not retrained) against the dense net and the ticket."""
import pytest

from lth import claimdata, evidence, stats


@pytest.mark.claim(
    id="MNIST-7",
    statement=("At Pm <= 21%, the trained network pruned but not reset or retrained is less accurate than the "
               "trained ticket of the same size: the ticket's accuracy comes from retraining from the original "
               "initialisation, not from the mask alone."),
    source="arXiv 1803.03635 (ICLR 2019), Sec. 7 (discussion) and App. B",
    paper_numbers="ICLR: not reported as such; App. B finds that pruning without resetting between rounds does worse.",
)
def test_pruned_before_reset(lth_lab, claim):
    p = lth_lab.preset
    rounds = lth_lab.lenet_iterative()["rounds"]
    kw = claim.options
    parts, text = [], []
    for r in p.control_rounds:
        before = claimdata.values(rounds[r - 1]["pruned_before_reset_acc"])  # round r-1's weights under round r's mask
        ticket = claimdata.values(rounds[r]["test_acc_es"])
        lvl = claimdata.level_label(lth_lab, r)
        parts.append(stats.welch(ticket, before, label=f"{lvl}: trained ticket > pruned before reset", **kw))
        text.append(f"{lvl}: pruned before reset {100 * before.mean():.2f}%, ticket {100 * ticket.mean():.2f}%")
    pm = [evidence.pct(r["next_density"]) for r in rounds[:-1]]
    before_series = evidence.line_series("pruned before reset (not retrained)", pm,
                                         [r["pruned_before_reset_acc"] for r in rounds[:-1]])
    claim.conclude(
        stats.all_hold(parts, label="ticket beats pruned-before-reset at every level"),
        measured="; ".join(text) + f"; dense {100 * rounds[0]['test_acc_es'].mean():.2f}%",
        figures=[claimdata.accuracy_figure(lth_lab, with_controls=False, extra=[before_series])],
        seeds={"mnist": lth_lab.seeds("mnist")},
    )
