"""Declaring a claim: what a claim module holds (metadata, checks, figures, expected failures).

A claim module declares one :class:`Claim` (its checks from :mod:`lth.claimkit.checks`, its figures
from :mod:`lth.claimkit.figures`) and binds ``Claim.test`` to a ``test_*`` name; the plugin's
``claim`` fixture gives the test a :class:`~lth.claimkit.run.ClaimRun`, which runs it. ``needs``
lists the (arm, level) pairs the claim reads, so the session's experiment graph is known before
anything trains.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import pytest

from lth.claimkit import families as registry

# The order in which the plugin starts claims, by the experiment family they need: families no other claim
# shares and that take long start first (another worker begins the shared pruning run meanwhile);
# seconds-long ones run last, to fill a worker's idle end.
FAMILY_ORDER = {"lenet-width": -1, "fmnist": -1, "lenet-speed": 0, "lenet-iterative": 0, "mnist-beyond": 0.5, "xor": 1}

EVIDENCE = "lth_claim"
INFO = "lth_claim_info"  # the claim's marker data, attached before it runs, so a crash is reported too


class NotReproduced(pytest.fail.Exception):  # type: ignore[name-defined,misc]
    """A claim test's failure when the claim is neither reproduced nor contradicted (absent or inconclusive).

    An ``lth_expect`` marker absorbs only the subclass of the outcome it names: a contradicted claim, a
    crash, or the other of the two still fails.
    """


class Absent(NotReproduced):
    """The claimed effect is equivalent to none, within the claim's pre-registered margin (TOST)."""


class Inconclusive(NotReproduced):
    """Neither the claim, its opposite, nor equivalence could be shown with these seeds."""


OUTCOMES = {"absent": Absent, "inconclusive": Inconclusive}  # what an expected outcome may name


@dataclass(frozen=True)
class Expected:
    """A pre-registered expected outcome at one scale: which verdict, and why (the pilot evidence)."""

    verdict: str
    reason: str

    def __post_init__(self) -> None:
        if self.verdict not in OUTCOMES:
            raise ValueError(f"an expected outcome is one of {', '.join(OUTCOMES)} (a reproduced claim needs no "
                             f"expectation; a contradicted one always fails), got {self.verdict!r}")
        if not self.reason.strip():
            raise ValueError("an expected outcome needs its reason (the evidence it was registered from)")


@dataclass(frozen=True)
class Claim:
    """One claim of the paper: metadata, the comparisons that decide it, and its figures."""

    id: str
    statement: str
    source: str
    paper_numbers: str
    checks: Sequence[Any]
    at: Sequence[float] = ()  # the Pm levels (percent) at which every check runs; () for checks with their own
    holds: str = "every comparison holds"  # the intersection-union's label, in words
    figures: Sequence[Callable] = ()
    equivalence: float | str | None = None  # the margin (effect units, or a preset field) within which "no effect"
    equivalence_why: str = ""  # the reason for that margin, registered with it
    expected: dict[str, Expected] = field(default_factory=dict)  # scale -> the outcome expected there, and why
    reported: Sequence[Any] = ()  # checks run and recorded beside the verdict, never part of it (e.g. a plateau)
    reported_why: str = ""  # why the ``reported`` checks are reported and not asserted
    paper_values: Sequence[Any] = ()  # the paper's own numbers, measured beside the verdict (lth.claimkit.magnitude)

    def __post_init__(self):
        registry.family_of(self.id)  # an unregistered claim is an error at import, not a silent change of m
        if self.equivalence is None or not self.equivalence_why.strip():
            raise ValueError(f"{self.id}: every registered claim declares an equivalence margin with its reason "
                             f"(equivalence=..., equivalence_why=...)")
        for scale, e in self.expected.items():
            if not isinstance(e, Expected):
                raise ValueError(f"{self.id}: expected[{scale!r}] is an Expected(verdict, reason), got {e!r}")

    @property
    def family(self) -> str:
        """The registered family (lth/registry.py): its size is the m of this claim's alpha."""
        return registry.family_of(self.id)

    @property
    def families(self) -> set[str]:
        return {arm.family for check in (*self.checks, *self.reported) for arm in check.arms} or {"lenet-iterative"}

    @property
    def schedule(self) -> int:
        """When the plugin starts this claim relative to others (lower first): see :data:`FAMILY_ORDER`."""
        return min(FAMILY_ORDER.get(f, 0) for f in self.families)

    def needs(self, lab) -> list[tuple[Any, Any]]:
        """Every (arm, level) the claim's checks, reported checks and figures read at this lab's preset."""
        out = [need for level in (self.at or (None,)) for check in (*self.checks, *self.reported)
               for need in check.needs(lab, level)]
        for build in self.figures:
            out += build.needs(lab) if hasattr(build, "needs") else []
        for value in self.paper_values:
            out += value.needs(lab)
        return out

    @property
    def test(self) -> Callable:
        """The pytest test function of this claim (bind it to a ``test_*`` name in a claims module)."""
        declared = self

        def test(claim) -> None:  # claim: the lth.claimkit.run.ClaimRun the plugin's fixture gives
            claim.check(declared)

        test.__doc__ = f"{self.id}: {self.statement}"
        test.lth_claim = self
        marks = [pytest.mark.claim(id=self.id, statement=self.statement, source=self.source,
                                   paper_numbers=self.paper_numbers)]
        marks += [pytest.mark.lth_expect(scale=scale, verdict=e.verdict, reason=e.reason)
                  for scale, e in self.expected.items()]
        for mark in marks:
            test = mark(test)
        return test
