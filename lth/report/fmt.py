"""Numbers and text for people: the formatting the claims page (and its figures) uses.

Every function takes what a claims.json may hold (a number, null, NaN, a list, anything) and
never raises: what cannot be shown as a number shows as an em dash.
"""
from __future__ import annotations

import math
import re
import shlex
from typing import Any

__all__ = ["finite", "fmt_num", "fmt_p", "fmt_ci", "fmt_n", "fmt_seconds", "fmt_value", "fmt_seeds", "slug",
           "natural", "reproduce_command", "DASH"]

DASH = "\u2014"


def finite(x: Any) -> float | None:
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
    v = finite(x)
    if v is None:
        return DASH
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

    v = finite(x)
    if v is None:
        return DASH
    if v >= 1:
        return "1"
    if v >= 1e-3:
        return f"{v:.3g}"
    if v == 0:
        return Markup("&lt;10<sup>\u2212300</sup>")
    mant, exp = f"{v:.1e}".split("e")
    return Markup(f"{mant}\u00d710<sup>\u2212{abs(int(exp))}</sup>")


def fmt_ci(ci: Any) -> str:
    """A 95% interval as [low, high], or a dash when neither end is a finite number."""
    if not isinstance(ci, (list, tuple)) or len(ci) != 2:
        return DASH
    lo, hi = ci
    if finite(lo) is None and finite(hi) is None:
        return DASH
    return f"[{fmt_num(lo, zeros=True)}, {fmt_num(hi, zeros=True)}]"


def fmt_n(n: Any) -> str:
    """Sample sizes: 8 + 8 for two groups."""
    if isinstance(n, (list, tuple)):
        return " + ".join(fmt_num(v) for v in n) if n else DASH
    return fmt_num(n)


def fmt_seconds(x: Any) -> str:
    """A duration: 12 ms, 3.4 s, 2 min 05 s, 1 h 02 min."""
    v = finite(x)
    if v is None:
        return DASH
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
    return DASH if v is None else str(v)


def fmt_seeds(seeds: Any) -> str:
    """A claim's seeds, {"mnist": [0, 7]}, as 'mnist 0-7' (en dash)."""
    if not isinstance(seeds, dict) or not seeds:
        return DASH
    parts = []
    for kind, span in seeds.items():
        if isinstance(span, (list, tuple)) and len(span) == 2:
            parts.append(f"{kind} {span[0]}\u2013{span[1]}")
        else:
            parts.append(f"{kind} {fmt_value(span)}")
    return ", ".join(parts)


def slug(text: Any) -> str:
    """Text usable as an HTML id."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", str(text)).strip("-") or "claim"


def natural(text: str) -> list:
    """Sort key that puts 'H=2' before 'H=10' and 'round 7' before 'round 12'."""
    return [(0, float(t), "") if re.fullmatch(r"\d+(\.\d+)?", t) else (1, 0.0, t)
            for t in re.findall(r"\d+(?:\.\d+)?|\D+", text)]


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
