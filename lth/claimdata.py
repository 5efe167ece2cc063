"""Shared views of the LeNet experiments for the claims: accuracy and speed against Pm."""
from __future__ import annotations

import torch

from lth import evidence
from lth.experiments import Lab


def level_label(lab: Lab, r: int) -> str:
    return f"Pm {evidence.pct(lab.lenet_iterative()['rounds'][r]['density']):g}%"


def accuracy_figure(lab: Lab, metric: str = "test_acc_es", with_controls: bool = True,
                    extra: list[dict] | None = None) -> dict:
    """The paper's Fig. 1/3/4 shape: a metric against % of weights remaining, log axis, 100% on the left."""
    rounds = lab.lenet_iterative()["rounds"]
    pm = [evidence.pct(r["density"]) for r in rounds]
    series = [evidence.line_series("iterative ticket", pm, [r[metric] for r in rounds])]
    if with_controls:
        cr = lab.preset.control_rounds
        x = [pm[r] for r in cr]
        series += [
            evidence.line_series("one-shot ticket", x, [lab.lenet_one_shot(r)[metric] for r in cr]),
            evidence.line_series("random reinit", x, [lab.lenet_reinit_mean(r)[metric] for r in cr]),
            evidence.line_series("random pruning", x, [lab.lenet_random_prune(r)[metric] for r in cr]),
        ]
    series += extra or []
    names = {"test_acc_es": "test accuracy at early stopping", "es_iteration": "early-stopping iteration",
             "test_acc_final": "test accuracy at the last iteration"}
    return evidence.line(f"LeNet-300-100: {names.get(metric, metric)} against weights remaining",
                         "percent of weights remaining (Pm)", names.get(metric, metric), series,
                         xscale="log", xinvert=True, hlines=[evidence.hline("dense network", rounds[0][metric])])


def curves_figure(lab: Lab) -> dict:
    """Validation accuracy against iteration at Pm about 100, 51, 21, 7 and 3.6% (Fig. 3 style)."""
    rounds = lab.lenet_iterative()["rounds"]
    its = list(rounds[0]["eval_iterations"])
    series = []
    for r in (0, *lab.preset.levels):
        acc = rounds[r]["val_acc"]
        series.append(evidence.line_series(level_label(lab, r), its, [acc[:, e] for e in range(acc.shape[1])]))
    return evidence.line("LeNet-300-100: validation accuracy during training", "training iteration",
                         "validation accuracy", series)


def values(t: torch.Tensor):
    return t.double().numpy()
