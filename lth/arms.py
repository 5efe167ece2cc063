"""The arms claims compare: each a named way to get per-seed values from a Lab at a level.

A level is what the arm varies: Pm in percent for LeNet pruning arms (``TICKET.at(21)``),
the width multiplier for ``LENET_WIDTH``, the hidden units for ``XOR_DENSE``. An arm
fetches a typed record and reads one metric from it; ``metric`` on the arm overrides the
comparison's (the pruned-before-reset arm reads its own accuracy field).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Callable

import numpy as np

# The order in which the plugin starts claims, by the experiment family they need: families
# no other claim shares and that take long start first (another worker begins the shared
# pruning run meanwhile); seconds-long ones run last, to fill a worker's idle end.
FAMILY_ORDER = {"lenet-width": -1, "fmnist": -1, "lenet-speed": 0, "lenet-iterative": 0, "mnist-beyond": 0.5, "xor": 1}


@dataclass(frozen=True)
class Arm:
    name: str
    fetch: Callable[[Any, Any], Any]  # (lab, level) -> record
    family: str = "lenet-iterative"
    metric: str | None = None  # read this field instead of the comparison's metric
    where: str | None = None  # keep only seeds where this boolean field of the record is true
    level: Any = None  # a pinned level (see ``at``)
    shared: Callable[[Any], bool] = lambda level: False  # levels other claims also need (fetched last)

    def at(self, level: Any) -> "Arm":
        """This arm pinned to one level, e.g. ``TICKET.at(21)``."""
        return replace(self, level=level)

    def values(self, lab, level: Any, metric: str) -> np.ndarray:
        """Per-seed values (float64, seed order) of ``metric`` at ``level`` (or the pinned level)."""
        record = self.fetch(lab, self.level if self.level is not None else level)
        v = getattr(record, self.metric or metric)
        if self.where is not None:
            v = v[getattr(record, self.where)]
        return v.double().numpy()

    def censored(self, lab, level: Any) -> float:
        """Fraction of seeds whose early-stopping iteration is the last evaluation (never stopped early)."""
        from lth.paired import censored_fraction

        record = self.fetch(lab, self.level if self.level is not None else level)
        es = record.es_iteration
        if self.where is not None:
            es = es[getattr(record, self.where)]
        return censored_fraction(es.double().numpy(), int(record.eval_iterations[-1]))

    def level_label(self, lab, level: Any) -> str:
        lvl = self.level if self.level is not None else level
        if self.family in ("lenet-iterative", "lenet-speed"):
            return lab.lenet_iterative().at(lvl).label
        if self.family == "xor":
            return f"H={lvl}" if lvl is not None else ""
        return f"x{lvl:g}" if lvl is not None else ""


def _iterative(lab, pm):
    return lab.lenet_iterative().at(pm)


def _before_reset(lab, pm):
    """Round r-1's trained weights under round r's mask: the ticket of Pm ``pm`` before reset and retraining."""
    return lab.lenet_iterative().rounds[lab.level(pm) - 1]


TICKET = Arm("iterative ticket", _iterative)
DENSE = Arm("dense", lambda lab, pm: lab.lenet_iterative().dense, level=100.0)
ONE_SHOT = Arm("one-shot ticket", lambda lab, pm: lab.lenet_one_shot(pm))
REINIT = Arm("random reinit", lambda lab, pm: lab.lenet_reinit_mean(pm))
RANDOM_PRUNING = Arm("random pruning", lambda lab, pm: lab.lenet_random_prune(pm))
REARRANGED = Arm("rearranged", lambda lab, pm: lab.lenet_rearranged(pm))
PRUNED_BEFORE_RESET = Arm("pruned before reset", _before_reset, metric="pruned_before_reset_acc")
# Speed runs: the ticket (or control) at a round's mask retrained for the preset's speed_train budget
SPEED_DENSE = Arm("dense", lambda lab, pm: lab.lenet_speed("", 100.0), family="lenet-speed", level=100.0)
SPEED_TICKET = Arm("iterative ticket", lambda lab, pm: lab.lenet_speed("", pm), family="lenet-speed")
SPEED_REINIT = Arm("random reinit", lambda lab, pm: lab.lenet_speed("reinit", pm), family="lenet-speed")
SPEED_RANDOM_PRUNING = Arm("random pruning", lambda lab, pm: lab.lenet_speed("random-prune", pm), family="lenet-speed")
SPEED_REARRANGED = Arm("rearranged", lambda lab, pm: lab.lenet_speed("rearrange", pm), family="lenet-speed")
LENET_WIDTH = Arm("LeNet", lambda lab, w: lab.lenet_width(w), family="lenet-width", shared=lambda w: w == 1.0)
XOR_DENSE = Arm("dense XOR", lambda lab, h: lab.xor_convergence(h), family="xor", metric="converged")
_xor_ticket = lambda lab, level: lab.xor_tickets()
XOR_TICKET = Arm("ticket (reset)", _xor_ticket, family="xor", metric="ticket", where="dense_converged")
XOR_REINIT = Arm("reinit (architecture)", _xor_ticket, family="xor", metric="reinit", where="dense_converged")
XOR_REARRANGED = Arm("rearranged (init values shuffled)", _xor_ticket, family="xor", metric="rearranged",
                     where="dense_converged")
XOR_RANDOM_UNITS = Arm("random units (init)", _xor_ticket, family="xor", metric="random_units", where="dense_converged")


# ---- beyond the paper (issue 10) ----------------------------------------------------------------
FASHION = "fashion-mnist"


@dataclass(frozen=True)
class BeyondArm(Arm):
    """An arm of the follow-up claims: levels are Pm of the iterative run on ``dataset`` (its own labels, so a
    Fashion-MNIST claim never starts the MNIST run for a label)."""

    dataset: str = "mnist"

    def level_label(self, lab, level: Any) -> str:
        lvl = self.level if self.level is not None else level
        return lab.on(self.dataset).lenet_iterative().at(lvl).label if lvl is not None else ""


def _fm(get):
    """An arm's fetch on the lab's Fashion-MNIST twin."""
    return lambda lab, pm: get(lab.on(FASHION), pm)


FMNIST_TICKET = BeyondArm("iterative ticket", _fm(lambda lab, pm: lab.lenet_iterative().at(pm)), family="fmnist",
                          dataset=FASHION)
FMNIST_DENSE = BeyondArm("dense", _fm(lambda lab, pm: lab.lenet_iterative().dense), family="fmnist", level=100.0,
                         dataset=FASHION)
FMNIST_ONE_SHOT = BeyondArm("one-shot ticket", _fm(lambda lab, pm: lab.lenet_one_shot(pm)), family="fmnist",
                            dataset=FASHION)
FMNIST_REINIT = BeyondArm("random reinit", _fm(lambda lab, pm: lab.lenet_reinit_mean(pm)), family="fmnist",
                          dataset=FASHION)
FMNIST_RANDOM_PRUNING = BeyondArm("random pruning", _fm(lambda lab, pm: lab.lenet_random_prune(pm)), family="fmnist",
                                  dataset=FASHION)
SIGNED_CONSTANT = BeyondArm("signed constant (initial signs)", lambda lab, pm: lab.lenet_signed_constant(pm),
                            family="mnist-beyond")
RANDOM_SIGN_CONSTANT = BeyondArm("random-sign constant", lambda lab, pm: lab.lenet_signed_constant(pm, True),
                                 family="mnist-beyond")
SUPERMASK = BeyondArm("supermask, untrained", lambda lab, pm: lab.lenet_supermask(pm), family="mnist-beyond",
                      metric="supermask_init")
SUPERMASK_SIGNED = BeyondArm("supermask on the signed constant, untrained", lambda lab, pm: lab.lenet_supermask(pm),
                             family="mnist-beyond", metric="supermask_signed")
RANDOM_MASK = BeyondArm("random mask, untrained", lambda lab, pm: lab.lenet_supermask(pm), family="mnist-beyond",
                        metric="random_init")
LMC_TICKET = BeyondArm("iterative ticket", lambda lab, pm: lab.lenet_lmc(pm), family="mnist-beyond",
                       metric="barrier")
LMC_RANDOM_PRUNING = BeyondArm("random pruning", lambda lab, pm: lab.lenet_lmc(pm, "random-prune"),
                               family="mnist-beyond", metric="barrier")
