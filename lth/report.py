"""The claims report: one self-contained HTML page built from ``claims.json``.

``write_html(json_path)`` reads what a claims run wrote (``reports/claims.json``) and writes
``claims.html`` beside it: verdict counts, the run's provenance and the command that repeats
it, a verdict table, a section per claim (method, comparisons, the paper's number beside
ours, figures) and the protocol. Figures are drawn from the stored series with matplotlib
(no experiment is rerun) and inlined as SVG with text as paths, so the page needs no
script, font or network access; it reads the same offline and on paper.

Building twice from the same ``claims.json`` gives the same bytes (fixed SVG hash salt, no
dates in the SVG metadata, no build time in the page).

``python -m lth report [claims.json] [-o out.html]`` rebuilds the page from the command line;
``python -m lth screenshot claims.html -o screenshot.png`` takes the README screenshot.
"""
from __future__ import annotations

import html
import io
import json
import math
import re
import shlex
from pathlib import Path
from typing import Any, Iterable

__all__ = ["ReportError", "load_claims", "write_html", "render_html", "render_figure", "screenshot",
           "CHROMIUM", "CHROMIUM_ARGS"]

TEMPLATES = Path(__file__).parent / "templates"
REQUIRED_KEYS = ("scale", "seed_base", "seeds", "claims")
REQUIRED_CLAIM_KEYS = ("id", "statement", "verdict")

# status of a claim on the page, in the order of the header's counts: (label, plural label, mark)
STATUSES = {
    "reproduced": ("reproduced", "reproduced", "\u2713"),
    "not reproduced": ("not reproduced", "not reproduced", "\u2013"),
    "contradicted": ("contradicted", "contradicted", "\u2717"),
    "xfailed": ("expected failure", "expected failures", "\u2298"),
    "error": ("error", "errors", "!"),
}

# Okabe-Ito colours (colour-blind safe), without the yellow that vanishes on white
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
REFERENCE = "#4b5563"  # the dense network's horizontal line

RC = {
    "svg.fonttype": "path",  # glyphs as paths: no font is needed or fetched to read the SVG
    "svg.hashsalt": "lth-report",  # clip-path ids from a fixed salt: reproducible output
    "font.family": "DejaVu Sans",  # ships with matplotlib
    "font.size": 9.0,
    "axes.titlesize": 9.0,
    "axes.labelsize": 9.0,
    "xtick.labelsize": 8.0,
    "ytick.labelsize": 8.0,
    "legend.fontsize": 8.0,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#6b7280",
    "axes.linewidth": 0.8,
    "axes.labelcolor": "#1f2328",
    "axes.titlecolor": "#1f2328",
    "text.color": "#1f2328",
    "xtick.color": "#4b5563",
    "ytick.color": "#4b5563",
    "axes.grid": True,
    "grid.color": "#e5e7eb",
    "grid.linewidth": 0.6,
    "axes.axisbelow": True,
    "legend.frameon": False,
    "lines.linewidth": 1.6,
}
SVG_METADATA = {"Date": None, "Creator": None, "Format": None, "Type": None}  # no rdf block, no date


class ReportError(ValueError):
    """claims.json cannot be read or lacks what the report needs; the message is one line."""


# --------------------------------------------------------------------------- loading

