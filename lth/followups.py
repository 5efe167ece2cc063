"""Recipes of the follow-up experiments beyond the paper (issue 10): what they compute, per chunk of seeds.

* signed constant (Zhou, Lan, Liu, Yosinski 2019, arXiv 1905.01067, Sec. 4): every weight set to
  its sign times the standard deviation of its layer's initial distribution; the signs are the
  original initial weights' (``signed-constant``) or fresh random ones from the ``sign`` stream
  (``random-sign-constant``). The mask zeroes pruned positions in training.
* supermask (same paper, Sec. 5): the "large final, same sign" criterion, score |w_final| where
  sign(w_final) = sign(w_init) and 0 elsewhere, keeps a given count per layer; the mask is
  applied to the *untrained* initial weights and the network is evaluated as it is.
* linear mode connectivity (Frankle, Dziugaite, Roy, Carbin 2020, arXiv 1912.05671, Sec. 2): two
  copies of one subnetwork trained with two data orders; the test error at evenly spaced points
  of the straight line between their final weights, and the error barrier along it.

Like :mod:`lth.compute`, this module is part of the code fingerprint (lth/store.py).
"""
from __future__ import annotations

import math
from dataclasses import replace
from typing import Sequence

import torch

from lth import data as lth_data
from lth import masks as M
from lth import models, pruning, rng, training
from lth.spec import ExperimentSpec


# ---- signed constant ------------------------------------------------------------------------------
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


# ---- supermask ------------------------------------------------------------------------------------
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


def masked_accuracy(arch: models.Architecture, params: M.Params, masks: M.Masks, x: torch.Tensor,
                    y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Test loss and accuracy per seed of ``params`` under ``masks``, through the trainer's kernels for that
    density (the sparse evaluation below lth.sparse's crossover; equal to the dense one within float rounding)."""
    dev = x.device
    trainer = training.MaskedTrainer(arch, {k: v.to(dev) for k, v in params.items()},
                                     {k: v.to(dev) for k, v in masks.items()}, training.TrainConfig())
    loss, acc = trainer.evaluate(trainer.params, x, y)
    return loss.cpu(), acc.cpu()


def supermask(spec: ExperimentSpec, chunk: list[int], dataset: lth_data.Dataset, dense_entry: dict,
              round_entry: dict) -> dict:
    """Untrained networks under masks of one round's per-layer counts: the "large final, same sign" supermask
    from the trained dense network (round 0) and a random mask (the ``random_mask`` stream, index
    ``spec.control_index``: the random-pruning control's mask), each on the original initial weights and
    on their signed constant. Test accuracy per seed, and the fraction of the supermask's weights that kept their sign."""
    arch = spec.arch
    init = models.init_params(arch, chunk)
    keep = M.counts(round_entry["mask"])
    sm = same_sign_mask(init, dense_entry["final"], keep)
    rnd = pruning.random_like(round_entry["mask"], chunk, spec.control_index)
    signed = signed_constant(init)
    out = {}
    for mask_name, masks in (("supermask", sm), ("random", rnd)):
        for init_name, params in (("init", init), ("signed", signed)):
            out[f"{mask_name}_{init_name}"] = masked_accuracy(arch, params, masks, dataset.test_x, dataset.test_y)[1]
    same = same_sign_scores(init, dense_entry["final"])
    kept_same = sum(((same[k] > 0) & sm[k]).flatten(1).sum(1) for k in sm)
    out["same_sign_kept"] = kept_same.double() / sum(v for v in keep.values()).double()
    out["density"] = M.density(sm)
    return out


# ---- linear mode connectivity ---------------------------------------------------------------------
def alphas(points: int) -> torch.Tensor:
    """``points`` evenly spaced interpolation coefficients from 0 (copy A) to 1 (copy B), endpoints included."""
    if int(points) < 2:
        raise ValueError(f"an interpolation needs >= 2 points, got {points!r}")
    return torch.linspace(0.0, 1.0, int(points), dtype=torch.float64)


def interpolate(a: M.Params, b: M.Params, alpha: float) -> M.Params:
    """(1 - alpha) a + alpha b, tensor by tensor."""
    return {k: (1.0 - alpha) * a[k] + alpha * b[k] for k in a}


def error_barrier(errors: torch.Tensor, reference: str = "mean") -> torch.Tensor:
    """The error barrier of error curves [..., P] along the path (first point copy A, last copy B).

    ``reference="mean"``: Frankle et al. 2020's instability, max over alpha of the error minus the mean of
    the two endpoints' errors (>= |e_A - e_B| / 2). ``reference="linear"``: max over alpha of the error minus
    the straight line between the endpoint errors (0 for a curve that is itself linear). NaN propagates.
    """
    e = torch.as_tensor(errors, dtype=torch.float64)
    a = alphas(e.shape[-1]).to(e.device)
    if reference == "mean":
        base = ((e[..., :1] + e[..., -1:]) / 2).expand_as(e)
    elif reference == "linear":
        base = (1 - a) * e[..., :1] + a * e[..., -1:]
    else:
        raise ValueError(f"reference must be 'mean' or 'linear', got {reference!r}")
    gap = e - base
    return torch.where(torch.isnan(gap).any(-1), torch.full(e.shape[:-1], math.nan, dtype=e.dtype, device=e.device),
                       gap.max(-1).values)


def lmc(spec: ExperimentSpec, chunk: list[int], dataset: lth_data.Dataset, params: M.Params, masks: M.Masks,
        points: int) -> dict:
    """Two copies of (``params``, ``masks``) trained with data orders ``spec.train.data_order`` and the next one;
    the test error at ``points`` evenly spaced points between their final weights (same mask: every point is
    the same subnetwork), per seed, and both error barriers (:func:`error_barrier`). No weights are kept."""
    arch = spec.arch
    runs = [training.train(arch, params, masks, dataset, replace(spec.train, data_order=spec.train.data_order + i),
                           chunk) for i in (0, 1)]
    fa, fb = runs[0]["final"], runs[1]["final"]
    errors = torch.stack([1.0 - masked_accuracy(arch, interpolate(fa, fb, float(t)), masks, dataset.test_x,
                                                dataset.test_y)[1] for t in alphas(points)], dim=1)
    return {"alphas": alphas(points).tolist(), "error": errors, "barrier": error_barrier(errors, "mean"),
            "barrier_linear": error_barrier(errors, "linear"), "test_acc_a": runs[0]["test_acc_final"],
            "test_acc_b": runs[1]["test_acc_final"], "density": M.density({k: v.cpu() for k, v in masks.items()})}
