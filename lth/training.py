"""The masked, seed-batched training loop: the hot path.

Forward and backward passes are written out as batched matmuls (no autograd), so one
step costs a few kernels whatever the number of seeds. Pruned weights stay exactly
zero: their gradients are masked, so Adam's moments for them stay zero, and a zero
moment gives a zero update (m / (sqrt(v) + eps) = 0). The loop never reads a value
back to the host: validation curves, the best-validation snapshot and divergence flags
live on the device until the run ends.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Sequence

import torch

from lth import rng
from lth.data import Dataset
from lth.masks import Masks, Params, check_masks, weight_names
from lth.models import Architecture, activate

OPTIMIZERS = ("adam", "sgd")


@dataclass(frozen=True)
class TrainConfig:
    """Hyperparameters of one training run (defaults: the paper's LeNet-300-100 protocol)."""

    iterations: int = 50_000
    batch_size: int = 60
    optimizer: str = "adam"
    lr: float = 1.2e-3
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    momentum: float = 0.0  # SGD only
    eval_every: int = 100
    rewind_iteration: int = 0  # also return the weights after this many iterations (late rewinding)
    data_order: int = 0  # index of the per-seed data-order stream

    def __post_init__(self) -> None:
        def positive_int(name: str) -> None:
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"{name} must be a positive integer, got {v!r}")

        for name in ("iterations", "batch_size", "eval_every"):
            positive_int(name)
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {self.optimizer!r}")
        if isinstance(self.lr, bool) or not (isinstance(self.lr, (int, float)) and self.lr > 0 and math.isfinite(self.lr)):
            raise ValueError(f"lr must be a positive number, got {self.lr!r}")
        if self.iterations % self.eval_every:
            raise ValueError(f"iterations ({self.iterations}) must be a multiple of eval_every ({self.eval_every})")
        if isinstance(self.rewind_iteration, bool) or not isinstance(self.rewind_iteration, int) \
                or not (0 <= self.rewind_iteration < self.iterations):
            raise ValueError(f"rewind_iteration must be in [0, iterations), got {self.rewind_iteration!r}")
        for name in ("beta1", "beta2", "momentum"):
            if not (0.0 <= getattr(self, name) < 1.0):
                raise ValueError(f"{name} must be in [0, 1), got {getattr(self, name)!r}")

    def to_dict(self) -> dict:
        return asdict(self)


def _act_grad(h: torch.Tensor, activation: str) -> torch.Tensor:
    """d activation / d z, written in terms of the activation's output h."""
    if activation == "tanh":
        return 1 - h * h
    return h * (1 - h)


