"""Experiments as a declared graph: every node is a spec and a seed chunk, its edges the nodes it needs.

A :class:`Planner` builds nodes for one data set of one :class:`Setting` without running anything:
levels are named by Pm and mapped to pruning rounds from the layer sizes and rates alone
(:func:`lth.core.pruning.pm_schedule`), so a control at Pm 21% needs round 7's node of its chunk, not
the whole chain, and one-shot pruning needs only round 0. An :class:`Experiment` is what a consumer
asks for: the nodes of one spec over every chunk of its seeds. :class:`Graph` gathers the experiments
of a set of claims (nodes with equal keys are one node), and reports its size and critical path
(``python -m lth plan``). An executor (:mod:`lth.experiments.executors`) runs the nodes.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterable, Sequence

from lth.core import data as lth_data
from lth.core import models, pruning
from lth.core.training import TrainConfig
from lth.experiments import controls, recipes
from lth.experiments.presets import Preset
from lth.experiments.spec import ExperimentSpec

DATASETS = ("mnist", "fashion-mnist")  # the LeNet experiments' data sets (XOR has its own nodes)
BUDGETS = ("rounds", "speed")  # the preset's lenet_train (the pruning rounds') or speed_train budget

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


class Planner:
    """Builds the nodes of one data set's experiments (or XOR's) for a setting; runs nothing."""

    def __init__(self, setting: Setting, dataset: str = "mnist"):
        if dataset not in DATASETS:
            raise ValueError(f"the LeNet experiments run on {' or '.join(map(repr, DATASETS))}, got {dataset!r}")
        self.setting, self.dataset, self.preset = setting, dataset, setting.preset
        arch = models.lenet_300_100()
        self.rates = pruning.paper_rates(arch.weight_names, self.preset.hidden_rate, self.preset.output_rate)
        sizes = {k: a * b for k, (a, b) in arch.weight_shapes().items()}
        self.pms = pruning.pm_schedule(sizes, self.rates, setting.rounds(dataset))
        self._prefix = "" if dataset == "mnist" else f"{dataset} "

    # ---- levels -----------------------------------------------------------------------------------
    def level(self, pm: float) -> int:
        """The pruning round whose Pm is ``pm`` percent (within 5% of it: 21 finds 21.1), from the rates alone."""
        best = min(range(len(self.pms)), key=lambda r: abs(self.pms[r] - pm))
        if abs(self.pms[best] - pm) > 0.05 * pm:
            raise ValueError(f"no pruning round has Pm near {pm!r}%; the rounds have {self.pms}")
        return best

    def label(self, pm: float) -> str:
        return f"Pm {self.pms[self.level(pm)]:g}%"

    # ---- specs ------------------------------------------------------------------------------------
    def lenet_spec(self, kind: str, width: float = 1.0, train: TrainConfig | None = None, **extra) -> ExperimentSpec:
        if kind != "lenet-dense":
            extra.setdefault("rates", tuple(sorted(self.rates.items())))
        return ExperimentSpec(kind=kind, arch=models.lenet_300_100(width),
                              train=self.setting.train(train or self.preset.lenet_train), dataset=self.dataset,
                              split_seed=lth_data.SPLIT_SEED, device=self.setting.device, **extra)

    def _budget(self, budget: str) -> TrainConfig:
        if budget not in BUDGETS:
            raise ValueError(f"budget must be one of {', '.join(BUDGETS)}, got {budget!r}")
        return self.preset.lenet_train if budget == "rounds" else self.preset.speed_train

    def _experiment(self, spec: ExperimentSpec, name: str, make: Callable[[tuple[int, ...]], Node]) -> Experiment:
        return Experiment(spec, tuple(make(c) for c in self.setting.chunks(self.dataset)), self._prefix + name)

    # ---- the pruning chain --------------------------------------------------------------------------
    def round_node(self, chunk: tuple[int, ...], r: int, criterion: str = "magnitude") -> Node:
        """Round r of iterative pruning for one chunk: trains with round r-1's next mask (round 0: dense)."""
        if not 0 <= r <= self.setting.rounds(self.dataset):
            raise ValueError(f"round must be in 0..{self.setting.rounds(self.dataset)}, got {r!r}")
        pruning.criterion(criterion)
        spec = self.lenet_spec("lenet-iterative-round", round=r, pruning_criterion=criterion)
        needs = (self.round_node(chunk, r - 1, criterion),) if r > 0 else ()
        ds = self.dataset

        def recipe(ctx, entries: Sequence[dict]) -> dict:
            masks = recipes.first_masks(spec, list(chunk)) if r == 0 else entries[0]["next_mask"]
            return recipes.iterative_round(spec, list(chunk), ctx.dataset(ds), masks, spec.device)

        return Node(spec, chunk, needs, recipe, f"{self._prefix}iterative pruning round {r}/"
                    f"{self.setting.rounds(ds)} (Pm {self.pms[r]:g}%)")

    def rounds_at(self, pm: float, criterion: str = "magnitude", offset: int = 0) -> Experiment:
        """The round at ``pm`` (``offset=-1``: the round before it) over every chunk: its own entries."""
        r = self.level(pm) + offset
        spec = self.lenet_spec("lenet-iterative-round", round=r, pruning_criterion=criterion)
        return self._experiment(spec, f"lenet round {r}", lambda c: self.round_node(c, r, criterion))

    def iterative(self, criterion: str = "magnitude") -> Experiment:
        """Every round's summary, one small entry per chunk (the figures' view of the whole chain)."""
        R = self.setting.rounds(self.dataset)
        spec = self.lenet_spec("lenet-iterative", rounds=R, pruning_criterion=criterion)
        keep = (*recipes.SUMMARY_KEYS, "density", "eval_iterations", "next_density", "pruned_before_reset_acc")

        def make(chunk):
            def recipe(ctx, entries: Sequence[dict]) -> dict:
                return {"rounds": [{k: e[k] for k in keep} for e in entries]}

            return Node(spec, chunk, tuple(self.round_node(chunk, r, criterion) for r in range(R + 1)), recipe,
                        f"{self._prefix}iterative pruning summary", trainings=0)

        return self._experiment(spec, "lenet iterative", make)

    # ---- controls, budgets and follow-ups -----------------------------------------------------------------
    def control(self, name: str, pm: float, index: int = 0, budget: str = "rounds",
                criterion: str = "magnitude") -> Experiment:
        """A registered control (or ``"ticket"``) at the per-layer counts of the round at ``pm``, trained for
        the preset's ``budget``; it needs round r's node ("round" controls) or round 0's ("dense")."""
        control, r, train = controls.get(name), self.level(pm), self._budget(budget)
        spec = self.lenet_spec("lenet-control", train=train, round=r, control=name, control_index=index,
                               control_code=control.code, pruning_criterion=criterion)
        ds = self.dataset

        def make(chunk):
            need = self.round_node(chunk, 0 if control.needs == "dense" else r, criterion)

            def recipe(ctx, entries: Sequence[dict]) -> dict:
                e = entries[0]
                mask, final = (None, e["final"]) if control.needs == "dense" else (e["mask"], None)
                return recipes.control(spec, list(chunk), ctx.dataset(ds), mask, final)

            return Node(spec, chunk, (need,), recipe, f"{self._prefix}{name}{index if name == 'reinit' else ''} "
                        f"Pm {self.pms[r]:g}% ({train.iterations:,} iterations)")

        label = f"lenet {name}{index if name == 'reinit' else ''} round {r}" + (
            f" ({train.iterations} iterations)" if budget != "rounds" else "")
        return self._experiment(spec, label, make)

    def width(self, width: float) -> Experiment:
        """A dense LeNet of another width multiplier, trained once (width 1 is round 0)."""
        spec = self.lenet_spec("lenet-dense", width)
        ds = self.dataset
        return self._experiment(spec, f"lenet width {width:g}", lambda c: Node(
            spec, c, (), lambda ctx, e: recipes.lenet_dense(spec, list(c), ctx.dataset(ds)),
            f"{self._prefix}dense LeNet x{width:g}"))

    def supermask(self, pm: float) -> Experiment:
        """The "large final, same sign" supermask and a random mask at the round's counts, untrained (Zhou et al.)."""
        r = self.level(pm)
        spec = self.lenet_spec("lenet-supermask", round=r, criterion=(
            "large final, same sign: |w_final| of the trained dense network where its sign is the initial sign, "
            "else 0; the round's per-layer counts kept; on the untrained initial weights"))
        ds = self.dataset

        def make(chunk):
            return Node(spec, chunk, (self.round_node(chunk, 0), self.round_node(chunk, r)),
                        lambda ctx, e: recipes.supermask(spec, list(chunk), ctx.dataset(ds), e[0], e[1]),
                        f"{self._prefix}supermask Pm {self.pms[r]:g}%", trainings=0)

        return self._experiment(spec, f"lenet supermask round {r}", make)

    def lmc(self, pm: float, control: str = "ticket") -> Experiment:
        """Two copies of the ticket (or random pruning) at ``pm`` trained with data orders 0 and 1, and the test
        error on the straight line between them (Frankle et al. 2020)."""
        if control not in ("ticket", "random-pruning"):
            raise ValueError(f"linear mode connectivity runs for 'ticket' or 'random-pruning', got {control!r}")
        r, points, order = self.level(pm), self.preset.lmc_points, self.preset.lenet_train.data_order
        spec = self.lenet_spec("lenet-lmc", round=r, control=control, criterion=(
            f"test error at {points} evenly spaced points of the straight line between the final weights of copies "
            f"trained with data orders {order} and {order + 1}"))
        ds = self.dataset

        def make(chunk):
            def recipe(ctx, entries: Sequence[dict]) -> dict:
                params, masks = recipes.control_start(spec, list(chunk), entries[0]["mask"], None)
                return recipes.lmc(spec, list(chunk), ctx.dataset(ds), params, masks, points)

            return Node(spec, chunk, (self.round_node(chunk, r),), recipe,
                        f"{self._prefix}linear mode connectivity {control} Pm {self.pms[r]:g}%", trainings=2)

        return self._experiment(spec, f"lenet linear mode connectivity {control} round {r}", make)


