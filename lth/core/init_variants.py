"""Initialisation variants of the follow-ups: Zhou, Lan, Liu, Yosinski 2019 (arXiv 1905.01067), Sec. 4.

The signed constant sets every weight to its sign times the standard deviation of its layer's initial
distribution; the signs are the original initial weights' (``signed-constant``) or fresh random ones
from the ``sign`` stream (``random-sign-constant``).
"""
from __future__ import annotations

from typing import Sequence

import torch

from lth.core import masks as M
from lth.core import models, rng

layer_std = models.glorot_std  # a layer's initial standard deviation: the Gaussian Glorot one models draws


def signed_constant(params: M.Params, seeds: Sequence[int] | None = None, index: int = 0) -> M.Params:
    """Each weight set to sign x its layer's initial standard deviation (:func:`layer_std`); biases copied.

    ``seeds=None``: the signs of ``params`` themselves (Zhou et al.'s "signed constant"); with
    ``seeds``: random signs from each seed's ``sign`` stream, layers drawn in order (w0, w1, ...),
    the ``index``-th draw (the "random sign" variant). A zero weight gets the sign +1.
    """
    out = {k: v.clone() for k, v in params.items()}
    names = M.weight_names(params)
    if seeds is not None and len(seeds) != params[names[0]].shape[0]:
        raise ValueError(f"{len(seeds)} seeds given for weights holding {params[names[0]].shape[0]} networks")
    parts: dict = {}
    if seeds is not None:  # one stream per seed, all layers drawn from it in layer order
        sizes = [params[k][0].numel() for k in names]
        flat = torch.stack([torch.randint(0, 2, (sum(sizes),), generator=rng.generator(int(s), "sign", index)).float()
                            * 2 - 1 for s in seeds])
        parts = dict(zip(names, torch.split(flat, sizes, dim=1)))
    for name in names:
        w = params[name]
        if seeds is None:
            sign = torch.where(w < 0, -torch.ones_like(w), torch.ones_like(w))
        else:
            sign = parts[name].reshape(w.shape).to(device=w.device, dtype=w.dtype)
        out[name] = sign * layer_std(w.shape)
    return out
