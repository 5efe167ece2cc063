"""The supermask criterion of Zhou et al. 2019, Sec. 5: "large final, same sign".

Score |w_final| where sign(w_final) = sign(w_init) and 0 elsewhere; keep a given count per layer.
"""
from __future__ import annotations

import torch

from lth.core import masks as M
from lth.core import pruning


def same_sign_scores(init: M.Params, final: M.Params) -> M.Params:
    """Zhou et al.'s "large final, same sign" score per weight: |w_final| where sign(w_final) = sign(w_init), else 0."""
    return {k: torch.where(torch.sign(final[k]) == torch.sign(init[k]), final[k].abs(), torch.zeros_like(final[k]))
            for k in M.weight_names(final)}


def same_sign_mask(init: M.Params, final: M.Params, keep: dict[str, torch.Tensor | int]) -> M.Masks:
    """Per layer, the ``keep[name]`` weights of largest same-sign score (:func:`same_sign_scores`).

    Where a layer has fewer same-sign weights than it must keep, the rest are filled with score-0
    weights by lth.pruning's deterministic rule (lower index first).
    """
    scores = same_sign_scores(init, final)
    out = {}
    for name, s in scores.items():
        flat = s.flatten(1)
        k = torch.as_tensor(keep[name], dtype=torch.long).expand(flat.shape[0])
        out[name] = pruning.keep_largest(flat, torch.ones_like(flat, dtype=torch.bool), k).view_as(s)
    return out
