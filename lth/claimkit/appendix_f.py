"""App. F's analysis of which weights survive, as a check: per layer and seed, a statistic against a threshold.

``rho``: Spearman correlation of |initial| and |final| weights of the trained dense network (small
weights stay small); ``auc``: probability that a weight surviving to ``pm`` started larger in
magnitude than a pruned one (0.5: pruning ignores the initial magnitude).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats as sps

from lth import stats
from lth.claimkit.arms import Arm
from lth.claimkit.check import preset_value
from lth.stats.results import check_alternative

WEIGHTS = Arm("dense initial and final weights, mask", "weights")


def _survival_stats(init: np.ndarray, final: np.ndarray, keep: np.ndarray) -> tuple[float, float]:
    """Spearman rho(|init|, |final|) and AUC = P(|init| of a survivor > |init| of a pruned weight)."""
    a, f = np.abs(init.ravel()), np.abs(final.ravel())
    rho = sps.spearmanr(a, f).statistic
    kept, pruned = a[keep.ravel()], a[~keep.ravel()]
    auc = sps.mannwhitneyu(kept, pruned).statistic / (len(kept) * len(pruned))
    return float(rho), float(auc)


STATISTICS = {"rho": "Spearman rho(|initial|, |final|)", "auc": "AUC(survivors' |initial| > pruned |initial|)"}


@dataclass(frozen=True)
class InitialWeights:
    """App. F, one statistic per layer and seed, against a pre-registered threshold (one-sample t over seeds).

    ``rho``: Spearman correlation of |initial| and |final| weights of the trained dense network
    (small weights stay small); ``auc``: probability that a weight surviving to ``pm`` started
    larger in magnitude than a pruned one (0.5: pruning ignores the initial magnitude).
    """

    pm: float
    layers: tuple[str, ...]
    statistic: str
    threshold: float | str  # a value, or the name of the preset field holding it
    alternative: str
    label: str  # format fields: {layer}, {threshold}

    @property
    def arms(self) -> tuple[Arm, ...]:
        return (WEIGHTS.at(self.pm),)

    def needs(self, lab, level: Any) -> list[tuple[Arm, Any]]:
        return [(WEIGHTS, self.pm)]

    def run(self, lab, options: dict, level: Any = None) -> tuple[list[stats.TestResult], list[str]]:
        w = lab.weights(self.pm)
        threshold = preset_value(lab, self.threshold)
        results, text = [], []
        for name in self.layers:
            init, final, mask = (getattr(w, k)[name].numpy() for k in ("init", "final", "mask"))
            per_seed = np.array([_survival_stats(init[s], final[s], mask[s]) for s in range(init.shape[0])])
            v = per_seed[:, 0 if self.statistic == "rho" else 1]
            label = self.label.format(layer=name, threshold=f"{threshold:g}")
            results.append(stats.one_sample(v, threshold, alternative=self.alternative, label=label, **options))
            text.append(f"{name}: {self.statistic} {v.mean():.3f} (threshold {threshold:g})")
        lvl = lab.planner.pms[lab.level(self.pm)]
        where = f" at Pm {lvl:g}%" if self.statistic == "auc" else ""
        return results, [f"per-seed means{where}: " + "; ".join(text)]


def initial_weights(pm: float, *, layers: tuple[str, ...], statistic: str, threshold: float | str, label: str,
                    alternative: str = "greater") -> InitialWeights:
    """Per layer, the seeds' ``statistic`` (rho or auc, see :class:`InitialWeights`) against ``threshold``."""
    if statistic not in STATISTICS:
        raise ValueError(f"statistic must be one of {', '.join(STATISTICS)}, got {statistic!r}")
    check_alternative(alternative)
    return InitialWeights(pm, tuple(layers), statistic, threshold, alternative, label)
