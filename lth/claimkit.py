"""Declaring a claim, and running one: what a claim module holds and what its test does.

A claim module declares one :class:`Claim` (its metadata, its checks from :mod:`lth.checks`,
its figures from :mod:`lth.figures`) and binds ``Claim.test`` to a ``test_*`` name; the
plugin's ``claim`` fixture gives the test a :class:`ClaimRun`, which runs the checks,
combines them (intersection-union: the claim holds only if every comparison does), records
the evidence and fails the test unless the claim is reproduced.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import pytest

from lth import registry, stats
from lth.arms import FAMILY_ORDER

EVIDENCE = "lth_claim"
INFO = "lth_claim_info"  # the claim's marker data, attached before it runs, so a crash is reported too


class NotReproduced(pytest.fail.Exception):  # type: ignore[name-defined,misc]
    """A claim test's failure when the claim is neither reproduced nor contradicted.

    The one failure an ``lth_xfail`` marker absorbs: a contradicted claim or a crash still fails.
    """


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
    xfail: dict[str, str] = field(default_factory=dict)  # scale -> reason: does not reproduce there (the pilot)
    reported: Sequence[Any] = ()  # checks run and recorded beside the verdict, never part of it (e.g. a plateau)
    reported_why: str = ""  # why the ``reported`` checks are reported and not asserted

    def __post_init__(self):
        registry.family_of(self.id)  # an unregistered claim is an error at import, not a silent change of m

    @property
    def family(self) -> str:
        """The registered family (lth/registry.py): its size is the m of this claim's alpha."""
        return registry.family_of(self.id)

    @property
    def families(self) -> set[str]:
        return {arm.family for check in (*self.checks, *self.reported) for arm in check.arms} or {"lenet-iterative"}

    @property
    def schedule(self) -> int:
        """When the plugin starts this claim relative to others (lower first): see lth.arms.FAMILY_ORDER."""
        return min(FAMILY_ORDER.get(f, 0) for f in self.families)

    @property
    def test(self) -> Callable:
        """The pytest test function of this claim (bind it to a ``test_*`` name in a claims module)."""
        declared = self

        def test(claim: "ClaimRun") -> None:
            claim.check(declared)

        test.__doc__ = f"{self.id}: {self.statement}"
        test.lth_claim = self
        marks = [pytest.mark.claim(id=self.id, statement=self.statement, source=self.source,
                                   paper_numbers=self.paper_numbers)]
        marks += [pytest.mark.lth_xfail(scale=scale, reason=reason) for scale, reason in self.xfail.items()]
        for mark in marks:
            test = mark(test)
        return test


class ClaimRun:
    """What a claim test reports: ``conclude`` records the evidence and fails unless reproduced."""

    def __init__(self, item: pytest.Item, lab):
        mark = item.get_closest_marker("claim")
        if mark is None:
            raise pytest.UsageError(f"{item.nodeid} uses the claim fixture without @pytest.mark.claim(...)")
        self.item, self.lab, self.info = item, lab, dict(mark.kwargs)
        self.family = registry.family_of(self.info["id"])
        self.m = registry.m(self.info["id"])
        self.alpha = lab.preset.family_alpha / self.m  # Bonferroni over the claims registered in the family
        self.info["family"] = self.family
        self.scale = item.config.getoption("--lth-scale")
        self._timings_start = len(lab.timings)

    @property
    def options(self) -> dict:
        """Keyword arguments every lth.stats test of this claim takes: its alpha, bootstrap seed and resamples."""
        return {"alpha": self.alpha, "seed": self.seed, "n_resamples": self.lab.preset.bootstrap_resamples}

    @property
    def seed(self) -> int:
        """Seed for this claim's bootstrap: derived from the seed base, so intervals are reproducible."""
        return self.lab.seed_base

    def check(self, claim: Claim) -> None:
        """Run a declared claim's checks against the lab, combine them and conclude."""
        parts, text = self._run(claim.checks, claim.at)
        extra: dict = {}
        if claim.reported:
            shown, words = self._run(claim.reported, claim.at)
            extra["reported"] = [r.to_dict() for r in shown]
            extra["reported_why"] = claim.reported_why
            text.append("reported, not asserted: " + "; ".join(words))
        result = parts[0] if len(parts) == 1 else stats.all_hold(parts, label=claim.holds)
        figures = []
        for build in claim.figures:
            spec = build(self.lab)
            figures += spec if isinstance(spec, list) else [spec]
        seeds = {}
        if claim.families - {"xor", "fmnist"}:
            seeds["mnist"] = self.lab.seeds("mnist")
        if "fmnist" in claim.families:
            seeds["fashion-mnist"] = self.lab.on("fashion-mnist").seeds("mnist")
        if "xor" in claim.families:
            seeds["xor"] = self.lab.seeds("xor")
        self.conclude(result, measured="; ".join(text), figures=figures, seeds=seeds, extra=extra)

    def _run(self, checks: Sequence[Any], at: Sequence[float]) -> tuple[list, list[str]]:
        parts, text = [], []
        for level in at or (None,):
            for check in checks:
                results, words = check.run(self.lab, self.options, level)
                parts += results
                text += words
        return parts, text

    def conclude(self, result, *, measured: str, figures: list[dict], seeds: dict[str, list[int]],
                 extra: dict | None = None) -> None:
        verdict = stats.verdict(result, self.alpha)
        evidence = {
            **self.info, "nodeid": self.item.nodeid, "scale": self.scale, "alpha": self.alpha,
            "family_alpha": self.lab.preset.family_alpha, "m": self.m, "verdict": verdict,
            "test": result.test, "p_value": result.p_value, "p_opposite": result.p_opposite,
            "effect": result.effect, "effect_label": result.effect_label, "ci": list(result.ci), "n": result.n,
            "mde": result.mde, "comparisons": result.components or [result.to_dict()], "measured": measured,
            "seeds": {k: [int(v[0]), int(v[-1])] for k, v in seeds.items()}, "figures": figures,
            "experiments": self.lab.timings[self._timings_start:], **(extra or {}),
        }
        self.item.user_properties.append((EVIDENCE, json.loads(json.dumps(evidence, default=float))))
        if verdict == stats.REPRODUCED or self.scale == "smoke":
            return
        seed_text = ", ".join(f"{k} seeds {a}..{b}" for k, (a, b) in evidence["seeds"].items())
        message = (f"{self.info.get('id')} {verdict}: {self.info.get('statement')} Measured: {measured}. "
                   f"{result.effect_label} = {result.effect:+.4g} (95% CI {result.ci[0]:+.4g} to {result.ci[1]:+.4g}), "
                   f"p = {result.p_value:.3g} against alpha = {self.alpha:.3g} ({result.test}); {seed_text}.")
        if verdict == stats.NOT_REPRODUCED:
            raise NotReproduced(message, pytrace=False)
        pytest.fail(message, pytrace=False)
