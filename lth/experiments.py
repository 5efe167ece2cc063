"""The paper's experiments for one claims session: which to run, in what order, through the cache.

A :class:`Lab` knows the scale preset, the seeds, the device and the store. Each method
builds the :class:`~lth.spec.ExperimentSpec` of an experiment, fetches it from the store (or
computes it there with a recipe from :mod:`lth.compute`, in seed chunks that xdist workers
share through locks) and returns typed records (:mod:`lth.records`). Orchestration only:
what the numbers are is decided in ``compute.py`` and below.
"""
from __future__ import annotations

import time
from dataclasses import replace
from functools import cached_property
from typing import Callable

from lth import compute, followups
from lth import data as lth_data
from lth import models, pruning
from lth.records import IterativeRun, LmcRun, RunSummary, SupermaskRun, Weights, XorRun, XorTickets, mean_of
from lth.scales import Preset
from lth.spec import ExperimentSpec
from lth.store import Store

CONTROLS = ("one-shot", "reinit", "random-prune", "rearrange", "signed-constant", "random-sign-constant")


class Lab:
    """Runs (or fetches) the experiments of one claims session."""

    def __init__(self, preset: Preset, store: Store, *, seed_base: int = 0, n_seeds: int | None = None,
                 device: str = "cpu", log: Callable[[str], None] | None = None, kernel: str | None = None):
        if int(seed_base) < 0:
            raise ValueError(f"seed base must be >= 0, got {seed_base!r}")
        if n_seeds is not None and int(n_seeds) < 2:
            raise ValueError(f"the number of seeds must be >= 2, got {n_seeds!r}")
        self.preset, self.store = preset, store
        self.seed_base, self.n_seeds, self.device = int(seed_base), n_seeds, device
        self.kernel = kernel  # None: the preset's; "dense" forces the dense masked step (debugging)
        # On the CPU 1-2 seeds per batch run fastest (cache-bound); on a GPU one batch of all seeds costs about one seed.
        # Grouping never changes results beyond float rounding (tests/test_training.py), but it is part of the cache key.
        self.chunk_size = preset.chunk_size if device == "cpu" else max(preset.xor_seeds, preset.mnist_seeds, n_seeds or 0)
        self.log = log or (lambda msg: None)
        self.timings: list[dict] = []  # one row per experiment asked for: kind, wall time, from cache
        self.dataset = "mnist"  # the LeNet experiments' data set (another through ``on``)

    # ---- seeds, data and specs ----------------------------------------------------------------
    def seeds(self, kind: str) -> list[int]:
        """Seeds base..base+N-1; N from --lth-seeds, else the preset's count for the experiment kind."""
        n = self.n_seeds or (self.preset.xor_seeds if kind == "xor" else self.preset.mnist_seeds)
        return list(range(self.seed_base, self.seed_base + n))

    def chunks(self) -> list[list[int]]:
        seeds, c = self.seeds("mnist"), self.chunk_size
        return [seeds[i : i + c] for i in range(0, len(seeds), c)]

    @cached_property
    def mnist(self) -> lth_data.Dataset:
        """The LeNet experiments' data set: MNIST, or the data set of a lab made by ``on``."""
        if self.dataset != "mnist":
            return lth_data.load(self.dataset, device=self.device)
        return lth_data.mnist(device=self.device)

    def _train_config(self, cfg):
        return cfg if self.kernel is None else replace(cfg, kernel=self.kernel)

    def _xor_spec(self, kind: str, hidden: int, **extra) -> ExperimentSpec:
        p = self.preset
        return ExperimentSpec(kind=kind, arch=models.xor_net(hidden), train=self._train_config(p.xor_train),
                              dataset="xor", device=self.device, loss_threshold=p.xor_loss_threshold, **extra)

    def lenet_spec(self, kind: str, width: float = 1.0, **extra) -> ExperimentSpec:
        p = self.preset
        if kind != "lenet-dense":
            rates = pruning.paper_rates(models.lenet_300_100().weight_names, p.hidden_rate, p.output_rate)
            extra.setdefault("rates", tuple(sorted(rates.items())))
        return ExperimentSpec(kind=kind, arch=models.lenet_300_100(width), train=self._train_config(p.lenet_train),
                              dataset=self.dataset, split_seed=lth_data.SPLIT_SEED, device=self.device, **extra)

    @property
    def _prefix(self) -> str:
        """How timing rows and log lines name this lab's data set: nothing for MNIST, else its name."""
        return "" if self.dataset == "mnist" else f"{self.dataset} "

    def _timed(self, name: str, fn: Callable[[], object]):
        misses, t0 = self.store.misses, time.perf_counter()
        out = fn()
        name = self._prefix + name
        self.timings.append({"experiment": name, "wall_s": round(time.perf_counter() - t0, 3),
                             "cached": self.store.misses == misses})
        return out

    # ---- XOR (v1, Sec. 2) ---------------------------------------------------------------------
    def xor_convergence(self, hidden: int) -> XorRun:
        """Dense 2-``hidden``-1 networks: per seed ``converged`` and the trained weights."""
        spec, seeds = self._xor_spec("xor-dense", hidden), self.seeds("xor")
        entry = self._timed(f"xor H={hidden}", lambda: self.store.chunked(
            spec, seeds, len(seeds), lambda chunk: compute.xor_dense(spec, chunk)))
        return XorRun.from_entry(entry)

    def xor_tickets(self) -> XorTickets:
        """From width-10 networks: the ``xor_ticket_units`` largest units reset to init, and the controls."""
        H = max(self.preset.xor_widths)
        seeds = self.seeds("xor")
        dense = self.xor_convergence(H)
        spec = self._xor_spec("xor-tickets", H, keep_units=self.preset.xor_ticket_units,
                              criterion="unit L2 norm of final weights")

        def recipe(chunk: list[int]) -> dict:
            idx = [seeds.index(s) for s in chunk]
            final = {name: v[idx] for name, v in dense.final.items()}
            return compute.xor_tickets(spec, chunk, final, dense.converged[idx])

        return XorTickets.from_entry(self._timed("xor tickets", lambda: self.store.chunked(
            spec, seeds, len(seeds), recipe)))

    # ---- LeNet-300-100 on MNIST (ICLR, Sec. 2) ----------------------------------------------
    def lenet_width(self, width: float) -> RunSummary:
        """Dense LeNet of the given width multiplier (width 1 is round 0 of the iterative run)."""
        if width == 1.0:
            return self.lenet_iterative().dense
        spec = self.lenet_spec("lenet-dense", width)
        return RunSummary.from_entry(self._timed(f"lenet width {width:g}", lambda: self.store.chunked(
            spec, self.seeds("mnist"), self.chunk_size, lambda chunk: compute.lenet_dense(spec, chunk, self.mnist))))

    def round_entry(self, chunk: list[int], r: int) -> dict:
        """Round r of iterative magnitude pruning for one chunk: its summary, mask and next mask."""
        spec = self.lenet_spec("lenet-iterative-round", round=r)

        def recipe() -> dict:
            t0 = time.perf_counter()
            masks = compute.first_masks(spec, chunk) if r == 0 else self.round_entry(chunk, r - 1)["next_mask"]
            out = compute.iterative_round(spec, chunk, self.mnist, masks, self.device)
            self.log(f"{self._prefix}iterative pruning seeds {chunk[0]}..{chunk[-1]} round {r}/{self.preset.rounds} "
                     f"(Pm {100 * float(out['density'][0]):.1f}%): {time.perf_counter() - t0:.1f}s")
            return out

        return self.store.cached(spec, chunk, recipe)

    def lenet_iterative(self) -> IterativeRun:
        """Iterative magnitude pruning, rounds 0..R: per round the summary and pruned-before-reset accuracy."""
        keep = (*compute.SUMMARY_KEYS, "density", "eval_iterations", "next_density", "pruned_before_reset_acc")

        def recipe(chunk: list[int]) -> dict:
            return {"rounds": [{k: self.round_entry(chunk, r)[k] for k in keep} for r in range(self.preset.rounds + 1)]}

        spec = self.lenet_spec("lenet-iterative", rounds=self.preset.rounds)
        return IterativeRun.from_entry(self._timed("lenet iterative", lambda: self.store.chunked(
            spec, self.seeds("mnist"), self.chunk_size, recipe)))

    def level(self, pm: float) -> int:
        """The pruning round at ``pm`` percent of weights remaining (e.g. ``lab.level(21)`` is round 7)."""
        return self.lenet_iterative().level(pm)

    def control(self, kind: str, pm: float, index: int = 0, train=None) -> RunSummary:
        """A control at the per-layer counts of the round at ``pm`` (one-shot, reinit, random-prune, rearrange),
        or with ``kind=""`` the round's ticket itself, retrained; ``train`` overrides the preset's config."""
        if kind not in ("", *CONTROLS):
            raise ValueError(f"unknown control {kind!r}; known: '' (the ticket), {', '.join(CONTROLS)}")
        r = self.level(pm)  # masks come from the iterative run: computed first, under its locks
        spec = self.lenet_spec("lenet-control", round=r, control=kind, control_index=index)
        if train is not None:
            spec = replace(spec, train=self._train_config(train))

        def recipe(chunk: list[int]) -> dict:
            dense_entry = self.round_entry(chunk, 0) if kind == "one-shot" else {}
            return compute.control(spec, chunk, self.mnist, self.round_entry(chunk, r), dense_entry)

        name = f"lenet {kind or 'ticket'}{index if kind == 'reinit' else ''} round {r}" + (
            f" ({spec.train.iterations} iterations)" if train is not None else "")
        return RunSummary.from_entry(self._timed(name, lambda: self.store.chunked(
            spec, self.seeds("mnist"), self.chunk_size, recipe)))

    def lenet_speed(self, kind: str, pm: float) -> RunSummary:
        """A ticket (``kind=""``; Pm 100 is the dense network) or control retrained for the preset's
        ``speed_train`` budget, from the ci rounds' masks: dedicated runs long enough that early
        stopping is not censored (a documented deviation: the paper measures it in its own rounds)."""
        return self.control(kind, pm, train=self.preset.speed_train)

    def lenet_one_shot(self, pm: float) -> RunSummary:
        return self.control("one-shot", pm)

    def lenet_reinit_mean(self, pm: float) -> RunSummary:
        """The reinit control averaged per seed over the preset's ``reinits`` reinitialisations."""
        return mean_of([self.control("reinit", pm, j) for j in range(self.preset.reinits)])

    def lenet_random_prune(self, pm: float) -> RunSummary:
        return self.control("random-prune", pm)

    def lenet_rearranged(self, pm: float) -> RunSummary:
        return self.control("rearrange", pm)

    def lenet_weights(self, pm: float) -> Weights:
        """Initial and final weights of the dense network and the mask at ``pm``, per seed (App. F)."""
        r = self.level(pm)  # computed under the chunk locks; below only reads entries

        def fetch() -> Weights:
            import torch

            parts = [(self.round_entry(c, 0), self.round_entry(c, r)) for c in self.chunks()]
            cat = lambda get: {k: torch.cat([get(e0, er)[k] for e0, er in parts]) for k in get(*parts[0])}
            return Weights(init=cat(lambda e0, er: e0["init"]), final=cat(lambda e0, er: e0["final"]),
                           mask=cat(lambda e0, er: er["mask"]))

        return self._timed(f"lenet weights round {r}", fetch)

    # ---- beyond the paper (issue 10) ----------------------------------------------------------
    def on(self, dataset: str) -> "Lab":
        """This lab on another data set: the same store, seed base, device, kernel, log and timings; its LeNet
        specs name ``dataset``, and its seeds and pruning rounds are the preset's ``fmnist_seeds`` and
        ``fmnist_rounds`` (``--lth-seeds`` still overrides the seeds). ``on("mnist")`` is the lab itself."""
        if dataset == self.dataset:
            return self
        if dataset != "fashion-mnist":
            raise ValueError(f"the LeNet experiments run on 'mnist' or 'fashion-mnist', got {dataset!r}")
        twins = self.__dict__.setdefault("_twins", {})
        if dataset not in twins:
            p = replace(self.preset, mnist_seeds=self.preset.fmnist_seeds, rounds=self.preset.fmnist_rounds)
            twin = Lab(p, self.store, seed_base=self.seed_base, n_seeds=self.n_seeds, device=self.device,
                       log=self.log, kernel=self.kernel)
            twin.dataset, twin.timings = dataset, self.timings
            twins[dataset] = twin
        return twins[dataset]

    def lenet_signed_constant(self, pm: float, random_signs: bool = False) -> RunSummary:
        """The ticket mask at ``pm`` with every weight its initial sign (or a random sign) times its layer's
        initial standard deviation, trained like the ticket (Zhou et al. 2019)."""
        return self.control("random-sign-constant" if random_signs else "signed-constant", pm)

    def lenet_supermask(self, pm: float) -> SupermaskRun:
        """The "large final, same sign" supermask and a random mask at the per-layer counts of the round at
        ``pm``, applied to the untrained initial weights (and their signed constant), evaluated on the test set."""
        r = self.level(pm)
        spec = self.lenet_spec("lenet-supermask", round=r, criterion=(
            "large final, same sign: |w_final| of the trained dense network where its sign is the initial sign, "
            "else 0; the round's per-layer counts kept; on the untrained initial weights"))

        def recipe(chunk: list[int]) -> dict:
            return followups.supermask(spec, chunk, self.mnist, self.round_entry(chunk, 0), self.round_entry(chunk, r))

        return SupermaskRun.from_entry(self._timed(f"lenet supermask round {r}", lambda: self.store.chunked(
            spec, self.seeds("mnist"), self.chunk_size, recipe)))

    def lenet_lmc(self, pm: float, control: str = "") -> LmcRun:
        """Linear mode connectivity of the ticket (``control=""``) or the random-pruning control at ``pm``: two
        copies trained with data orders 0 and 1, the test error at the preset's ``lmc_points`` points between
        their final weights (Frankle et al. 2020)."""
        if control not in ("", "random-prune"):
            raise ValueError(f"linear mode connectivity runs for the ticket ('') or 'random-prune', got {control!r}")
        r, points = self.level(pm), self.preset.lmc_points
        spec = self.lenet_spec("lenet-lmc", round=r, control=control, criterion=(
            f"test error at {points} evenly spaced points of the straight line between the final weights of copies "
            f"trained with data orders {self.preset.lenet_train.data_order} and {self.preset.lenet_train.data_order + 1}"))

        def recipe(chunk: list[int]) -> dict:
            params, masks = compute.control_start(spec, chunk, self.round_entry(chunk, r), {})
            return followups.lmc(spec, chunk, self.mnist, params, masks, points)

        name = f"lenet linear mode connectivity {control or 'ticket'} round {r}"
        return LmcRun.from_entry(self._timed(name, lambda: self.store.chunked(
            spec, self.seeds("mnist"), self.chunk_size, recipe)))
