"""Equivalence: two one-sided tests (TOST) at a pre-registered margin, with the design the comparison used.

"Not reproduced" is never "no effect" without this test. The effect is equivalent to zero within
``margin`` when both one-sided tests reject: effect > -margin and effect < +margin; p is the larger
of the two (Schuirmann 1987). Each side is the comparison's own design shifted by the margin (the
sign-flip test of the within-seed differences d + margin and d - margin; the one-sample t of the
values against threshold -/+ margin), so its exactness carries over. A non-inferiority comparison
asks another question (is the effect above -margin?) and has no TOST here.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import stats

from lth.stats import designs

TWO_ARM = ("signflip", "paired-t", "welch", "wilcoxon")  # designs whose vectorised core takes a shift


def tost(design: str, a, b, margin: float) -> float | None:
    """TOST p that a - b lies within (-margin, +margin), by ``design``; None where the design has no shifted form."""
    if design not in TWO_ARM or not margin or margin <= 0:
        return None
    from lth.stats.paired import pairs, p_values

    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if designs.get(design).paired:
        a, b, _ = pairs(a, b)
    else:
        a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if min(len(a), len(b)) < 2:
        return None
    above = float(p_values(design, a, b, alternative="greater", margin=margin))  # H1: a - b > -margin
    below = float(p_values(design, a, b, alternative="less", margin=-margin))  # H1: a - b < +margin
    return max(above, below)


def tost_one_sample(values, threshold: float, margin: float) -> float | None:
    """TOST p that mean(values) lies within ``margin`` of ``threshold`` (one-sample t each side)."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if len(v) < 2 or not margin or margin <= 0 or np.ptp(v) == 0:
        return None
    above = stats.ttest_1samp(v, threshold - margin, alternative="greater").pvalue
    below = stats.ttest_1samp(v, threshold + margin, alternative="less").pvalue
    p = max(float(above), float(below))
    return p if math.isfinite(p) else None


def tost_rates(a, b, margin: float, paired: bool) -> float | None:
    """TOST p that the difference of success rates lies within ``margin`` (normal approximation, scipy.stats.norm):
    unpaired, the Wald standard error of two proportions; paired, McNemar's (from the discordant seeds)."""
    a, b = np.asarray(a, dtype=float) > 0.5, np.asarray(b, dtype=float) > 0.5
    if not margin or margin <= 0 or min(len(a), len(b)) < 2:
        return None
    d = a.mean() - b.mean()
    if paired:
        n = len(a)
        b01, b10 = int((a & ~b).sum()), int((~a & b).sum())
        se = math.sqrt(max(b01 + b10 - (b01 - b10) ** 2 / n, 0.0)) / n
    else:
        se = math.sqrt(a.mean() * (1 - a.mean()) / len(a) + b.mean() * (1 - b.mean()) / len(b))
    if se == 0:
        return 0.0 if abs(d) < margin else 1.0
    return float(max(stats.norm.sf((d + margin) / se), stats.norm.sf((margin - d) / se)))


def of_comparison(per_seed: dict | None, margin: float | None) -> float | None:
    """TOST p of one comparison from the data it ran on (its ``per_seed`` record); None where it has none."""
    if not per_seed or margin is None or per_seed.get("margin"):
        return None  # non-inferiority comparisons (a margin of their own) ask whether the effect is above -margin
    arms = per_seed.get("arms") or []
    if per_seed.get("design") == "one-sample-t" and len(arms) == 1:
        return tost_one_sample(arms[0]["values"], float(per_seed["threshold"]), margin)
    if len(arms) == 2 and per_seed.get("design") in ("fisher", "mcnemar"):
        return tost_rates(arms[0]["values"], arms[1]["values"], margin, paired=per_seed["design"] == "mcnemar")
    if len(arms) == 2:
        return tost(per_seed.get("design", ""), arms[0]["values"], arms[1]["values"], margin)
    return None
