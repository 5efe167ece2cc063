"""The Lab: a typed view of the experiment graph's results for one data set.

``Lab(setting, executor, dataset=...)`` builds experiments with a :class:`~lth.experiments.graph.Planner`,
has the executor fetch them, and wraps the entries in records (:mod:`lth.experiments.records`). What
claims read is named by a *source* (one function each, in :data:`SOURCES`): the ticket of a round, a
control, a width, XOR, the supermask, linear mode connectivity. ``lab.experiments(source, level)``
gives the same source's experiments without running them, which is how the graph of a claims session
is declared before anything trains (:mod:`lth.claimkit.plan`).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from lth.core.registry import Registry
from lth.experiments.executors import Context, Executor, LocalExecutor
from lth.experiments.graph import Experiment, Setting
from lth.experiments.planner import Planner, XorPlanner
from lth.experiments.presets import Preset
from lth.experiments.store import Store
from lth.experiments.records import (IterativeRun, LmcRun, PruningRound, RunSummary, SupermaskRun, Weights, XorRun,
                                     XorTickets, mean_of)


@dataclass(frozen=True)
class Want:
    """What an arm asks of a source: the control, the budget, the pruning criterion."""

    control: str = "ticket"
    budget: str = "rounds"
    criterion: str = "magnitude"


@dataclass(frozen=True)
class Source:
    """Where an arm's records come from: the experiments it needs at a level, and the record built from them."""

    experiments: Callable[["Lab", Any, Want], list[Experiment]]
    record: Callable[["Lab", list[dict], Any, Want], Any]


class Lab:
    """Runs (or fetches) the experiments of one data set in one claims session."""

    def __init__(self, setting: Setting, executor: Executor, *, dataset: str = "mnist",
                 timings: list[dict] | None = None, siblings: dict | None = None):
        self.setting, self.executor, self.dataset = setting, executor, dataset
        self.planner = Planner(setting, dataset)
        self.xor_planner = XorPlanner(setting)
        self.timings: list[dict] = [] if timings is None else timings  # one row per experiment asked for
        self._siblings = {dataset: self} if siblings is None else siblings
        self._siblings.setdefault(dataset, self)

    @classmethod
    def local(cls, preset: Preset, cache: str | Path | None, *, dataset: str = "mnist", log=None, **setting) -> "Lab":
        """A lab on this machine: ``Setting(preset, **setting)`` run by a local executor over the cache at ``cache``
        (``None``: compute everything, write nothing)."""
        store = Store(cache if cache is not None else ".lth-cache", enabled=cache is not None, log=log)
        s = Setting(preset, **setting)
        return cls(s, LocalExecutor(store, Context(s.device), log=log), dataset=dataset)

    @property
    def preset(self) -> Preset:
        return self.setting.preset

    @property
    def seed_base(self) -> int:
        return self.setting.seed_base

    @property
    def store(self):
        return self.executor.store

    def on(self, dataset: str) -> "Lab":
        """The lab of another data set of this session: the same setting, executor and timings."""
        if dataset not in self._siblings:
            self._siblings[dataset] = Lab(self.setting, self.executor, dataset=dataset, timings=self.timings,
                                          siblings=self._siblings)
        return self._siblings[dataset]

    def seeds(self, kind: str | None = None) -> list[int]:
        """This data set's seeds, or ``"xor"``'s."""
        return self.setting.seeds("xor" if kind == "xor" else self.dataset)

    def chunks(self) -> list[tuple[int, ...]]:
        return self.setting.chunks(self.dataset)

    def level(self, pm: float) -> int:
        return self.planner.level(pm)

    def label(self, pm: float) -> str:
        return self.planner.label(pm)

    # ---- fetching ----------------------------------------------------------------------------------
    def fetch(self, experiment: Experiment) -> dict:
        store = self.executor.store
        misses, t0 = store.misses, time.perf_counter()
        entry = self.executor.fetch(experiment)
        self.timings.append({"experiment": experiment.name, "wall_s": round(time.perf_counter() - t0, 3),
                             "cached": store.misses == misses})
        return entry

    def experiments(self, source: str, level: Any = None, want: Want = Want()) -> list[Experiment]:
        """The experiments ``source`` needs at ``level``, unrun."""
        return source_named(source).experiments(self, level, want)

    def record(self, source: str, level: Any = None, want: Want = Want()):
        """The record ``source`` gives at ``level`` (fetching or computing its experiments)."""
        src = source_named(source)
        return src.record(self, [self.fetch(e) for e in src.experiments(self, level, want)], level, want)

    # ---- the typed views claims and figures read ---------------------------------------------------
    def iterative(self) -> IterativeRun:
        """Rounds 0..R of iterative magnitude pruning: per round the summary and pruned-before-reset accuracy."""
        return self.record("iterative")

    def ticket(self, pm: float, budget: str = "rounds") -> RunSummary:
        """The ticket at ``pm`` (Pm 100: the dense network): the round itself, or retrained for another budget."""
        return self.record("round" if budget == "rounds" else "control", pm, Want(budget=budget))

    def control(self, name: str, pm: float, budget: str = "rounds") -> RunSummary:
        """A registered control at ``pm``; ``reinit`` at the rounds' budget is the mean of the preset's draws."""
        return self.record("control-mean" if name == "reinit" and budget == "rounds" else "control", pm,
                           Want(control=name, budget=budget))

    def width(self, width: float) -> RunSummary:
        return self.record("width", width)

    def xor(self, hidden: int) -> XorRun:
        return self.record("xor-dense", hidden)

    def xor_tickets(self) -> XorTickets:
        return self.record("xor-tickets")

    def supermask(self, pm: float) -> SupermaskRun:
        return self.record("supermask", pm)

    def lmc(self, pm: float, control: str = "ticket") -> LmcRun:
        return self.record("lmc", pm, Want(control=control))

    def weights(self, pm: float) -> Weights:
        """Initial and final weights of the dense network and the mask at ``pm``, per seed (App. F)."""
        return self.record("weights", pm)


