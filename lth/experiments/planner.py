"""Planners: the nodes of a setting's experiments, built without running anything.

A :class:`Planner` covers one data set's LeNet experiments: levels are named by Pm and mapped to
pruning rounds from the layer sizes and rates alone (:func:`lth.core.pruning.pm_schedule`), so a
control at Pm 21% needs round 7's node of its own chunk, not the whole chain, and one-shot pruning
needs only round 0. :class:`XorPlanner` covers XOR (every seed in one chunk).
"""
from __future__ import annotations

from dataclasses import replace
from typing import Callable, Sequence

from lth.core import data as lth_data
from lth.core import models, pruning
from lth.core.training import TrainConfig
from lth.experiments import controls, recipes
from lth.experiments.graph import Experiment, Node, Setting
from lth.experiments.spec import ExperimentSpec

DATASETS = ("mnist", "fashion-mnist")  # the LeNet experiments' data sets (XOR has its own nodes)
BUDGETS = ("rounds", "speed")  # the preset's lenet_train (the pruning rounds') or speed_train budget


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
        return pruning.nearest_round(self.pms, pm)

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
    def long_round(self, r: int) -> bool:
        """Whether round r trains once to the speed budget, its rounds' record taken on the way (preset
        ``long_rounds``, MNIST): only where the speed budget is the rounds' one made longer."""
        p = self.preset
        longer = p.speed_train.iterations > p.lenet_train.iterations and \
            replace(p.lenet_train, iterations=p.speed_train.iterations) == p.speed_train
        return self.dataset == "mnist" and longer and any(self.level(pm) == r for pm in p.long_rounds)

    def _round_train(self, r: int) -> TrainConfig:
        p = self.preset
        return replace(p.speed_train, prefix_iterations=p.lenet_train.iterations) if self.long_round(r) \
            else p.lenet_train

    def round_node(self, chunk: tuple[int, ...], r: int, criterion: str = "magnitude") -> Node:
        """Round r of iterative pruning for one chunk: trains with round r-1's next mask (round 0: dense)."""
        if not 0 <= r <= self.setting.rounds(self.dataset):
            raise ValueError(f"round must be in 0..{self.setting.rounds(self.dataset)}, got {r!r}")
        pruning.criterion(criterion)
        spec = self.lenet_spec("lenet-iterative-round", train=self._round_train(r), round=r,
                               pruning_criterion=criterion)
        needs = (self.round_node(chunk, r - 1, criterion),) if r > 0 else ()
        ds = self.dataset

        def recipe(ctx, entries: Sequence[dict]) -> dict:
            masks = recipes.first_masks(spec, list(chunk)) if r == 0 else entries[0]["next_mask"]
            return recipes.iterative_round(spec, list(chunk), ctx.dataset(ds), masks, spec.device)

        long = f", {spec.train.iterations:,} iterations" if self.long_round(r) else ""
        return Node(spec, chunk, needs, recipe, f"{self._prefix}iterative pruning round {r}/"
                    f"{self.setting.rounds(ds)} (Pm {self.pms[r]:g}%{long})")

    def rounds_at(self, pm: float, criterion: str = "magnitude", offset: int = 0) -> Experiment:
        """The round at ``pm`` (``offset=-1``: the round before it) over every chunk: its own entries."""
        r = self.level(pm) + offset
        spec = self.lenet_spec("lenet-iterative-round", train=self._round_train(r), round=r,
                               pruning_criterion=criterion)
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
        if name == "ticket" and budget == "speed" and self.long_round(r):
            return self._from_long_round(spec, r, criterion)

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

    def _from_long_round(self, spec: ExperimentSpec, r: int, criterion: str) -> Experiment:
        """The ticket at the speed budget where round r already trained that long: the round's own long record
        (the same network, mask, initialisation, data order and configuration), not a second training."""
        def make(chunk):
            def recipe(ctx, entries: Sequence[dict]) -> dict:
                return dict(entries[0]["long"])

            return Node(spec, chunk, (self.round_node(chunk, r, criterion),), recipe,
                        f"{self._prefix}ticket Pm {self.pms[r]:g}% ({spec.train.iterations:,} iterations: "
                        f"round {r}'s own run)", trainings=0)

        return self._experiment(spec, f"lenet ticket round {r} ({spec.train.iterations} iterations)", make)

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
