"""Controls: how a ticket's initial weights and mask are derived from a pruning round, one function each.

A control is registered under one name with :func:`register_control` (the way open_lth's
``lottery/branch/registry.py`` lists branches); that name is its spelling everywhere: in specs,
arms, labels and the report. A control says what it ``needs``: the round's mask ("round") or the
trained dense network's final weights ("dense", one-shot pruning), so the experiment graph can
start it as soon as that one node is done. A user adds a control in their own file::

    from lth.experiments.controls import register_control

    @register_control("sign-flipped", needs="round")
    def sign_flipped(start):
        params = models.init_params(start.arch, start.chunk)
        return {k: -v for k, v in params.items()}, start.mask

Controls registered outside lth carry a hash of their source in the spec (``control_code``), so
editing one recomputes its experiments instead of reading stale ones.
"""
from __future__ import annotations

import hashlib
import inspect
from dataclasses import dataclass
from typing import Callable

from lth.core import init_variants, models, pruning
from lth.core.masks import Masks, Params
from lth.core.models import Architecture
from lth.core.registry import Registry

NEEDS = ("round", "dense")


@dataclass(frozen=True)
class Start:
    """What a control may use: the chunk's seeds, the round's mask (``needs="round"``) or round 0's trained
    weights (``needs="dense"``), the per-layer rates and round number, and which draw (``index``)."""

    arch: Architecture
    chunk: list[int]
    mask: Masks | None
    dense_final: Params | None
    rates: dict[str, float]
    round: int
    index: int


@dataclass(frozen=True)
class Control:
    name: str
    make: Callable[[Start], tuple[Params, Masks]]
    needs: str
    summary: str
    code: str  # "" for lth's own controls (covered by the code fingerprint), else a hash of the source


CONTROLS: Registry[Control] = Registry("control")


def register_control(name: str, *, needs: str = "round", summary: str = "") -> Callable:
    """Decorator: register ``fn(start: Start) -> (params, masks)`` as the control ``name``."""
    if not isinstance(name, str) or not name or name != name.strip():
        raise ValueError(f"a control's name is a non-empty string without surrounding spaces, got {name!r}")
    if needs not in NEEDS:
        raise ValueError(f"a control needs one of {', '.join(NEEDS)}, got {needs!r}")

    def register(fn: Callable[[Start], tuple[Params, Masks]]) -> Callable:
        builtin = fn.__module__ == __name__
        code = "" if builtin else hashlib.sha256(inspect.getsource(fn).encode()).hexdigest()[:16]
        CONTROLS[name] = Control(name, fn, needs, summary or (fn.__doc__ or "").strip().split("\n")[0], code)
        return fn

    return register


def get(name: str) -> Control:
    """The control registered as ``name``; ValueError naming the known ones otherwise."""
    return CONTROLS.named(name)


@register_control("ticket")
def ticket(s: Start) -> tuple[Params, Masks]:
    """The round's mask on the original initialisation: the winning ticket itself (retrained, e.g. longer)."""
    return models.init_params(s.arch, s.chunk), s.mask


@register_control("one-shot", needs="dense")
def one_shot(s: Start) -> tuple[Params, Masks]:
    """The trained dense network pruned straight to the round's per-layer counts, reset to the original init."""
    return models.init_params(s.arch, s.chunk), pruning.one_shot(s.dense_final, s.rates, s.round)


@register_control("reinit")
def reinit(s: Start) -> tuple[Params, Masks]:
    """The ticket's mask with fresh weights (the ``reinit`` stream, draw ``index``): keeps the architecture only."""
    return models.init_params(s.arch, s.chunk, stream="reinit", index=s.index), s.mask


@register_control("random-pruning")
def random_pruning(s: Start) -> tuple[Params, Masks]:
    """The original weights under a random mask of the round's per-layer counts: keeps neither the mask nor,
    in distribution, the initialisation (i.i.d. initial values under an independent mask are fresh ones)."""
    return models.init_params(s.arch, s.chunk), pruning.random_like(s.mask, s.chunk, s.index)


@register_control("rearranged")
def rearranged(s: Start) -> tuple[Params, Masks]:
    """The ticket's mask with its own initial values shuffled among the kept positions: keeps the initial values."""
    init = models.init_params(s.arch, s.chunk)
    return pruning.rearrange(init, s.mask, s.chunk, s.index), s.mask


@register_control("signed-constant")
def signed_constant(s: Start) -> tuple[Params, Masks]:
    """The ticket's mask, every weight its initial sign x its layer's initial standard deviation (Zhou et al. 2019)."""
    return init_variants.signed_constant(models.init_params(s.arch, s.chunk)), s.mask


@register_control("random-sign-constant")
def random_sign_constant(s: Start) -> tuple[Params, Masks]:
    """The signed constant's magnitudes with random signs (the ``sign`` stream, draw ``index``)."""
    init = models.init_params(s.arch, s.chunk)
    return init_variants.signed_constant(init, s.chunk, s.index), s.mask
