"""Figure specs for claims.json: plain dicts the report draws without rerunning anything.

Spec types (``type``; the JSON schema in ``lth/schemas/`` has every field): ``line``
(series of x/y with 95% bands, optional horizontal reference lines), ``bar`` (rates or
means per category with intervals), ``hist`` (density histograms per panel) and ``strip``
(raw per-seed values per group). The second half builds the paper's figures from a Lab; each builder
says which (arm, level) pairs it reads (``build.needs``), so the experiment graph covers the figures too.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import torch

from lth import stats
from lth.claimkit import arms as A
from lth.claimkit.appendix_f import WEIGHTS
from lth.experiments.records import pct


def _f(x) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def band(values: torch.Tensor | np.ndarray) -> tuple[float | None, float | None, float | None]:
    m, lo, hi = stats.mean_band(np.asarray(values, dtype=float))
    return _f(m), _f(lo), _f(hi)


def line_series(name: str, x: Sequence[float], per_seed: Sequence[torch.Tensor]) -> dict:
    """A line of per-x means with 95% t bands from per-seed values at each x."""
    bands = [band(v) for v in per_seed]
    return {"name": name, "x": [float(v) for v in x], "y": [b[0] for b in bands],
            "lo": [b[1] for b in bands], "hi": [b[2] for b in bands]}


def line(title: str, xlabel: str, ylabel: str, series: list[dict], *, xscale: str = "linear",
         xinvert: bool = False, hlines: list[dict] | None = None) -> dict:
    return {"type": "line", "title": title, "xlabel": xlabel, "ylabel": ylabel, "xscale": xscale,
            "xinvert": xinvert, "series": series, "hlines": hlines or []}


def hline(name: str, per_seed: torch.Tensor) -> dict:
    m, lo, hi = band(per_seed)
    return {"name": name, "y": m, "lo": lo, "hi": hi}


def rates_bar(title: str, ylabel: str, groups: dict[str, Sequence[bool]]) -> dict:
    """Success rates per group with 95% Wilson intervals."""
    cats, y, lo, hi, n = [], [], [], [], []
    for name, flags in groups.items():
        flags = np.asarray(flags, dtype=bool)
        k, total = int(flags.sum()), len(flags)
        w = stats.wilson(k, total)
        cats.append(name)
        y.append(_f(k / total) if total else None)
        lo.append(_f(w[0]))
        hi.append(_f(w[1]))
        n.append(total)
    return {"type": "bar", "title": title, "ylabel": ylabel, "categories": cats, "y": y, "lo": lo, "hi": hi, "n": n}


def strip(title: str, ylabel: str, groups: dict[str, Sequence[float]]) -> dict:
    return {"type": "strip", "title": title, "ylabel": ylabel,
            "groups": [{"name": k, "values": [_f(v) for v in np.asarray(vals, dtype=float)]} for k, vals in groups.items()]}


def hist(title: str, xlabel: str, panels: list[dict]) -> dict:
    return {"type": "hist", "title": title, "xlabel": xlabel, "panels": panels}


# ---- the paper's figures, from a Lab (each a function of the lab, declared by claims) ------------
METRIC_NAMES = {"test_acc_es": "test accuracy at early stopping", "es_iteration": "early-stopping iteration",
                "test_acc_final": "test accuracy at the last iteration"}


def accuracy(metric: str = "test_acc_es", controls: bool = True, pruned_before_reset: bool = False):
    """The paper's Fig. 1/3/4 shape: a metric against % of weights remaining, log axis, 100% on the left."""

    def build(lab) -> dict:
        rounds = lab.iterative().rounds
        pm = [r.pm for r in rounds]
        series = [line_series("iterative ticket", pm, [getattr(r, metric) for r in rounds])]
        if controls:
            levels = lab.preset.control_levels
            x = [pm[lab.level(v)] for v in levels]
            series += [
                line_series("one-shot ticket", x, [getattr(lab.control("one-shot", v), metric) for v in levels]),
                line_series("random reinit", x, [getattr(lab.control("reinit", v), metric) for v in levels]),
                line_series("random pruning", x, [getattr(lab.control("random-pruning", v), metric) for v in levels]),
            ]
            if controls == "all":
                series.append(line_series("rearranged", x, [getattr(lab.control("rearranged", v), metric) for v in levels]))
        if pruned_before_reset:
            series.append(line_series("pruned before reset (not retrained)", [pct(r.next_density) for r in rounds[:-1]],
                                      [r.pruned_before_reset_acc for r in rounds[:-1]]))
        name = METRIC_NAMES.get(metric, metric)
        return line(f"LeNet-300-100: {name} against weights remaining", "percent of weights remaining (Pm)", name,
                    series, xscale="log", xinvert=True, hlines=[hline("dense network", getattr(rounds[0], metric))])

    build.needs = lambda lab: [(A.ITERATIVE, None)] + ([(arm, v) for v in lab.preset.control_levels for arm in
                        (A.ONE_SHOT, A.REINIT, A.RANDOM_PRUNING, *((A.REARRANGED,) if controls == "all" else ()))]
                       if controls else [])
    return build


