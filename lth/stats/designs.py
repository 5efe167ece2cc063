"""The registry of statistical designs: one name per test, the spelling claims declare (``design="signflip"``).

A design is a function ``(a, b, *, alternative, margin, alpha, label, seed, n_resamples) -> TestResult``
and, where it has one, a vectorised core ``(a, b, alternative) -> p`` over many data sets at once
(the pairs along the last axis) that the simulations and the A/A check run. ``lth.stats.paired`` and
``lth.stats.unpaired`` register theirs; a user registers another with :func:`register_design`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from lth.core.registry import Registry


@dataclass(frozen=True)
class Design:
    name: str
    test: Callable  # -> lth.stats.results.TestResult
    vectorised: Callable[[np.ndarray, np.ndarray, str], np.ndarray] | None  # many data sets' p-values at once
    paired: bool  # whether the design pairs the arms seed by seed


DESIGNS: Registry[Design] = Registry("design")


def register_design(name: str, test: Callable, *, vectorised: Callable | None = None, paired: bool = True) -> None:
    if not isinstance(name, str) or not name:
        raise ValueError(f"a design's name is a non-empty string, got {name!r}")
    DESIGNS[name] = Design(name, test, vectorised, paired)


def get(name: str) -> Design:
    """The design registered as ``name``; ValueError naming the known ones otherwise."""
    return DESIGNS.named(name)


def run(name: str, a, b, **kw):
    """Run the named design on arms ``a`` and ``b``."""
    return get(name).test(a, b, **kw)
