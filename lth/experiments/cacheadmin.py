"""What the experiment cache holds, and removing what is no longer wanted (``python -m lth cache``).

Every entry ``<key>.pt`` has ``<key>.json`` beside it (see :mod:`lth.store`): its kind, its
spec, the spec fields that differ from the defaults, its seeds, the code fingerprint it was
computed with and when. An entry computed by other code than this checkout's is *stale*:
the store never reads it again (its key contains the old fingerprint), so it only takes space.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from lth.core.atomic import TMP_PREFIX
from lth.experiments.store import source_fingerprint


@dataclass
class Entry:
    path: Path  # the .pt file
    kind: str
    differences: dict
    seeds: list[int]
    size: int  # bytes
    age_days: float
    stale: bool  # computed by other code than this checkout's: never read again
    verified: bool = True  # has a description with its SHA-256 (else the store recomputes it before use)

    def to_dict(self) -> dict:
        return {"path": str(self.path), "kind": self.kind, "differences": self.differences, "seeds": self.seeds,
                "size": self.size, "age_days": round(self.age_days, 3), "stale": self.stale, "verified": self.verified}

    def line(self) -> str:
        seeds = f"seeds {self.seeds[0]}..{self.seeds[-1]}" if self.seeds else "seeds ?"
        diff = " ".join(f"{k}={_short(v)}" for k, v in self.differences.items())
        stale = "  (stale: other code)" if self.stale else "" if self.verified else "  (unverified: no recorded SHA-256)"
        return (f"{self.kind:<22} {seeds:<14} {size_text(self.size):>8} {self.age_days:6.1f} d  {diff}{stale}")


def _short(v) -> str:
    text = json.dumps(v, separators=(",", ":"))
    return text if len(text) <= 40 else text[:37] + "..."


def size_text(n: float) -> str:
    """Bytes in the largest unit that keeps the number at least 1: 17.3 kB, not 0.0 MB."""
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n} B"


def entries(root: str | Path) -> list[Entry]:
    """Every entry under ``root``, oldest first. An entry without a readable description is listed as unknown."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"no experiment cache at {root} (the claims write one to .lth-cache/ by default)")
    now, current = time.time(), source_fingerprint()
    out = []
    for pt in root.glob("*/*.pt"):
        if pt.name.startswith(TMP_PREFIX):
            continue
        try:
            meta = json.loads(pt.with_suffix(".json").read_text())
        except (OSError, ValueError):
            meta = {}
        stat = pt.stat()
        size = stat.st_size + (pt.with_suffix(".json").stat().st_size if pt.with_suffix(".json").exists() else 0)
        verified = "sha256" in meta
        out.append(Entry(pt, meta.get("kind", "unknown"), meta.get("differences", {}), meta.get("seeds", []), size,
                         (now - stat.st_mtime) / 86400, verified and meta.get("source") != current, verified))
    return sorted(out, key=lambda e: -e.age_days)


def remove(entry: Entry) -> None:
    """Delete an entry's files (the entry, its description and its lock)."""
    for suffix in (".pt", ".json", ".lock"):
        entry.path.with_suffix(suffix).unlink(missing_ok=True)


def prune(root: str | Path, *, older_than_days: float | None = None, stale: bool = False,
          dry_run: bool = False) -> list[Entry]:
    """Remove entries older than ``older_than_days`` and/or computed by other code; return what was (or would be) removed."""
    if older_than_days is None and not stale:
        raise ValueError("say what to prune: --older-than DAYS, --stale, or both")
    if older_than_days is not None and not older_than_days >= 0:
        raise ValueError(f"--older-than must be a number of days >= 0, got {older_than_days!r}")
    chosen = [e for e in entries(root)
              if (older_than_days is not None and e.age_days > older_than_days) or (stale and e.stale)]
    if not dry_run:
        for e in chosen:
            remove(e)
        for tmp in Path(root).glob(f"*/{TMP_PREFIX}*"):  # left by a killed writer: never trusted, safe to drop
            if time.time() - tmp.stat().st_mtime > 3600:
                tmp.unlink(missing_ok=True)
    return chosen
