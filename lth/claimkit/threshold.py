"""A threshold check: one arm's per-seed metric against a pre-registered value.

``threshold`` is "this arm's per-seed metric lies above (or below) a pre-registered value":
a one-sample t test (:func:`lth.stats.one_sample`) against a number or a preset field, e.g.
the untrained supermask's accuracy above 50%, or the ticket's error barrier below Frankle
et al.'s 2%. It runs at each of the claim's levels (or the arm's pinned one), like ``versus``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from lth import stats
from lth.claimkit.arms import Arm
from lth.claimkit.check import THRESHOLD_WORDS as WORDS
from lth.claimkit.check import arms_at, preset_value
from lth.stats.results import check_alternative
from lth.claimkit.check import fmt_value as _fmt


@dataclass(frozen=True)
class Threshold:
    arm: Arm
    threshold: float | str  # a number, or the name of the preset field holding it
    metric: str
    label: str  # format fields: {pm} the level, {threshold}
    alternative: str = "greater"
    percent: bool = True  # show values and the threshold in percent in the measured text

    @property
    def arms(self) -> tuple[Arm, ...]:
        return (self.arm,)

    def needs(self, lab, level: Any) -> list[tuple[Arm, Any]]:
        return arms_at(self.arms, level)

    def run(self, lab, options: dict, level: Any = None) -> tuple[list[stats.TestResult], list[str]]:
        t = float(preset_value(lab, self.threshold))
        v = self.arm.values(lab, level, self.metric)
        where = self.arm.level_label(lab, level)
        shown = _fmt(t, self.percent)
        label = self.label.format(pm=where, threshold=shown)
        result = stats.one_sample(v, t, alternative=self.alternative, label=label, **options)
        result.per_seed = {"design": "one-sample-t", "alternative": self.alternative, "margin": 0.0, "threshold": t,
                           "arms": [self.arm.per_seed(lab, level, self.metric, v)]}
        side = ">" if self.alternative == "greater" else "<"
        metric = self.arm.metric or self.metric
        words = (f"{where + ': ' if where else ''}{self.arm.name} {WORDS.get(metric, metric)} "
                 f"{_fmt(float(np.nanmean(v)), self.percent)} (per-seed range {_fmt(float(np.nanmin(v)), self.percent)}"
                 f" to {_fmt(float(np.nanmax(v)), self.percent)}) {side} {shown}")
        return [result], [words]


def threshold(arm: Arm, *, threshold: float | str, label: str, metric: str = "test_acc_es",
              alternative: str = "greater", percent: bool = True) -> Threshold:
    """The arm's mean ``metric`` against ``threshold`` (one-sample t, one-sided in ``alternative``)."""
    check_alternative(alternative)
    return Threshold(arm, threshold, metric, label, alternative, percent)
