"""Pre-registration the tool enforces: declarations written down and committed before the runs that decide them.

``python -m lth preregister --scale S`` writes ``preregistration/S.json``: every collected claim's whole
declaration (statement, source, paper numbers, family, levels, checks with their designs, margins,
thresholds and alternatives, reported checks, and the expected outcome at each scale), with its SHA-256;
the preset's values; and the fingerprints of the code that computes (the cache's) and that decides
(statistics and claims). Figures are not part of a declaration: they show evidence and decide nothing.

A claims run compares the live declarations with the file and records, per claim, "pre-registered"
(with the commit that added the file and its date), "changed after pre-registration" (with the first
field that differs) or "not pre-registered". ``--lth-verdict`` refuses to start, in one line, unless
every collected claim, the preset and the code match the file and the working tree is clean.
"""
from __future__ import annotations

import dataclasses
import hashlib
import inspect
import json
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from lth.claimkit import families
from lth.experiments.store import PACKAGE, source_fingerprint

FORMAT = 1
DIRECTORY = "preregistration"
PREREGISTERED, CHANGED, UNREGISTERED = "pre-registered", "changed after pre-registration", "not pre-registered"


def canonical(x: Any) -> Any:
    """Plain JSON data that equal declarations share: dataclasses by type and fields, functions by name and source."""
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return {"type": type(x).__qualname__,
                **{f.name: canonical(getattr(x, f.name)) for f in dataclasses.fields(x)}}
    if isinstance(x, dict):
        return {str(k): canonical(v) for k, v in sorted(x.items(), key=lambda kv: str(kv[0]))}
    if isinstance(x, (list, tuple)):
        return [canonical(v) for v in x]
    if isinstance(x, float):
        return repr(x)  # exact, and the same on every platform
    if x is None or isinstance(x, (bool, int, str)):
        return x
    if callable(x):
        try:
            source = inspect.getsource(x)
        except (OSError, TypeError):
            source = repr(x)
        return {"function": f"{getattr(x, '__module__', '')}.{getattr(x, '__qualname__', repr(x))}",
                "source_sha256": hashlib.sha256(source.encode()).hexdigest()}
    return repr(x)


def sha256(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def declaration(claim) -> dict:
    """A claim's whole declaration as plain data (everything that decides its verdict; not its figures)."""
    return {"id": claim.id, "statement": claim.statement, "source": claim.source,
            "paper_numbers": claim.paper_numbers, "family": claim.family,
            "family_members": list(families.FAMILIES[claim.family]),  # m, and so alpha
            "at": canonical(list(claim.at)), "holds": claim.holds, "checks": canonical(list(claim.checks)),
            "reported": canonical(list(claim.reported)), "reported_why": claim.reported_why,
            "equivalence": canonical(claim.equivalence), "equivalence_why": claim.equivalence_why,
            "expected": canonical(dict(claim.expected)), "paper_values": canonical(list(claim.paper_values))}


def decision_files(root: Path = PACKAGE) -> list[Path]:
    """The code that turns evidence into verdicts: the statistics and the claim kit."""
    return sorted([*(root / "stats").rglob("*.py"), *(root / "claimkit").rglob("*.py")])


def decision_fingerprint(root: Path = PACKAGE) -> str:
    h = hashlib.sha256()
    for path in decision_files(root):
        h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def build(claims: Iterable, preset) -> dict:
    """The pre-registration document of ``claims`` at ``preset``."""
    claims = sorted(claims, key=lambda c: c.id)
    p = canonical(preset)
    return {"format": FORMAT, "scale": preset.name, "written": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "written_on": git_head(PACKAGE.parent), "preset": p, "preset_sha256": sha256(p),
            "code_fingerprint": source_fingerprint(), "decision_fingerprint": decision_fingerprint(),
            "claims": {c.id: {"sha256": sha256(d), "declaration": d} for c, d in ((c, declaration(c)) for c in claims)}}


def path_for(root: str | Path, scale: str) -> Path:
    return Path(root) / DIRECTORY / f"{scale}.json"


def write(path: str | Path, doc: dict) -> Path:
    from lth.core.atomic import write_atomic

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, lambda f: f.write(json.dumps(doc, indent=1, sort_keys=True) + "\n"), text=True)
    return path


