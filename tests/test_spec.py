"""Experiment specs: a stable key in every process, unchanged by new default fields, changed by every real one."""
import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest

from lth.core import models
from lth.experiments.spec import ExperimentSpec
from lth.core.training import TrainConfig

REPO = Path(__file__).resolve().parents[1]


def reference() -> ExperimentSpec:
    return ExperimentSpec(kind="lenet-control", arch=models.lenet_300_100(), train=TrainConfig(iterations=2_000, eval_every=200),
                          rates=(("w0", 0.2), ("w1", 0.2), ("w2", 0.1)), round=7, control="reinit")


# Pinned: a change here means every cache entry of this kind changed key. That must come only from a
# deliberate change to what determines results, never from a refactor or a new default.
REFERENCE_KEY = "42cbb0c2c3a09f80574e7654e351e1ec"


def test_key_is_pinned():
    assert reference().key() == REFERENCE_KEY


def test_key_is_the_same_in_another_process():
    code = ("import sys; sys.path.insert(0, sys.argv[1]); from tests.test_spec import reference; "
            "print(reference().key())")
    out = subprocess.run([sys.executable, "-c", code, str(REPO)], capture_output=True, text=True, check=True, cwd=REPO,
                         env={"PYTHONHASHSEED": "12345", "PATH": ""})
    assert out.stdout.strip() == reference().key()


def test_a_new_field_at_its_default_leaves_keys_unchanged():
    Extended = dataclasses.make_dataclass("Extended", [("new_option", int, dataclasses.field(default=0))],
                                          bases=(ExperimentSpec,), frozen=True)
    spec = reference()
    extended = Extended(**{f.name: getattr(spec, f.name) for f in dataclasses.fields(spec)})
    assert extended.key() == spec.key()
    assert dataclasses.replace(extended, new_option=1).key() != spec.key()


def test_a_new_train_option_at_its_default_leaves_keys_unchanged():
    Extended = dataclasses.make_dataclass("TrainExtended", [("new_option", str, dataclasses.field(default="x"))],
                                          bases=(TrainConfig,), frozen=True)
    spec = reference()
    train = Extended(**{f.name: getattr(spec.train, f.name) for f in dataclasses.fields(spec.train)})
    assert dataclasses.replace(spec, train=train).key() == spec.key()


CHANGES = {
    "kind": "lenet-dense", "arch": models.lenet_300_100(0.5), "train": TrainConfig(iterations=2_000, eval_every=100),
    "dataset": "fashion-mnist", "split_seed": 1, "device": "cuda", "rates": (("w0", 0.2), ("w1", 0.2), ("w2", 0.2)),
    "rounds": 15, "round": 8, "control": "random-pruning", "control_index": 1, "loss_threshold": 0.1, "keep_units": 2,
    "criterion": "unit L2 norm", "pruning_criterion": "random-scores", "control_code": "0123456789abcdef",
}


@pytest.mark.parametrize("name", [f.name for f in dataclasses.fields(ExperimentSpec)])
def test_every_field_changes_the_key(name):
    assert name in CHANGES, f"add a changed value for the new field {name!r} to CHANGES"
    assert dataclasses.replace(reference(), **{name: CHANGES[name]}).key() != reference().key()


@pytest.mark.parametrize("name, value", [("lr", 1e-3), ("batch_size", 32), ("data_order", 1), ("optimizer", "sgd")])
def test_train_config_fields_change_the_key(name, value):
    spec = reference()
    assert dataclasses.replace(spec, train=dataclasses.replace(spec.train, **{name: value})).key() != spec.key()


def test_spec_json_round_trips_and_lists_differences():
    spec = reference()
    d = json.loads(json.dumps(spec.to_dict()))
    assert d["train"]["lr"] == 1.2e-3 and d["round"] == 7 and d["rates"] == [["w0", 0.2], ["w1", 0.2], ["w2", 0.1]]
    diff = spec.differences()
    assert diff["round"] == 7 and diff["control"] == "reinit" and diff["train.iterations"] == 2_000
    assert "dataset" not in diff and "train.lr" not in diff  # at their defaults


@pytest.mark.parametrize("changes, fragment", [
    (dict(kind="lenet-something"), "'lenet-something'"),
    (dict(loss_threshold=float("nan")), "nan"),
])
def test_bad_specs_raise_value_errors(changes, fragment):
    with pytest.raises(ValueError, match=fragment):
        dataclasses.replace(reference(), **changes).key()
