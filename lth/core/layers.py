"""The trainer's per-layer kernels: how one masked layer is stored, run forward, and differentiated.

Two layouts, one per path, chosen for the whole network by the trainer:

* standard, [S, N, features] (every layer dense): :class:`Dense`, today's dense masked path,
  bit for bit (``baddbmm`` forward, ``bmm`` gradients, the weight gradient multiplied by the mask);
* feature-major, [S, features, N] (some layer runs sparse, see ``lth.sparse``): :class:`Sparse`
  for the layers stored as kept values, :class:`DenseFM` for the others (small or dense layers),
  the same products as :class:`Dense` with the operands transposed.

Each kernel stores a layer's weight in its own form (``store``/``to_dense``), computes the
pre-activation in training (``forward``) and evaluation (``evaluate``, where the input may be
[in, N] shared by all seeds), and in ``backward`` writes the weight and bias gradients into the
trainer's buffers (dense kernels; the sparse layers' come from one ``lth.sparse.SparseGroup``
call) and returns the input gradient when asked.
"""
from __future__ import annotations

import torch

from lth.core.sparse import SparseLayer


class Dense:
    """Today's dense masked layer, standard layout (the weight gradient is masked when ``mask`` is given)."""

    feature_major = False
    sparse = False

    def __init__(self, mask: torch.Tensor | None):
        self.mask = mask  # float {0, 1} [S, in, out], or None when nothing in the network is pruned

    def store(self, w: torch.Tensor) -> torch.Tensor:
        return w.contiguous()

    def to_dense(self, w: torch.Tensor) -> torch.Tensor:
        return w

    def attach(self, w: torch.Tensor, b: torch.Tensor, grad: torch.Tensor) -> None:
        """The trainer's live weight, bias and weight-gradient buffer (kernels may keep views of them)."""

    def forward(self, w: torch.Tensor, b: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        return torch.baddbmm(b.unsqueeze(1), h, w)

    def evaluate(self, w: torch.Tensor, b: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        return torch.matmul(h, w) + b[:, None, :]  # models.dense_linear: evaluation's own product

    def backward(self, w, gw, gb, h, dz, input_grad: bool) -> torch.Tensor | None:
        torch.bmm(h.transpose(1, 2), dz, out=gw)
        torch.sum(dz, dim=1, out=gb)
        if self.mask is not None:
            gw.mul_(self.mask)
        return torch.bmm(dz, w.transpose(1, 2)) if input_grad else None


class DenseFM(Dense):
    """A dense masked layer in the feature-major layout (a small or dense layer of a network with a sparse one)."""

    feature_major = True

    def attach(self, w: torch.Tensor, b: torch.Tensor, grad: torch.Tensor) -> None:
        self._live = (w, w.transpose(1, 2), b.unsqueeze(2))  # views made once, not every step

    def forward(self, w: torch.Tensor, b: torch.Tensor, hT: torch.Tensor) -> torch.Tensor:
        if hT.dim() == 2:  # an input shared by all seeds
            return torch.matmul(w.transpose(1, 2), hT) + b.unsqueeze(2)
        if w is self._live[0]:
            return torch.baddbmm(self._live[2], self._live[1], hT)
        return torch.baddbmm(b.unsqueeze(2), w.transpose(1, 2), hT)

    evaluate = forward

    def backward(self, w, gw, gb, hT, dzT, input_grad: bool) -> torch.Tensor | None:
        torch.bmm(hT, dzT.transpose(1, 2), out=gw)
        torch.sum(dzT, dim=2, out=gb)
        if self.mask is not None:
            gw.mul_(self.mask)
        return torch.bmm(w, dzT) if input_grad else None


class Sparse:
    """A layer stored as its kept values [S, nnz], feature-major: kernels in ``lth.sparse``.

    Its weight and bias gradients are not computed here but by the trainer's ``lth.sparse.SparseGroup``,
    in one call for all sparse layers; ``backward`` returns the input gradient only.
    """

    feature_major = True
    sparse = True

    def __init__(self, layer: SparseLayer):
        self.layer = layer
        self._live = (None,)

    def store(self, w: torch.Tensor) -> torch.Tensor:
        return self.layer.gather(w).contiguous()

    def to_dense(self, values: torch.Tensor) -> torch.Tensor:
        return self.layer.scatter(values)

    def attach(self, values: torch.Tensor, b: torch.Tensor, grad: torch.Tensor) -> None:
        self._live = (values, values.view(-1), b.unsqueeze(2))  # views made once, not every step

    def forward(self, values: torch.Tensor, b: torch.Tensor, hT: torch.Tensor) -> torch.Tensor:
        if values is self._live[0]:
            return self.layer.forward(self._live[1], self._live[2], hT)
        return self.layer.forward(values.view(-1), b.unsqueeze(2), hT)

    evaluate = forward

    def backward(self, values, gv, gb, hT, dzT, input_grad: bool) -> torch.Tensor | None:
        return self.layer.input_grad(self._live[1], dzT) if input_grad else None


def build(masks_f: list[torch.Tensor | None], sparse_layers: list[SparseLayer | None]) -> list:
    """The kernel of every layer: Sparse where ``lth.sparse.plan`` chose it; the rest Dense, or DenseFM beside a sparse one."""
    if not any(s is not None for s in sparse_layers):
        return [Dense(m) for m in masks_f]
    return [Sparse(s) if s is not None else DenseFM(m) for m, s in zip(masks_f, sparse_layers)]


# ----------------------------------------------------------------------------- activations
def act_grad(h: torch.Tensor, activation: str) -> torch.Tensor:
    """d activation / d z, written in terms of the activation's output h."""
    if activation == "tanh":
        return 1 - h * h
    return h * (1 - h)


def act_backward(dh: torch.Tensor, h: torch.Tensor, activation: str, out: torch.Tensor | None = None) -> torch.Tensor:
    """The gradient at a layer's pre-activation from the one at its output ``dh`` (may overwrite ``dh``, or write ``out``)."""
    if activation == "relu":  # relu's own backward kernel
        if out is None:
            return torch.ops.aten.threshold_backward(dh, h, 0)
        return torch.ops.aten.threshold_backward.grad_input(dh, h, 0, grad_input=out)
    if out is None:
        return dh.mul_(act_grad(h, activation))
    return torch.mul(dh, act_grad(h, activation), out=out)
