"""The claims document: Holm adjustment, assembly, provenance, and writing claims.json (and claims.html).

The pytest plugin collects one evidence dict per claim and hands them here:

    doc = results.build_document(claims, scale=..., seed_base=..., seeds=..., device=results.device_label(d),
                                 versions=results.versions(), git_commit=results.git_commit(),
                                 command=results.command_line(args), started=t0, wall_time_s=time.time() - t0,
                                 family_alpha=..., protocol=preset.describe())
    written = results.write_document(doc, out_dir)   # validates, writes claims.json atomically, then claims.html
    for line in written.lines(doc): print(line)

The document follows lth/schemas/claims.schema.json; ``write_document`` refuses one that does not.
"""
from __future__ import annotations

import json
import platform
import shlex
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from lth.report import schema
from lth.core.atomic import write_atomic
from lth.report.fmt import finite

__all__ = ["holm_adjust", "build_document", "write_document", "Written", "git_commit", "versions", "device_label",
           "command_line", "timestamp", "JSON_NAME", "HTML_NAME", "REJECTED_NAME"]

JSON_NAME, HTML_NAME = "claims.json", "claims.html"
REJECTED_NAME = "claims.rejected.json"  # a document that failed the schema: kept, so a long run's evidence survives


def holm_adjust(claims: Iterable[dict]) -> list[dict]:
    """The claims sorted by id, each a copy with ``p_holm``: Holm's step-down adjustment within its family.

    A claim's family and its m are those registered in lth/registry.py (a claim of an unknown id,
    e.g. in an old file, forms a family with the other unknown ones, m = their count). Registered
    claims that did not run, and claims without a finite ``p_value`` (a test that crashed), count
    as p = 1, so m stays the number registered; a crashed claim's own ``p_holm`` is None.
    """
    from lth.claimkit import families as registry
    from lth import stats

    out = sorted((dict(c) for c in claims), key=lambda c: str(c.get("id", "")))
    families: dict[str, list[dict]] = {}
    for c in out:
        try:
            fam = registry.family_of(str(c.get("id")))
        except ValueError:
            fam = ""
        families.setdefault(fam, []).append(c)
    for fam, members in families.items():
        m = len(registry.FAMILIES[fam]) if fam else len(members)
        ps = [finite(c.get("p_value")) for c in members]
        padded = [1.0 if p is None else p for p in ps] + [1.0] * max(0, m - len(members))
        for c, p, adjusted in zip(members, ps, stats.holm(padded)):
            c["p_holm"] = None if p is None else adjusted
    return out


def build_document(claims: Iterable[dict], *, scale: str, seed_base: int, seeds: dict[str, int], device: str,
                   versions: dict[str, str], git_commit: str | None, command: str, started: float | str,
                   wall_time_s: float, family_alpha: float, protocol: list[dict], m: int | None = None,
                   calibration: list[dict] | None = None, collected: int | None = None,
                   interrupted: bool = False, provenance: dict | None = None) -> dict:
    """The claims.json document: the run's metadata and the claims (sorted by id, Holm-adjusted).

    ``claims``: one evidence dict per claim (the fields of a claim in the schema, ``p_holm`` aside).
    ``started``: the start as seconds since the epoch (``time.time()``) or an already formatted string.
    ``m``: the number of claims registered (lth/registry.py) over all families; each claim's own ``m``
    is its family's. ``calibration``: the permutation A/A checks' summaries, if any ran. ``complete`` is
    true only when the run was not interrupted and every registered claim recorded evidence; ``missing``
    lists the registered claims that did not.
    Numbers are made JSON-safe (``schema.jsonable``: NaN and infinities become null); nothing is validated
    here (``write_document`` does).
    """
    claims = holm_adjust(claims)
    if m is None:
        from lth.claimkit import families as registry

        m = sum(len(ids) for ids in registry.FAMILIES.values())
    doc = {
        "scale": scale,
        "seed_base": seed_base,
        "seeds": dict(seeds),
        "device": device,
        "versions": dict(versions),
        "git_commit": git_commit,
        "command": command,
        "started": started if isinstance(started, str) else timestamp(started),
        "wall_time_s": round(float(wall_time_s), 1),
        "family_alpha": family_alpha,
        "m": m,
        "protocol": list(protocol),
        "claims": claims,
    }
    if provenance is not None:
        doc["provenance"] = dict(provenance)
    if collected is not None:
        doc["collected"] = int(collected)
    doc.update(completeness(claims, interrupted))
    if calibration:
        doc["calibration"] = sorted(calibration, key=lambda c: str(c.get("id", "")))
    return schema.jsonable(doc)


