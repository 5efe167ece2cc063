"""The comparisons a claim declares, each a small object implementing :class:`lth.claimkit.check.Check`.

``versus`` is "arm A against arm B at these levels with this design"; ``trend`` is "this metric rises
(or falls) over these levels"; ``threshold`` (:mod:`lth.claimkit.threshold`) is "this arm lies above a
value"; ``initial_weights`` (:mod:`lth.claimkit.appendix_f`) is App. F's analysis of which weights
survive. Each returns its scipy-based results and a piece of the claim's "measured" text.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from lth import stats
from lth.claimkit.appendix_f import InitialWeights, initial_weights
from lth.claimkit.arms import Arm
from lth.claimkit.check import WORDS, arms_at, fmt, preset_value
from lth.claimkit.threshold import Threshold, threshold
from lth.stats import designs
from lth.stats.results import check_alternative

__all__ = ["Versus", "versus", "Trend", "trend", "Threshold", "threshold", "InitialWeights", "initial_weights"]


@dataclass(frozen=True)
class Versus:
    a: Arm
    b: Arm
    metric: str
    label: str  # format fields: {pm} the claim's level, {a} and {b} each arm's level, {margin}
    design: str = "signflip"  # a registered design (lth.stats.designs): the one that fits the data
    alternative: str = "greater"
    margin: float | str = 0.0  # non-inferiority margin, or the name of the preset field holding it

    @property
    def arms(self) -> tuple[Arm, ...]:
        return (self.a, self.b)

    def needs(self, lab, level: Any) -> list[tuple[Arm, Any]]:
        return arms_at(self.arms, level)

    def run(self, lab, options: dict, level: Any = None) -> tuple[list[stats.TestResult], list[str]]:
        margin = preset_value(lab, self.margin)
        a, b = self.a.values(lab, level, self.metric), self.b.values(lab, level, self.metric)
        la, lb = self.a.level_label(lab, level), self.b.level_label(lab, level)
        label = self.label.format(pm=la, a=la, b=lb, margin=f"{margin:g}")
        result = designs.run(self.design, a, b, alternative=self.alternative, margin=margin, label=label, **options)
        result.per_seed = {"design": self.design, "alternative": self.alternative, "margin": margin,
                           "arms": [self.a.per_seed(lab, level, self.metric, a), self.b.per_seed(lab, level, self.metric, b)]}
        ma, mb = self.a.metric or self.metric, self.b.metric or self.metric
        name_a = self.a.name + (f" ({la})" if level is None and self.a.level is not None else "")
        name_b = self.b.name + (f" ({lb})" if level is None and self.b.level is not None else "")
        where = f"{la}: " if level is not None else ""
        words = f"{where}{WORDS.get(ma, ma)}: {name_a} {fmt(a, ma)} vs {name_b} {fmt(b, mb)}"
        result.fixed_budget = fixed_budget(lab, self.arms, self.metric)
        censored = [arm.censored(lab, level) if arm.trains(lab, level) else None for arm in self.arms]
        if any(c is not None for c in censored):  # every comparison of trained arms: did the budget cut them off?
            result.censored = censored
            words += " (early stopping censored at the budget: " + " and ".join(
                "-" if c is None else f"{c:.0%}" for c in censored) + " of seeds)"
        return [result], [words]


ES_METRICS = ("test_acc_es", "es_iteration", "val_loss_es")  # what the paper measures at early stopping


def fixed_budget(lab, arms, metric: str) -> int | None:
    """The rounds' budget, when an early-stopping measure reads an arm trained for the rounds' budget on a preset
    whose speed runs are longer: such a comparison measures accuracy (or speed) after a fixed budget that the
    dense network and the controls have not finished learning in (claims v3: it is reported as that, never as the
    paper's claim). None where every arm ran to the preset's longest budget (at the paper scale: always)."""
    p = lab.preset
    if p.speed_train.iterations <= p.lenet_train.iterations:
        return None
    if any((arm.metric or metric) in ES_METRICS and arm.budget == "rounds"
           and arm.source in ("round", "control", "control-mean") for arm in arms):
        return p.lenet_train.iterations
    return None


def versus(a: Arm, b: Arm, *, metric: str = "test_acc_es", label: str, design: str = "signflip",
           alternative: str = "greater", margin: float | str = 0.0) -> Versus:
    """Arm ``a`` against arm ``b`` on ``metric``, at each of the claim's levels (or the arms' pinned ones).

    ``design`` is a registered test (lth.stats.designs), one per kind of data, never picked from a pilot:
    ``signflip`` for paired outcomes (the arms of a seed share its initial weights and data order), ``mcnemar``
    for paired successes, ``fisher`` or ``welch`` for unpaired ones.
    """
    designs.get(design)
    check_alternative(alternative)
    return Versus(a, b, metric, label, design, alternative, margin)


@dataclass(frozen=True)
class Trend:
    arm: Arm
    over: Any  # levels, or the name of the preset field that lists them
    metric: str
    label: str
    alternative: str = "greater"

    @property
    def arms(self) -> tuple[Arm, ...]:
        return (self.arm,)

    def levels(self, lab) -> tuple:
        return tuple(preset_value(lab, self.over))

    def needs(self, lab, level: Any) -> list[tuple[Arm, Any]]:
        return [(self.arm, lv) for lv in self.levels(lab)]

    def run(self, lab, options: dict, level: Any = None) -> tuple[list[stats.TestResult], list[str]]:
        levels = self.levels(lab)
        fetched = {lv: self.arm.values(lab, lv, self.metric) for lv in sorted(levels, key=self.arm.shared)}
        groups = np.concatenate([np.full(len(fetched[lv]), lv, dtype=float) for lv in levels])
        values = np.concatenate([fetched[lv] for lv in levels])
        result = stats.trend(groups, values, alternative=self.alternative, label=self.label, **options)
        result.per_seed = {"design": "kendall-trend", "alternative": self.alternative, "margin": 0.0,
                           "arms": [self.arm.per_seed(lab, lv, self.metric, fetched[lv]) for lv in levels]}
        metric = self.arm.metric or self.metric
        means = ", ".join(f"{self.arm.level_label(lab, lv)} {fmt(fetched[lv], metric)}" for lv in levels)
        return [result], [f"{self.arm.name} {WORDS.get(metric, metric)}: {means}"]


def trend(arm: Arm, *, over: Any, metric: str = "test_acc_es", label: str, alternative: str = "greater") -> Trend:
    """Kendall trend of ``metric`` over the arm's levels ``over`` (a tuple or a preset field name)."""
    return Trend(arm, over, metric, label, alternative)


