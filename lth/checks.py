"""The comparisons a claim declares, each a small object that runs its tests against a Lab.

``versus`` is "arm A against arm B at these levels with this test"; ``trend`` is "this metric
rises (or falls) over these levels"; ``initial_weights`` is App. F's analysis of which
weights survive, against pre-registered thresholds. Each check returns its scipy-based results
(:mod:`lth.stats`) and a piece of the claim's "measured" text, built here and not in claims.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats as sps

from lth import paired, stats
from lth.arms import Arm

DESIGNS = (*paired.DESIGNS, "fisher")  # fisher: two independent groups of successes (different networks per group)

PERCENT_METRICS = {"test_acc_es": 2, "test_acc_final": 2, "pruned_before_reset_acc": 2,
                   "converged": 1, "ticket": 1, "reinit": 1, "random_units": 1, "rearranged": 1}  # metric -> decimals, shown in %
WORDS = {"test_acc_es": "accuracy", "test_acc_final": "final accuracy", "pruned_before_reset_acc": "accuracy",
         "es_iteration": "early stop", "converged": "converged", "ticket": "converged", "reinit": "converged",
         "random_units": "converged", "rearranged": "converged"}  # metric -> what the measured text calls it


def fmt(values: np.ndarray, metric: str) -> str:
    """A per-seed mean for the measured text: accuracies and rates in percent, iterations whole."""
    mean = float(np.nanmean(values)) if len(values) else float("nan")
    if metric in PERCENT_METRICS:
        return f"{100 * mean:.{PERCENT_METRICS[metric]}f}%"
    return f"{mean:.0f}" if metric == "es_iteration" else f"{mean:.4g}"


@dataclass(frozen=True)
class Versus:
    a: Arm
    b: Arm
    metric: str
    label: str  # format fields: {pm} the claim's level, {a} and {b} each arm's level, {margin}
    design: str = "welch"  # one of DESIGNS, chosen in advance (lth.paired.choose_design) from ``pilot``
    alternative: str = "greater"
    margin: float | str = 0.0  # non-inferiority margin, or the name of the preset field holding it
    pilot: str = ""  # the pilot evidence the design was chosen from, e.g. "r 0.53 (seed base 0)"

    @property
    def arms(self) -> tuple[Arm, ...]:
        return (self.a, self.b)

    def run(self, lab, options: dict, level: Any = None) -> tuple[list[stats.TestResult], list[str]]:
        margin = getattr(lab.preset, self.margin) if isinstance(self.margin, str) else self.margin
        a, b = self.a.values(lab, level, self.metric), self.b.values(lab, level, self.metric)
        la, lb = self.a.level_label(lab, level), self.b.level_label(lab, level)
        label = self.label.format(pm=la, a=la, b=lb, margin=f"{margin:g}")
        if self.design == "fisher":
            result = stats.fisher(a, b, alternative=self.alternative, label=label, **options)
        else:
            result = paired.compare(self.design, a, b, alternative=self.alternative, margin=margin, label=label,
                                    **options)
        if self.pilot:
            result.test += f"; design chosen from the pilot: {self.pilot}"
        ma, mb = self.a.metric or self.metric, self.b.metric or self.metric
        name_a = self.a.name + (f" ({la})" if level is None and self.a.level is not None else "")
        name_b = self.b.name + (f" ({lb})" if level is None and self.b.level is not None else "")
        where = f"{la}: " if level is not None else ""
        words = f"{where}{WORDS.get(ma, ma)}: {name_a} {fmt(a, ma)} vs {name_b} {fmt(b, mb)}"
        if self.metric == "es_iteration":  # the fraction of seeds that never stopped early, per arm
            ca, cb = self.a.censored(lab, level), self.b.censored(lab, level)
            result.censored = [ca, cb]
            words += f" (censored at the budget: {ca:.0%} and {cb:.0%} of seeds)"
        return [result], [words]


def versus(a: Arm, b: Arm, *, metric: str = "test_acc_es", label: str, design: str = "welch",
           alternative: str = "greater", margin: float | str = 0.0, pilot: str = "") -> Versus:
    """Arm ``a`` against arm ``b`` on ``metric``, at each of the claim's levels (or the arms' pinned ones).

    ``design`` is the test (lth.paired: paired-t, signflip, wilcoxon, welch, mcnemar; or fisher for two
    independent groups), pre-registered from pilot data by :func:`lth.paired.choose_design`; ``pilot``
    says which pilot, and is written into the evidence beside the correlation this run measured.
    """
    if design not in DESIGNS:
        raise ValueError(f"design must be one of {', '.join(DESIGNS)}, got {design!r}")
    if alternative not in ("greater", "less"):
        raise ValueError(f"alternative must be 'greater' or 'less', got {alternative!r}")
    return Versus(a, b, metric, label, design, alternative, margin, pilot)


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

    def run(self, lab, options: dict, level: Any = None) -> tuple[list[stats.TestResult], list[str]]:
        levels = tuple(getattr(lab.preset, self.over) if isinstance(self.over, str) else self.over)
        fetched = {lv: self.arm.values(lab, lv, self.metric) for lv in sorted(levels, key=self.arm.shared)}
        groups = np.concatenate([np.full(len(fetched[lv]), lv, dtype=float) for lv in levels])
        values = np.concatenate([fetched[lv] for lv in levels])
        result = stats.trend(groups, values, alternative=self.alternative, label=self.label, **options)
        metric = self.arm.metric or self.metric
        means = ", ".join(f"{self.arm.level_label(lab, lv)} {fmt(fetched[lv], metric)}" for lv in levels)
        return [result], [f"{self.arm.name} {WORDS.get(metric, metric)}: {means}"]


def trend(arm: Arm, *, over: Any, metric: str = "test_acc_es", label: str, alternative: str = "greater") -> Trend:
    """Kendall trend of ``metric`` over the arm's levels ``over`` (a tuple or a preset field name)."""
    return Trend(arm, over, metric, label, alternative)


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
        return ()

    def run(self, lab, options: dict, level: Any = None) -> tuple[list[stats.TestResult], list[str]]:
        w = lab.lenet_weights(self.pm)
        threshold = getattr(lab.preset, self.threshold) if isinstance(self.threshold, str) else self.threshold
        results, text = [], []
        for name in self.layers:
            init, final, mask = (getattr(w, k)[name].numpy() for k in ("init", "final", "mask"))
            per_seed = np.array([_survival_stats(init[s], final[s], mask[s]) for s in range(init.shape[0])])
            v = per_seed[:, 0 if self.statistic == "rho" else 1]
            label = self.label.format(layer=name, threshold=f"{threshold:g}")
            results.append(stats.one_sample(v, threshold, alternative=self.alternative, label=label, **options))
            text.append(f"{name}: {self.statistic} {v.mean():.3f} (threshold {threshold:g})")
        lvl = lab.lenet_iterative().at(self.pm).pm
        where = f" at Pm {lvl:g}%" if self.statistic == "auc" else ""
        return results, [f"per-seed means{where}: " + "; ".join(text)]


def initial_weights(pm: float, *, layers: tuple[str, ...], statistic: str, threshold: float | str, label: str,
                    alternative: str = "greater") -> InitialWeights:
    """Per layer, the seeds' ``statistic`` (rho or auc, see :class:`InitialWeights`) against ``threshold``."""
    if statistic not in STATISTICS:
        raise ValueError(f"statistic must be one of {', '.join(STATISTICS)}, got {statistic!r}")
    if alternative not in ("greater", "less"):
        raise ValueError(f"alternative must be 'greater' or 'less', got {alternative!r}")
    return InitialWeights(pm, tuple(layers), statistic, threshold, alternative, label)
