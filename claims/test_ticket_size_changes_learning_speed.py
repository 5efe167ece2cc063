"""MNIST-5: the early-stopping iteration falls as the ticket shrinks to about 21%, then rises again."""
import pytest

from lth import claimdata, stats


@pytest.mark.claim(
    id="MNIST-5",
    statement=("The early-stopping iteration of iterative tickets falls from the dense network to about 21% of "
               "weights remaining and rises again by about 3.6%."),
    source="arXiv 1803.03635 (ICLR 2019), Sec. 2, Fig. 3 and Fig. 4a",
    paper_numbers=("ICLR: at 21% early stopping is 38% earlier than dense; at Pm = 3.6% a ticket 'regresses to the "
                   "performance of the original network'."),
)
@pytest.mark.lth_xfail(scale="ci", reason=(
    "At ci (16 seeds, 2,000 iterations a round) both steps point the claimed way but neither is significant: "
    "early stop dense 1862, Pm 21% 1600, Pm 3.6% 1838 (p = 0.014 and 0.018 against alpha 0.001, seed base 0); "
    "GPU pilot at 2,000 iterations: p = 0.35 and 0.13 for the fall. Early stopping needs the validation loss to "
    "turn upward, which takes more iterations than ci affords (scale 'paper' runs the paper's 50,000)."))
def test_ticket_size_changes_learning_speed(lth_lab, claim):
    p = lth_lab.preset
    rounds = lth_lab.lenet_iterative()["rounds"]
    mid, small = p.levels[1], p.levels[-1]
    es = {r: claimdata.values(rounds[r]["es_iteration"]) for r in (0, mid, small)}
    kw = claim.options
    lm, ls = claimdata.level_label(lth_lab, mid), claimdata.level_label(lth_lab, small)
    result = stats.all_hold([
        stats.welch(es[mid], es[0], alternative="less", label=f"{lm} stops earlier than dense", **kw),
        stats.welch(es[small], es[mid], alternative="greater", label=f"{ls} stops later than {lm}", **kw),
    ], label="falls then rises")
    claim.conclude(
        result,
        measured=(f"mean early-stopping iteration: dense {es[0].mean():.0f}, {lm} {es[mid].mean():.0f}, "
                  f"{ls} {es[small].mean():.0f}"),
        figures=[claimdata.accuracy_figure(lth_lab, "es_iteration", with_controls=False),
                 claimdata.curves_figure(lth_lab)],
        seeds={"mnist": lth_lab.seeds("mnist")},
    )
