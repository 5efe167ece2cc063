"""MNIST-3: iterative pruning finds more accurate small tickets than one-shot pruning."""
import pytest

from lth import claimdata, stats


@pytest.mark.claim(
    id="MNIST-3",
    statement="At about 7% and 3.6% of weights remaining, iteratively pruned tickets are more accurate than one-shot pruned tickets of the same size.",
    source="arXiv 1803.03635 (ICLR 2019), Sec. 2, Fig. 4c vs Fig. 4a",
    paper_numbers=("ICLR: one-shot tickets are more accurate than the dense network only for 95.0% >= Pm >= 5.17%, "
                   "iterative ones down to smaller sizes; iterative pruning finds smaller winning tickets."),
)
def test_iterative_beats_one_shot(lth_lab, claim):
    p = lth_lab.preset
    rounds = lth_lab.lenet_iterative()["rounds"]
    kw = claim.options
    parts, text = [], []
    for r in p.levels[2:]:
        it, os_ = rounds[r]["test_acc_es"], lth_lab.lenet_one_shot(r)["test_acc_es"]
        lvl = claimdata.level_label(lth_lab, r)
        parts.append(stats.welch(claimdata.values(it), claimdata.values(os_), label=f"{lvl}: iterative > one-shot", **kw))
        text.append(f"{lvl}: iterative {100 * it.mean():.2f}% vs one-shot {100 * os_.mean():.2f}%")
    claim.conclude(
        stats.all_hold(parts, label="iterative beats one-shot at both levels"),
        measured="; ".join(text),
        figures=[claimdata.accuracy_figure(lth_lab)],
        seeds={"mnist": lth_lab.seeds("mnist")},
    )
