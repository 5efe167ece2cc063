"""What an experiment is: one frozen dataclass holding everything that determines its result.

The store keys every cache entry on ``spec.key()`` (plus the seeds and the code
fingerprint) and writes the spec as JSON beside the entry, so a cache can be listed and
understood (``python -m lth cache ls``). The key is a hash of the fields that differ from
their defaults, nested dataclasses included (open_lth's ``hashname`` rule): adding a new
field with a default leaves every existing key unchanged. The other side of that rule:
never change an existing field's default (add a new field instead); ``tests/test_spec.py``
pins a key to catch it.
"""
from __future__ import annotations

import hashlib
import json
import math
from dataclasses import MISSING, dataclass, fields, is_dataclass
from typing import Any

from lth.core.models import Architecture
from lth.core.training import TrainConfig

KINDS = {
    "xor-dense": "dense 2-H-1 networks trained on XOR",
    "xor-tickets": "2-unit XOR tickets and their controls, from converged width-10 networks",
    "lenet-dense": "dense LeNet-family network trained once",
    "lenet-iterative-round": "one round of iterative magnitude pruning with reset (its mask, summary, next mask)",
    "lenet-iterative": "summary of every round of iterative magnitude pruning",
    "lenet-control": "a ticket retrained, or a control, at one round's per-layer counts (a registered control: "
                     "lth.experiments.controls)",
    "lenet-supermask": "masks applied to the untrained initial weights, evaluated without training (Zhou et al. 2019)",
    "lenet-lmc": "two copies of a subnetwork trained with two data orders, and the test error on the straight line "
                 "between them (Frankle et al. 2020)",
}


def _default(f) -> Any:
    if f.default is not MISSING:
        return f.default
    if f.default_factory is not MISSING:  # type: ignore[misc]
        return f.default_factory()  # type: ignore[misc]
    return MISSING


def plain(value: Any, *, omit_defaults: bool = False) -> Any:
    """``value`` as JSON-ready plain data (dataclasses to dicts, tuples to lists)."""
    if is_dataclass(value) and not isinstance(value, type):
        out = {}
        for f in fields(value):
            v = getattr(value, f.name)
            if omit_defaults and _default(f) is not MISSING and v == _default(f):
                continue
            out[f.name] = plain(v, omit_defaults=omit_defaults)
        return out
    if isinstance(value, dict):
        return {str(k): plain(v, omit_defaults=omit_defaults) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v, omit_defaults=omit_defaults) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"experiment specs hold finite numbers, got {value!r}")
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    raise ValueError(f"experiment specs hold plain data, got {type(value).__name__}: {value!r}")


@dataclass(frozen=True)
class ExperimentSpec:
    """One experiment. Fields that do not apply to a kind stay at their defaults.

    ``rates`` is a tuple of (layer, rate) pairs so that the spec stays hashable.
    """

    kind: str
    arch: Architecture
    train: TrainConfig
    dataset: str = "mnist"
    split_seed: int = 0  # the data set's train/validation split (lth.data.SPLIT_SEED)
    device: str = "cpu"
    rates: tuple[tuple[str, float], ...] = ()  # per-layer pruning rate of one round
    rounds: int = 0  # number of pruning rounds an aggregate covers
    round: int = 0  # the pruning round of this entry (0 = dense)
    control: str = ""  # a registered control (lth.experiments.controls), e.g. "ticket", "reinit"; "" where none applies
    control_index: int = 0  # which reinitialisation / random mask
    loss_threshold: float = 0.0  # XOR: converged means all points right and loss below this
    keep_units: int = 0  # XOR tickets: hidden units kept
    criterion: str = ""  # how units or weights are chosen, in words, where a kind has a choice
    pruning_criterion: str = "magnitude"  # the registered score a pruning round keeps the largest of (lth.core.pruning)
    control_code: str = ""  # a hash of a control registered outside lth (its source is not in the code fingerprint)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown experiment kind {self.kind!r}; known: {sorted(KINDS)}")
        if isinstance(self.rates, dict):
            object.__setattr__(self, "rates", tuple(sorted(self.rates.items())))

    def to_dict(self, omit_defaults: bool = False) -> dict:
        return plain(self, omit_defaults=omit_defaults)

    def key(self) -> str:
        """Stable hash of the fields that differ from their defaults (the same in every process)."""
        blob = json.dumps(self.to_dict(omit_defaults=True), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()[:32]

    def differences(self) -> dict:
        """Fields (dotted for nested ones) that differ from the defaults, for listings."""
        out: dict = {}

        def walk(prefix: str, d: dict) -> None:
            for k, v in d.items():
                if isinstance(v, dict) and v:
                    walk(f"{prefix}{k}.", v)
                else:
                    out[f"{prefix}{k}"] = v

        walk("", {k: v for k, v in self.to_dict(omit_defaults=True).items() if k != "kind"})
        return out

    @property
    def rate_map(self) -> dict[str, float]:
        return dict(self.rates)

