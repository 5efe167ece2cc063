"""Running a declared claim: its checks against the Lab, the intersection-union, the evidence and the verdict.

The plugin's ``claim`` fixture gives each claim test a :class:`ClaimRun`; ``check`` runs the claim's
checks, combines them (the claim holds only if every comparison does), builds its figures, records the
evidence as plain data in the test report and fails the test unless the claim is reproduced.
"""
from __future__ import annotations

import json
from typing import Any, Sequence

import pytest

from lth import stats
from lth.claimkit import families as registry
from lth.claimkit.claim import EVIDENCE, Claim, NotReproduced


def claim_seeds(claim: Claim, lab) -> dict[str, list[int]]:
    """The seeds the claim's evidence names, per data set its arms read."""
    datasets = {arm.dataset if not arm.source.startswith("xor") else "xor"
                for check in (*claim.checks, *claim.reported) for arm in check.arms} or {"mnist"}
    return {name: lab.seeds("xor") if name == "xor" else lab.on(name).seeds()
            for name in ("mnist", "fashion-mnist", "xor") if name in datasets}


def build_figures(claim: Claim, lab) -> list[dict]:
    figures: list[dict] = []
    for build in claim.figures:
        spec = build(lab)
        figures += spec if isinstance(spec, list) else [spec]
    return figures


def failure_message(info: dict, verdict: str, result: stats.TestResult, measured: str, alpha: float,
                    seeds: dict[str, list[int]]) -> str:
    """The one paragraph a failing claim prints: claim, measurement, effect, interval, p against alpha, seeds."""
    seed_text = ", ".join(f"{k} seeds {a}..{b}" for k, (a, b) in seeds.items())
    return (f"{info.get('id')} {verdict}: {info.get('statement')} Measured: {measured}. "
            f"{result.effect_label} = {result.effect:+.4g} (95% CI {result.ci[0]:+.4g} to {result.ci[1]:+.4g}), "
            f"p = {result.p_value:.3g} against alpha = {alpha:.3g} ({result.test}); {seed_text}.")


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
        self.conclude(result, measured="; ".join(text), figures=build_figures(claim, self.lab),
                      seeds=claim_seeds(claim, self.lab), extra=extra)

    def _run(self, checks: Sequence[Any], at: Sequence[float]) -> tuple[list, list[str]]:
        parts, text = [], []
        for level in at or (None,):
            for check in checks:
                results, words = check.run(self.lab, self.options, level)
                parts += results
                text += words
        return parts, text

    def evidence(self, result: stats.TestResult, verdict: str, *, measured: str, figures: list[dict],
                 seeds: dict[str, list[int]], extra: dict | None = None) -> dict:
        """The claim's evidence as plain data (lth/report/schemas/claims.schema.json, one claim)."""
        return {
            **self.info, "nodeid": self.item.nodeid, "scale": self.scale, "alpha": self.alpha,
            "family_alpha": self.lab.preset.family_alpha, "m": self.m, "verdict": verdict,
            "test": result.test, "p_value": result.p_value, "p_opposite": result.p_opposite,
            "effect": result.effect, "effect_label": result.effect_label, "ci": list(result.ci), "n": result.n,
            "mde": result.mde, "comparisons": result.components or [result.to_dict()], "measured": measured,
            "seeds": {k: [int(v[0]), int(v[-1])] for k, v in seeds.items()}, "figures": figures,
            "experiments": self.lab.timings[self._timings_start:], **(extra or {}),
        }

    def conclude(self, result: stats.TestResult, *, measured: str, figures: list[dict],
                 seeds: dict[str, list[int]], extra: dict | None = None) -> None:
        verdict = stats.verdict(result, self.alpha)
        evidence = self.evidence(result, verdict, measured=measured, figures=figures, seeds=seeds, extra=extra)
        self.item.user_properties.append((EVIDENCE, json.loads(json.dumps(evidence, default=float))))
        if verdict == stats.REPRODUCED or self.scale == "smoke":
            return
        message = failure_message(self.info, verdict, result, measured, self.alpha, evidence["seeds"])
        if verdict == stats.NOT_REPRODUCED:
            raise NotReproduced(message, pytrace=False)
        pytest.fail(message, pytrace=False)
