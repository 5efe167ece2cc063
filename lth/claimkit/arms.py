"""The arms claims compare, as data: where per-seed values come from (a Lab source), on which data set, how.

An arm is (source, control, data set, budget, metric): ``TICKET`` is the round's own ticket,
``REINIT`` the reinit control averaged over the preset's draws, ``SPEED_TICKET`` the ticket retrained
for the speed budget. A level is what the arm varies: Pm in percent for LeNet pruning arms
(``TICKET.at(21)``), the width multiplier for ``LENET_WIDTH``, the hidden units for ``XOR_DENSE``.
The Fashion-MNIST arms are the MNIST arms on another data set (``on``), not copies. A user's control
(:func:`lth.experiments.controls.register_control`) is an arm with ``control="its-name"``.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from lth.experiments.lab import Want, source_named
from lth.stats.paired import censored_fraction

FASHION = "fashion-mnist"


@dataclass(frozen=True)
class Arm:
    name: str
    source: str  # a Lab source (lth.experiments.lab.SOURCES)
    control: str = "ticket"  # a registered control (lth.experiments.controls), for control and lmc sources
    dataset: str = "mnist"
    budget: str = "rounds"  # "rounds": the pruning rounds' training; "speed": the preset's speed_train
    metric: str | None = None  # read this field instead of the comparison's metric
    where: str | None = None  # keep only seeds where this boolean field of the record is true
    level: Any = None  # a pinned level (see ``at``)
    criterion: str = "magnitude"  # the pruning criterion of the chain the arm's masks come from

    def __post_init__(self) -> None:
        source_named(self.source)  # an unknown source is an error where the arm is declared

    def at(self, level: Any) -> "Arm":
        """This arm pinned to one level, e.g. ``TICKET.at(21)``."""
        return replace(self, level=level)

    def on(self, dataset: str) -> "Arm":
        """The same arm on another data set."""
        return replace(self, dataset=dataset)

    @property
    def want(self) -> Want:
        return Want(control=self.control, budget=self.budget, criterion=self.criterion)

    @property
    def family(self) -> str:
        """The experiment family the arm reads (the plugin starts claims in family order)."""
        if self.source.startswith("xor"):
            return "xor"
        if self.source == "width":
            return "lenet-width"
        if self.dataset != "mnist":
            return "fmnist"
        if self.budget == "speed":
            return "lenet-speed"
        if self.source in ("supermask", "lmc") or self.control in ("signed-constant", "random-sign-constant"):
            return "mnist-beyond"
        return "lenet-iterative"

    def shared(self, level: Any) -> bool:
        """Levels other claims also need (a trend fetches them last): width 1 is round 0 of the pruning run."""
        return self.source == "width" and level == 1.0

    def _lab(self, lab):
        return lab.on(self.dataset) if not self.source.startswith("xor") else lab

    def _level(self, level: Any) -> Any:
        return self.level if self.level is not None else level

    def record(self, lab, level: Any):
        return self._lab(lab).record(self.source, self._level(level), self.want)

    def experiments(self, lab, level: Any) -> list:
        """The experiments this arm reads at ``level`` (unrun: for the graph)."""
        return self._lab(lab).experiments(self.source, self._level(level), self.want)

    def values(self, lab, level: Any, metric: str) -> np.ndarray:
        """Per-seed values (float64, seed order) of ``metric`` at ``level`` (or the pinned level)."""
        record = self.record(lab, level)
        v = getattr(record, self.metric or metric)
        if self.where is not None:
            v = v[getattr(record, self.where)]
        return v.double().numpy()

    def seeds(self, lab, level: Any) -> list[int]:
        """The seeds of :meth:`values`, in the same order (those kept by ``where``)."""
        seeds = lab.seeds("xor") if self.source.startswith("xor") else self._lab(lab).seeds()
        if self.where is None:
            return seeds
        keep = getattr(self.record(lab, level), self.where).tolist()
        return [s for s, k in zip(seeds, keep) if k]

    def per_seed(self, lab, level: Any, metric: str, values) -> dict:
        """One arm's data for the evidence: name, level, metric, seeds and values."""
        lvl = self._level(level)
        return {"arm": self.name, "level": self.level_label(lab, level), "level_value": lvl,
                "metric": self.metric or metric, "seeds": self.seeds(lab, level), "values": [float(v) for v in values]}

    def trains(self, lab, level: Any) -> bool:
        """Whether the arm's record is a training with early stopping (so censoring means something for it)."""
        record = self.record(lab, level)
        return hasattr(record, "es_iteration") and hasattr(record, "eval_iterations")

    def censored(self, lab, level: Any) -> float:
        """Fraction of seeds whose early-stopping iteration is the last evaluation (never stopped early)."""
        record = self.record(lab, level)
        es = record.es_iteration
        if self.where is not None:
            es = es[getattr(record, self.where)]
        return censored_fraction(es.double().numpy(), int(record.eval_iterations[-1]))

    def level_label(self, lab, level: Any) -> str:
        lvl = self._level(level)
        if lvl is None:
            return ""
        if self.source.startswith("xor"):
            return f"H={lvl}"
        if self.source == "width":
            return f"x{lvl:g}"
        return self._lab(lab).label(lvl)


ITERATIVE = Arm("iterative pruning, every round", "iterative")
TICKET = Arm("iterative ticket", "round")
DENSE = Arm("dense", "round", level=100.0)
ONE_SHOT = Arm("one-shot ticket", "control", control="one-shot")
REINIT = Arm("random reinit", "control-mean", control="reinit")
RANDOM_PRUNING = Arm("random pruning", "control", control="random-pruning")
REARRANGED = Arm("rearranged", "control", control="rearranged")
PRUNED_BEFORE_RESET = Arm("pruned before reset", "before-reset", metric="pruned_before_reset_acc")
# Speed runs: the ticket (or control) at a round's mask retrained for the preset's speed_train budget
SPEED_DENSE = Arm("dense", "control", budget="speed", level=100.0)
SPEED_TICKET = Arm("iterative ticket", "control", budget="speed")
SPEED_REINIT = Arm("random reinit", "control", control="reinit", budget="speed")
SPEED_RANDOM_PRUNING = Arm("random pruning", "control", control="random-pruning", budget="speed")
SPEED_REARRANGED = Arm("rearranged", "control", control="rearranged", budget="speed")
LENET_WIDTH = Arm("LeNet", "width")
XOR_DENSE = Arm("dense XOR", "xor-dense", metric="converged")
XOR_TICKET = Arm("ticket (reset)", "xor-tickets", metric="ticket", where="dense_converged")
XOR_REINIT = Arm("reinit (architecture)", "xor-tickets", metric="reinit", where="dense_converged")
XOR_REARRANGED = Arm("rearranged (init values shuffled)", "xor-tickets", metric="rearranged", where="dense_converged")
XOR_RANDOM_UNITS = Arm("random units (init)", "xor-tickets", metric="random_units", where="dense_converged")
SIGNED_CONSTANT = Arm("signed constant (initial signs)", "control", control="signed-constant")
RANDOM_SIGN_CONSTANT = Arm("random-sign constant", "control", control="random-sign-constant")
SUPERMASK = Arm("supermask, untrained", "supermask", metric="supermask_init")
SUPERMASK_SIGNED = Arm("supermask on the signed constant, untrained", "supermask", metric="supermask_signed")
RANDOM_MASK = Arm("random mask, untrained", "supermask", metric="random_init")
LMC_TICKET = Arm("iterative ticket", "lmc", metric="barrier")
LMC_RANDOM_PRUNING = Arm("random pruning", "lmc", control="random-pruning", metric="barrier")
