"""Loss and accuracy of S networks on a data set shared by all seeds (the dense or the trainer's sparse kernels)."""
from __future__ import annotations

import math

import torch

from lth.core.masks import Params
from lth.core.models import Architecture, Linear, forward

# Examples per evaluation chunk on the feature-major (sparse) path: the chunk of inputs, [784, 500]
# floats = 1.5 MiB, stays in this CPU's 2 MiB L2 while every kept weight reads a row of it. Measured
# (5,000 validation images, LeNet-300-100, 2 seeds, 1 thread): chunks of 250 / 500 / 1,000 / 2,500 take
# 0.60 / 0.56 / 0.59 / 0.77x the dense evaluation at 21% and 0.23 / 0.26 / 0.24 / 0.28x at 3.6%.
EVAL_CHUNK_FM = 512  # 500 rounded to a multiple of 8 (lth.training.PAD)


def evaluate(
    arch: Architecture,
    params: Params,
    x: torch.Tensor,
    y: torch.Tensor,
    chunk: int = 2_500,
    *,
    linear: Linear | None = None,
    feature_major: bool = False,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean loss and accuracy per seed on (x, y) shared by all seeds: two tensors [S].

    By default the dense forward pass of ``params``. A trainer passes its own kernels as
    ``linear`` (``params`` then holds its stored tensors, shaped [S, ...]), and
    ``feature_major=True`` when they take the input as [in, N] and return logits [S, out, N].
    """
    S = params["w0"].shape[0]
    loss = torch.zeros(S, dtype=torch.float64, device=x.device)
    correct = torch.zeros(S, dtype=torch.float64, device=x.device)
    f = 1 if feature_major else 2  # the logits' class dimension
    for start in range(0, x.shape[0], chunk):
        xs, ys = x[start : start + chunk], y[start : start + chunk]
        h = forward(arch, params, xs.t().contiguous() if feature_major else xs, linear=linear)
        if arch.output == "softmax":
            logp = torch.log_softmax(h, dim=f)
            loss += -logp.gather(f, ys.expand(S, -1).unsqueeze(f)).squeeze(f).sum(1).double()
            correct += (h.argmax(f) == ys).sum(1).double()
        else:
            z = h.squeeze(f)
            loss += torch.nn.functional.binary_cross_entropy_with_logits(z, ys.expand_as(z), reduction="none").sum(1).double()
            correct += ((z > 0).to(ys.dtype) == ys).sum(1).double()
    n = x.shape[0]
    acc = correct / n
    finite = torch.isfinite(loss)
    # a diverged network predicts nothing: its accuracy is NaN, not whatever argmax makes of NaN logits
    return loss / n, torch.where(finite, acc, torch.full_like(acc, math.nan))
