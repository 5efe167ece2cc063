"""Evaluating weights under masks through the trainer's kernels for that density (no training)."""
from __future__ import annotations

import torch

from lth.core import masks as M
from lth.core import models, training


def masked_accuracy(arch: models.Architecture, params: M.Params, masks: M.Masks, x: torch.Tensor,
                    y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Test loss and accuracy per seed of ``params`` under ``masks``, through the trainer's kernels for that
    density (the sparse evaluation below lth.sparse's crossover; equal to the dense one within float rounding)."""
    dev = x.device
    trainer = training.MaskedTrainer(arch, {k: v.to(dev) for k, v in params.items()},
                                     {k: v.to(dev) for k, v in masks.items()}, training.TrainConfig())
    loss, acc = trainer.evaluate(trainer.params, x, y)
    return loss.cpu(), acc.cpu()