def curves():
    """Validation accuracy against iteration at the dense network and the preset's levels (Fig. 3 style)."""

    def build(lab) -> dict:
        run = lab.iterative()
        its = list(run.dense.eval_iterations)
        series = []
        for r in (run.dense, *(run.at(v) for v in lab.preset.levels)):
            series.append(line_series(r.label, its, [r.val_acc[:, e] for e in range(r.val_acc.shape[1])]))
        return line("LeNet-300-100: validation accuracy during training", "training iteration",
                    "validation accuracy", series)

    build.needs = lambda lab: [(A.ITERATIVE, None)]
    return build


def width_accuracy(metric: str = "test_acc_final"):
    """Accuracy against the LeNet width multiplier."""

    def build(lab) -> dict:
        widths = lab.preset.widths
        return line("MNIST: test accuracy against width (mean, 95% band)", "width multiplier",
                    "test accuracy at the last iteration",
                    [line_series("LeNet family", widths, [getattr(lab.width(w), metric).numpy() for w in widths])],
                    xscale="log")

    build.needs = lambda lab: [(A.LENET_WIDTH, w) for w in lab.preset.widths]
    return build


def xor_rates():
    def build(lab) -> dict:
        widths = lab.preset.xor_widths
        return rates_bar("XOR: convergence rate against hidden width (95% Wilson)", "fraction of seeds converged",
                         {f"H={h}": lab.xor(h).converged.numpy() for h in widths})

    build.needs = lambda lab: [(A.XOR_DENSE, h) for h in lab.preset.xor_widths]
    return build


def xor_tickets():
    def build(lab) -> dict:
        res = lab.xor_tickets()
        ok = res.dense_converged
        two = lab.xor(min(lab.preset.xor_widths)).converged.numpy()
        return rates_bar("XOR: 2-unit ticket against its controls (95% Wilson)", "fraction converged", {
            "ticket (reset)": res.ticket[ok].numpy(), "reinit (architecture)": res.reinit[ok].numpy(),
            "random units (init)": res.random_units[ok].numpy(), "rearranged": res.rearranged[ok].numpy(),
            "dense H=2": two})

    build.needs = lambda lab: [(A.XOR_TICKET, None), (A.XOR_DENSE, min(lab.preset.xor_widths))]
    return build


