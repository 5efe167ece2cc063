"""The Lab: typed records, levels named by Pm, controls (rearranged included) and tickets retrained longer."""
import pytest
import torch

from lth.experiments import presets as scales
from lth.experiments.lab import Lab
from lth.experiments.records import IterativeRun, RunSummary
from lth.experiments.store import Store
from lth.core.training import TrainConfig


@pytest.fixture(scope="module")
def lab(tmp_path_factory, mnist):
    return Lab(scales.get("smoke"), Store(tmp_path_factory.mktemp("cache")), n_seeds=2)


def test_iterative_run_is_typed_and_levels_are_named_by_pm(lab):
    run = lab.lenet_iterative()
    assert isinstance(run, IterativeRun) and len(run.rounds) == lab.preset.rounds + 1
    assert run.dense.pm == 100.0 and lab.level(21) == 7 and run.at(3.6).label == "Pm 3.58%"
    assert run.rounds[7].test_acc_es.shape == (2,) and run.rounds[7].es_iteration.dtype == torch.long
    with pytest.raises(ValueError, match="no pruning round has Pm near 45"):
        lab.level(45)


def test_controls_share_the_rounds_counts(lab):
    ticket = lab.lenet_iterative().at(21)
    for kind in ("one-shot", "reinit", "random-prune", "rearrange"):
        control = lab.control(kind, 21)
        assert isinstance(control, RunSummary) and torch.equal(control.density, ticket.density), kind
    with pytest.raises(ValueError, match="'bogus'"):
        lab.control("bogus", 21)


def test_a_ticket_retrained_longer_is_its_own_experiment(lab):
    longer = lab.control("", 21, train=TrainConfig(iterations=200, eval_every=50))
    assert longer.eval_iterations == [50, 100, 150, 200]
    same_budget = lab.control("", 21)
    ticket = lab.lenet_iterative().at(21)
    assert torch.equal(same_budget.test_acc_es, ticket.test_acc_es)  # the round's own run, recomputed: same numbers
    rearranged = lab.lenet_rearranged(21)
    assert not torch.equal(rearranged.val_loss, ticket.val_loss)
