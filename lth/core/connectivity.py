"""Linear mode connectivity (Frankle, Dziugaite, Roy, Carbin 2020, arXiv 1912.05671, Sec. 2).

The straight line between two trained copies of one subnetwork, and the error barrier along it.
"""
from __future__ import annotations

import math

import torch

from lth.core import masks as M


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