def load_claims(path: str | Path) -> dict:
    """Read and check ``claims.json``; raise ReportError naming the file and the problem."""
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
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise ReportError(f"{path}: invalid JSON at line {e.lineno} column {e.colno}: {e.msg}") from None
    if not isinstance(doc, dict):
        raise ReportError(f"{path}: expected a JSON object at the top, found {type(doc).__name__}")
    missing = [k for k in REQUIRED_KEYS if k not in doc]
    if missing:
        raise ReportError(f"{path}: missing required key{'s' if len(missing) > 1 else ''} "
                          f"{', '.join(repr(k) for k in missing)}")
    if not isinstance(doc["claims"], list):
        raise ReportError(f"{path}: 'claims' must be a list, found {type(doc['claims']).__name__}")
    for i, c in enumerate(doc["claims"]):
        if not isinstance(c, dict):
            raise ReportError(f"{path}: claims[{i}] must be an object, found {type(c).__name__}")
        lacking = [k for k in REQUIRED_CLAIM_KEYS if k not in c]
        if lacking:
            name = f"claims[{i}]" + (f" ({c['id']})" if "id" in c else "")
            raise ReportError(f"{path}: {name} is missing required key{'s' if len(lacking) > 1 else ''} "
                              f"{', '.join(repr(k) for k in lacking)}")
    return doc


# --------------------------------------------------------------------------- numbers

def _finite(x: Any) -> float | None:
    """A float, or None for null, NaN, infinities and anything that is not a number."""
    if isinstance(x, bool) or x is None:
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def fmt_num(x: Any, signed: bool = False, zeros: bool = False) -> str:
    """A number for people: integers as such, three significant digits otherwise (``zeros``: keep
    trailing zeros, 0.680 not 0.68, so the ends of an interval line up)."""
    v = _finite(x)
    if v is None:
        return "\u2014"
    sign = "+" if signed and v > 0 else ""
    if v == int(v) and abs(v) < 1e6:
        return f"{sign}{int(v)}"
    if abs(v) >= 1000:
        return f"{sign}{v:,.0f}"
    if abs(v) >= 1e-4:  # three significant digits, trailing zeros kept: 0.680, 0.800
        return f"{sign}{v:#.3g}".rstrip(".") if zeros else f"{sign}{v:.3g}"
    return f"{sign}{v:.2e}"


def fmt_p(x: Any):
    """A p-value as HTML: 0.0123, or 2.5x10^-58 for small ones."""
    from markupsafe import Markup

    v = _finite(x)
    if v is None:
        return "\u2014"
    if v >= 1:
        return "1"
    if v >= 1e-3:
        return f"{v:.3g}"
    if v == 0:
        return Markup("&lt;10<sup>\u2212300</sup>")
    mant, exp = f"{v:.1e}".split("e")
    return Markup(f"{mant}\u00d710<sup>\u2212{abs(int(exp))}</sup>")


def fmt_ci(ci: Any) -> str:
    if not isinstance(ci, (list, tuple)) or len(ci) != 2:
        return "\u2014"
    lo, hi = ci
    if _finite(lo) is None and _finite(hi) is None:
        return "\u2014"
    return f"[{fmt_num(lo, zeros=True)}, {fmt_num(hi, zeros=True)}]"


def fmt_n(n: Any) -> str:
    if isinstance(n, (list, tuple)):
        return " + ".join(fmt_num(v) for v in n) if n else "\u2014"
    return fmt_num(n)


def fmt_seconds(x: Any) -> str:
    v = _finite(x)
    if v is None:
        return "\u2014"
    if v < 0.1:
        return f"{v * 1000:.0f} ms" if v > 0 else "0 s"
    if v < 60:
        return f"{v:.1f} s"
    m, s = divmod(int(round(v)), 60)
    if m < 60:
        return f"{m} min {s:02d} s"
    h, m = divmod(m, 60)
    return f"{h} h {m:02d} min"


def fmt_value(v: Any) -> str:
    """A protocol value in one line: lists comma-separated, dicts as key=value."""
    if isinstance(v, dict):
        return ", ".join(f"{k}={fmt_value(x)}" for k, x in v.items())
    if isinstance(v, (list, tuple)):
        return ", ".join(fmt_value(x) for x in v)
    if isinstance(v, float):
        return "NaN" if math.isnan(v) else repr(v) if abs(v) < 1e-3 and v != 0 else f"{v:g}"
    return "\u2014" if v is None else str(v)


