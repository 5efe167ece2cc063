"""MNIST-2: iterative magnitude pruning with reset finds winning tickets (as accurate, faster)."""
import pytest

from lth import claimdata, stats


@pytest.mark.claim(
    id="MNIST-2",
    statement=("Iterative magnitude pruning with reset to initialisation finds subnetworks that, at about 51% and "
               "21% of weights remaining, are not less accurate than the dense network and reach their "
               "early-stopping iteration sooner."),
    source="arXiv 1803.03635 (ICLR 2019), Sec. 2, Fig. 3 and Fig. 4a",
    paper_numbers=("ICLR: at Pm = 21% early stopping occurs 38% earlier; tickets are up to 0.35 points more accurate "
                   "at iteration 50K; at 51.3% the ticket learns faster than the dense network."),
)
@pytest.mark.lth_xfail(scale="ci", reason=(
    "At ci (16 seeds, 2,000 iterations a round) tickets are as accurate as the dense network at 51% and 21% "
    "(non-inferiority p < 1e-11) but do not stop measurably earlier at 51%: early stop 1738 vs 1862 "
    "(p = 0.11, seed base 0); GPU pilot at 2,000 iterations: 1825 vs 1783 (p 0.64), 1808 vs 1725 (p 0.78). "
    "The validation loss has not turned upward by 2,000 iterations, so early stopping sits near the end for both; "
    "the paper's 50,000 iterations (scale 'paper') are needed for this half of the claim."))
def test_iterative_pruning_finds_winning_tickets(lth_lab, claim):
    p = lth_lab.preset
    rounds = lth_lab.lenet_iterative()["rounds"]
    dense = rounds[0]
    kw = claim.options
    parts, text = [], []
    for r in p.levels[:2]:
        t, lvl = rounds[r], claimdata.level_label(lth_lab, r)
        parts.append(stats.welch(claimdata.values(t["test_acc_es"]), claimdata.values(dense["test_acc_es"]),
                                 margin=p.margin, label=f"{lvl}: accuracy not below dense - {p.margin:g}", **kw))
        parts.append(stats.welch(claimdata.values(t["es_iteration"]), claimdata.values(dense["es_iteration"]),
                                 alternative="less", label=f"{lvl}: earlier early stopping than dense", **kw))
        text.append(f"{lvl}: accuracy {100 * t['test_acc_es'].mean():.2f}% vs dense "
                    f"{100 * dense['test_acc_es'].mean():.2f}%, early stop {t['es_iteration'].double().mean():.0f} "
                    f"vs {dense['es_iteration'].double().mean():.0f}")
    claim.conclude(
        stats.all_hold(parts, label="non-inferior and faster at both levels"),
        measured="; ".join(text),
        figures=[claimdata.accuracy_figure(lth_lab), claimdata.accuracy_figure(lth_lab, "es_iteration", False),
                 claimdata.curves_figure(lth_lab)],
        seeds={"mnist": lth_lab.seeds("mnist")},
    )
