"""What every check is, and the helpers they share: the ``Check`` protocol, preset values, the measured text.

A check is one comparison a claim declares (:mod:`lth.claimkit.checks` has ``versus`` and ``trend``,
:mod:`lth.claimkit.threshold` ``threshold``, :mod:`lth.claimkit.appendix_f` ``initial_weights``). It
names the arms it reads (so the experiment graph can be declared before anything runs) and, run
against a Lab, returns its scipy-based results and a piece of the claim's "measured" text.
"""
from __future__ import annotations

from typing import Any, Protocol, Sequence, runtime_checkable

import numpy as np

from lth.claimkit.arms import Arm
from lth.stats import TestResult

PERCENT_METRICS = {"test_acc_es": 2, "test_acc_final": 2, "pruned_before_reset_acc": 2,
                   "converged": 1, "ticket": 1, "reinit": 1, "random_units": 1, "rearranged": 1}  # metric -> decimals, shown in %
WORDS = {"test_acc_es": "accuracy", "test_acc_final": "final accuracy", "pruned_before_reset_acc": "accuracy",
         "es_iteration": "early stop", "converged": "converged", "ticket": "converged", "reinit": "converged",
         "random_units": "converged", "rearranged": "converged"}  # metric -> what a comparison's text calls it
THRESHOLD_WORDS = {"supermask_init": "test accuracy", "supermask_signed": "test accuracy", "random_init": "test accuracy",
                   "random_signed": "test accuracy", "barrier": "error barrier",
                   "barrier_linear": "error barrier (linear reference)"}  # metric -> what a threshold's text calls it


@runtime_checkable
class Check(Protocol):
    """One declared comparison: the arms it reads (with the levels it pins), and how it runs."""

    @property
    def arms(self) -> tuple[Arm, ...]: ...

    def needs(self, lab, level: Any) -> list[tuple[Arm, Any]]:
        """(arm, level) pairs this check reads at the claim's ``level``: the graph's view of it."""

    def run(self, lab, options: dict, level: Any = None) -> tuple[list[TestResult], list[str]]: ...


def preset_value(lab, value: Any) -> Any:
    """A declared number, or the value of the preset field it names (e.g. ``margin="sign_margin"``)."""
    return getattr(lab.preset, value) if isinstance(value, str) else value


def fmt(values: np.ndarray, metric: str) -> str:
    """A per-seed mean for the measured text: accuracies and rates in percent, iterations whole."""
    mean = float(np.nanmean(values)) if len(values) else float("nan")
    if metric in PERCENT_METRICS:
        return f"{100 * mean:.{PERCENT_METRICS[metric]}f}%"
    return f"{mean:.0f}" if metric == "es_iteration" else f"{mean:.4g}"


def fmt_value(v: float, percent: bool) -> str:
    """One number for the measured text: in percent with 2 decimals, or 4 significant digits."""
    return f"{100 * v:.2f}%" if percent else f"{v:.4g}"


def arms_at(arms: Sequence[Arm], level: Any) -> list[tuple[Arm, Any]]:
    return [(a, a.level if a.level is not None else level) for a in arms]
