"""What each kind of experiment computes for one chunk of seeds: the recipes behind the cache.

Each function takes an :class:`~lth.spec.ExperimentSpec`, the chunk's seeds and the entries
it depends on, and returns the cache entry as a plain dict of tensors (first dimension =
seed). Which experiments run, in what order, and where results are cached is the graph's and the executor's
job (``graph.py``, ``executors.py``); this module and ``controls.py`` are part of the code fingerprint
(with every file under ``lth/core/``), the graph is not.
"""
from __future__ import annotations

from dataclasses import replace

import torch

from lth.core import connectivity, init_variants, masked_eval, models, pruning, training
from lth.core import data as lth_data
from lth.core import masks as M
from lth.core import supermask as sm_lib
from lth.experiments import controls
from lth.experiments.spec import ExperimentSpec

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
    long = None
    if "prefix" in rec:  # trained to the speed budget: the round itself is the run's first prefix_iterations
        long, rec = summary(rec, masks), rec["prefix"]
    nxt = pruning.prune(rec["final"], masks, spec.rate_map, spec.pruning_criterion)
    pruned = M.apply(rec["final"], nxt)
    _, pbr = training.evaluate(arch, {k: v.to(device) for k, v in pruned.items()}, dataset.test_x, dataset.test_y)
    out = {**summary(rec, masks), "mask": masks, "next_mask": nxt,
           "next_density": M.density(nxt), "pruned_before_reset_acc": pbr.cpu()}
    if spec.round == 0:
        out["init"] = {k: v for k, v in init.items() if k.startswith("w")}
        out["final"] = {k: v for k, v in rec["final"].items() if k.startswith("w")}
    if long is not None:
        out["long"] = long
    return out


def control_start(spec: ExperimentSpec, chunk: list[int], round_mask: M.Masks | None,
                  dense_final: M.Params | None) -> tuple[M.Params, M.Masks]:
    """Initial weights and masks of the control ``spec.control`` (lth.experiments.controls) at one round's counts."""
    start = controls.Start(spec.arch, chunk, round_mask, dense_final, spec.rate_map, spec.round, spec.control_index)
    return controls.get(spec.control).make(start)


def control(spec: ExperimentSpec, chunk: list[int], dataset: lth_data.Dataset, round_mask: M.Masks | None,
            dense_final: M.Params | None) -> dict:
    """A control trained from :func:`control_start`: its summary."""
    params, masks = control_start(spec, chunk, round_mask, dense_final)
    return summary(training.train(spec.arch, params, masks, dataset, spec.train, chunk), masks)


# ---- beyond the paper ---------------------------------------------------------------------------
def supermask(spec: ExperimentSpec, chunk: list[int], dataset: lth_data.Dataset, dense_entry: dict,
              round_entry: dict) -> dict:
    """Untrained networks under masks of one round's per-layer counts: the "large final, same sign" supermask
    from the trained dense network (round 0) and a random mask (the ``random_mask`` stream, index
    ``spec.control_index``: the random-pruning control's mask), each on the original initial weights and
    on their signed constant. Test accuracy per seed, and the fraction of the supermask's weights that kept their sign."""
    arch = spec.arch
    init = models.init_params(arch, chunk)
    keep = M.counts(round_entry["mask"])
    sm = sm_lib.same_sign_mask(init, dense_entry["final"], keep)
    rnd = pruning.random_like(round_entry["mask"], chunk, spec.control_index)
    signed = init_variants.signed_constant(init)
    out = {}
    for mask_name, masks in (("supermask", sm), ("random", rnd)):
        for init_name, params in (("init", init), ("signed", signed)):
            out[f"{mask_name}_{init_name}"] = masked_eval.masked_accuracy(
                arch, params, masks, dataset.test_x, dataset.test_y)[1]
    same = sm_lib.same_sign_scores(init, dense_entry["final"])
    kept_same = sum(((same[k] > 0) & sm[k]).flatten(1).sum(1) for k in sm)
    out["same_sign_kept"] = kept_same.double() / sum(v for v in keep.values()).double()
    out["density"] = M.density(sm)
    return out


def lmc(spec: ExperimentSpec, chunk: list[int], dataset: lth_data.Dataset, params: M.Params, masks: M.Masks,
        points: int) -> dict:
    """Two copies of (``params``, ``masks``) trained with data orders ``spec.train.data_order`` and the next one;
    the test error at ``points`` evenly spaced points between their final weights (same mask: every point is
    the same subnetwork), per seed, and both error barriers (:func:`lth.core.connectivity.error_barrier`). No weights are kept."""
    arch = spec.arch
    runs = [training.train(arch, params, masks, dataset, replace(spec.train, data_order=spec.train.data_order + i),
                           chunk) for i in (0, 1)]
    fa, fb = runs[0]["final"], runs[1]["final"]
    path = connectivity.alphas(points)
    errors = torch.stack([1.0 - masked_eval.masked_accuracy(arch, connectivity.interpolate(fa, fb, float(t)), masks,
                                                            dataset.test_x, dataset.test_y)[1] for t in path], dim=1)
    return {"alphas": path.tolist(), "error": errors, "barrier": connectivity.error_barrier(errors, "mean"),
            "barrier_linear": connectivity.error_barrier(errors, "linear"), "test_acc_a": runs[0]["test_acc_final"],
            "test_acc_b": runs[1]["test_acc_final"], "density": M.density({k: v.cpu() for k, v in masks.items()})}
