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
from lth.claimkit.check import preset_value
from lth.claimkit.claim import EVIDENCE, OUTCOMES, Claim
from lth.stats import equivalence


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
    eq = ("" if result.p_equivalence is None else
          f", equivalence within +-{result.equivalence_margin:g} p = {result.p_equivalence:.3g}")
    decide = f"; about {result.seeds_to_decide} seeds per arm would decide it" if result.seeds_to_decide else ""
    return (f"{info.get('id')} {verdict}: {info.get('statement')} Measured: {measured}. "
            f"{result.effect_label} = {result.effect:+.4g} (95% CI {result.ci[0]:+.4g} to {result.ci[1]:+.4g}), "
            f"p = {result.p_value:.3g} against alpha = {alpha:.3g} ({result.test}), opposite p = "
            f"{result.p_opposite:.3g}{eq}; MDE {result.mde:.3g}{decide}; {seed_text}.")


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
        margin = float(preset_value(self.lab, claim.equivalence))
        for part in parts:
            self._decide_equivalence(part, margin)
        extra: dict = {"equivalence_why": claim.equivalence_why,
                       "magnitude": [v.measure(self.lab, seed=self.seed, n_resamples=self.lab.preset.bootstrap_resamples)
                                     for v in claim.paper_values]}
        if claim.reported:
            shown, words = self._run(claim.reported, claim.at)
            extra["reported"] = [r.to_dict() for r in shown]
            extra["reported_why"] = claim.reported_why
            text.append("reported, not asserted: " + "; ".join(words))
        result = parts[0] if len(parts) == 1 else stats.all_hold(parts, label=claim.holds)
        self.conclude(result, measured="; ".join(text), figures=build_figures(claim, self.lab),
                      seeds=claim_seeds(claim, self.lab), extra=extra)

    def _decide_equivalence(self, part: stats.TestResult, margin: float) -> None:
        """The comparison's TOST at the claim's margin, and the seeds that would decide it."""
        part.equivalence_margin = margin
        if not part.resolution:
            part.resolution = ("a model's p (t, normal or hypergeometric distribution): no floor, so a p far below "
                               "1/2^n is the model's tail, not what the seeds alone can show")
        part.p_equivalence = equivalence.of_comparison(part.per_seed, margin)
        alternative = (part.per_seed or {}).get("alternative", "greater")
        part.seeds_to_decide = stats.seeds_to_decide(min(part.n) if part.n else 0, part.mde, part.effect,
                                                     margin, alternative)

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
            "mde": result.mde, "p_equivalence": result.p_equivalence, "equivalence_margin": result.equivalence_margin,
            "p_floor": result.p_floor, "resolution": result.resolution, "seeds_to_decide": result.seeds_to_decide,
            "decided_as": ("the paper's claim" if not result.fixed_budget else
                           f"a fixed-budget comparison ({result.fixed_budget:,} iterations a round, early stopping "
                           f"censored by the budget): not the paper's claim at this scale, which decides it at the "
                           f"paper scale"),
            "comparisons": result.components or [result.to_dict()], "measured": measured,
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
        if verdict in OUTCOMES:  # absent or inconclusive: what an expected outcome may absorb
            raise OUTCOMES[verdict](message, pytrace=False)
        pytest.fail(message, pytrace=False)