def initial_weights(pm: float):
    """Initial weights of survivors and pruned weights per layer at ``pm`` (App. F, Fig. 15-16 style)."""

    def build(lab) -> dict:
        w = lab.weights(pm)
        panels = []
        for name in sorted(w.init):
            init, mask = w.init[name].numpy(), w.mask[name].numpy()
            edges = np.linspace(init.min(), init.max(), 41)
            panels.append({"name": f"layer {name}", "edges": edges.tolist(), "series": [
                {"name": "survivors", "density": np.histogram(init[mask], edges, density=True)[0].tolist()},
                {"name": "pruned", "density": np.histogram(init[~mask], edges, density=True)[0].tolist()}]})
        lvl = lab.planner.pms[lab.level(pm)]
        return hist(f"Initial weights of survivors and pruned weights at Pm {lvl:g}% (all seeds)", "initial weight",
                    panels)

    build.needs = lambda lab: [(WEIGHTS, pm)]
    return build


SPEED_LEVELS = (51.3, 21.1, 3.6)  # the tickets the speed claims (MNIST-2a, 2b, 5) retrain for the speed budget


def speed(level: float = 21.1):
    """Early-stopping iterations per seed, per arm of the speed runs (the distributions the speed claims test)."""

    def build(lab) -> list[dict]:
        label = lab.label(level)
        ticket_levels = SPEED_LEVELS
        groups = {"dense": lab.ticket(100.0, budget="speed")}
        groups.update({f"ticket {lab.label(v)}": lab.ticket(v, budget="speed") for v in ticket_levels})
        groups.update({f"{name} {label}": lab.control(kind, level, budget="speed") for name, kind in
                       (("random reinit", "reinit"), ("random pruning", "random-pruning"), ("rearranged", "rearranged"))})
        budget = lab.preset.speed_train.iterations
        return [strip(f"Early-stopping iteration per seed ({budget:,}-iteration speed runs)", "early-stopping iteration",
                      {k: r.es_iteration.numpy() for k, r in groups.items()}),
                strip(f"Test accuracy at early stopping per seed ({budget:,}-iteration speed runs)",
                      "test accuracy at early stopping", {k: r.test_acc_es.numpy() for k, r in groups.items()})]

    build.needs = lambda lab: [(A.SPEED_DENSE, None)] + [(A.SPEED_TICKET, v) for v in SPEED_LEVELS] + [
        (arm, level) for arm in (A.SPEED_REINIT, A.SPEED_RANDOM_PRUNING, A.SPEED_REARRANGED)]
    return build


def speed_curves():
    """Validation loss against iteration in the speed runs: where each arm's minimum (early stopping) falls."""

    def build(lab) -> dict:
        arms = [("dense", lab.ticket(100.0, budget="speed"))]
        arms += [(f"ticket {lab.label(v)}", lab.ticket(v, budget="speed")) for v in SPEED_LEVELS]
        arms += [("random reinit 21%", lab.control("reinit", 21.1, budget="speed"))]
        its = list(arms[0][1].eval_iterations)
        series = [line_series(n, its, [r.val_loss[:, e] for e in range(r.val_loss.shape[1])]) for n, r in arms]
        return line("Validation loss during the speed runs", "training iteration", "validation loss", series)

    build.needs = lambda lab: [(A.SPEED_DENSE, None)] + [(A.SPEED_TICKET, v) for v in SPEED_LEVELS] + [(A.SPEED_REINIT, 21.1)]
    return build


