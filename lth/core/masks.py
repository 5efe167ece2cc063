"""Binary per-layer masks: ``dict[str, BoolTensor]`` keyed like the weights, shaped [S, fan_in, fan_out]."""
from __future__ import annotations

import torch

Masks = dict[str, torch.Tensor]
Params = dict[str, torch.Tensor]


def weight_names(params: Params) -> list[str]:
    """Names of the prunable tensors (weights, not biases), in layer order."""
    return sorted((k for k in params if k.startswith("w")), key=lambda k: int(k[1:]))


def check_weights(weights: Params) -> None:
    """Raise ValueError unless every weight is a floating tensor shaped [S, fan_in, fan_out] with one S."""
    n_seeds = None
    for name in weight_names(weights):
        w = weights[name]
        if not isinstance(w, torch.Tensor):
            raise ValueError(f"weight {name!r} must be a torch.Tensor, got {type(w).__name__}")
        if not w.is_floating_point():
            raise ValueError(f"weight {name!r} must be a floating tensor, got dtype {w.dtype}")
        if w.dim() != 3:
            raise ValueError(f"weight {name!r} must be shaped [seeds, fan_in, fan_out], got shape {tuple(w.shape)}")
        if n_seeds is None:
            n_seeds = w.shape[0]
        elif w.shape[0] != n_seeds:
            raise ValueError(f"weight {name!r} holds {w.shape[0]} seeds, expected {n_seeds}")
    if n_seeds is None:
        raise ValueError(f"no weights (keys 'w0', 'w1', ...) among {sorted(weights)}")


def check_masks(masks: Masks, weights: Params) -> None:
    """Raise ValueError unless ``masks`` holds one bool mask per weight, of the weight's shape."""
    check_weights(weights)
    names = weight_names(weights)
    if sorted(masks) != sorted(names):
        raise ValueError(f"masks are keyed {sorted(masks)}, weights {sorted(names)}")
    for name in names:
        m = masks[name]
        if not isinstance(m, torch.Tensor) or m.dtype != torch.bool:
            raise ValueError(f"mask {name!r} must be a bool tensor, got {getattr(m, 'dtype', type(m).__name__)}")
        if m.shape != weights[name].shape:
            raise ValueError(f"mask {name!r} has shape {tuple(m.shape)}, its weight {tuple(weights[name].shape)}")


def dense(weights: Params) -> Masks:
    """All-ones masks: nothing pruned."""
    check_weights(weights)
    return {k: torch.ones_like(weights[k], dtype=torch.bool) for k in weight_names(weights)}


def counts(masks: Masks) -> dict[str, torch.Tensor]:
    """Remaining weights per layer and seed: name -> LongTensor [S]."""
    return {k: m.flatten(1).sum(1) for k, m in masks.items()}


def density(masks: Masks) -> torch.Tensor:
    """Fraction of all weights remaining, per seed: FloatTensor [S] (the paper's Pm)."""
    kept = sum(m.flatten(1).sum(1) for m in masks.values())
    total = sum(m[0].numel() for m in masks.values())
    return kept.double() / total


def layer_density(masks: Masks) -> dict[str, torch.Tensor]:
    return {k: m.flatten(1).double().mean(1) for k, m in masks.items()}


def apply(params: Params, masks: Masks) -> Params:
    """A copy of ``params`` with pruned weights set to exactly zero (biases untouched).

    ``torch.where``, not ``v * mask``: a product leaves -0.0 for negative weights and NaN for
    infinite ones, where a pruned weight must be +0.0 bit for bit.
    """
    return {k: (torch.where(masks[k], v, torch.zeros((), dtype=v.dtype, device=v.device)) if k in masks else v.clone())
            for k, v in params.items()}


def is_nested(inner: Masks, outer: Masks) -> bool:
    """True when every weight kept by ``inner`` is also kept by ``outer``."""
    return all(bool((inner[k] & ~outer[k]).logical_not().all()) for k in inner)