def fmt_seeds(seeds: Any) -> str:
    if not isinstance(seeds, dict) or not seeds:
        return "\u2014"
    parts = []
    for kind, span in seeds.items():
        if isinstance(span, (list, tuple)) and len(span) == 2:
            parts.append(f"{kind} {span[0]}\u2013{span[1]}")
        else:
            parts.append(f"{kind} {fmt_value(span)}")
    return ", ".join(parts)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", str(text)).strip("-") or "claim"


def reproduce_command(doc: dict) -> str:
    """The run's command, with --lth-seed-base added when the run used the default."""
    cmd = str(doc.get("command") or "pytest claims/")
    try:
        tokens = shlex.split(cmd)
    except ValueError:
        tokens = cmd.split()
    if not any(t == "--lth-seed-base" or t.startswith("--lth-seed-base=") for t in tokens):
        cmd += f" --lth-seed-base {doc.get('seed_base', 0)}"
    return cmd


# --------------------------------------------------------------------------- figures

def _floats(values: Any, n: int | None = None) -> list[float]:
    vals = list(values) if isinstance(values, (list, tuple)) else []
    out = [v if (v := _finite(x)) is not None else math.nan for x in vals]
    if n is not None:
        out = (out + [math.nan] * n)[:n]
    return out


def _runs(mask: list[bool]) -> Iterable[tuple[int, int]]:
    """Start and end (exclusive) of each run of True."""
    start = None
    for i, m in enumerate([*mask, False]):
        if m and start is None:
            start = i
        elif not m and start is not None:
            yield start, i
            start = None


def _log_ticks(xs: list[float], priority: list[float], ratio: float = 1.6) -> list[float]:
    """Tick positions on a log axis: the x values to single out first (e.g. the levels the
    controls were run at), the largest value, then others at least ``ratio`` apart."""
    chosen: list[float] = []
    for x in [*priority, max(xs), *sorted(xs, reverse=True)]:
        if x > 0 and all(max(x, c) / min(x, c) >= ratio for c in chosen):
            chosen.append(x)
    return sorted(chosen)


def _tick_label(v: float) -> str:
    if v >= 10:
        return f"{v:.3g}"
    if v >= 1:
        return f"{v:g}" if v == int(v) else f"{v:.1f}"
    return f"{v:.2g}"


def _clamp_unit(ax, label: str, values: list[float]) -> None:
    """Accuracies, rates and fractions live in [0, 1]: keep wide bands (few seeds) from stretching the axis."""
    if values and min(values) >= 0 and max(values) <= 1 and re.search(r"accura|fraction|rate|auc", label, re.I):
        lo, hi = ax.get_ylim()
        ax.set_ylim(max(lo, -0.02), min(hi, 1.02))


