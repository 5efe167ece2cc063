"""The masked trainer: S networks, their masks and optimizer state, and one step of all of them (the hot path).

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

from typing import Sequence

import torch

from lth.core import layers as lth_layers
from lth.core import sparse
from lth.core.evaluation import EVAL_CHUNK_FM, evaluate
from lth.core.layers import act_backward
from lth.core.masks import Masks, Params, check_masks, weight_names
from lth.core.models import Architecture, forward
from lth.core.trainconfig import PAD, TrainConfig


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
        order = self._place(stored, plan) if self.feature_major else None
        if not self.feature_major:
            self.params, self.grads = stored, [torch.zeros_like(p) for p in stored]
            self._opt = [self.params, self.grads]
        for l, layer in enumerate(self.layers):
            layer.attach(self.params[2 * l], self.params[2 * l + 1], self.grads[2 * l])
        self._xbuf: torch.Tensor | None = None  # the feature-major input buffer
        self._optimizer_state(stored, order)

    def _place(self, stored: list[torch.Tensor], plan: list) -> list[int]:
        """Feature-major: every tensor a view of one flat buffer per role, so the optimizer is one kernel on one
        tensor (the sparse step's tensors are small, and a kernel call costs more than its arithmetic). Sparse
        layers' values first, then their biases: SparseGroup fills both ranges in one call each. Returns the order."""
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
        self._opt = [[flat], [flat_grad]]
        return order

    def _optimizer_state(self, stored: list[torch.Tensor], order: list[int] | None) -> None:
        """Adam's moments and one shared step counter (or SGD's momentum) beside the optimizer's tensor lists."""
        cfg, opt = self.cfg, self._opt  # the stored tensors themselves, or their flat buffers
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
