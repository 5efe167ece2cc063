"""Typed results: what an experiment gives back, per seed (first dimension = seed, in seed order).

The cache stores plain dicts of tensors (loadable with ``weights_only=True``); the Lab wraps
them in these dataclasses, so claims read attributes (``run.test_acc_es``), not strings.
"""
from __future__ import annotations

from dataclasses import dataclass, fields

import torch

from lth.core import masks as M
from lth.core import pruning

Tensor = torch.Tensor


def pct(density: Tensor) -> float:
    """Percent of weights remaining, rounded to 2 decimals (the same for every seed of a round)."""
    return round(100.0 * float(torch.as_tensor(density, dtype=torch.float64).mean()), 2)


def _pick(cls, entry: dict) -> dict:
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in entry.items() if k in names}


class _Record:
    """A record built from a cache entry: ``from_entry`` keeps the entry's keys the dataclass declares."""

    @classmethod
    def from_entry(cls, entry: dict):
        return cls(**_pick(cls, entry))


class _AtDensity(_Record):
    """A record of networks at one density (a ``density`` field, [S]): its Pm."""

    @property
    def pm(self) -> float:
        """Percent of weights remaining (the paper's Pm), rounded to 2 decimals."""
        return pct(self.density)


@dataclass
class RunSummary(_AtDensity):
    """One training run of S networks: validation curves, early stopping and test accuracy."""

    val_loss: Tensor  # [S, E] mean validation loss at each evaluation
    val_acc: Tensor  # [S, E]
    es_iteration: Tensor  # [S] iteration of minimum validation loss (the paper's early stopping)
    val_loss_es: Tensor  # [S] that minimum
    test_acc_es: Tensor  # [S] test accuracy of the best-validation snapshot
    test_acc_final: Tensor  # [S] test accuracy at the last iteration
    test_loss_final: Tensor  # [S]
    diverged: Tensor  # [S] bool: a non-finite validation loss at some evaluation
    density: Tensor  # [S] fraction of weights remaining (Pm)
    eval_iterations: list[int]  # iterations at which validation ran (the same for every seed)
    wall_s: Tensor | None = None  # [S] seconds the chunk took (the same for the seeds of a chunk)

    @property
    def label(self) -> str:
        return f"Pm {self.pm:g}%"


@dataclass
class PruningRound(RunSummary):
    """One round of iterative pruning: the run with this round's mask, and what pruning it gives."""

    next_density: Tensor | None = None  # [S] Pm after pruning this round's final weights
    pruned_before_reset_acc: Tensor | None = None  # [S] test accuracy of those weights pruned, not retrained


@dataclass
class IterativeRun:
    """Rounds 0..R of iterative magnitude pruning with reset (round 0 is the dense network)."""

    rounds: list[PruningRound]

    @classmethod
    def from_entry(cls, entry: dict) -> "IterativeRun":
        return cls([PruningRound.from_entry(r) for r in entry["rounds"]])

    @property
    def dense(self) -> PruningRound:
        return self.rounds[0]

    def level(self, pm: float) -> int:
        """The round whose Pm is ``pm`` percent (within 5% of it, e.g. 21 finds 21.1): levels are named, not indexed."""
        return pruning.nearest_round([r.pm for r in self.rounds], pm)

    def at(self, pm: float) -> PruningRound:
        return self.rounds[self.level(pm)]


@dataclass
class XorRun(_Record):
    """Dense XOR networks of one width."""

    converged: Tensor  # [S] bool
    final_loss: Tensor  # [S]
    diverged: Tensor  # [S] bool
    final: dict  # trained weights, lth layout


@dataclass
class XorTickets(_Record):
    """2-unit tickets from width-10 networks and their controls: converged or not, per seed."""

    dense_converged: Tensor  # [S] bool: the width-10 network the ticket came from converged
    ticket: Tensor
    reinit: Tensor
    random_units: Tensor
    rearranged: Tensor


@dataclass
class Weights:
    """Initial and final weights of the dense network and one round's mask, per seed (App. F analyses)."""

    init: dict[str, Tensor]
    final: dict[str, Tensor]
    mask: M.Masks


def mean_of(runs: list[RunSummary]) -> RunSummary:
    """Per-seed average of several runs of one control (e.g. the paper's three reinitialisations)."""
    if len(runs) == 1:
        return runs[0]
    stack = lambda name: torch.stack([getattr(r, name).double() for r in runs]).mean(0)
    first = runs[0]
    return RunSummary(
        val_loss=stack("val_loss"), val_acc=stack("val_acc"), es_iteration=stack("es_iteration"),
        val_loss_es=first.val_loss_es, test_acc_es=stack("test_acc_es"), test_acc_final=stack("test_acc_final"),
        test_loss_final=first.test_loss_final, diverged=torch.stack([r.diverged for r in runs]).any(0),
        density=first.density, eval_iterations=first.eval_iterations, wall_s=first.wall_s,
    )


# ---- beyond the paper (issue 10) ----------------------------------------------------------------
@dataclass
class SupermaskRun(_AtDensity):
    """Untrained networks under one round's per-layer counts (Zhou et al. 2019): test accuracy per seed of the
    "large final, same sign" supermask and of a random mask, each on the initial weights and on their signed constant."""

    supermask_init: Tensor  # [S]
    supermask_signed: Tensor  # [S]
    random_init: Tensor  # [S]
    random_signed: Tensor  # [S]
    same_sign_kept: Tensor  # [S] fraction of the supermask's weights whose final sign is their initial sign
    density: Tensor  # [S]


@dataclass
class LmcRun(_AtDensity):
    """Two copies of a subnetwork trained with two data orders (Frankle et al. 2020): the test error along the
    straight line between their final weights, per seed, and its error barriers."""

    alphas: list[float]  # [P] interpolation coefficients, 0 = copy A, 1 = copy B
    error: Tensor  # [S, P] test error at each point
    barrier: Tensor  # [S] max over the path of the error minus the mean endpoint error (the paper's instability)
    barrier_linear: Tensor  # [S] max over the path of the error minus the straight line between the endpoint errors
    test_acc_a: Tensor  # [S] final test accuracy of copy A
    test_acc_b: Tensor  # [S]
    density: Tensor  # [S]