def _draw_line(fig, spec: dict, notes: list[str]) -> None:
    from matplotlib.ticker import FixedLocator, FixedFormatter, NullLocator

    ax = fig.add_subplot()
    log = spec.get("xscale") == "log"
    all_x: list[float] = []
    all_y: list[float] = []
    short_x: list[float] = []
    series = [s for s in spec.get("series") or [] if isinstance(s, dict)]
    longest = max([len(s.get("x") or []) for s in series], default=0)
    mismatched: dict[tuple[int, int], list[str]] = {}
    for i, s in enumerate(series):
        color = PALETTE[i % len(PALETTE)]
        name = str(s.get("name", f"series {i + 1}"))
        xr, yr = s.get("x") or [], s.get("y") or []
        n = min(len(xr), len(yr))
        if len(xr) != len(yr):
            mismatched.setdefault((len(xr), len(yr)), []).append(name)
        x, y = _floats(xr, n), _floats(yr, n)
        lo, hi = _floats(s.get("lo"), n), _floats(s.get("hi"), n)
        ok = [math.isfinite(a) and math.isfinite(b) and (a > 0 or not log) for a, b in zip(x, y)]
        skipped = n - sum(ok)
        if skipped:
            notes.append(f"series '{name}': {skipped} point{'s' if skipped > 1 else ''} without a finite value "
                         "left out")
        px = [a for a, k in zip(x, ok) if k]
        py = [b for b, k in zip(y, ok) if k]
        if not px:
            continue
        all_x += px
        all_y += py
        if 2 * len(px) <= longest:  # a series run at a few levels only: its x values make the ticks
            short_x += px
        ax.plot(px, py, color=color, marker="o", markersize=3 if len(px) <= 30 else 0, label=name, zorder=3)
        plo = [a for a, k in zip(lo, ok) if k]
        phi = [b for b, k in zip(hi, ok) if k]
        band = [math.isfinite(a) and math.isfinite(b) for a, b in zip(plo, phi)]
        for a, b in _runs(band):
            if b - a > 1:
                ax.fill_between(px[a:b], plo[a:b], phi[a:b], color=color, alpha=0.16, linewidth=0, zorder=2)
            else:
                ax.errorbar([px[a]], [py[a]], yerr=[[py[a] - plo[a]], [phi[a] - py[a]]], color=color,
                            linewidth=1, capsize=2, zorder=2)
    for (nx, ny), names in mismatched.items():
        quoted = ", ".join(f"'{v}'" for v in names)
        notes.insert(0, f"series {quoted}: {nx} x values but {ny} y values; the first {min(nx, ny)} pairs are drawn")
    for j, h in enumerate([h for h in spec.get("hlines") or [] if isinstance(h, dict)]):
        y = _finite(h.get("y"))
        if y is None:
            notes.append(f"reference line '{h.get('name', j + 1)}' has no finite value and is left out")
            continue
        all_y.append(y)
        ax.axhline(y, color=REFERENCE, linestyle=(0, (5, 3)), linewidth=1.2, label=str(h.get("name", "reference")),
                   zorder=2.5)
        lo, hi = _finite(h.get("lo")), _finite(h.get("hi"))
        if lo is not None and hi is not None:
            ax.axhspan(lo, hi, color=REFERENCE, alpha=0.10, linewidth=0, zorder=1)
    if log:
        ax.set_xscale("log")
        if all_x:
            ticks = _log_ticks(all_x, sorted(set(short_x), reverse=True))
            ax.xaxis.set_major_locator(FixedLocator(ticks))
            ax.xaxis.set_major_formatter(FixedFormatter([_tick_label(t) for t in ticks]))
            ax.xaxis.set_minor_locator(NullLocator())
    if spec.get("xinvert"):
        ax.invert_xaxis()
    ax.set_xlabel(str(spec.get("xlabel", "")))
    ax.set_ylabel(str(spec.get("ylabel", "")))
    _clamp_unit(ax, str(spec.get("ylabel", "")), all_y)
    if all_x:
        ax.legend(loc="best")
    else:
        _no_data(ax)


