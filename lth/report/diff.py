"""Compare the evidence of two claims runs (``python -m lth diff OLD.json NEW.json``).

Used to show that a refactor changed no number (byte-identical evidence), and to see what a
change of seed base, scale or kernel did. Wall times, timestamps and provenance are not
evidence and are skipped; non-finite numbers compare equal to null (older files hold NaN
tokens, newer ones null).
"""
from __future__ import annotations

import json
from typing import Any

from lth.report.schema import jsonable

SKIP_TOP = {"started", "wall_time_s", "git_commit", "versions", "command", "device", "claims"}
SKIP_CLAIM = {"experiments"}  # timing rows: wall seconds and cache hits


def _show(v: Any) -> str:
    text = json.dumps(v, default=str)
    return text if len(text) <= 160 else text[:157] + "..."


def _strip(value: Any, ignore: set[str]) -> Any:
    """``value`` without the ignored keys at any depth (e.g. ``per_seed`` inside every comparison)."""
    if isinstance(value, dict):
        return {k: _strip(v, ignore) for k, v in value.items() if k not in ignore}
    if isinstance(value, list):
        return [_strip(v, ignore) for v in value]
    return value


def diff(old: dict, new: dict, ignore: set[str] = frozenset()) -> list[str]:
    """One line per field that differs (claims matched by id); empty when the evidence is identical.
    ``ignore`` names fields left out at every depth (top level, claims, comparisons)."""
    old, new = _strip(old, set(ignore)), _strip(new, set(ignore))
    lines = []
    for key in sorted((set(old) | set(new)) - SKIP_TOP - set(ignore)):
        if jsonable(old.get(key)) != jsonable(new.get(key)):
            lines.append(f"{key}: {_show(old.get(key))} -> {_show(new.get(key))}")
    a = {c.get("id"): c for c in old.get("claims", [])}
    b = {c.get("id"): c for c in new.get("claims", [])}
    for cid in sorted(set(a) | set(b), key=str):
        if cid not in a or cid not in b:
            lines.append(f"{cid}: only in {'new' if cid in b else 'old'}")
            continue
        for key in sorted((set(a[cid]) | set(b[cid])) - SKIP_CLAIM - set(ignore)):
            if jsonable(a[cid].get(key)) != jsonable(b[cid].get(key)):
                lines.append(f"{cid}.{key}: {_show(a[cid].get(key))} -> {_show(b[cid].get(key))}")
    return lines