# ---- beyond the paper ---------------------------------------------------------------------------
def fmnist_accuracy(metric: str = "test_acc_es"):
    """Fig. 3/4's shape on Fashion-MNIST: a metric against Pm for iterative tickets, one-shot tickets at 51% and
    21%, random reinitialisation and random pruning at 21%, the dense network as a line."""

    def build(lab) -> dict:
        fm = lab.on("fashion-mnist")
        rounds = fm.iterative().rounds
        pm = [r.pm for r in rounds]
        x = lambda levels: [pm[fm.level(v)] for v in levels]
        series = [line_series("iterative ticket", pm, [getattr(r, metric) for r in rounds]),
                  line_series("one-shot ticket", x((51.3, 21.1)), [getattr(fm.control("one-shot", v), metric)
                                                                   for v in (51.3, 21.1)]),
                  line_series("random reinit", x((21.1,)), [getattr(fm.control("reinit", 21.1), metric)]),
                  line_series("random pruning", x((21.1,)), [getattr(fm.control("random-pruning", 21.1), metric)])]
        name = METRIC_NAMES.get(metric, metric)
        return line(f"Fashion-MNIST, LeNet-300-100: {name} against weights remaining",
                    "percent of weights remaining (Pm)", name, series, xscale="log", xinvert=True,
                    hlines=[hline("dense network", getattr(rounds[0], metric))])

    build.needs = lambda lab: [(A.ITERATIVE.on(A.FASHION), None)] + [(A.ONE_SHOT.on(A.FASHION), v) for v in (51.3, 21.1)] + [
        (A.REINIT.on(A.FASHION), 21.1), (A.RANDOM_PRUNING.on(A.FASHION), 21.1)]
    return build


def signed_constant(pm: float = 21.1):
    """Per-seed test accuracy at ``pm``: the ticket, its signed constant and the random-sign constant."""

    def build(lab) -> dict:
        label = lab.label(pm)
        groups = {"ticket": lab.ticket(pm), "signed constant": lab.control("signed-constant", pm),
                  "random-sign constant": lab.control("random-sign-constant", pm)}
        return strip(f"MNIST, {label}: test accuracy at early stopping per seed (Zhou et al.'s sign ablation)",
                     "test accuracy at early stopping", {k: r.test_acc_es.numpy() for k, r in groups.items()})

    build.needs = lambda lab: [(arm, pm) for arm in (A.TICKET, A.SIGNED_CONSTANT, A.RANDOM_SIGN_CONSTANT)]
    return build


def supermask(pm: float = 21.1):
    """Per-seed test accuracy of untrained networks under the supermask and a random mask at ``pm``."""

    def build(lab) -> dict:
        run = lab.supermask(pm)
        return strip(f"MNIST, untrained networks at Pm {run.pm:g}%: test accuracy per seed (chance 10%)", "test accuracy",
                     {"supermask, initial weights": run.supermask_init.numpy(),
                      "supermask, signed constant": run.supermask_signed.numpy(),
                      "random mask, initial weights": run.random_init.numpy(),
                      "random mask, signed constant": run.random_signed.numpy()})

    build.needs = lambda lab: [(A.SUPERMASK, pm)]
    return build


def lmc(levels: tuple[float, ...] = (21.1, 3.6), random_levels: tuple[float, ...] = (3.6,)):
    """Test error along the straight line between two copies trained with different data orders, minus the mean
    of the endpoints' errors (its maximum is the error barrier), mean and 95% band; Frankle et al.'s 2% line."""

    def build(lab) -> list[dict]:
        runs = [(f"ticket Pm {lab.lmc(v).pm:g}%", lab.lmc(v)) for v in levels]
        runs += [(f"random pruning Pm {lab.lmc(v, 'random-pruning').pm:g}%", lab.lmc(v, "random-pruning"))
                 for v in random_levels]
        series = []
        for name, run in runs:
            rel = run.error - (run.error[:, :1] + run.error[:, -1:]) / 2
            series.append(line_series(name, run.alphas, [rel[:, j] for j in range(rel.shape[1])]))
        t = lab.preset.lmc_threshold
        return [line("MNIST: test error along the linear path between two data orders",
                     "interpolation alpha (0 = data order A, 1 = data order B)", "test error minus the endpoints' mean",
                     series, hlines=[{"name": f"stability threshold ({100 * t:g}%)", "y": t}]),
                strip("MNIST: error barrier per seed (max over the path)", "error barrier",
                      {name: run.barrier.numpy() for name, run in runs})]

    build.needs = lambda lab: [(A.LMC_TICKET, v) for v in levels] + [(A.LMC_RANDOM_PRUNING, v) for v in random_levels]
    return build