def _draw_bar(fig, spec: dict, notes: list[str]) -> None:
    ax = fig.add_subplot()
    cats = [str(c) for c in spec.get("categories") or []]
    k = len(cats)
    y, lo, hi = _floats(spec.get("y"), k), _floats(spec.get("lo"), k), _floats(spec.get("hi"), k)
    ns = list(spec.get("n") or [])
    ns = (ns + [None] * k)[:k]
    xs = list(range(k))
    color = PALETTE[0]
    drawn = [i for i in xs if math.isfinite(y[i])]
    ax.bar([xs[i] for i in drawn], [y[i] for i in drawn], width=0.62, color=color, alpha=0.85, zorder=2)
    top = 0.0
    for i in drawn:
        if math.isfinite(lo[i]) and math.isfinite(hi[i]):
            ax.errorbar([xs[i]], [y[i]], yerr=[[max(0.0, y[i] - lo[i])], [max(0.0, hi[i] - y[i])]], color="#1f2328",
                        linewidth=1.1, capsize=4, zorder=3)
            top = max(top, hi[i])
        top = max(top, y[i])
    for i in drawn:
        mark = hi[i] if math.isfinite(hi[i]) else y[i]
        ax.annotate(fmt_num(y[i]), (xs[i], mark), xytext=(0, 3), textcoords="offset points", ha="center",
                    va="bottom", fontsize=7.5, color="#1f2328")
    for i in xs:
        if i not in drawn:
            ax.annotate("n/a", (xs[i], 0), xytext=(0, 3), textcoords="offset points", ha="center", fontsize=7.5,
                        color="#6b7280")
    if k - len(drawn):
        notes.append(f"{k - len(drawn)} categor{'ies' if k - len(drawn) > 1 else 'y'} without a finite value "
                     "shown as n/a")
    known = [v for v in ns if _finite(v) is not None]
    if known and len(set(known)) == 1 and len(known) == k:
        labels = cats
        ax.set_xlabel(f"n = {fmt_num(known[0])} per bar")
    else:
        labels = [c if _finite(v) is None else f"{c}\nn = {fmt_num(v)}" for c, v in zip(cats, ns)]
    ax.set_xticks(xs)
    ax.set_xticklabels(labels)
    ax.grid(axis="x", visible=False)
    ax.tick_params(axis="x", length=0)
    finite = [v for v in y + lo if math.isfinite(v)]
    if finite and min(finite) >= 0:
        ax.set_ylim(0, max(top, 1e-9) * 1.12)
    ax.set_ylabel(str(spec.get("ylabel", "")))
    if not drawn:
        _no_data(ax)


def _draw_hist(fig, spec: dict, notes: list[str]) -> None:
    panels = [p for p in spec.get("panels") or [] if isinstance(p, dict)]
    if not panels:
        _no_data(fig.add_subplot())
        return
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    names: dict[str, str] = {}
    for ax, p in zip(axes, panels):
        edges = _floats(p.get("edges"))
        for s in [s for s in p.get("series") or [] if isinstance(s, dict)]:
            name = str(s.get("name", "series"))
            color = names.setdefault(name, PALETTE[len(names) % len(PALETTE)])
            dens = _floats(s.get("density"))
            if len(dens) != len(edges) - 1:
                notes.append(f"panel '{p.get('name', '')}', series '{name}': {len(dens)} densities for "
                             f"{max(0, len(edges) - 1)} bins; left out")
                continue
            if not all(math.isfinite(e) for e in edges):
                notes.append(f"panel '{p.get('name', '')}': bin edges not finite; left out")
                continue
            ax.stairs(dens, edges, color=color, linewidth=1.4, label=name)
        ax.set_title(str(p.get("name", "")))
        ax.set_xlabel(str(spec.get("xlabel", "")))
        ax.set_ylim(bottom=0)
    axes[0].set_ylabel("density")
    handles, labels = axes[0].get_legend_handles_labels()
    if handles:
        axes[0].legend(handles, labels, loc="upper left")


def _draw_strip(fig, spec: dict, notes: list[str]) -> None:
    import numpy as np

    ax = fig.add_subplot()
    groups = [g for g in spec.get("groups") or [] if isinstance(g, dict)]
    rng = np.random.default_rng(0)  # fixed jitter: the same page every time
    labels, any_points, mean_label = [], False, "mean"
    for i, g in enumerate(groups):
        vals = [v for v in _floats(g.get("values")) if math.isfinite(v)]
        raw = len(g.get("values") or [])
        if raw - len(vals):
            notes.append(f"group '{g.get('name', i + 1)}': {raw - len(vals)} value(s) without a finite value left out")
        labels.append(f"{g.get('name', i + 1)}\nn = {len(vals)}")
        if not vals:
            continue
        any_points = True
        jitter = rng.uniform(-0.14, 0.14, len(vals))
        ax.scatter(i + jitter, vals, s=18, color=PALETTE[i % len(PALETTE)], alpha=0.75, linewidths=0, zorder=3)
        mean = float(np.mean(vals))
        ax.hlines(mean, i - 0.28, i + 0.28, color="#1f2328", linewidth=2, zorder=4, label=mean_label)
        mean_label = None
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels(labels)
    ax.set_xlim(-0.6, len(groups) - 0.4)
    ax.grid(axis="x", visible=False)
    ax.tick_params(axis="x", length=0)
    ax.set_ylabel(str(spec.get("ylabel", "")))
    if any_points:
        ax.legend(loc="best")
    else:
        _no_data(ax)


