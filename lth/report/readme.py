"""The README's generated tables: each is the output of the ``lth table`` command written above it.

A block is ``<!-- lth table ARGS -->``, the table, ``<!-- end lth table -->``; ``lth readme``
regenerates every block from its own command and ``lth readme --check`` says whether any drifted, so
a number in such a table is always what the named command prints.
"""
from __future__ import annotations

import argparse
import re
import shlex
from pathlib import Path

from lth.report import table

BLOCK = re.compile(r"(<!-- lth (table [^\n]*?) -->\n)(.*?)(<!-- end lth table -->)", re.DOTALL)


def _table_args(command: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="lth table", add_help=False)
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--per-seed", action="store_true")
    parser.add_argument("--csv", action="store_true")
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--columns", default=None)
    return parser.parse_args(shlex.split(command)[1:])


def render_block(command: str, root: Path) -> str:
    a = _table_args(command)
    columns = [c.strip() for c in a.columns.split(",")] if a.columns else None
    return table.render(a.paths, per_seed=a.per_seed, csv_out=a.csv, columns=columns, root=str(root))


def regenerate(path: str | Path, check: bool = False) -> list[str]:
    """Rewrite the generated blocks of ``path`` (unless ``check``); return the commands whose output differed."""
    path = Path(path)
    text = path.read_text()
    stale: list[str] = []

    def replace(m: re.Match) -> str:
        fresh = render_block(m.group(2), path.parent)
        if fresh != m.group(3):
            stale.append(m.group(2))
        return m.group(1) + fresh + m.group(4)

    new = BLOCK.sub(replace, text)
    if stale and not check:
        path.write_text(new)
    return stale
