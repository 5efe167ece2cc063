"""The claims page: one self-contained HTML file built from ``claims.json`` with Jinja.

``write_html(json_path)`` reads what a claims run wrote (``reports/claims.json``), checks it
against the schema (lth/schemas/claims.schema.json) and writes ``claims.html`` beside it:
verdict counts, the run's provenance and the command that repeats it, a verdict table, a
section per claim (method, comparisons, the paper's number beside ours, figures drawn by
lth.plots) and the protocol. Building twice from the same ``claims.json`` gives the same bytes
(no build time in the page; the figures are reproducible too).

Problems with the input raise ``ReportError``, one line that names the file and the problem
(for a schema violation: the field), which ``python -m lth report`` prints before exiting 2.
"""
from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

from lth import stats
from lth.claimkit import families as registry
from lth.core.atomic import write_atomic
from lth.report import schema
from lth.report.fmt import (finite, fmt_ci, fmt_n, fmt_num, fmt_p, fmt_seconds, fmt_seeds, fmt_value, natural,
                     reproduce_command, slug)
from lth.report.plots import render_figure

__all__ = ["ReportError", "load_claims", "render_html", "write_html", "STATUSES", "TEMPLATES"]

TEMPLATES = Path(__file__).parent / "templates"

# status of a claim on the page, in the order of the header's counts: (label, plural label, mark)
STATUSES = {
    "reproduced": ("reproduced", "reproduced", "\u2713"),
    "absent": ("absent", "absent", "\u2205"),
    "inconclusive": ("inconclusive", "inconclusive", "?"),
    "not reproduced": ("not reproduced", "not reproduced", "\u2013"),  # files from before claims v3
    "contradicted": ("contradicted", "contradicted", "\u2717"),
    "xfailed": ("expected failure", "expected failures", "\u2298"),
    "error": ("error", "errors", "!"),
}


class ReportError(ValueError):
    """claims.json cannot be read or does not follow the schema (or a page cannot be
    photographed); the message is one line naming the file and the problem."""


# --------------------------------------------------------------------------- loading