def _no_data(ax) -> None:
    ax.text(0.5, 0.5, "no finite values to plot", transform=ax.transAxes, ha="center", va="center",
            color="#6b7280")


DRAW = {"line": _draw_line, "bar": _draw_bar, "hist": _draw_hist, "strip": _draw_strip}
SIZES = {"line": (5.6, 3.5), "bar": (5.6, 3.5), "strip": (5.6, 3.5)}  # inches; hist: 3.6 per panel


def _svg(fig, prefix: str, label: str) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata=SVG_METADATA)
    text = buf.getvalue()
    text = text[text.index("<svg"):]  # drop the XML prolog and DOCTYPE
    text = re.sub(r"<!--.*?-->\s*", "", text, flags=re.S)  # matplotlib's comments (tick texts)
    # ids unique across the page: several SVGs live in one HTML document
    text = re.sub(r'(\bid=")([^"]+")', rf"\g<1>{prefix}\g<2>", text)
    text = re.sub(r'(href="#)([^"]+")', rf"\g<1>{prefix}\g<2>", text)
    text = re.sub(r"(url\(#)([^)]+\))", rf"\g<1>{prefix}\g<2>", text)
    attrs = f'class="plot" role="img" aria-label="{html.escape(label, quote=True)}" '
    return text.replace("<svg ", "<svg " + attrs, 1).strip()


