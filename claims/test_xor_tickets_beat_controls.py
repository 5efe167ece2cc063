"""XOR-2: a 2-unit ticket pruned from a converged width-10 network converges more often than controls."""
import pytest

from lth import evidence, stats


@pytest.mark.claim(
    id="XOR-2",
    statement=("Keeping the 2 largest hidden units of a converged 2-10-1 network and resetting them to their "
               "initial weights gives networks that converge more often than the same units freshly initialised "
               "(architecture only) and than 2 random units of the same initial network (initialisation only)."),
    source="arXiv 1803.03635v1, Sec. 2 (XOR, pruned networks)",
    schedule=1,  # seconds of work: last, to fill a worker's idle end
    paper_numbers="v1: pruned-and-reset XOR networks converge reliably; reinitialised or rearranged ones do worse.",
)
def test_xor_tickets_beat_controls(lth_lab, claim):
    res = lth_lab.xor_tickets()
    ok = res["dense_converged"]  # tickets come only from networks that converged
    ticket, reinit, rand = res["ticket"][ok].numpy(), res["reinit"][ok].numpy(), res["random_units"][ok].numpy()
    kw = claim.options
    result = stats.all_hold([
        stats.fisher(ticket, reinit, label="ticket vs same units reinitialised", **kw),
        stats.fisher(ticket, rand, label="ticket vs random units of the same init", **kw),
    ], label="ticket beats both controls")
    two = lth_lab.xor_convergence(min(lth_lab.preset.xor_widths))["converged"].numpy()
    claim.conclude(
        result,
        measured=(f"of {int(ok.sum())} converged width-10 networks, tickets converged {100 * ticket.mean():.1f}%, "
                  f"reinitialised {100 * reinit.mean():.1f}%, random units {100 * rand.mean():.1f}% "
                  f"(dense H=2 from scratch: {100 * two.mean():.1f}%)"),
        figures=[evidence.rates_bar("XOR: 2-unit ticket against its controls (95% Wilson)", "fraction converged", {
            "ticket (reset)": ticket, "reinit (architecture)": reinit, "random units (init)": rand,
            "dense H=2": two})],
        seeds={"xor": lth_lab.seeds("xor")},
    )