class XorPlanner:
    """The XOR experiments (v1, Sec. 2): every seed in one chunk, so one node an experiment."""

    def __init__(self, setting: Setting):
        self.setting, self.preset = setting, setting.preset

    def _spec(self, kind: str, hidden: int, **extra) -> ExperimentSpec:
        p = self.preset
        return ExperimentSpec(kind=kind, arch=models.xor_net(hidden), train=self.setting.train(p.xor_train),
                              dataset="xor", device=self.setting.device, loss_threshold=p.xor_loss_threshold, **extra)

    def dense_node(self, hidden: int) -> Node:
        spec, seeds = self._spec("xor-dense", hidden), tuple(self.setting.seeds("xor"))
        return Node(spec, seeds, (), lambda ctx, e: recipes.xor_dense(spec, list(seeds)), f"XOR dense H={hidden}")

    def dense(self, hidden: int) -> Experiment:
        node = self.dense_node(hidden)
        return Experiment(node.spec, (node,), f"xor H={hidden}")

    def tickets(self) -> Experiment:
        H = max(self.preset.xor_widths)
        spec = self._spec("xor-tickets", H, keep_units=self.preset.xor_ticket_units,
                          criterion="unit L2 norm of final weights")
        dense = self.dense_node(H)
        seeds = dense.chunk

        def recipe(ctx, entries: Sequence[dict]) -> dict:
            return recipes.xor_tickets(spec, list(seeds), entries[0]["final"], entries[0]["converged"])

        node = Node(spec, seeds, (dense,), recipe, f"XOR tickets from H={H}", trainings=4)
        return Experiment(spec, (node,), "xor tickets")


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
        steps, path = self.critical_path()
        return {"nodes": len(nodes), "edges": len(self.edges()),
                "trainings": sum(n.trainings for n in nodes),
                "unique_trainings": len(unique_trainings(nodes)),
                "model_steps": sum(n.model_steps for n in nodes), "critical_path_steps": steps,
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


def unique_trainings(nodes: Iterable[Node]) -> set:
    """The set of distinct (training, chunk) pairs, each ``trainings`` deep, exact duplicates counted once."""
    out = set()
    for n in nodes:
        ident = training_identity(n)
        if ident is not None:
            out.update((ident, i) for i in range(n.trainings))
    return out