def evaluate(arch: Architecture, params: Params, x: torch.Tensor, y: torch.Tensor, chunk: int = 2_500) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean loss and accuracy per seed on (x, y) shared by all seeds: two tensors [S]."""
    S = params["w0"].shape[0]
    loss = torch.zeros(S, dtype=torch.float64, device=x.device)
    correct = torch.zeros(S, dtype=torch.float64, device=x.device)
    for start in range(0, x.shape[0], chunk):
        xs, ys = x[start : start + chunk], y[start : start + chunk]
        h = xs
        for l in range(arch.n_layers):
            h = torch.matmul(h, params[f"w{l}"]) + params[f"b{l}"][:, None, :]
            if l < arch.n_layers - 1:
                h = activate(h, arch.activation)
        if arch.output == "softmax":
            logp = torch.log_softmax(h, dim=2)
            loss += -logp.gather(2, ys.expand(S, -1)[..., None]).squeeze(2).sum(1).double()
            correct += (h.argmax(2) == ys).sum(1).double()
        else:
            z = h.squeeze(2)
            loss += torch.nn.functional.binary_cross_entropy_with_logits(z, ys.expand_as(z), reduction="none").sum(1).double()
            correct += ((z > 0).to(ys.dtype) == ys).sum(1).double()
    n = x.shape[0]
    acc = correct / n
    finite = torch.isfinite(loss)
    # a diverged network predicts nothing: its accuracy is NaN, not whatever argmax makes of NaN logits
    return loss / n, torch.where(finite, acc, torch.full_like(acc, math.nan))


class MaskedTrainer:
    """Holds one batch of S networks, their masks and optimizer state; ``step`` is the hot path."""

    def __init__(self, arch: Architecture, params: Params, masks: Masks, cfg: TrainConfig):
        check_masks(masks, params)
        self.arch, self.cfg = arch, cfg
        self.names = weight_names(params)
        self.L = arch.n_layers
        self.masks_f = [masks[f"w{l}"].to(params["w0"].dtype) for l in range(self.L)]
        self.dense = all(bool(m.all()) for m in masks.values())
        self.params = []
        for l in range(self.L):
            w = torch.where(masks[f"w{l}"], params[f"w{l}"], torch.zeros((), dtype=params[f"w{l}"].dtype, device=params[f"w{l}"].device))
            self.params += [w.contiguous(), params[f"b{l}"].clone()]  # pruned: +0.0, not -0.0 (see masks.apply)
        self.grads = [torch.zeros_like(p) for p in self.params]
        if cfg.optimizer == "adam":
            self.exp_avg = [torch.zeros_like(p) for p in self.params]
            self.exp_avg_sq = [torch.zeros_like(p) for p in self.params]
            self.steps = [torch.zeros((), dtype=torch.float32, device=p.device) for p in self.params]
        elif cfg.momentum:
            self.buf = [torch.zeros_like(p) for p in self.params]

    def step(self, x: torch.Tensor, target: torch.Tensor) -> None:
        """One optimizer step on a per-seed minibatch x [S, B, in] with targets [S, B, out]."""
        arch, L, P, G = self.arch, self.L, self.params, self.grads
        hs = [x]
        for l in range(L):
            z = torch.baddbmm(P[2 * l + 1].unsqueeze(1), hs[-1], P[2 * l])
            hs.append(activate(z, arch.activation) if l < L - 1 else z)
        out = hs[-1]
        dz = torch.softmax(out, dim=2) if arch.output == "softmax" else torch.sigmoid(out)
        dz.sub_(target).div_(x.shape[1])
        for l in range(L - 1, -1, -1):
            torch.bmm(hs[l].transpose(1, 2), dz, out=G[2 * l])
            torch.sum(dz, dim=1, out=G[2 * l + 1])
            if not self.dense:
                G[2 * l].mul_(self.masks_f[l])
            if l > 0:
                dh = torch.bmm(dz, P[2 * l].transpose(1, 2))
                if arch.activation == "relu":
                    dz = torch.ops.aten.threshold_backward(dh, hs[l], 0)  # relu's own backward kernel
                else:
                    dz = dh.mul_(_act_grad(hs[l], arch.activation))
        self._update()

    def _update(self) -> None:
        c = self.cfg
        if c.optimizer == "adam":
            torch._foreach_add_(self.steps, 1)
            torch._fused_adam_(
                self.params, self.grads, self.exp_avg, self.exp_avg_sq, [], self.steps,
                lr=c.lr, beta1=c.beta1, beta2=c.beta2, weight_decay=0.0, eps=c.eps, amsgrad=False, maximize=False,
            )
        elif c.momentum:
            torch._foreach_mul_(self.buf, c.momentum)
            torch._foreach_add_(self.buf, self.grads)
            torch._foreach_add_(self.params, self.buf, alpha=-c.lr)
        else:
            torch._foreach_add_(self.params, self.grads, alpha=-c.lr)

    def state(self) -> Params:
        out = {}
        for l in range(self.L):
            out[f"w{l}"], out[f"b{l}"] = self.params[2 * l], self.params[2 * l + 1]
        return out


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
    targets = _targets(arch, data)
    n_train, B = data.train_x.shape[0], cfg.batch_size
    full_batch = B >= n_train
    steps_per_epoch = 1 if full_batch else n_train // B  # the last partial batch of an epoch is dropped
    n_evals = cfg.iterations // cfg.eval_every
    val_loss = torch.empty(S, n_evals, dtype=torch.float64, device=device)
    val_acc = torch.empty(S, n_evals, dtype=torch.float64, device=device)
    best_loss = torch.full((S,), math.inf, dtype=torch.float64, device=device)
    best_iter = torch.zeros(S, dtype=torch.long, device=device)
    diverged = torch.zeros(S, dtype=torch.bool, device=device)
    state = trainer.state()
    best = {k: v.clone() for k, v in state.items()}
    rewind = {k: v.clone() for k, v in state.items()}
    if full_batch:
        xb = data.train_x.expand(S, -1, -1)
        tb = targets.expand(S, -1, -1)
    order = None
    with torch.no_grad():
        for it in range(cfg.iterations):
            if not full_batch:
                pos = it % steps_per_epoch
                if pos == 0:
                    order = data_order(seeds, n_train, it // steps_per_epoch, cfg.data_order, device)
                idx = order[:, pos * B : (pos + 1) * B]
                xb, tb = data.train_x[idx], targets[idx]
            trainer.step(xb, tb)
            done = it + 1
            if done == cfg.rewind_iteration:
                rewind = {k: v.clone() for k, v in state.items()}
            if done % cfg.eval_every == 0:
                e = done // cfg.eval_every - 1
                loss, acc = evaluate(arch, state, data.val_x, data.val_y)
                val_loss[:, e], val_acc[:, e] = loss, acc
                diverged |= ~torch.isfinite(loss)
                improved = loss < best_loss
                best_loss = torch.where(improved, loss, best_loss)
                best_iter = torch.where(improved, torch.full_like(best_iter, done), best_iter)
                for k in best:
                    shape = (S,) + (1,) * (best[k].dim() - 1)
                    best[k] = torch.where(improved.view(shape), state[k], best[k])
    _, test_acc_es = evaluate(arch, best, data.test_x, data.test_y)
    test_loss, test_acc = evaluate(arch, state, data.test_x, data.test_y)
    cpu = lambda d: {k: v.detach().cpu().clone() for k, v in d.items()}
    return {
        "seeds": torch.tensor(seeds),
        "eval_iterations": torch.arange(1, n_evals + 1) * cfg.eval_every,
        "val_loss": val_loss.cpu(),
        "val_acc": val_acc.cpu(),
        "es_iteration": best_iter.cpu(),
        "val_loss_es": best_loss.cpu(),
        "test_acc_es": test_acc_es.cpu(),
        "test_acc_final": test_acc.cpu(),
        "test_loss_final": test_loss.cpu(),
        "diverged": diverged.cpu(),
        "final": cpu(state),
        "rewind": cpu(rewind),
    }
