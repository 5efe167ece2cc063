"""The masked, seed-batched training loop: the hot path.

Forward and backward passes are written out as batched kernels (no autograd), so one
step costs a few kernels whatever the number of seeds; the forward pass is
``lth.models.forward`` with the trainer's per-layer products (``lth.layers``).

Two paths, chosen per layer when a trainer is built (``TrainConfig.kernel``):
* dense: batched matmuls over the whole weight. Pruned weights stay exactly zero because
  their gradients are masked, so Adam's moments for them stay zero, and a zero moment gives
  a zero update (m / (sqrt(v) + eps) = 0).
* sparse (``kernel="auto"``, layers below ``lth.sparse``'s crossover): the layer is stored as
  its kept values only, and the forward, the weight gradient and the optimizer touch nothing
  else, so the step's cost falls with density. Results equal the dense path's within float
  rounding (tests/test_sparse.py states the tolerance); weights come out dense, pruned +0.0.
``kernel="dense"`` forces the dense path everywhere, bit for bit what it was before.

The loop never reads a value back to the host: validation curves, the best-validation
snapshot and divergence flags live on the device until the run ends.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Sequence

import torch

from lth.core import layers as lth_layers
from lth.core import rng
from lth.core import sparse
from lth.core.data import Dataset
from lth.core.evaluation import EVAL_CHUNK_FM, evaluate
from lth.core.layers import act_backward
from lth.core.masks import Masks, Params, check_masks, weight_names
from lth.core.models import Architecture, forward

__all__ = ["OPTIMIZERS", "PAD", "MaskedTrainer", "TrainConfig", "data_order", "evaluate", "train"]

OPTIMIZERS = ("adam", "sgd")
# The feature-major path pads a minibatch with zero examples to a multiple of 8 (one AVX2 vector of
# float32; their gradient is zeroed): sampled_addmm's dot products and embedding_bag's rows then end
# on a whole vector. Measured at batch 60 -> 64 (784x300, 1 thread): the weight gradient takes
# 0.78-0.87x the time, the forward and input-gradient bags 0.88-0.95x, for 7% more multiply-adds.
PAD = 8


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
    kernel: str = "auto"  # "auto": sparse kernels for layers below lth.sparse's crossover; "dense": today's dense path everywhere

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
        sparse.check_kernel(self.kernel)

    def to_dict(self) -> dict:
        return asdict(self)


class MaskedTrainer:
    """Holds one batch of S networks, their masks and optimizer state; ``step`` is the hot path.

    Each layer runs through a kernel of ``lth.layers``: with ``cfg.kernel="auto"`` a layer below
    ``lth.sparse``'s crossover is stored as its kept values [S, nnz] and trained by sparse
    kernels (the network then runs feature-major); otherwise, or with ``kernel="dense"``, it is
    today's dense masked path, bit for bit. ``params`` lists the stored tensors (w0, b0, w1, ...),
    updated in place; :meth:`to_params` turns any such list into dense weights.
    """

    def __init__(self, arch: Architecture, params: Params, masks: Masks, cfg: TrainConfig):
        check_masks(masks, params)
        self.arch, self.cfg = arch, cfg
        self.names = weight_names(params)
        self.L = arch.n_layers
        self.dense = all(bool(m.all()) for m in masks.values())
        plan = sparse.plan(masks, cfg.kernel)
        masks_f = [None if self.dense or plan[l] is not None else masks[f"w{l}"].to(params["w0"].dtype) for l in range(self.L)]
        self.layers = lth_layers.build(masks_f, plan)
        self.feature_major = self.layers[0].feature_major
        stored = []
        for l in range(self.L):
            w = torch.where(masks[f"w{l}"], params[f"w{l}"], torch.zeros((), dtype=params[f"w{l}"].dtype, device=params[f"w{l}"].device))
            stored += [self.layers[l].store(w), params[f"b{l}"].clone()]  # pruned: +0.0, not -0.0 (see masks.apply)
        self._group = None
        if self.feature_major:
            # every tensor a view of one flat buffer per role: the optimizer is one kernel on one tensor
            # (the sparse step's tensors are small, and a kernel call costs more than its arithmetic).
            # Sparse layers' values first, then their biases: SparseGroup fills both ranges in one call each.
            sp = [l for l in range(self.L) if plan[l] is not None]
            order = [2 * l for l in sp] + [2 * l + 1 for l in sp] + [i for i in range(2 * self.L) if i // 2 not in sp]
            flat = torch.cat([stored[i].reshape(-1) for i in order])
            flat_grad = torch.zeros_like(flat)
            self.params, self.grads = [None] * len(stored), [None] * len(stored)
            for i, p, g in zip(order, _views(flat, [stored[i] for i in order]), _views(flat_grad, [stored[i] for i in order])):
                self.params[i], self.grads[i] = p, g
            n_values, n_bias = sum(stored[2 * l].numel() for l in sp), sum(stored[2 * l + 1].numel() for l in sp)
            self._group = sparse.SparseGroup([plan[l] for l in sp], flat_grad[:n_values], flat_grad[n_values : n_values + n_bias])
            self._slot = {l: i for i, l in enumerate(sp)}  # layer -> its views in the group's buffers
            opt = [[flat], [flat_grad]]
        else:
            self.params, self.grads = stored, [torch.zeros_like(p) for p in stored]
            opt = [self.params, self.grads]
        for l, layer in enumerate(self.layers):
            layer.attach(self.params[2 * l], self.params[2 * l + 1], self.grads[2 * l])
        self._xbuf: torch.Tensor | None = None  # the feature-major input buffer
        if cfg.optimizer == "adam":
            self.exp_avg, self.exp_avg_sq = ([torch.zeros_like(p) for p in opt[0]] for _ in range(2))
            opt += [self.exp_avg, self.exp_avg_sq]
            if self.feature_major:  # per-tensor views, for inspection
                m, v = self.exp_avg[0], self.exp_avg_sq[0]
                self.exp_avg, self.exp_avg_sq = [None] * len(stored), [None] * len(stored)
                for i, a, b in zip(order, _views(m, [stored[i] for i in order]), _views(v, [stored[i] for i in order])):
                    self.exp_avg[i], self.exp_avg_sq[i] = a, b
            # one step counter read by every tensor's update: incremented by one add_ per step, not one per tensor
            self.step_count = torch.zeros((), dtype=torch.float32, device=self.params[0].device)
            self.steps = [self.step_count] * len(opt[0])
        elif cfg.momentum:
            opt.append([torch.zeros_like(p) for p in opt[0]])
        self._opt = opt  # the optimizer's tensor lists: the stored tensors themselves, or their flat buffers

    @property
    def sparse_layers(self) -> list[bool]:
        """Which layers run the sparse kernels."""
        return [layer.sparse for layer in self.layers]

    def step(self, x: torch.Tensor, target: torch.Tensor) -> None:
        """One optimizer step on a per-seed minibatch x [S, B, in] with targets [S, B, out]."""
        if self.feature_major:
            self._step_feature_major(x, target)
            return
        arch, L, P, G, layers = self.arch, self.L, self.params, self.grads, self.layers
        hs: list[torch.Tensor] = []
        out = forward(arch, None, x, linear=lambda l, h: layers[l].forward(P[2 * l], P[2 * l + 1], h), inputs=hs)
        dz = torch.softmax(out, dim=2) if arch.output == "softmax" else torch.sigmoid(out)
        dz.sub_(target).div_(x.shape[1])
        for l in range(L - 1, -1, -1):
            dh = layers[l].backward(P[2 * l], G[2 * l], G[2 * l + 1], hs[l], dz, l > 0)
            if l > 0:
                dz = act_backward(dh, hs[l], arch.activation)
        self._update()

    def _step_feature_major(self, x: torch.Tensor, target: torch.Tensor) -> None:
        """The step with some layer sparse: activations [S, features, B'], the sparse layers' gradients in one call."""
        arch, L, P, G, layers, grp, slot = self.arch, self.L, self.params, self.grads, self.layers, self._group, self._slot
        n = x.shape[1]
        x = self._feature_major_input(x)  # the group's buffers now hold B' columns

        def linear(l: int, h: torch.Tensor) -> torch.Tensor:
            if l in slot and h is not grp.tables[slot[l]]:
                h = grp.tables[slot[l]].copy_(h)  # the sparse layers' inputs, where the weight gradient reads them
            return layers[l].forward(P[2 * l], P[2 * l + 1], h)

        hs: list[torch.Tensor] = []
        out = forward(arch, None, x, linear=linear, inputs=hs)
        dz = torch.softmax(out, dim=1) if arch.output == "softmax" else torch.sigmoid(out)
        (dz[..., :n] if dz.shape[2] > n else dz).sub_(target.transpose(1, 2))
        dz.mul_(self._scale)  # the mean over the n real examples; padding examples carry no gradient
        if L - 1 in slot:
            dz = grp.deltas[slot[L - 1]].copy_(dz)
        for l in range(L - 1, -1, -1):
            dh = layers[l].backward(P[2 * l], G[2 * l], G[2 * l + 1], hs[l], dz, l > 0)
            if l > 0:
                dz = act_backward(dh, hs[l], arch.activation, out=grp.deltas[slot[l - 1]] if l - 1 in slot else None)
        grp.grads()
        self._update()

    def _feature_major_input(self, x: torch.Tensor) -> torch.Tensor:
        """x [S, B, in] as [S, in, B'] in a buffer kept between steps, B' = B padded with zero examples to a multiple of PAD.

        The buffer is the first sparse layer's table when that is layer 0. Also keeps ``_scale``
        [B']: 1/B for the real examples, 0 for the padding (the loss's mean).
        """
        S, n, k = x.shape
        shape = (S, k, -(-n // PAD) * PAD)
        if self._xbuf is None or self._xbuf.shape != shape or self._xbuf.dtype != x.dtype or self._xin.shape[2] != n:
            self._group.buffers(shape[2], x.dtype, x.device)
            self._xbuf = self._group.tables[0] if 0 in self._slot else torch.zeros(shape, dtype=x.dtype, device=x.device)
            self._xbuf.zero_()
            self._xin = self._xbuf[..., :n]
            self._scale = torch.zeros(shape[2], dtype=x.dtype, device=x.device)
            self._scale[:n] = 1.0 / n
        self._xin.copy_(x.transpose(1, 2))
        return self._xbuf

    def _update(self) -> None:
        c, opt = self.cfg, self._opt
        if c.optimizer == "adam":
            self.step_count.add_(1)
            torch._fused_adam_(
                opt[0], opt[1], opt[2], opt[3], [], self.steps,
                lr=c.lr, beta1=c.beta1, beta2=c.beta2, weight_decay=0.0, eps=c.eps, amsgrad=False, maximize=False,
            )
        elif c.momentum:
            torch._foreach_mul_(opt[2], c.momentum)
            torch._foreach_add_(opt[2], opt[1])
            torch._foreach_add_(opt[0], opt[2], alpha=-c.lr)
        else:
            torch._foreach_add_(opt[0], opt[1], alpha=-c.lr)

    def to_params(self, tensors: Sequence[torch.Tensor]) -> Params:
        """Dense weights and biases from stored tensors (dense layers: the tensors themselves; sparse: new, pruned +0.0)."""
        out = {}
        for l in range(self.L):
            out[f"w{l}"], out[f"b{l}"] = self.layers[l].to_dense(tensors[2 * l]), tensors[2 * l + 1]
        return out

    def state(self) -> Params:
        """The current weights, dense (live tensors on the dense path, a copy where a layer is sparse)."""
        return self.to_params(self.params)

    def evaluate(self, tensors: Sequence[torch.Tensor], x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """:func:`evaluate` of stored tensors (e.g. ``params`` or a snapshot of it), through this trainer's kernels."""
        if not self.feature_major:
            return evaluate(self.arch, self.to_params(tensors), x, y)
        stored = {f"{k}{l}": tensors[2 * l + (k == "b")] for l in range(self.L) for k in ("w", "b")}
        linear = lambda l, h: self.layers[l].evaluate(tensors[2 * l], tensors[2 * l + 1], h)
        return evaluate(self.arch, stored, x, y, EVAL_CHUNK_FM, linear=linear, feature_major=True)


def _views(flat: torch.Tensor, like: Sequence[torch.Tensor]) -> list[torch.Tensor]:
    """Consecutive views of ``flat`` shaped like ``like``."""
    out, start = [], 0
    for t in like:
        out.append(flat[start : start + t.numel()].view(t.shape))
        start += t.numel()
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
    live = trainer.params  # stored tensors, updated in place by every step
    best = [v.clone() for v in live]
    rewind = [v.clone() for v in live]
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
                rewind = [v.clone() for v in live]
            if done % cfg.eval_every == 0:
                e = done // cfg.eval_every - 1
                loss, acc = trainer.evaluate(live, data.val_x, data.val_y)
                val_loss[:, e], val_acc[:, e] = loss, acc
                diverged |= ~torch.isfinite(loss)
                improved = loss < best_loss
                best_loss = torch.where(improved, loss, best_loss)
                best_iter = torch.where(improved, torch.full_like(best_iter, done), best_iter)
                for i in range(len(best)):
                    shape = (S,) + (1,) * (best[i].dim() - 1)
                    best[i] = torch.where(improved.view(shape), live[i], best[i])
    _, test_acc_es = trainer.evaluate(best, data.test_x, data.test_y)
    test_loss, test_acc = trainer.evaluate(live, data.test_x, data.test_y)
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
        "final": cpu(trainer.to_params(live)),
        "rewind": cpu(trainer.to_params(rewind)),
    }
