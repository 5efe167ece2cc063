"""Figures for the claims page: matplotlib drawings of the figure specs stored in claims.json.

``render_figure(spec)`` draws one spec (``line``, ``bar``, ``hist`` or ``strip``; the fields are
in lth/report/schemas/claims.schema.json and lth/claimkit/figures.py builds them) and returns inline SVG text
with glyphs as paths, so the page needs no font, script or network access. No experiment is
rerun: everything drawn is in the spec. The output is reproducible (fixed SVG hash salt, no
dates in the metadata, fixed jitter). A spec with missing or non-finite values still draws
what it can and says, in the returned notes, what it left out; a spec that cannot be drawn
at all returns no SVG and a note saying why.
"""
from __future__ import annotations

import html
import io
import math
import re
from typing import Any, Iterable

from lth.report.fmt import finite as _finite
from lth.report.fmt import fmt_num

__all__ = ["render_figure", "DRAW", "PALETTE", "RC"]

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


# --------------------------------------------------------------------------- helpers

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


# --------------------------------------------------------------------------- one function per figure type

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
