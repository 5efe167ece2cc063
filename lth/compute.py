"""What each kind of experiment computes for one chunk of seeds: the recipes behind the cache.

Each function takes an :class:`~lth.spec.ExperimentSpec`, the chunk's seeds and the entries
it depends on, and returns the cache entry as a plain dict of tensors (first dimension =
seed). Which experiments run, in what order, and where results are cached is the Lab's job
(``lth/experiments.py``); this module is part of the code fingerprint, the Lab is not.
"""
from __future__ import annotations

import torch

from lth import data as lth_data
from lth import masks as M
from lth import followups, models, pruning, training
from lth.spec import ExperimentSpec

SUMMARY_KEYS = ("val_loss", "val_acc", "es_iteration", "val_loss_es", "test_acc_es", "test_acc_final",
                "test_loss_final", "diverged")


def summary(record: dict, masks: M.Masks) -> dict:
    """The per-seed numbers claims use from a training record (no weights)."""
    out = {k: record[k] for k in SUMMARY_KEYS}
    out["density"] = M.density({k: v.cpu() for k, v in masks.items()})
    out["eval_iterations"] = record["eval_iterations"].tolist()  # the same for every seed: plain list, not per seed
    return out


def xor_converged(record: dict, threshold: float) -> torch.Tensor:
    """All four points right and mean cross-entropy below ``threshold``: confident, not lucky."""
    return (record["test_acc_final"] == 1.0) & (record["test_loss_final"] < threshold)


def xor_dense(spec: ExperimentSpec, chunk: list[int]) -> dict:
    """Dense 2-H-1 networks: per seed ``converged`` and the trained weights."""
    params = models.init_params(spec.arch, chunk)
    rec = training.train(spec.arch, params, M.dense(params), lth_data.xor(), spec.train, chunk)
    return {"converged": xor_converged(rec, spec.loss_threshold), "final_loss": rec["test_loss_final"],
            "diverged": rec["diverged"], "final": rec["final"]}


def xor_tickets(spec: ExperimentSpec, chunk: list[int], dense_final: dict, dense_converged: torch.Tensor) -> dict:
    """The ``keep_units`` largest units reset to init (ticket), the same units with fresh weights
    (reinit: the architecture only), the same units with their initial values shuffled among the
    kept positions (rearranged, v1's other control), and as many random units of the same initial
    network (random units: the initialisation only)."""
    arch, k = spec.arch, spec.keep_units
    init = models.init_params(arch, chunk)
    ticket_masks = pruning.unit_prune(dense_final, k)
    runs = {
        "ticket": (init, ticket_masks),
        "reinit": (models.init_params(arch, chunk, stream="reinit"), ticket_masks),
        "random_units": (init, pruning.random_unit_prune(init, k, chunk)),
        "rearranged": (pruning.rearrange(init, ticket_masks, chunk), ticket_masks),
    }
    out = {"dense_converged": dense_converged}
    for name, (params, masks) in runs.items():
        rec = training.train(arch, params, masks, lth_data.xor(), spec.train, chunk)
        out[name] = xor_converged(rec, spec.loss_threshold)
    return out


def lenet_dense(spec: ExperimentSpec, chunk: list[int], dataset: lth_data.Dataset) -> dict:
    """A dense network trained once: its summary."""
    params = models.init_params(spec.arch, chunk)
    masks = M.dense(params)
    return summary(training.train(spec.arch, params, masks, dataset, spec.train, chunk), masks)


def first_masks(spec: ExperimentSpec, chunk: list[int]) -> M.Masks:
    """Round 0's masks: nothing pruned."""
    masks = M.dense(models.init_params(spec.arch, chunk[:1]))
    return {k: v.expand(len(chunk), -1, -1).clone() for k, v in masks.items()}


def iterative_round(spec: ExperimentSpec, chunk: list[int], dataset: lth_data.Dataset, masks: M.Masks,
                    device: str) -> dict:
    """Round ``spec.round`` of iterative magnitude pruning: train with ``masks`` from the original init,
    prune the final weights (the next round's mask) and measure the pruned network before reset."""
    arch = spec.arch
    init = models.init_params(arch, chunk)
    rec = training.train(arch, init, masks, dataset, spec.train, chunk)
    nxt = pruning.magnitude_prune(rec["final"], masks, spec.rate_map)
    pruned = M.apply(rec["final"], nxt)
    _, pbr = training.evaluate(arch, {k: v.to(device) for k, v in pruned.items()}, dataset.test_x, dataset.test_y)
    out = {**summary(rec, masks), "mask": masks, "next_mask": nxt,
           "next_density": M.density(nxt), "pruned_before_reset_acc": pbr.cpu()}
    if spec.round == 0:
        out["init"] = {k: v for k, v in init.items() if k.startswith("w")}
        out["final"] = {k: v for k, v in rec["final"].items() if k.startswith("w")}
    return out


def control_start(spec: ExperimentSpec, chunk: list[int], round_entry: dict, dense_entry: dict) -> tuple[dict, M.Masks]:
    """Initial weights and masks of a ticket or control at one round's per-layer counts.

    "" (no control): the round's ticket itself, its mask on the original init (retrained, e.g. longer);
    one-shot: the trained dense network pruned straight to the round's counts, reset to init;
    reinit: the round's ticket mask with fresh weights (the architecture only);
    random-prune: the original weights under a random mask of the same per-layer counts (the init only);
    rearrange: the ticket mask with the survivors' initial values shuffled among the survivors;
    signed-constant: the ticket mask, every weight its initial sign x its layer's initial standard deviation
    (Zhou et al. 2019); random-sign-constant: the same magnitudes with random signs (the ``sign`` stream).
    """
    arch = spec.arch
    if spec.control == "":
        return models.init_params(arch, chunk), round_entry["mask"]
    if spec.control == "rearrange":
        init = models.init_params(arch, chunk)
        return pruning.rearrange(init, round_entry["mask"], chunk, spec.control_index), round_entry["mask"]
    if spec.control == "one-shot":
        return models.init_params(arch, chunk), pruning.one_shot(dense_entry["final"], spec.rate_map, spec.round)
    if spec.control == "reinit":
        return models.init_params(arch, chunk, stream="reinit", index=spec.control_index), round_entry["mask"]
    if spec.control == "random-prune":
        return models.init_params(arch, chunk), pruning.random_like(round_entry["mask"], chunk, spec.control_index)
    if spec.control == "signed-constant":
        return followups.signed_constant(models.init_params(arch, chunk)), round_entry["mask"]
    if spec.control == "random-sign-constant":
        init = models.init_params(arch, chunk)
        return followups.signed_constant(init, chunk, spec.control_index), round_entry["mask"]
    raise ValueError(f"unknown control {spec.control!r}; known: '' (the ticket), one-shot, reinit, random-prune, "
                     f"rearrange, signed-constant, random-sign-constant")


def control(spec: ExperimentSpec, chunk: list[int], dataset: lth_data.Dataset, round_entry: dict,
            dense_entry: dict) -> dict:
    """A control trained from :func:`control_start`: its summary."""
    params, masks = control_start(spec, chunk, round_entry, dense_entry)
    return summary(training.train(spec.arch, params, masks, dataset, spec.train, chunk), masks)
