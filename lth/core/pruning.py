"""Magnitude, random and unit pruning, with exact counts and deterministic ties.

Rounding rule: pruning a fraction ``rate`` of ``n`` remaining weights removes
``floor(rate * n + 0.5)`` of them (round half up). Ties in magnitude are broken by
position: of two equal magnitudes, the weight with the lower row-major index
[fan_in, fan_out] is kept. Every function works on all S seeds at once.
"""
from __future__ import annotations

import math
import numbers
from typing import Callable, Mapping, Sequence

import torch

from lth.core import rng
from lth.core.registry import Registry
from lth.core.masks import Masks, Params, check_masks, check_weights, counts, weight_names


def check_rate(rate: object, what: str = "pruning rate") -> float:
    """``rate`` as a float in [0, 1), or ValueError naming it."""
    if isinstance(rate, bool) or not isinstance(rate, (int, float)):
        raise ValueError(f"{what} must be a number in [0, 1), got {rate!r}")
    if not (0.0 <= float(rate) < 1.0):
        raise ValueError(f"{what} must be in [0, 1), got {rate!r}")
    return float(rate)


def n_pruned(n_remaining: int, rate: float) -> int:
    """How many of ``n_remaining`` weights a round at ``rate`` removes (round half up)."""
    return int(math.floor(check_rate(rate) * int(n_remaining) + 0.5))


def layer_rates(weights_or_names, rates: float | Mapping[str, float]) -> dict[str, float]:
    """Per-layer rates from one number or a mapping (every layer must be named)."""
    names = weight_names(weights_or_names) if isinstance(weights_or_names, Mapping) else list(weights_or_names)
    if isinstance(rates, Mapping):
        if sorted(rates) != sorted(names):
            raise ValueError(f"rates are given for {sorted(rates)}, the layers are {sorted(names)}")
        return {k: check_rate(rates[k], f"pruning rate of {k}") for k in names}
    r = check_rate(rates)
    return {k: r for k in names}


def paper_rates(names: list[str], hidden: float = 0.2, output: float = 0.1) -> dict[str, float]:
    """The paper's LeNet schedule: 20% of hidden-layer weights, 10% of the output layer per round."""
    return {k: (output if k == names[-1] else hidden) for k in names}


