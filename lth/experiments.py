"""The paper's experiments, computed per seed chunk through the shared store.

A :class:`Lab` knows the scale preset, the seeds, the device and the store; each method
returns per-seed results as plain tensors (first dimension = seed, in seed order) and is
computed at most once per configuration, whichever claim or worker asks first.
"""
from __future__ import annotations

import time
from functools import cached_property
from typing import Callable

import torch

from lth import data as lth_data
from lth import masks as M
from lth import models, pruning, training
from lth.scales import Preset
from lth.store import Store

SUMMARY_KEYS = ("val_loss", "val_acc", "es_iteration", "val_loss_es", "test_acc_es", "test_acc_final",
                "test_loss_final", "diverged")


def summary(record: dict, masks: M.Masks) -> dict:
    """The per-seed numbers claims use from a training record (no weights)."""
    out = {k: record[k] for k in SUMMARY_KEYS}
    out["density"] = M.density({k: v.cpu() for k, v in masks.items()})
    out["eval_iterations"] = record["eval_iterations"].tolist()  # the same for every seed: plain list, not per seed
    return out


class Lab:
    """Runs (or fetches) the experiments of one claims session."""

    def __init__(self, preset: Preset, store: Store, *, seed_base: int = 0, n_seeds: int | None = None,
                 device: str = "cpu", log: Callable[[str], None] | None = None):
        if int(seed_base) < 0:
            raise ValueError(f"seed base must be >= 0, got {seed_base!r}")
        if n_seeds is not None and int(n_seeds) < 2:
            raise ValueError(f"the number of seeds must be >= 2, got {n_seeds!r}")
        self.preset, self.store = preset, store
        self.seed_base, self.n_seeds, self.device = int(seed_base), n_seeds, device
        # On the CPU 1-2 seeds per batch run fastest (cache-bound); on a GPU one batch of all seeds costs about one seed.
        # Grouping never changes results beyond float rounding (tests/test_training.py), but it is part of the cache key.
        self.chunk_size = preset.chunk_size if device == "cpu" else max(preset.xor_seeds, preset.mnist_seeds, n_seeds or 0)
        self.log = log or (lambda msg: None)
        self.timings: list[dict] = []  # one row per experiment asked for: kind, wall time, from cache

    # ---- seeds and shared configuration -------------------------------------------------------
    def seeds(self, kind: str) -> list[int]:
        """Seeds base..base+N-1; N from --lth-seeds, else the preset's count for the experiment kind."""
        n = self.n_seeds or (self.preset.xor_seeds if kind == "xor" else self.preset.mnist_seeds)
        return list(range(self.seed_base, self.seed_base + n))

    @cached_property
    def mnist(self) -> lth_data.Dataset:
        return lth_data.mnist(device=self.device)

    def _timed(self, kind: str, fn: Callable[[], dict]) -> dict:
        misses, t0 = self.store.misses, time.perf_counter()
        out = fn()
        self.timings.append({"experiment": kind, "wall_s": round(time.perf_counter() - t0, 3),
                             "cached": self.store.misses == misses})
        return out

    def _train(self, arch, params, masks, data, cfg, seeds) -> dict:
        return training.train(arch, params, masks, data, cfg, seeds)

    # ---- XOR (v1, Sec. 2) ---------------------------------------------------------------------
    def _xor_config(self, hidden: int) -> dict:
        p = self.preset
        return {"arch": models.xor_net(hidden).to_dict(), "train": p.xor_train.to_dict(),
                "threshold": p.xor_loss_threshold, "device": self.device}

    def _converged(self, record: dict) -> torch.Tensor:
        return (record["test_acc_final"] == 1.0) & (record["test_loss_final"] < self.preset.xor_loss_threshold)

    def xor_convergence(self, hidden: int) -> dict:
        """Dense 2-``hidden``-1 networks: per seed ``converged`` and the trained weights."""
        arch, p = models.xor_net(hidden), self.preset
        seeds = self.seeds("xor")

        def compute(chunk: list[int]) -> dict:
            params = models.init_params(arch, chunk)
            rec = self._train(arch, params, M.dense(params), lth_data.xor(), p.xor_train, chunk)
            return {"converged": self._converged(rec), "final_loss": rec["test_loss_final"],
                    "diverged": rec["diverged"], "final": rec["final"]}

        return self._timed(f"xor H={hidden}", lambda: self.store.chunked(
            "xor-dense", self._xor_config(hidden), seeds, len(seeds), compute))

    def xor_tickets(self) -> dict:
        """From width-10 networks: the ``xor_ticket_units`` largest units reset to init (ticket),
        the same units with fresh weights (reinit: the architecture only), and as many random
        units of the same initial network (random units: the initialisation only)."""
        p = self.preset
        H = max(p.xor_widths)
        arch = models.xor_net(H)
        seeds = self.seeds("xor")
        dense = self.xor_convergence(H)
        k = p.xor_ticket_units

        def compute(chunk: list[int]) -> dict:
            idx = torch.tensor([seeds.index(s) for s in chunk])
            final = {name: v[idx] for name, v in dense["final"].items()}
            init = models.init_params(arch, chunk)
            ticket_masks = pruning.unit_prune(final, k)
            runs = {
                "ticket": (init, ticket_masks),
                "reinit": (models.init_params(arch, chunk, stream="reinit"), ticket_masks),
                "random_units": (init, pruning.random_unit_prune(init, k, chunk)),
            }
            out = {"dense_converged": dense["converged"][idx]}
            for name, (params, masks) in runs.items():
                rec = self._train(arch, params, masks, lth_data.xor(), p.xor_train, chunk)
                out[name] = self._converged(rec)
            return out

        cfg = {**self._xor_config(H), "keep_units": k, "criterion": "unit L2 norm of final weights"}
        return self._timed("xor tickets", lambda: self.store.chunked("xor-tickets", cfg, seeds, len(seeds), compute))

    # ---- LeNet-300-100 on MNIST (ICLR, Sec. 2) ----------------------------------------------
    def _lenet_config(self, width: float = 1.0) -> dict:
        p = self.preset
        return {"arch": models.lenet_300_100(width).to_dict(), "train": p.lenet_train.to_dict(),
                "split_seed": lth_data.SPLIT_SEED, "device": self.device}

    def _rates(self) -> dict[str, float]:
        names = models.lenet_300_100().weight_names
        return pruning.paper_rates(names, self.preset.hidden_rate, self.preset.output_rate)

    def lenet_width(self, width: float) -> dict:
        """Dense LeNet of the given width multiplier (width 1 is round 0 of the iterative run)."""
        if width == 1.0:
            return self.lenet_iterative()["rounds"][0]
        arch, p = models.lenet_300_100(width), self.preset

        def compute(chunk: list[int]) -> dict:
            params = models.init_params(arch, chunk)
            masks = M.dense(params)
            return summary(self._train(arch, params, masks, self.mnist, p.lenet_train, chunk), masks)

        return self._timed(f"lenet width {width:g}", lambda: self.store.chunked(
            "lenet-dense", self._lenet_config(width), self.seeds("mnist"), self.chunk_size, compute))

    def _round_entry(self, chunk: list[int], r: int) -> dict:
        """Round r of iterative magnitude pruning for one chunk: trained with mask r, reset to init.

        The entry holds the round's summary, its mask, the next round's mask (pruned from this
        round's final weights) and the accuracy of the pruned network before reset.
        """
        p = self.preset
        arch = models.lenet_300_100()
        cfg = {**self._lenet_config(), "rates": self._rates(), "round": r}

        def compute() -> dict:
            t0 = time.perf_counter()
            if r == 0:
                masks = M.dense(models.init_params(arch, chunk[:1]))
                masks = {k: v.expand(len(chunk), -1, -1).clone() for k, v in masks.items()}
            else:
                masks = self._round_entry(chunk, r - 1)["next_mask"]
            init = models.init_params(arch, chunk)
            rec = self._train(arch, init, masks, self.mnist, p.lenet_train, chunk)
            nxt = pruning.magnitude_prune(rec["final"], masks, self._rates())
            pruned = M.apply(rec["final"], nxt)
            _, pbr = training.evaluate(arch, {k: v.to(self.device) for k, v in pruned.items()},
                                       self.mnist.test_x, self.mnist.test_y)
            out = {**summary(rec, masks), "mask": masks, "next_mask": nxt,
                   "next_density": M.density(nxt), "pruned_before_reset_acc": pbr.cpu()}
            if r == 0:
                out["init"] = {k: v for k, v in init.items() if k.startswith("w")}
                out["final"] = {k: v for k, v in rec["final"].items() if k.startswith("w")}
            self.log(f"iterative pruning seeds {chunk[0]}..{chunk[-1]} round {r}/{p.rounds} "
                     f"(Pm {100 * float(out['density'][0]):.1f}%): {time.perf_counter() - t0:.1f}s")
            return out

        return self.store.cached("lenet-iterative-round", cfg, chunk, compute)

    def lenet_iterative(self) -> dict:
        """Iterative magnitude pruning, rounds 0..R: per round the summary and pruned-before-reset accuracy."""
        p = self.preset

        def compute(chunk: list[int]) -> dict:
            rounds = []
            for r in range(p.rounds + 1):
                e = self._round_entry(chunk, r)
                rounds.append({**{k: e[k] for k in (*SUMMARY_KEYS, "density", "eval_iterations")},
                               "next_density": e["next_density"], "pruned_before_reset_acc": e["pruned_before_reset_acc"]})
            return {"rounds": rounds}

        cfg = {**self._lenet_config(), "rates": self._rates(), "rounds": p.rounds}
        return self._timed("lenet iterative", lambda: self.store.chunked(
            "lenet-iterative", cfg, self.seeds("mnist"), self.chunk_size, compute))

    def _control(self, kind: str, r: int, make: Callable[[list[int], dict], tuple[dict, dict]]) -> dict:
        p = self.preset
        arch = models.lenet_300_100()

        self.lenet_iterative()  # masks come from the iterative run: compute it first, under its locks

        def compute(chunk: list[int]) -> dict:
            params, masks = make(chunk, self._round_entry(chunk, r))
            return summary(self._train(arch, params, masks, self.mnist, p.lenet_train, chunk), masks)

        cfg = {**self._lenet_config(), "rates": self._rates(), "round": r, "control": kind}
        return self._timed(f"lenet {kind} round {r}", lambda: self.store.chunked(
            f"lenet-{kind}", cfg, self.seeds("mnist"), self.chunk_size, compute))

    def lenet_one_shot(self, r: int) -> dict:
        """One-shot magnitude pruning of the trained dense network to round r's per-layer counts, reset to init."""
        arch = models.lenet_300_100()

        def make(chunk, entry):
            final0 = self._round_entry(chunk, 0)["final"]
            return models.init_params(arch, chunk), pruning.one_shot(final0, self._rates(), r)

        return self._control("one-shot", r, make)

    def lenet_reinit(self, r: int, index: int = 0) -> dict:
        """Random reinitialisation: round r's ticket mask, fresh weights (the architecture only)."""
        arch = models.lenet_300_100()
        return self._control(f"reinit{index}", r, lambda chunk, e: (
            models.init_params(arch, chunk, stream="reinit", index=index), e["mask"]))

    def lenet_reinit_mean(self, r: int) -> dict:
        """The reinit control averaged per seed over the preset's ``reinits`` reinitialisations."""
        runs = [self.lenet_reinit(r, j) for j in range(self.preset.reinits)]
        if len(runs) == 1:
            return runs[0]
        out = dict(runs[0])
        for k in ("test_acc_es", "test_acc_final", "es_iteration", "val_acc", "val_loss"):
            out[k] = torch.stack([run[k].double() for run in runs]).mean(0)
        out["diverged"] = torch.stack([run["diverged"] for run in runs]).any(0)
        return out

    def lenet_random_prune(self, r: int) -> dict:
        """Random pruning: the original initial weights under a random mask with round r's per-layer counts."""
        arch = models.lenet_300_100()
        return self._control("random-prune", r, lambda chunk, e: (
            models.init_params(arch, chunk), pruning.random_like(e["mask"], chunk)))

    def lenet_weights(self, r: int) -> dict:
        """Initial and final weights of the dense network and round r's mask, per seed (for App. F analyses)."""
        self.lenet_iterative()  # computed under the chunk locks; below only reads entries

        def fetch() -> dict:
            parts = []
            for chunk in self._chunks():
                e0, er = self._round_entry(chunk, 0), self._round_entry(chunk, r)
                parts.append({"init": e0["init"], "final": e0["final"], "mask": er["mask"]})
            return {key: {k: torch.cat([part[key][k] for part in parts]) for k in parts[0][key]} for key in parts[0]}

        return self._timed(f"lenet weights round {r}", fetch)

    def _chunks(self) -> list[list[int]]:
        seeds, c = self.seeds("mnist"), self.chunk_size
        return [seeds[i : i + c] for i in range(0, len(seeds), c)]