@dataclass(frozen=True)
class Written:
    """What ``write_document`` wrote: the json, and the page or the reason there is none."""

    json_path: Path
    html_path: Path | None
    html_problem: str | None  # one line: why claims.html was not written (None when it was, or not asked for)

    def lines(self, doc: dict) -> list[str]:
        """The lines a claims run ends with."""
        out = [f"lth: {self.json_path} ({len(doc.get('claims') or [])} claims, scale {doc.get('scale')}, "
               f"seed base {doc.get('seed_base')})"]
        if self.html_path is not None:
            out.append(f"lth: {self.html_path}")
        elif self.html_problem is not None:
            out.append(f"lth: {HTML_NAME} not written: {self.html_problem}")
        return out


def completeness(claims: Iterable[dict], interrupted: bool = False) -> dict:
    """``complete``, ``interrupted`` and ``missing`` (registered claims without evidence) of a run's claims."""
    from lth.claimkit import families as registry

    have = {c.get("id") for c in claims}
    missing = [i for ids in registry.FAMILIES.values() for i in ids if i not in have]
    return {"complete": not interrupted and not missing, "interrupted": bool(interrupted), "missing": missing}


def is_complete(out_dir: str | Path) -> bool:
    """Whether ``out_dir`` holds a claims.json of a complete run (one that must not be replaced by a broken one)."""
    try:
        return json.loads((Path(out_dir) / JSON_NAME).read_text()).get("complete") is True
    except (OSError, ValueError, AttributeError):
        return False


def write_document(doc: dict, out_dir: str | Path, *, html: bool = True) -> Written:
    """Validate ``doc`` and write ``out_dir/claims.json`` atomically (temp file + os.replace), then
    ``out_dir/claims.html`` beside it (``html=True``).

    A document that does not follow the schema raises ``schema.SchemaError`` (one line naming the
    field); claims.json is then left as it was and the document goes to ``out_dir/claims.rejected.json``
    so the run's evidence is not lost. A page that cannot be built does not fail the write: its
    problem comes back as ``Written.html_problem``.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    doc = schema.jsonable(doc)
    try:
        schema.validate(doc)
    except schema.SchemaError as e:
        rejected = _write_json(out_dir / REJECTED_NAME, doc)
        raise schema.SchemaError(e.path, f"{e.problem}; {JSON_NAME} not written, the document is in {rejected}",
                                 e.claim_id) from None
    path = _write_json(out_dir / JSON_NAME, doc)
    if not html:
        return Written(path, None, None)
    from lth.report import page

    try:
        return Written(path, page.write_html(path, out_dir / HTML_NAME), None)
    except page.ReportError as e:
        return Written(path, None, str(e))
    except Exception as e:  # claims.json is written; a page problem must not fail a long run's end
        return Written(path, None, " ".join(f"{type(e).__name__}: {e}".split()))


def _write_json(path: Path, doc: dict) -> Path:
    def write(f) -> None:
        json.dump(doc, f, indent=1, allow_nan=False)  # strict JSON: jsonable made non-finite numbers null
        f.write("\n")

    return write_atomic(path, write, text=True)


# --------------------------------------------------------------------------- provenance

def git_commit(cwd: str | Path | None = None) -> str | None:
    """HEAD of the git checkout at ``cwd`` (default: the current directory), with '-dirty' when
    tracked files changed; None outside git or without git."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10, cwd=cwd)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                               text=True, timeout=10, cwd=cwd)
        return out.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "") if out.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


def versions() -> dict[str, str]:
    """Python, torch, numpy, scipy, lth and the platform."""
    import numpy
    import scipy
    import torch

    import lth

    return {"python": platform.python_version(), "torch": torch.__version__, "numpy": numpy.__version__,
            "scipy": scipy.__version__, "lth": lth.__version__, "platform": platform.platform()}


def device_label(device: str) -> str:
    """'cpu', or 'cuda (<the GPU's name>)'."""
    if device == "cuda":
        import torch

        return f"cuda ({torch.cuda.get_device_name(0)})"
    return device


def command_line(args: Sequence[str], prog: str = "pytest") -> str:
    """The command that ran, quoted for a shell: ``command_line(config.invocation_params.args)``."""
    return " ".join([prog, *(shlex.quote(str(a)) for a in args)])


def timestamp(t: float) -> str:
    """Seconds since the epoch as local time, %Y-%m-%dT%H:%M:%S%z."""
    return time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(t))
