"""Figure series for claims.json: plain dicts the report draws without rerunning anything.

Figure specs (``type``): ``line`` (series of x/y with 95% bands, optional horizontal
reference lines), ``bar`` (rates or means per category with intervals), ``hist``
(density histograms per panel) and ``strip`` (raw per-seed values per group).
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import torch

from lth import stats


def _f(x) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def band(values: torch.Tensor | np.ndarray) -> tuple[float | None, float | None, float | None]:
    m, lo, hi = stats.mean_band(np.asarray(values, dtype=float))
    return _f(m), _f(lo), _f(hi)


def line_series(name: str, x: Sequence[float], per_seed: Sequence[torch.Tensor]) -> dict:
    """A line of per-x means with 95% t bands from per-seed values at each x."""
    bands = [band(v) for v in per_seed]
    return {"name": name, "x": [float(v) for v in x], "y": [b[0] for b in bands],
            "lo": [b[1] for b in bands], "hi": [b[2] for b in bands]}


def line(title: str, xlabel: str, ylabel: str, series: list[dict], *, xscale: str = "linear",
         xinvert: bool = False, hlines: list[dict] | None = None) -> dict:
    return {"type": "line", "title": title, "xlabel": xlabel, "ylabel": ylabel, "xscale": xscale,
            "xinvert": xinvert, "series": series, "hlines": hlines or []}


def hline(name: str, per_seed: torch.Tensor) -> dict:
    m, lo, hi = band(per_seed)
    return {"name": name, "y": m, "lo": lo, "hi": hi}


def rates_bar(title: str, ylabel: str, groups: dict[str, Sequence[bool]]) -> dict:
    """Success rates per group with 95% Wilson intervals."""
    cats, y, lo, hi, n = [], [], [], [], []
    for name, flags in groups.items():
        flags = np.asarray(flags, dtype=bool)
        k, total = int(flags.sum()), len(flags)
        w = stats.wilson(k, total)
        cats.append(name)
        y.append(_f(k / total) if total else None)
        lo.append(_f(w[0]))
        hi.append(_f(w[1]))
        n.append(total)
    return {"type": "bar", "title": title, "ylabel": ylabel, "categories": cats, "y": y, "lo": lo, "hi": hi, "n": n}


def strip(title: str, ylabel: str, groups: dict[str, Sequence[float]]) -> dict:
    return {"type": "strip", "title": title, "ylabel": ylabel,
            "groups": [{"name": k, "values": [_f(v) for v in np.asarray(vals, dtype=float)]} for k, vals in groups.items()]}


def hist(title: str, xlabel: str, panels: list[dict]) -> dict:
    return {"type": "hist", "title": title, "xlabel": xlabel, "panels": panels}


def pct(density: torch.Tensor) -> float:
    """Percent of weights remaining (the same for every seed of a round)."""
    return round(100.0 * float(torch.as_tensor(density, dtype=torch.float64).mean()), 2)
