"""The training loop: batches in each seed's own data order, validation, early stopping, and the records.

The loop never reads a value back to the host: validation curves, the best-validation snapshot and
divergence flags live on the device until the run ends. One step of all S networks is
:meth:`lth.core.trainer.MaskedTrainer.step`.
"""
from __future__ import annotations

import math
from typing import Sequence

import torch

from lth.core import rng
from lth.core.data import Dataset
from lth.core.masks import Masks, Params
from lth.core.models import Architecture
from lth.core.trainconfig import OPTIMIZERS, PAD, TrainConfig
from lth.core.trainer import MaskedTrainer
from lth.core.evaluation import evaluate

__all__ = ["OPTIMIZERS", "PAD", "MaskedTrainer", "TrainConfig", "data_order", "evaluate", "train"]


def data_order(seeds: Sequence[int], n: int, epoch: int, stream: int, device: torch.device) -> torch.Tensor:
    """Per-seed permutations of n examples for one epoch: LongTensor [S, n]."""
    perms = [torch.randperm(n, generator=rng.generator(int(s), "data", stream, epoch)) for s in seeds]
    return torch.stack(perms).to(device)


def _targets(arch: Architecture, data: Dataset) -> torch.Tensor:
    if arch.output == "softmax":
        return torch.nn.functional.one_hot(data.train_y, arch.sizes[-1]).to(data.train_x.dtype)
    return data.train_y.to(data.train_x.dtype)[:, None]


def train(
    arch: Architecture,
    params: Params,
    masks: Masks,
    data: Dataset,
    cfg: TrainConfig,
    seeds: Sequence[int],
) -> dict:
    """Train S masked networks together; return per-seed records as plain tensors on the CPU.

    Records: ``eval_iterations`` [E]; ``val_loss``, ``val_acc`` [S, E]; ``es_iteration``
    (iteration of minimum validation loss, the paper's early-stopping criterion),
    ``val_loss_es``, ``test_acc_es`` (the best-validation snapshot on the test set),
    ``test_acc_final``, ``test_loss_final``, ``diverged`` (a non-finite validation loss at
    any evaluation) [S]; ``final`` and ``rewind`` parameter dicts.
    """
    seeds = [int(s) for s in seeds]
    S = params["w0"].shape[0]
    if len(seeds) != S:
        raise ValueError(f"{len(seeds)} seeds given for parameters holding {S} networks")
    if arch.sizes[0] != data.train_x.shape[1]:
        raise ValueError(f"{arch.name} takes {arch.sizes[0]} inputs, the data have {data.train_x.shape[1]}")
    device = data.train_x.device
    params = {k: v.to(device) for k, v in params.items()}
    masks = {k: v.to(device) for k, v in masks.items()}
    trainer = MaskedTrainer(arch, params, masks, cfg)
    live = trainer.params  # stored tensors, updated in place by every step
    track = EarlyStopping(live, S, cfg.iterations // cfg.eval_every, device)
    rewind = [v.clone() for v in live]
    prefix = None
    cpu = lambda d: {k: v.detach().cpu().clone() for k, v in d.items()}  # noqa: E731
    with torch.no_grad():
        for it, (xb, tb) in enumerate(batches(data, _targets(arch, data), cfg, seeds, S)):
            trainer.step(xb, tb)
            done = it + 1
            if done == cfg.rewind_iteration:
                rewind = [v.clone() for v in live]
            if done % cfg.eval_every == 0:
                track.update(done // cfg.eval_every - 1, done, *trainer.evaluate(live, data.val_x, data.val_y), live)
            if done == cfg.prefix_iterations:
                prefix = _record(trainer, track, live, rewind, data, seeds, cfg.eval_every, done // cfg.eval_every, cpu)
    out = _record(trainer, track, live, rewind, data, seeds, cfg.eval_every, track.n_evals, cpu)
    if prefix is not None:
        out["prefix"] = prefix
    return out


def _record(trainer: MaskedTrainer, track: "EarlyStopping", live, rewind, data: Dataset, seeds: list[int],
            eval_every: int, n_evals: int, cpu) -> dict:
    """The run's record as it stands after ``n_evals`` evaluations (the end of a run of that length)."""
    _, test_acc_es = trainer.evaluate(track.best, data.test_x, data.test_y)
    test_loss, test_acc = trainer.evaluate(live, data.test_x, data.test_y)
    return {
        "seeds": torch.tensor(seeds),
        "eval_iterations": torch.arange(1, n_evals + 1) * eval_every,
        "val_loss": track.val_loss[:, :n_evals].cpu().clone(),
        "val_acc": track.val_acc[:, :n_evals].cpu().clone(),
        "es_iteration": track.best_iter.cpu().clone(),  # clones: a prefix record must not follow the run on
        "val_loss_es": track.best_loss.cpu().clone(),
        "test_acc_es": test_acc_es.cpu(),
        "test_acc_final": test_acc.cpu(),
        "test_loss_final": test_loss.cpu(),
        "diverged": track.diverged.cpu().clone(),
        "final": cpu(trainer.to_params(live)),
        "rewind": cpu(trainer.to_params(rewind)),
    }


def batches(data: Dataset, targets: torch.Tensor, cfg: TrainConfig, seeds: Sequence[int], S: int):
    """The ``cfg.iterations`` minibatches (x [S, B, in], targets [S, B, out]): each seed in its own data order
    per epoch (the last partial batch of an epoch is dropped), or the whole set when B covers it."""
    n_train, B = data.train_x.shape[0], cfg.batch_size
    if B >= n_train:
        xb, tb = data.train_x.expand(S, -1, -1), targets.expand(S, -1, -1)
        for _ in range(cfg.iterations):
            yield xb, tb
        return
    steps_per_epoch = n_train // B
    order = None
    for it in range(cfg.iterations):
        pos = it % steps_per_epoch
        if pos == 0:
            order = data_order(seeds, n_train, it // steps_per_epoch, cfg.data_order, data.train_x.device)
        idx = order[:, pos * B : (pos + 1) * B]
        yield data.train_x[idx], targets[idx]


class EarlyStopping:
    """The paper's early stopping, on the device: validation curves, the minimum validation loss and its
    iteration, a snapshot of the weights there, and whether a seed ever diverged (a non-finite loss)."""

    def __init__(self, live: Sequence[torch.Tensor], S: int, n_evals: int, device: torch.device):
        self.n_evals = n_evals
        self.val_loss = torch.empty(S, n_evals, dtype=torch.float64, device=device)
        self.val_acc = torch.empty(S, n_evals, dtype=torch.float64, device=device)
        self.best_loss = torch.full((S,), math.inf, dtype=torch.float64, device=device)
        self.best_iter = torch.zeros(S, dtype=torch.long, device=device)
        self.diverged = torch.zeros(S, dtype=torch.bool, device=device)
        self.best = [v.clone() for v in live]

    def update(self, e: int, done: int, loss: torch.Tensor, acc: torch.Tensor, live: Sequence[torch.Tensor]) -> None:
        S = loss.shape[0]
        self.val_loss[:, e], self.val_acc[:, e] = loss, acc
        self.diverged |= ~torch.isfinite(loss)
        improved = loss < self.best_loss
        self.best_loss = torch.where(improved, loss, self.best_loss)
        self.best_iter = torch.where(improved, torch.full_like(self.best_iter, done), self.best_iter)
        for i in range(len(self.best)):
            shape = (S,) + (1,) * (self.best[i].dim() - 1)
            self.best[i] = torch.where(improved.view(shape), live[i], self.best[i])