# ---- sources: one function pair each, registered by name ------------------------------------------
SOURCES: Registry[Source] = Registry("source")


def register_source(name: str, experiments: Callable, record: Callable) -> None:
    SOURCES[name] = Source(experiments, record)


def source_named(name: str) -> Source:
    return SOURCES.named(name)


def _one(cls):
    return lambda lab, entries, level, want: cls.from_entry(entries[0])


register_source("iterative", lambda lab, level, w: [lab.planner.iterative(w.criterion)],
                lambda lab, e, level, w: IterativeRun.from_entry(e[0]))
register_source("round", lambda lab, pm, w: [lab.planner.rounds_at(pm, w.criterion)], _one(PruningRound))
register_source("before-reset", lambda lab, pm, w: [lab.planner.rounds_at(pm, w.criterion, offset=-1)],
                _one(PruningRound))
register_source("control", lambda lab, pm, w: [lab.planner.control(w.control, pm, 0, w.budget, w.criterion)],
                _one(RunSummary))
register_source("control-mean", lambda lab, pm, w: [lab.planner.control(w.control, pm, j, w.budget, w.criterion)
                                                    for j in range(lab.preset.reinits)],
                lambda lab, e, pm, w: mean_of([RunSummary.from_entry(x) for x in e]))
register_source("width", lambda lab, width, w: [lab.planner.rounds_at(100.0) if width == 1.0 else lab.planner.width(width)],
                lambda lab, e, width, w: (PruningRound if width == 1.0 else RunSummary).from_entry(e[0]))
register_source("xor-dense", lambda lab, hidden, w: [lab.xor_planner.dense(hidden)], _one(XorRun))
register_source("xor-tickets", lambda lab, level, w: [lab.xor_planner.tickets()], _one(XorTickets))
register_source("supermask", lambda lab, pm, w: [lab.planner.supermask(pm)], _one(SupermaskRun))
register_source("lmc", lambda lab, pm, w: [lab.planner.lmc(pm, w.control)], _one(LmcRun))
register_source("weights", lambda lab, pm, w: [lab.planner.rounds_at(100.0), lab.planner.rounds_at(pm)],
                lambda lab, e, pm, w: Weights(init=e[0]["init"], final=e[0]["final"], mask=e[1]["mask"]))
