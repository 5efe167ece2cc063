"""The effect on the paper's own scale beside the paper's number (the Reproducibility Project's second criterion).

A verdict says whether the direction reproduces; this says whether the size does. A :class:`PaperValue`
names the paper's number, the statistic it is (a ratio of means, a difference of means, or one arm's mean)
and the arms it is computed from; :meth:`PaperValue.measure` gives ours with a seed-resampling 95%
bootstrap interval (pairs kept together) and whether the paper's value lies inside it. It is shown beside
the verdict and is never part of it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from lth.claimkit.arms import Arm
from lth.stats.paired import pairs
from lth.stats.results import bootstrap_ci

KINDS = ("ratio", "difference", "mean")


def _ratio(a, b, axis=-1):
    return np.mean(a, axis=axis) / np.mean(b, axis=axis)


def _difference(a, b, axis=-1):
    return np.mean(a, axis=axis) - np.mean(b, axis=axis)


@dataclass(frozen=True)
class PaperValue:
    """The paper's number ``value`` for ``kind`` of ``metric`` over arms ``a`` (and ``b``) at ``level``."""

    value: float
    kind: str  # ratio: mean(a) / mean(b); difference: mean(a) - mean(b); mean: mean(a)
    a: Arm
    metric: str
    label: str  # what the number is, in words, with where the paper gives it
    b: Arm | None = None
    level: Any = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"a paper value's kind is one of {', '.join(KINDS)}, got {self.kind!r}")
        if (self.kind == "mean") != (self.b is None):
            raise ValueError(f"{self.label}: a {self.kind} needs {'one arm' if self.kind == 'mean' else 'two arms'}")

    @property
    def arms(self) -> tuple[Arm, ...]:
        return (self.a,) if self.b is None else (self.a, self.b)

    def needs(self, lab) -> list[tuple[Arm, Any]]:
        return [(arm, self.level) for arm in self.arms]

    def measure(self, lab, *, seed: int, n_resamples: int) -> dict:
        a = self.a.values(lab, self.level, self.metric)
        if self.b is None:
            v = a[np.isfinite(a)]
            ours, data, stat, paired = float(v.mean()), (v,), np.mean, False
        else:
            b = self.b.values(lab, self.level, self.metric)
            a, b, _ = pairs(a, b)
            stat = _ratio if self.kind == "ratio" else _difference
            ours, data, paired = float(stat(a, b)), (a, b), True
        lo, hi = bootstrap_ci(data, stat, seed=seed, label=f"paper value: {self.label}", n_resamples=n_resamples,
                              paired=paired)
        inside = bool(lo <= self.value <= hi) if np.isfinite(lo) and np.isfinite(hi) else None
        return {"label": self.label, "kind": self.kind, "paper": float(self.value), "ours": ours, "ci": [lo, hi],
                "inside": inside, "n": int(len(data[0]))}