def render_figure(spec: dict, prefix: str = "f0-") -> tuple[str | None, list[str]]:
    """One figure spec as inline SVG text, and notes on the data left out (or why nothing was drawn)."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    notes: list[str] = []
    kind = spec.get("type") if isinstance(spec, dict) else None
    draw = DRAW.get(kind)
    if draw is None:
        return None, [f"figure type {kind!r} is not one the report draws"]
    with matplotlib.rc_context(RC):
        if kind == "hist":
            size = (max(5.6, 3.6 * max(1, len(spec.get("panels") or []))), 3.2)
        else:
            size = SIZES[kind]
        fig = Figure(figsize=size, layout="constrained")
        FigureCanvasAgg(fig)
        try:
            draw(fig, spec, notes)
            return _svg(fig, prefix, str(spec.get("title", kind))), notes
        except Exception as e:  # one malformed figure must not cost the whole page
            return None, [*notes, f"could not draw this figure: {type(e).__name__}: {e}"]


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
            comparisons.append({"label": str(k.get("label", "")), "test": str(k.get("test", "")),
                                "p_value": k.get("p_value"), "p_opposite": k.get("p_opposite"),
                                "effect": k.get("effect"), "effect_label": str(k.get("effect_label", "")),
                                "ci": k.get("ci"), "n": k.get("n"), "mde": k.get("mde"), "alpha": k.get("alpha")})
    cid = str(c.get("id"))
    return {
        "id": cid, "anchor": "claim-" + _slug(cid), "statement": str(c.get("statement", "")),
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
        "comparisons": comparisons, "figures": figures, "error": str(c.get("error", "") or ""),
    }


def _experiments(claims: list[dict]) -> list[dict]:
    """One row per experiment: the time it took to compute (or to load, when every use was a cache hit)."""
    rows: dict[str, dict] = {}
    for c in claims:
        for e in c.get("experiments") or []:
            if not isinstance(e, dict) or "experiment" not in e:
                continue
            name = str(e["experiment"])
            row = rows.setdefault(name, {"name": name, "computed": [], "loaded": [], "claims": []})
            (row["loaded"] if e.get("cached") else row["computed"]).append(_finite(e.get("wall_s")) or 0.0)
            if str(c.get("id")) not in row["claims"]:
                row["claims"].append(str(c.get("id")))
    out = []
    for row in rows.values():
        cached = not row["computed"]
        out.append({"name": row["name"], "cached": cached,
                    "wall_s": max(row["loaded"]) if cached else max(row["computed"]),
                    "uses": len(row["computed"]) + len(row["loaded"]), "claims": ", ".join(row["claims"])})
    return sorted(out, key=lambda r: _natural(r["name"]))


def _natural(text: str) -> list:
    """Sort key that puts 'H=2' before 'H=10' and 'round 7' before 'round 12'."""
    return [(0, float(t), "") if re.fullmatch(r"\d+(\.\d+)?", t) else (1, 0.0, t)
            for t in re.findall(r"\d+(?:\.\d+)?|\D+", text)]


def render_html(doc: dict, source_name: str = "claims.json") -> str:
    """The page for a loaded claims document."""
    import jinja2

    counter = [0]
    claims = [_claim_view(c, counter) for c in doc.get("claims") or []]
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
    # each claim records how many claims the run collected: more than recorded means some never concluded
    collected = max([int(v) for c in doc.get("claims") or [] if (v := _finite(c.get("m"))) is not None] or [0])
    return env.get_template("claims.html.j2").render(
        doc=doc, claims=claims, counts=counts, total=len(claims), seeds=seeds,
        seed_base=doc.get("seed_base"), scale=str(doc.get("scale")), device=str(doc.get("device") or "\u2014"),
        wall_time=fmt_seconds(doc.get("wall_time_s")), started=str(doc.get("started") or "\u2014"),
        git_commit=str(doc.get("git_commit") or "unknown"), versions=versions,
        command=reproduce_command(doc), family_alpha=doc.get("family_alpha"), m=doc.get("m", len(claims)),
        protocol=protocol, experiments=experiments, unrecorded=max(0, collected - len(claims)), collected=collected,
        compute_s=sum(e["wall_s"] for e in experiments if not e["cached"]), source_name=source_name,
    )


def write_html(json_path: str | Path, out_path: str | Path | None = None) -> Path:
    """Build the report from ``json_path``; write it to ``out_path`` (default: claims.html beside the json)."""
    json_path = Path(json_path)
    out = Path(out_path) if out_path is not None else json_path.with_name("claims.html")
    page = render_html(load_claims(json_path), source_name=json_path.name)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(out)
    return out


# --------------------------------------------------------------------------- screenshots

CHROMIUM = "/usr/bin/chromium"  # Debian's chromium package; playwright's own browser download is not used
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def screenshot(html_path: str | Path, png_path: str | Path, *, width: int = 1200, height: int = 1500,
               full_page: bool = False, scale: float = 1.0) -> Path:
    """A PNG of the page in headless Chromium: the first ``width`` x ``height`` pixels, or the whole page."""
    import tempfile

    html_path, png_path = Path(html_path).resolve(), Path(png_path)
    if not html_path.is_file():
        raise ReportError(f"{html_path}: no such file (build it with `python -m lth report`)")
    if not Path(CHROMIUM).exists():
        raise ReportError(f"{CHROMIUM}: not found; install Debian's chromium package (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise ReportError("playwright is not installed (pip install playwright; its browser download is not needed)") \
            from None
    png_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lth-chromium-") as profile, sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": width, "height": height}, device_scale_factor=scale)
        try:
            page = context.new_page()
            page.goto(html_path.as_uri(), wait_until="load")
            page.screenshot(path=str(png_path), full_page=full_page)
        finally:
            context.close()
    return png_path
