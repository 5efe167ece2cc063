"""Test helpers: small synthetic data and brute-force reference implementations."""
from __future__ import annotations

import torch

from lth.core import data
from lth.core import models
from lth.core import training


def synthetic(n_features: int = 16, n_classes: int = 4, n_train: int = 240, n_val: int = 60, n_test: int = 60, seed: int = 0) -> data.Dataset:
    """A small learnable classification set: labels from a fixed random linear teacher."""
    g = torch.Generator().manual_seed(seed)
    n = n_train + n_val + n_test
    x = torch.randn(n, n_features, generator=g)
    teacher = torch.randn(n_features, n_classes, generator=g)
    y = (x @ teacher).argmax(1)
    a, b = n_train, n_train + n_val
    return data.Dataset("synthetic", x[:a], y[:a], x[a:b], y[a:b], x[b:], y[b:])


def tied_weights(shapes, n_seeds: int, levels: int, seed: int) -> dict[str, torch.Tensor]:
    """Weights [S, fan_in, fan_out] whose magnitudes take only ``levels`` values (many ties, both signs)."""
    g = torch.Generator().manual_seed(seed)
    out = {}
    for l, (a, b) in enumerate(shapes):
        mag = torch.randint(0, levels, (n_seeds, a, b), generator=g).float() / levels
        sign = torch.randint(0, 2, (n_seeds, a, b), generator=g).float() * 2 - 1
        out[f"w{l}"] = mag * sign
        out[f"b{l}"] = torch.zeros(n_seeds, b)
    return out


def reference_keep(scores: list[float], eligible: list[bool], k: int) -> list[bool]:
    """Brute force: keep the k largest eligible scores; on ties the lower index wins."""
    order = sorted((i for i in range(len(scores)) if eligible[i]), key=lambda i: (-scores[i], i))
    kept = set(order[:k])
    return [i in kept for i in range(len(scores))]


def worst_batch_vs_alone(arch, params, masks, ds, cfg, seeds) -> float:
    """Train the seeds as one batch and each alone; assert equal validation curves and early stopping,
    and return the largest parameter difference (each caller states its tolerance)."""
    batch = training.train(arch, params, masks, ds, cfg, seeds)
    worst = 0.0
    for i in range(len(seeds)):
        alone = training.train(arch, models.select_seeds(params, [i]), {k: v[[i]] for k, v in masks.items()}, ds, cfg,
                               [seeds[i]])
        for k in alone["final"]:
            worst = max(worst, (alone["final"][k][0] - batch["final"][k][i]).abs().max().item())
        torch.testing.assert_close(alone["val_loss"][0], batch["val_loss"][i], atol=1e-5, rtol=0)
        assert alone["es_iteration"][0] == batch["es_iteration"][i]
    return worst