def load_claims(path: str | Path) -> dict:
    """Read ``claims.json`` and check it against the schema; raise ReportError naming the file and the problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ReportError(f"{path}: no such file (a claims run, `pytest claims/`, writes it)") from None
    except IsADirectoryError:
        raise ReportError(f"{path}: is a directory, not a claims.json file") from None
    except UnicodeDecodeError as e:
        raise ReportError(f"{path}: not UTF-8 text ({e.reason} at byte {e.start})") from None
    except OSError as e:
        raise ReportError(f"{path}: cannot read ({e.strerror or e})") from None
    try:
        doc = json.loads(text)  # NaN and Infinity tokens of older files are read as floats
    except json.JSONDecodeError as e:
        raise ReportError(f"{path}: invalid JSON at line {e.lineno} column {e.colno}: {e.msg}") from None
    if not isinstance(doc, dict):
        raise ReportError(f"{path}: expected a JSON object at the top, found {type(doc).__name__}")
    try:
        schema.validate(doc)
    except schema.SchemaError as e:
        raise ReportError(f"{path}: {e}") from None
    problem = inconsistency(doc)
    if problem:
        raise ReportError(f"{path}: {problem}")
    return doc


def inconsistency(doc: dict) -> str | None:
    """The first claim whose numbers contradict themselves (a verdict p and alpha do not give, an interval
    whose ends are swapped), in one line; None when there is none. The schema checks types, this checks sense."""
    for c in doc.get("claims") or []:
        cid, verdict = c.get("id"), c.get("verdict")
        p, p_opp, alpha = finite(c.get("p_value")), finite(c.get("p_opposite")), finite(c.get("alpha"))
        p_eq = finite(c.get("p_equivalence"))
        if p is not None and alpha is not None and verdict in (*stats.VERDICTS, stats.NOT_REPRODUCED):
            result = SimpleNamespace(p_value=p, p_opposite=1.0 if p_opp is None else p_opp, p_equivalence=p_eq)
            # an A/A check (0.1.0's CAL-1): reproduced means not significant
            implied = stats.verdict(result, alpha, aa="A/A" in str(c.get("test", "")))
            if verdict == stats.NOT_REPRODUCED and implied in (stats.ABSENT, stats.INCONCLUSIVE):
                implied = verdict  # before claims v3 the two were one verdict
            if verdict != implied:
                return (f"claim {cid}: verdict {verdict!r} contradicts its numbers (p = {p:.3g}, p_opposite = "
                        f"{p_opp if p_opp is None else format(p_opp, '.3g')}, alpha = {alpha:.3g} give {implied!r})")
        lo, hi = (finite(x) for x in (c.get("ci") or [None, None]))
        if lo is not None and hi is not None and lo > hi:
            return f"claim {cid}: its interval [{lo:.4g}, {hi:.4g}] ends below its start"
    return None


# --------------------------------------------------------------------------- page

def _status(c: dict) -> str:
    if c.get("outcome") == "xfailed":
        return "xfailed"
    v = c.get("verdict")
    return v if v in STATUSES else "error"


def _expected_outcome(status: str) -> str:
    return "passed" if status == "reproduced" else "failed"


def _claim_view(c: dict, counter: list[int]) -> dict:
    status = _status(c)
    label, _, mark = STATUSES[status]
    verdict = str(c.get("verdict", ""))
    if status == "error" and verdict not in ("", "error"):
        label = verdict
    outcome = c.get("outcome")
    figures = []
    for spec in c.get("figures") or []:
        counter[0] += 1
        svg, notes = render_figure(spec, prefix=f"f{counter[0]}-")
        kind = spec.get("type") if isinstance(spec, dict) else None
        wide = kind == "hist" and len((spec or {}).get("panels") or []) > 1
        figures.append({"svg": svg, "notes": notes, "type": str(kind), "wide": wide,
                        "title": str(spec.get("title", "")) if isinstance(spec, dict) else ""})
    comparisons = []
    for k in c.get("comparisons") or []:
        if isinstance(k, dict):
            cens = k.get("censored")
            comparisons.append({"label": str(k.get("label", "")), "test": str(k.get("test", "")),
                                "p_value": k.get("p_value"), "p_opposite": k.get("p_opposite"),
                                "p_equivalence": k.get("p_equivalence"),
                                "censored": " / ".join("-" if x is None else f"{x:.0%}" for x in cens) if cens else "-",
                                "effect": k.get("effect"), "effect_label": str(k.get("effect_label", "")),
                                "ci": k.get("ci"), "n": k.get("n"), "mde": k.get("mde"), "alpha": k.get("alpha")})
    cid = str(c.get("id"))
    return {
        "id": cid, "anchor": "claim-" + slug(cid), "statement": str(c.get("statement", "")),
        "source": str(c.get("source", "") or ""), "paper_numbers": str(c.get("paper_numbers", "") or ""),
        "measured": str(c.get("measured", "") or ""), "nodeid": str(c.get("nodeid", "") or ""),
        "status": status, "status_class": status.replace(" ", "-"), "label": label, "mark": mark,
        "verdict": verdict, "outcome": str(outcome or ""),
        "outcome_note": bool(outcome) and status != "xfailed" and outcome != _expected_outcome(status),
        "xfail_reason": str(c.get("xfail_reason", "") or ""),
        "test": str(c.get("test", "") or ""), "alpha": c.get("alpha"), "family_alpha": c.get("family_alpha"),
        "m": c.get("m"), "p_value": c.get("p_value"), "p_holm": c.get("p_holm"), "p_opposite": c.get("p_opposite"),
        "effect": c.get("effect"), "effect_label": str(c.get("effect_label", "") or ""), "ci": c.get("ci"),
        "n": c.get("n"), "mde": c.get("mde"), "seeds": fmt_seeds(c.get("seeds")), "scale": str(c.get("scale", "")),
        "p_equivalence": c.get("p_equivalence"), "equivalence_margin": c.get("equivalence_margin"),
        "equivalence_why": str(c.get("equivalence_why", "") or ""), "resolution": str(c.get("resolution", "") or ""),
        "seeds_to_decide": c.get("seeds_to_decide"),
        "fixed_budget": str(c.get("decided_as", "")).startswith("a fixed-budget"),
        "decided_as": str(c.get("decided_as", "") or ""),
        "magnitude": [{"label": str(m.get("label", "")), "paper": m.get("paper"), "ours": m.get("ours"),
                       "ci": m.get("ci"), "inside": m.get("inside")} for m in c.get("magnitude") or [] if isinstance(m, dict)],
        "comparisons": comparisons, "figures": figures, "error": str(c.get("error", "") or ""),
        "reported": [{"label": str(k.get("label", "")), "test": str(k.get("test", "")), "p_value": k.get("p_value"),
                      "effect": k.get("effect"), "effect_label": str(k.get("effect_label", "")), "ci": k.get("ci"),
                      "n": k.get("n")} for k in c.get("reported") or [] if isinstance(k, dict)],
        "reported_why": str(c.get("reported_why", "") or ""), "family": str(c.get("family", "") or ""),
        "preregistration": _standing_words(c.get("preregistration")),
        "changed_after": isinstance(c.get("preregistration"), dict)
        and c["preregistration"].get("status") == "changed after pre-registration",
    }


def _standing_words(standing) -> str:
    """A claim against its pre-registration, in words (files before 0.4.0 record none)."""
    if not isinstance(standing, dict):
        return "pre-registration not recorded (a file from before 0.4.0)"
    return str(standing.get("words") or standing.get("status") or "")


def _provenance_words(doc: dict) -> str:
    p = doc.get("provenance")
    if not isinstance(p, dict):
        return "not recorded (a file from before 0.4.0)"
    reg = p.get("preregistration")
    where = ("none for this scale" if not isinstance(reg, dict) else
             f"{reg.get('file')} (SHA-256 {str(reg.get('sha256'))[:12]}), committed in {str(reg.get('commit'))[:12]} on "
             f"{str(reg.get('date'))[:10]}" if reg.get("commit") else f"{reg.get('file')}, not committed")
    dirty = p.get("dirty_files")
    tree = "unknown (no git)" if dirty is None else "clean" if not dirty else f"{len(dirty)} files differ from the commit"
    return (f"{'verdict run (declarations, preset and code checked against the pre-registration)' if p.get('verdict_run') else 'not a verdict run'}; "
            f"commit from {p.get('commit_from')}; working tree {tree}; pre-registration: {where}")


def _experiments(claims: list[dict]) -> list[dict]:
    """One row per experiment: the time it took to compute (or to load, when every use was a cache hit)."""
    rows: dict[str, dict] = {}
    for c in claims:
        for e in c.get("experiments") or []:
            if not isinstance(e, dict) or "experiment" not in e:
                continue
            name = str(e["experiment"])
            row = rows.setdefault(name, {"name": name, "computed": [], "loaded": [], "claims": []})
            (row["loaded"] if e.get("cached") else row["computed"]).append(finite(e.get("wall_s")) or 0.0)
            if str(c.get("id")) not in row["claims"]:
                row["claims"].append(str(c.get("id")))
    out = []
    for row in rows.values():
        cached = not row["computed"]
        out.append({"name": row["name"], "cached": cached,
                    "wall_s": max(row["loaded"]) if cached else max(row["computed"]),
                    "uses": len(row["computed"]) + len(row["loaded"]), "claims": ", ".join(row["claims"])})
    return sorted(out, key=lambda r: natural(r["name"]))


def render_html(doc: dict, source_name: str = "claims.json") -> str:
    """The page for a claims document (as ``load_claims`` returns it: checked against the schema)."""
    import jinja2

    counter = [0]
    claims = [_claim_view(c, counter) for c in doc.get("claims") or []]
    rank = {f: i for i, f in enumerate(registry.ORDER)}
    claims.sort(key=lambda c: rank.get(c["family"], len(rank)))  # the paper's, the seed's, then beyond (stable)
    counts = [{"status": k, "status_class": k.replace(" ", "-"), "label": v[1], "mark": v[2],
               "count": sum(c["status"] == k for c in claims)} for k, v in STATUSES.items()]
    seeds = doc.get("seeds") if isinstance(doc.get("seeds"), dict) else {}
    experiments = _experiments(doc.get("claims") or [])
    protocol = [{"name": str(p.get("name", "")), "value": fmt_value(p.get("value")), "reason": str(p.get("reason", ""))}
                for p in doc.get("protocol") or [] if isinstance(p, dict)]
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(num=fmt_num, p=fmt_p, ci=fmt_ci, n=fmt_n, secs=fmt_seconds, value=fmt_value)
    versions = doc.get("versions") if isinstance(doc.get("versions"), dict) else {}
    # the run records how many claim tests it collected: more than recorded means some never concluded
    collected = int(finite(doc.get("collected")) or len(claims))
    calibration = [c for c in doc.get("calibration") or [] if isinstance(c, dict)]
    return env.get_template("claims.html.j2").render(
        doc=doc, claims=claims, counts=counts, total=len(claims), seeds=seeds,
        seed_base=doc.get("seed_base"), scale=str(doc.get("scale")), device=str(doc.get("device") or "\u2014"),
        wall_time=fmt_seconds(doc.get("wall_time_s")), started=str(doc.get("started") or "\u2014"),
        git_commit=str(doc.get("git_commit") or "unknown"), versions=versions,
        command=reproduce_command(doc), family_alpha=doc.get("family_alpha"), m=doc.get("m", len(claims)),
        protocol=protocol, experiments=experiments, unrecorded=max(0, collected - len(claims)), collected=collected,
        incomplete=doc.get("complete") is False, interrupted=bool(doc.get("interrupted")), missing=doc.get("missing") or [],
        compute_s=sum(e["wall_s"] for e in experiments if not e["cached"]), source_name=source_name,
        calibration=calibration, titles=registry.TITLES, provenance=_provenance_words(doc),
    )


def write_html(json_path: str | Path, out_path: str | Path | None = None) -> Path:
    """Build the report from ``json_path``; write it to ``out_path`` (default: claims.html beside the json)."""
    json_path = Path(json_path)
    out = Path(out_path) if out_path is not None else json_path.with_name("claims.html")
    page = render_html(load_claims(json_path), source_name=json_path.name)
    out.parent.mkdir(parents=True, exist_ok=True)
    return write_atomic(out, lambda f: f.write(page), text=True)