def keep_largest(scores: torch.Tensor, eligible: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    """Bool [S, N]: per row, the ``keep[s]`` largest scores among eligible entries.

    Ties go to the lower index (stable sort), so the result is deterministic.
    """
    s = torch.where(eligible, scores, torch.full_like(scores, -math.inf))
    order = torch.sort(s, dim=1, descending=True, stable=True).indices
    rank = torch.empty_like(order)
    rank.scatter_(1, order, torch.arange(s.shape[1], device=s.device).expand_as(order).contiguous())
    return (rank < keep.to(s.device)[:, None]) & eligible


# ---- pruning criteria: a score per weight; the largest scores survive ------------------------------
Criterion = Callable[[Params], Params]
CRITERIA: Registry[Criterion] = Registry("pruning criterion")


def register_criterion(name: str) -> Callable[[Criterion], Criterion]:
    """Decorator: register ``fn(weights) -> scores`` (one tensor per weight layer, larger = kept) as ``name``.

    The way jaxpruner's ``register_algorithm`` lets a user add a method: write the score, register it,
    name it in an arm (``Arm(..., criterion="yours")``). Ties keep the lower index, as for magnitude.
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"a pruning criterion's name is a non-empty string, got {name!r}")

    def register(fn: Criterion) -> Criterion:
        CRITERIA[name] = fn
        return fn

    return register


def criterion(name: str) -> Criterion:
    """The criterion registered as ``name``; ValueError naming the known ones otherwise."""
    return CRITERIA.named(name)


@register_criterion("magnitude")
def magnitude(weights: Params) -> Params:
    """|w|: the paper's criterion (small weights are pruned)."""
    return {k: weights[k].detach().abs() for k in weight_names(weights)}


def prune_to_counts(weights: Params, masks: Masks, keep: Mapping[str, torch.Tensor | int],
                    scores: Params | None = None) -> Masks:
    """Layer-wise pruning: keep the ``keep[name]`` largest scores (default |w|) still in each mask."""
    check_masks(masks, weights)
    scores = magnitude(weights) if scores is None else scores
    have = counts(masks)
    out: Masks = {}
    for name in weight_names(weights):
        m = masks[name]
        k = torch.as_tensor(keep[name], dtype=torch.long).expand(m.shape[0]).to(have[name].device)
        if bool((k > have[name]).any()) or bool((k < 0).any()):
            raise ValueError(f"cannot keep {k.tolist()} weights of {name!r}: {have[name].tolist()} remain")
        kept = keep_largest(scores[name].flatten(1), m.flatten(1), k)
        out[name] = kept.view_as(m)
    return out


def prune(weights: Params, masks: Masks, rates: float | Mapping[str, float], by: str = "magnitude") -> Masks:
    """One round of layer-wise pruning by the registered criterion ``by``: remove ``rate`` of each layer's
    remaining weights, those of smallest score."""
    check_masks(masks, weights)
    r = layer_rates(weights, rates)
    have = counts(masks)
    keep = {k: torch.tensor([int(n) - n_pruned(int(n), r[k]) for n in have[k].tolist()]) for k in r}
    return prune_to_counts(weights, masks, keep, criterion(by)(weights))


def magnitude_prune(weights: Params, masks: Masks, rates: float | Mapping[str, float]) -> Masks:
    """One round of layer-wise magnitude pruning: remove ``rate`` of each layer's remaining weights."""
    return prune(weights, masks, rates, "magnitude")


def nearest_round(pms: Sequence[float], pm: float) -> int:
    """The round whose Pm is ``pm`` percent, within 5% of it (21 finds 21.07): levels are named, never indexed."""
    best = min(range(len(pms)), key=lambda r: abs(pms[r] - pm))
    if abs(pms[best] - pm) > 0.05 * pm:
        raise ValueError(f"no pruning round has Pm near {pm!r}%; the rounds have {list(pms)}")
    return best


def pm_schedule(sizes: Mapping[str, int], rates: Mapping[str, float], rounds: int) -> list[float]:
    """Percent of weights remaining after 0..rounds rounds, from the layer sizes and rates alone (no training),
    rounded to 2 decimals as a record's ``pm`` is: how a level named by Pm finds its round."""
    per_layer = {k: iterative_counts(int(n), rates[k], rounds) for k, n in sizes.items()}
    total = sum(int(n) for n in sizes.values())
    return [round(100.0 * (sum(per_layer[k][i] for k in sizes) / total), 2) for i in range(int(rounds) + 1)]


def global_magnitude_prune(weights: Params, masks: Masks, rate: float) -> Masks:
    """One round of global magnitude pruning: remove ``rate`` of all remaining weights, smallest |w| anywhere."""
    check_masks(masks, weights)
    rate = check_rate(rate)
    names = weight_names(weights)
    scores = torch.cat([weights[k].detach().abs().flatten(1) for k in names], 1)
    eligible = torch.cat([masks[k].flatten(1) for k in names], 1)
    have = eligible.sum(1)
    keep = torch.tensor([int(n) - n_pruned(int(n), rate) for n in have.tolist()])
    kept = keep_largest(scores, eligible, keep)
    out, start = {}, 0
    for k in names:
        n = masks[k][0].numel()
        out[k] = kept[:, start : start + n].view_as(masks[k])
        start += n
    return out


def iterative_counts(n_total: int, rate: float, rounds: int) -> list[int]:
    """Weights remaining after 0..rounds rounds of pruning ``rate`` of what remains."""
    if int(rounds) < 0:
        raise ValueError(f"rounds must be >= 0, got {rounds!r}")
    out = [int(n_total)]
    for _ in range(int(rounds)):
        out.append(out[-1] - n_pruned(out[-1], rate))
    return out


def schedule(weights: Params, rates: float | Mapping[str, float], rounds: int) -> list[dict[str, int]]:
    """Per-layer remaining counts for rounds 0..rounds of the iterative schedule."""
    check_weights(weights)
    r = layer_rates(weights, rates)
    per_layer = {k: iterative_counts(weights[k][0].numel(), r[k], rounds) for k in r}
    return [{k: per_layer[k][i] for k in r} for i in range(int(rounds) + 1)]


def one_shot(weights: Params, rates: float | Mapping[str, float], rounds: int) -> Masks:
    """One-shot magnitude pruning straight to the per-layer counts that ``rounds`` iterative rounds reach."""
    target = schedule(weights, rates, rounds)[-1]
    return prune_to_counts(weights, {k: torch.ones_like(weights[k], dtype=torch.bool) for k in target}, target)


def one_shot_to_density(weights: Params, density: float) -> Masks:
    """One-shot layer-wise magnitude pruning to keep ``density`` of every layer (round half up)."""
    if isinstance(density, bool) or not isinstance(density, (int, float)) or not (0.0 < float(density) <= 1.0):
        raise ValueError(f"density must be in (0, 1], got {density!r}")
    d = float(density)
    if not (0.0 < d <= 1.0):
        raise ValueError(f"density must be in (0, 1], got {density!r}")
    check_weights(weights)
    target = {k: int(math.floor(d * weights[k][0].numel() + 0.5)) for k in weight_names(weights)}
    return prune_to_counts(weights, {k: torch.ones_like(weights[k], dtype=torch.bool) for k in target}, target)


def random_like(masks: Masks, seeds: list[int], index: int = 0) -> Masks:
    """Random masks with exactly the same per-layer, per-seed counts as ``masks`` (random-pruning control).

    Seed s draws from its own ``random_mask`` stream, so the result does not depend on batching.
    """
    seeds = [int(s) for s in seeds]
    have = counts(masks)
    out: Masks = {}
    names = sorted(masks, key=lambda k: int(k[1:]))
    gens = [rng.generator(s, "random_mask", index) for s in seeds]
    for name in names:
        m = masks[name]
        if m.shape[0] != len(seeds):
            raise ValueError(f"{len(seeds)} seeds given for masks holding {m.shape[0]}")
        scores = torch.stack([torch.rand(m[0].numel(), generator=g) for g in gens]).to(m.device)
        kept = keep_largest(scores, torch.ones_like(scores, dtype=torch.bool), have[name])
        out[name] = kept.view_as(m)
    return out


def rearrange(params: Params, masks: Masks, seeds: list[int], index: int = 0) -> Params:
    """The rearranged control (v1 abstract: tickets "randomly reinitialized or rearranged"): per layer
    and seed, the survivors' own initial values shuffled among the surviving positions.

    The mask and the multiset of kept values are unchanged; only which kept weight gets which
    value is random (seed s draws from its own ``rearrange`` stream, so batching never matters).
    Pruned positions keep their values (the mask zeroes them in training). Biases are copied.
    """
    check_masks(masks, params)
    seeds = [int(s) for s in seeds]
    names = weight_names(params)
    if params[names[0]].shape[0] != len(seeds):
        raise ValueError(f"{len(seeds)} seeds given for weights holding {params[names[0]].shape[0]} networks")
    gens = [rng.generator(s, "rearrange", index) for s in seeds]
    out = {k: v.clone() for k, v in params.items()}
    for name in names:
        source = params[name].reshape(len(seeds), -1)
        flat, keep = source.clone(), masks[name].reshape(len(seeds), -1)
        for i, gen in enumerate(gens):  # set-up only, never in the training step
            kept = keep[i].nonzero().squeeze(1)
            perm = torch.randperm(len(kept), generator=gen).to(kept.device)
            flat[i, kept] = source[i, kept[perm]]
        out[name] = flat.view_as(params[name])
    return out


def unit_scores(weights: Params) -> torch.Tensor:
    """Magnitude of each unit of a one-hidden-layer network: L2 norm of its incoming and outgoing weights, [S, H]."""
    names = weight_names(weights)
    if len(names) != 2:
        raise ValueError(f"unit pruning is defined for one hidden layer, got layers {names}")
    w_in, w_out = weights[names[0]].detach(), weights[names[1]].detach()
    return (w_in.pow(2).sum(1) + w_out.pow(2).sum(2)).sqrt()


def unit_masks(weights: Params, keep_units: torch.Tensor) -> Masks:
    """Weight masks that keep the hidden units flagged in ``keep_units`` (bool [S, H])."""
    names = weight_names(weights)
    return {
        names[0]: keep_units[:, None, :].expand_as(weights[names[0]]).clone(),
        names[1]: keep_units[:, :, None].expand_as(weights[names[1]]).clone(),
    }


def _check_keep(keep: object, n_units: int) -> int:
    if isinstance(keep, bool) or not isinstance(keep, numbers.Integral) or not (0 < int(keep) <= n_units):
        raise ValueError(f"keep must be an integer in [1, {n_units}], got {keep!r}")
    return int(keep)


def unit_prune(weights: Params, keep: int) -> Masks:
    """Keep the ``keep`` hidden units of largest magnitude (see :func:`unit_scores`); prune the rest whole."""
    check_weights(weights)
    scores = unit_scores(weights)
    keep = _check_keep(keep, scores.shape[1])
    kept = keep_largest(scores, torch.ones_like(scores, dtype=torch.bool), torch.full((scores.shape[0],), keep))
    return unit_masks(weights, kept)


def random_unit_prune(weights: Params, keep: int, seeds: list[int], index: int = 0) -> Masks:
    """Keep ``keep`` hidden units chosen at random per seed (the random-units control)."""
    check_weights(weights)
    h = weight_names(weights)
    n_units = weights[h[0]].shape[2]
    keep = _check_keep(keep, n_units)
    if len(seeds) != weights[h[0]].shape[0]:
        raise ValueError(f"{len(seeds)} seeds given for weights holding {weights[h[0]].shape[0]} networks")
    scores = torch.stack([torch.rand(n_units, generator=rng.generator(int(s), "random_mask", index)) for s in seeds])
    kept = keep_largest(scores, torch.ones_like(scores, dtype=torch.bool), torch.full((len(seeds),), keep))
    return unit_masks(weights, kept.to(weights[h[0]].device))
