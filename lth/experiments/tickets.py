"""Take a ticket away: find one seed's iterative ticket through the Lab and write it as plain PyTorch.

The mask comes from the experiment cache (computed there first if missing, exactly as the
claims compute it); the initial weights are the seed's own ``init`` stream. ``weights="final"``
trains the ticket from those initial weights with the scale's training config, the run the
pruning round itself made (the same numbers up to float rounding: the round trained the seed
inside its chunk, here it trains alone).
"""
from __future__ import annotations

from pathlib import Path

from lth.core import masks as M
from lth.core import models
from lth.core import training
from lth.experiments.lab import Lab
from lth.core.export import save_ticket

WEIGHTS = ("init", "final")


def export_ticket(lab: Lab, *, pm: float, seed: int, weights: str, path: str | Path) -> Path:
    """Write seed ``seed``'s ticket at ``pm`` percent of weights remaining to ``path`` (see lth.export)."""
    if weights not in WEIGHTS:
        raise ValueError(f"weights must be one of {WEIGHTS}, got {weights!r}")
    chunk = next((c for c in lab.chunks() if seed in c), None)
    if chunk is None:
        seeds = lab.seeds()
        raise ValueError(f"seed {seed} is not among this scale's seeds {seeds[0]}..{seeds[-1]} (see --seed-base)")
    r = lab.level(pm)
    entry = lab.executor.entry(lab.planner.round_node(chunk, r))  # only this seed's chunk, rounds 0..r
    i = chunk.index(seed)
    mask = {k: v[i : i + 1] for k, v in entry["mask"].items()}
    arch = models.lenet_300_100()
    params = models.init_params(arch, [seed])
    if weights == "final":
        params = training.train(arch, params, mask, lab.executor.context.dataset(lab.dataset), lab.preset.lenet_train, [seed])["final"]
    meta = {"scale": lab.preset.name, "seed": seed, "round": r, "pm": float(100 * M.density(mask)[0]),
            "weights": weights, "dataset": lab.dataset, "train": lab.preset.lenet_train.to_dict()}
    return save_ticket(path, arch, params, mask, 0, meta=meta)
