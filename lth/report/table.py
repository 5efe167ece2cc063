"""Tables out of claims.json: the verdict table and the per-seed data, as Markdown or CSV (``lth table``).

The per-seed table is long form, one row per (claim, comparison, arm, seed): what a pandas user or a
referee needs to re-run a test (``pandas.read_csv``; the ``design``, ``alternative`` and ``margin``
columns say which test ran).
"""
from __future__ import annotations

import csv
import io
from typing import Iterable

from lth.report.fmt import finite

VERDICT_COLUMNS = ("run", "claim", "family", "verdict", "p", "p_floor", "alpha", "p_equivalence", "equivalence_margin",
                   "effect", "effect_label", "ci_low", "ci_high", "mde", "seeds_to_decide", "censored_max", "decided_as", "paper_value",
                   "ours", "ours_ci_low", "ours_ci_high", "paper_inside", "outcome", "preregistration")
PER_SEED_COLUMNS = ("run", "claim", "comparison", "design", "alternative", "margin", "arm", "level", "level_value",
                    "metric", "seed", "value")


def _comparisons(claim: dict) -> Iterable[dict]:
    for c in claim.get("comparisons") or []:
        yield c
        yield from c.get("components") or []


def verdict_rows(doc: dict, run: str = "") -> list[dict]:
    rows = []
    for c in doc.get("claims") or []:
        ci = c.get("ci") or [None, None]
        cens = [finite(x) for comp in _comparisons(c) for x in (comp.get("censored") or [])]
        cens = [x for x in cens if x is not None]
        rows.append({"run": run, "claim": c.get("id"), "family": c.get("family"), "verdict": c.get("verdict"),
                     "p": finite(c.get("p_value")), "p_floor": finite(c.get("p_floor")), "alpha": finite(c.get("alpha")),
                     "p_equivalence": finite(c.get("p_equivalence")),
                     "equivalence_margin": finite(c.get("equivalence_margin")), "mde": finite(c.get("mde")),
                     "seeds_to_decide": c.get("seeds_to_decide"), "effect": finite(c.get("effect")),
                     "effect_label": c.get("effect_label"), "ci_low": finite(ci[0]), "ci_high": finite(ci[1]),
                     "censored_max": max(cens) if cens else None, "outcome": c.get("outcome"),
                     "decided_as": "fixed budget" if str(c.get("decided_as", "")).startswith("a fixed-budget")
                     else "paper's claim" if c.get("decided_as") else None,
                     "preregistration": (c.get("preregistration") or {}).get("status"), **_magnitude(c)})
    return rows


def _magnitude(claim: dict) -> dict:
    """The claim's first paper value beside ours (the verdict table has one row per claim)."""
    m = (claim.get("magnitude") or [None])[0]
    if not m:
        return {"paper_value": None, "ours": None, "ours_ci_low": None, "ours_ci_high": None, "paper_inside": None}
    ci = m.get("ci") or [None, None]
    return {"paper_value": finite(m.get("paper")), "ours": finite(m.get("ours")), "ours_ci_low": finite(ci[0]),
            "ours_ci_high": finite(ci[1]), "paper_inside": m.get("inside")}


def per_seed_rows(doc: dict, run: str = "") -> list[dict]:
    rows = []
    for c in doc.get("claims") or []:
        for comp in _comparisons(c):
            data = comp.get("per_seed")
            if not data:
                continue
            for arm in data["arms"]:
                for seed, value in zip(arm["seeds"], arm["values"]):
                    rows.append({"run": run, "claim": c.get("id"), "comparison": comp.get("label"),
                                 "design": data["design"], "alternative": data["alternative"],
                                 "margin": data.get("margin"), "arm": arm["arm"], "level": arm["level"],
                                 "level_value": arm.get("level_value"),
                                 "metric": arm["metric"], "seed": seed, "value": value})
    return rows


def to_csv(rows: list[dict], columns: tuple[str, ...]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _cell(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.3g}"
    return str(v).replace("|", "\\|")


def to_markdown(rows: list[dict], columns: tuple[str, ...]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "| " + " | ".join("---" for _ in columns) + " |"]
    lines += ["| " + " | ".join(_cell(r.get(k)) for k in columns) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def render(paths: Iterable[str], *, per_seed: bool = False, csv_out: bool = False,
           columns: Iterable[str] | None = None, root: str | None = None) -> str:
    """``lth table``'s output for claims.json files (paths relative to ``root`` when given)."""
    import os

    from lth.report.page import load_claims

    every = PER_SEED_COLUMNS if per_seed else VERDICT_COLUMNS
    chosen = tuple(columns) if columns else every
    unknown = [c for c in chosen if c not in every]
    if unknown:
        raise ValueError(f"unknown column {unknown[0]!r}; the columns are {', '.join(every)}")
    rows: list[dict] = []
    for path in paths:
        doc = load_claims(os.path.join(root, path) if root else path)
        rows += (per_seed_rows if per_seed else verdict_rows)(doc, run=str(path))
    return (to_csv if csv_out else to_markdown)(rows, chosen)
