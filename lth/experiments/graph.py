"""Experiments as a declared graph: every node is a spec and a seed chunk, its edges the nodes it needs.

A :class:`Setting` is what a session runs (preset, seeds, device); :mod:`lth.experiments.planner`
builds its nodes without running anything. An :class:`Experiment` is what a consumer asks for: the
nodes of one spec over every chunk of its seeds. :class:`Graph` gathers the experiments of a set of
claims (nodes with equal keys are one node), and reports its size and critical path
(``python -m lth plan``). An executor (:mod:`lth.experiments.executors`) runs the nodes.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterable, Sequence

from lth.core.training import TrainConfig
from lth.experiments.presets import Preset
from lth.experiments.spec import ExperimentSpec

Recipe = Callable[[Any, Sequence[dict]], dict]  # (context with .dataset(name), entries of the needs) -> entry


@dataclass(frozen=True)
class Setting:
    """What one claims session runs: the scale preset, the seeds, the device and the kernel override."""

    preset: Preset
    seed_base: int = 0
    n_seeds: int | None = None  # --lth-seeds: overrides every experiment's seed count
    device: str = "cpu"
    kernel: str | None = None  # None: the preset's; "dense" forces the dense masked step (debugging)

    def __post_init__(self) -> None:
        if int(self.seed_base) < 0:
            raise ValueError(f"seed base must be >= 0, got {self.seed_base!r}")
        if self.n_seeds is not None and int(self.n_seeds) < 2:
            raise ValueError(f"the number of seeds must be >= 2, got {self.n_seeds!r}")

    def count(self, dataset: str) -> int:
        """Seeds of a data set's experiments: --lth-seeds, else the preset's xor/mnist/fmnist count."""
        p = self.preset
        return self.n_seeds or {"xor": p.xor_seeds, "mnist": p.mnist_seeds, "fashion-mnist": p.fmnist_seeds}[dataset]

    def seeds(self, dataset: str) -> list[int]:
        return list(range(self.seed_base, self.seed_base + self.count(dataset)))

    def rounds(self, dataset: str) -> int:
        return self.preset.rounds if dataset == "mnist" else self.preset.fmnist_rounds

    def chunk_size(self, dataset: str) -> int:
        """On the CPU 1-2 seeds per batch run fastest (cache-bound); on a GPU one batch of all seeds costs about one.
        Grouping never changes results beyond float rounding (tests/test_training.py), but it is part of the key."""
        if self.device == "cpu":
            return self.preset.chunk_size
        return max(self.preset.xor_seeds, self.count(dataset), self.n_seeds or 0)

    def chunks(self, dataset: str) -> list[tuple[int, ...]]:
        seeds, c = self.seeds(dataset), self.chunk_size(dataset)
        return [tuple(seeds[i : i + c]) for i in range(0, len(seeds), c)]

    def train(self, cfg: TrainConfig) -> TrainConfig:
        return cfg if self.kernel is None else replace(cfg, kernel=self.kernel)


@dataclass(frozen=True, eq=False)
class Node:
    """One unit of work: a spec on one chunk of seeds, the nodes whose entries it reads, and its recipe."""

    spec: ExperimentSpec
    chunk: tuple[int, ...]
    needs: tuple["Node", ...]
    recipe: Recipe = field(repr=False)
    name: str = ""  # what the node is, in words: kind, control, Pm, data set
    trainings: int = 1  # trainings the recipe runs one after another (0: evaluation or bookkeeping only)

    @property
    def id(self) -> tuple[str, tuple[int, ...]]:
        """Equal for nodes that compute the same entry (the store's key is derived from it)."""
        return (self.spec.key(), self.chunk)

    @property
    def steps(self) -> int:
        """Training steps this node adds to any path through it."""
        return self.trainings * self.spec.train.iterations

    @property
    def model_steps(self) -> int:
        return self.steps * len(self.chunk)


@dataclass(frozen=True)
class Experiment:
    """The nodes of one spec over every chunk of its seeds: what a record is built from (chunks in seed order)."""

    spec: ExperimentSpec
    nodes: tuple[Node, ...]
    name: str

    @property
    def seeds(self) -> list[int]:
        return [s for n in self.nodes for s in n.chunk]


@dataclass
class Graph:
    """The nodes a set of experiments needs, each once (equal ids are one node), with their edges."""

    nodes: dict[tuple, Node] = field(default_factory=dict)
    experiments: list[Experiment] = field(default_factory=list)

    def add(self, experiment: Experiment) -> None:
        if any(e.name == experiment.name and e.spec.key() == experiment.spec.key() for e in self.experiments):
            return
        self.experiments.append(experiment)
        stack = list(experiment.nodes)
        while stack:
            n = stack.pop()
            if n.id not in self.nodes:
                self.nodes[n.id] = n
                stack.extend(n.needs)

    def add_all(self, experiments: Iterable[Experiment]) -> "Graph":
        for e in experiments:
            self.add(e)
        return self

    def edges(self) -> list[tuple[Node, Node]]:
        """(needed, needing) pairs."""
        return [(self.nodes[d.id], n) for n in self.nodes.values() for d in n.needs]

    def order(self) -> list[Node]:
        """Every node after the nodes it needs (a topological order, stable in insertion order)."""
        done: dict[tuple, None] = {}

        def visit(n: Node) -> None:
            if n.id in done:
                return
            for d in n.needs:
                visit(self.nodes[d.id])
            done[n.id] = None

        for n in list(self.nodes.values()):
            visit(n)
        return [self.nodes[i] for i in done]

    def critical_path(self) -> tuple[int, list[Node]]:
        """The longest chain in training steps (what no amount of parallel hardware shortens), and its nodes."""
        best: dict[tuple, tuple[int, list[Node]]] = {}
        for n in self.order():
            prior = max((best[d.id] for d in n.needs), key=lambda b: b[0], default=(0, []))
            best[n.id] = (prior[0] + n.steps, [*prior[1], n])
        return max(best.values(), key=lambda b: b[0], default=(0, []))

    def totals(self) -> dict:
        nodes = list(self.nodes.values())
        unique = unique_trainings(nodes)
        steps, path = self.critical_path()
        return {"nodes": len(nodes), "edges": len(self.edges()),
                "trainings": sum(n.trainings for n in nodes),
                "unique_trainings": len(unique), "model_steps": sum(n.model_steps for n in nodes),
                "unique_model_steps": sum(unique.values()), "critical_path_steps": steps,
                "critical_path": [n.name for n in path]}


def training_identity(node: Node) -> tuple | None:
    """What a node trains, independent of how its entry is keyed: a ticket control retrained for the rounds'
    own budget trains exactly the round's network (same mask, init, data order and config), so both are one
    training. Nodes that train nothing give None."""
    s = node.spec
    if node.trainings == 0:
        return None
    if s.kind == "lenet-control" and s.control == "ticket":
        s = replace(s, kind="lenet-iterative-round", control="", control_index=0, control_code="")
    return (s.key(), node.chunk)


def unique_trainings(nodes: Iterable[Node]) -> dict[tuple, int]:
    """Distinct trainings of a seed chunk (exact duplicates counted once), each with its model-steps."""
    out: dict[tuple, int] = {}
    for n in nodes:
        ident = training_identity(n)
        if ident is not None:
            out.update({(ident, i): n.spec.train.iterations * len(n.chunk) for i in range(n.trainings)})
    return out
