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

from lth import compute
from lth import data as lth_data
from lth import models, pruning
from lth.records import IterativeRun, RunSummary, Weights, XorRun, XorTickets, mean_of
from lth.scales import Preset
from lth.spec import ExperimentSpec
from lth.store import Store

CONTROLS = ("one-shot", "reinit", "random-prune", "rearrange")


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
                              dataset="mnist", split_seed=lth_data.SPLIT_SEED, device=self.device, **extra)

    def _timed(self, name: str, fn: Callable[[], object]):
        misses, t0 = self.store.misses, time.perf_counter()
        out = fn()
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
            self.log(f"iterative pruning seeds {chunk[0]}..{chunk[-1]} round {r}/{self.preset.rounds} "
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