def load(path: str | Path) -> dict | None:
    """The pre-registration at ``path``; None when there is none; ValueError (one line) when it is unreadable."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        doc = json.loads(path.read_text())
        if doc.get("format") != FORMAT or not isinstance(doc.get("claims"), dict):
            raise ValueError(f"format {doc.get('format')!r} is not {FORMAT}")
        return doc
    except (OSError, ValueError, AttributeError) as e:
        raise ValueError(f"{path}: not a pre-registration this lth reads ({e})") from None


def first_difference(old: Any, new: Any, where: str = "") -> str | None:
    """The path of the first field where two canonical declarations differ (e.g. ``checks[1].margin``)."""
    if isinstance(old, dict) and isinstance(new, dict):
        for k in sorted(set(old) | set(new)):
            if k not in old or k not in new:
                return f"{where}.{k}".lstrip(".")
            d = first_difference(old[k], new[k], f"{where}.{k}")
            if d is not None:
                return d.lstrip(".")
        return None
    if isinstance(old, list) and isinstance(new, list):
        if len(old) != len(new):
            return f"{where} (length {len(old)} -> {len(new)})".lstrip(".")
        for i, (a, b) in enumerate(zip(old, new)):
            d = first_difference(a, b, f"{where}[{i}]")
            if d is not None:
                return d.lstrip(".")
        return None
    return None if old == new else (where.lstrip(".") or "(the whole value)")


def git_head(cwd: str | Path) -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10, cwd=cwd)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def committed_in(path: str | Path) -> tuple[str, str] | None:
    """(commit, date) of the last commit that changed the file, when it is committed unchanged since; else None."""
    path = Path(path)
    try:
        log = subprocess.run(["git", "log", "-1", "--format=%H%x09%cI", "--", path.name], capture_output=True,
                             text=True, timeout=10, cwd=path.parent)
        status = subprocess.run(["git", "status", "--porcelain", "--", path.name], capture_output=True, text=True,
                                timeout=10, cwd=path.parent)
    except (OSError, subprocess.SubprocessError):
        return None
    if log.returncode != 0 or not log.stdout.strip() or status.stdout.strip():
        return None
    commit, date = log.stdout.strip().split("\t")
    return commit, date


@dataclass(frozen=True)
class Standing:
    """One claim against the pre-registration."""

    status: str
    sha256: str
    commit: str | None = None  # where the pre-registration was committed
    date: str | None = None
    changed: str | None = None  # the first field that differs, when changed

    def to_dict(self) -> dict:
        return {"status": self.status, "sha256": self.sha256, "commit": self.commit, "date": self.date,
                "changed": self.changed}

    def words(self) -> str:
        if self.status == PREREGISTERED:
            where = f" in {self.commit[:12]} on {self.date[:10]}" if self.commit and self.date else \
                " (in a file not yet committed)"
            return f"pre-registered{where}"
        if self.status == CHANGED:
            return f"changed after pre-registration ({self.changed})"
        return "not pre-registered"


def standing(claim, registered: dict | None, committed: tuple[str, str] | None = None) -> Standing:
    d = declaration(claim)
    digest = sha256(d)
    entry = (registered or {}).get("claims", {}).get(claim.id)
    if entry is None:
        return Standing(UNREGISTERED, digest)
    commit, date = committed or (None, None)
    if entry.get("sha256") == digest:
        return Standing(PREREGISTERED, digest, commit, date)
    return Standing(CHANGED, digest, commit, date, first_difference(entry.get("declaration"), d) or "its SHA-256")


def problems(claims: Iterable, preset, registered: dict | None, path: str | Path) -> list[str]:
    """Why a verdict run may not start, one line each (empty: it may)."""
    if registered is None:
        return [f"no pre-registration at {path}: write it with `python -m lth preregister --scale {preset.name}` "
                f"and commit it before a verdict run"]
    out = []
    for c in sorted(claims, key=lambda c: c.id):
        s = standing(c, registered)
        if s.status != PREREGISTERED:
            out.append(f"{c.id} is {s.words()} against {path}")
    p = canonical(preset)
    if sha256(p) != registered.get("preset_sha256"):
        out.append(f"preset {preset.name} differs from {path} (field {first_difference(registered.get('preset'), p)})")
    if registered.get("code_fingerprint") != source_fingerprint():
        out.append(f"the computing code differs from {path} (code fingerprint "
                   f"{str(registered.get('code_fingerprint'))[:12]} registered, {source_fingerprint()[:12]} here)")
    if registered.get("decision_fingerprint") != decision_fingerprint():
        out.append(f"the deciding code (lth/stats, lth/claimkit) differs from {path} (fingerprint "
                   f"{str(registered.get('decision_fingerprint'))[:12]} registered, {decision_fingerprint()[:12]} here)")
    return out


def dirty_files(cwd: str | Path) -> list[str] | None:
    """Tracked files changed and untracked files not ignored, or None outside a git checkout."""
    try:
        out = subprocess.run(["git", "status", "--porcelain"], capture_output=True, text=True, timeout=10, cwd=cwd)
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return [line[3:] for line in out.stdout.splitlines() if line.strip()]
