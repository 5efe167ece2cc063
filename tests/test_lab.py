"""The Lab: typed records, levels named by Pm (from the rates alone), registered controls, other budgets."""
import pytest
import torch

from lth.experiments import presets
from lth.experiments.lab import Lab
from lth.experiments.records import IterativeRun, RunSummary


@pytest.fixture(scope="module")
def lab(tmp_path_factory, mnist):
    return Lab.local(presets.get("smoke"), tmp_path_factory.mktemp("cache"), n_seeds=2)


def test_iterative_run_is_typed_and_levels_are_named_by_pm(lab):
    run = lab.iterative()
    assert isinstance(run, IterativeRun) and len(run.rounds) == lab.preset.rounds + 1
    assert run.dense.pm == 100.0 and lab.level(21) == 7 and run.at(3.6).label == "Pm 3.58%"
    assert run.rounds[7].test_acc_es.shape == (2,) and run.rounds[7].es_iteration.dtype == torch.long
    assert [r.pm for r in run.rounds] == lab.planner.pms  # the rates alone give every round's Pm
    assert all(lab.label(r.pm) == r.label for r in run.rounds)
    with pytest.raises(ValueError, match="no pruning round has Pm near 45"):
        lab.level(45)


def test_the_round_records_equal_the_summary_of_every_round(lab):
    run = lab.iterative()
    for pm in (100.0, 51.3, 21.1):
        one = lab.ticket(pm)
        assert torch.equal(one.test_acc_es, run.at(pm).test_acc_es) and torch.equal(one.val_loss, run.at(pm).val_loss)


def test_controls_share_the_rounds_counts(lab):
    ticket = lab.ticket(21)
    for kind in ("one-shot", "reinit", "random-pruning", "rearranged", "signed-constant", "random-sign-constant"):
        control = lab.control(kind, 21)
        assert isinstance(control, RunSummary) and torch.equal(control.density, ticket.density), kind
    with pytest.raises(ValueError, match="^unknown control 'bogus'; known: ticket, one-shot, reinit"):
        lab.control("bogus", 21)


def test_a_ticket_retrained_for_its_own_budget_is_the_round_and_the_speed_budget_is_its_own(lab):
    same_budget = lab.control("ticket", 21)
    ticket = lab.ticket(21)
    assert torch.equal(same_budget.test_acc_es, ticket.test_acc_es)  # the round's own run, recomputed: same numbers
    longer = lab.ticket(21, budget="speed")
    assert longer.eval_iterations == list(range(lab.preset.speed_train.eval_every, lab.preset.speed_train.iterations + 1,
                                                lab.preset.speed_train.eval_every))
    rearranged = lab.control("rearranged", 21)
    assert not torch.equal(rearranged.val_loss, ticket.val_loss)
    with pytest.raises(ValueError, match="budget must be one of rounds, speed, got 'forever'"):
        lab.ticket(21, budget="forever")
