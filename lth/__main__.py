"""Command line: the report, its screenshot, the experiment cache, ticket export, run comparison.

    python -m lth report [reports/claims.json] [-o reports/claims.html]
    python -m lth screenshot reports/claims.html -o reports/screenshot.png [--width 1200] [--height 1500] [--full-page]
    python -m lth cache ls [DIR] [--json]
    python -m lth cache prune [DIR] (--older-than DAYS | --stale) [--dry-run]
    python -m lth export --pm 21 --seed 0 [--weights init|final] [--scale ci] [--seed-base 0] -o ticket.pt
    python -m lth diff OLD.json NEW.json
    python -m lth table CLAIMS.json... [--per-seed] [--csv|--markdown] [--columns A,B,...]
    python -m lth readme [README.md] [--check]
    python -m lth preregister [--scale ci] [PATH...] [-k EXPR] [--check]
    python -m lth plan [--scale ci] [-k EXPR] [--seeds N] [--seed-base 0] [--device cpu] [--cache DIR] [--no-edges] [--json]

Problems with the input (a missing or malformed file, no Chromium, a bad option value) print
one line naming the file or value and the problem to stderr and exit with status 2.
"""
from __future__ import annotations

import argparse
import json
import os
import sys


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("lth")
    except PackageNotFoundError:
        return "(not installed)"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lth", description="lottery-ticket claims: reports, cache, tickets, plans")
    parser.add_argument("--version", action="version", version=f"lth {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    rep = sub.add_parser("report", help="build the HTML report from claims.json",
                         description="Build the self-contained HTML report from a claims run's claims.json.")
    rep.add_argument("path", nargs="?", default="reports/claims.json", metavar="PATH",
                     help="claims.json written by `pytest claims/` (default: reports/claims.json)")
    rep.add_argument("-o", "--output", default=None, metavar="OUT.html",
                     help="where the page goes (default: claims.html beside the json)")
    shot = sub.add_parser("screenshot", help="PNG of a report page in headless Chromium (/usr/bin/chromium)",
                          description="Screenshot a report page with playwright driving Debian's /usr/bin/chromium.")
    shot.add_argument("html", nargs="?", default="reports/claims.html", metavar="PAGE.html",
                      help="the report page (default: reports/claims.html)")
    shot.add_argument("-o", "--output", default="reports/screenshot.png", metavar="OUT.png",
                      help="the PNG to write (default: reports/screenshot.png)")
    shot.add_argument("--width", type=int, default=1200, help="viewport width in CSS pixels (default 1200)")
    shot.add_argument("--height", type=int, default=1500, help="viewport height, the part captured (default 1500)")
    shot.add_argument("--full-page", action="store_true", help="capture the whole page, not only the first screen")
    shot.add_argument("--scale", type=float, default=1.0, help="device pixel ratio (default 1)")

    cache = sub.add_parser("cache", help="list or prune the experiment cache",
                           description="List the experiment cache's entries, or remove old or stale ones.")
    csub = cache.add_subparsers(dest="cache_command", metavar="ACTION", required=True)
    ls = csub.add_parser("ls", help="one line per entry: kind, seeds, size, age, spec fields that differ from defaults")
    ls.add_argument("dir", nargs="?", default=".lth-cache", metavar="DIR", help="the cache (default: .lth-cache)")
    ls.add_argument("--json", action="store_true", help="print a JSON list instead")
    pr = csub.add_parser("prune", help="remove entries older than DAYS and/or computed by other code (stale)")
    pr.add_argument("dir", nargs="?", default=".lth-cache", metavar="DIR", help="the cache (default: .lth-cache)")
    pr.add_argument("--older-than", type=float, default=None, metavar="DAYS", help="remove entries older than this")
    pr.add_argument("--stale", action="store_true", help="remove entries this checkout's code would never read")
    pr.add_argument("--dry-run", action="store_true", help="list what would be removed, remove nothing")

    ex = sub.add_parser("export", help="write one seed's iterative ticket as a plain nn.Sequential state_dict",
                        description="Write a LeNet-300-100 ticket (mask + initial or trained weights) as plain "
                                    "PyTorch, loadable with torch.load(weights_only=True).")
    ex.add_argument("--pm", type=float, required=True,
                    help="percent of weights remaining at a pruning level, to 0.1 points: e.g. 21.07 or 21.1")
    ex.add_argument("--seed", type=int, default=0, help="which seed's ticket (default 0)")
    ex.add_argument("--weights", choices=("init", "final"), default="init",
                    help="initial weights (the ticket) or weights after training it (default init)")
    ex.add_argument("--scale", default="ci", help="the scale preset whose pruning run finds the ticket (default ci)")
    ex.add_argument("--seed-base", type=int, default=0, help="the run's seed base (default 0)")
    ex.add_argument("--cache", default=".lth-cache", metavar="DIR", help="experiment cache (default .lth-cache)")
    ex.add_argument("-o", "--output", default="ticket.pt", metavar="OUT.pt", help="the file (default ticket.pt)")
    ex.add_argument("--dry-run", action="store_true", help="say what would be computed, compute and write nothing")

    diff = sub.add_parser("diff", help="compare the evidence of two claims.json files (timing excepted)",
                          description="Compare two claims runs field by field, ignoring wall times; exit 1 if they differ.")
    diff.add_argument("old", metavar="OLD.json")
    diff.add_argument("new", metavar="NEW.json")
    diff.add_argument("--ignore", action="append", default=[], metavar="FIELD",
                      help="also ignore this claim field (repeatable), e.g. measured")

    table = sub.add_parser("table", help="the verdict table, or the per-seed data, of claims.json files",
                           description="One row per claim (or, with --per-seed, per claim, comparison, arm and seed) "
                                       "of one or more claims.json files, as Markdown or CSV.")
    table.add_argument("paths", nargs="+", metavar="CLAIMS.json")
    table.add_argument("--per-seed", action="store_true", help="long-form per-seed values instead of verdicts")
    table.add_argument("--csv", action="store_true", help="CSV instead of Markdown")
    table.add_argument("--markdown", action="store_true", help="Markdown (the default)")
    table.add_argument("--columns", default=None, metavar="A,B,...", help="only these columns, in this order")
    prereg = sub.add_parser("preregister", help="write (or --check) preregistration/SCALE.json: every claim's "
                                                "declaration, the preset and the code fingerprints, to commit before verdict runs")
    prereg.add_argument("paths", nargs="*", default=["claims"], metavar="PATH", help="claim files or folders (default claims)")
    prereg.add_argument("--scale", default="ci", help="the scale preset (default ci)")
    prereg.add_argument("-k", dest="keyword", default=None, metavar="EXPR", help="pytest's -k selection of claims")
    prereg.add_argument("--root", default=".", metavar="DIR", help="the project root; the file is DIR/preregistration/SCALE.json")
    prereg.add_argument("--check", action="store_true",
                        help="write nothing; print one line per claim, preset or code that differs, and exit 1 if any")
    readme = sub.add_parser("readme", help="regenerate the README's generated tables from the commands they name",
                            description="Each block between '<!-- lth table ARGS -->' and '<!-- end lth table -->' "
                                        "is replaced by the output of 'lth table ARGS' (paths from the README's folder).")
    readme.add_argument("path", nargs="?", default="README.md", metavar="README.md")
    readme.add_argument("--check", action="store_true", help="change nothing; exit 1 if a block is out of date")
    plan = sub.add_parser("plan", help="print the experiment graph of the collected claims, before anything runs",
                          description="The nodes (spec x seed chunk), their edges, the critical path in training "
                                      "steps and the total model-steps of the claims pytest would collect.")
    plan.add_argument("paths", nargs="*", default=["claims"], metavar="PATH", help="claim files or folders (default claims)")
    plan.add_argument("--scale", default="ci", help="the scale preset (default ci)")
    plan.add_argument("-k", dest="keyword", default=None, metavar="EXPR", help="pytest's -k selection of claims")
    plan.add_argument("--seeds", type=int, default=None, metavar="N", help="seeds per experiment (as --lth-seeds)")
    plan.add_argument("--seed-base", type=int, default=0, metavar="N", help="the seed base (default 0)")
    plan.add_argument("--device", choices=("cpu", "cuda"), default="cpu", help="sets the chunk size (default cpu)")
    plan.add_argument("--cache", default=".lth-cache", metavar="DIR", help="the cache, to say what is cached")
    plan.add_argument("--no-edges", action="store_true", help="leave out the list of edges")
    plan.add_argument("--dense-kernel", action="store_true", help="as --lth-dense-kernel (part of every key)")
    plan.add_argument("--json", action="store_true",
                      help="print the nodes as JSON (store key, name, seeds, model-steps, needs), in a topological order")
    return parser


def _table(args) -> int:
    from lth.report import table

    columns = [c.strip() for c in args.columns.split(",")] if args.columns else None
    sys.stdout.write(table.render(args.paths, per_seed=args.per_seed, csv_out=args.csv, columns=columns))
    return 0


def _preregister(args) -> int:
    from lth.claimkit import preregistration as prereg
    from lth.claimkit.plan import collect_claims
    from lth.experiments import presets

    preset = presets.get(args.scale)
    claims = collect_claims(args.paths, args.keyword, rootdir=args.root)
    path = prereg.path_for(args.root, args.scale)
    if args.check:
        found = prereg.problems(claims, preset, prereg.load(path), path)
        for line in found:
            print(f"lth preregister: {line}")
        if not found:
            print(f"lth preregister: {len(claims)} claims, the preset and the code match {path}")
        return 1 if found else 0
    prereg.write(path, prereg.build(claims, preset))
    print(f"lth preregister: {path}: {len(claims)} claims at scale {args.scale}; commit it before any verdict run")
    return 0


def _readme(args) -> int:
    from lth.report import readme

    stale = readme.regenerate(args.path, check=args.check)
    for block in stale:
        print(f"lth readme: {args.path}: {'out of date' if args.check else 'regenerated'}: lth {block}")
    return 1 if args.check and stale else 0


def _plan(args) -> int:
    from lth.claimkit.plan import collect_claims, describe, graph_for, planning_lab
    from lth.experiments import presets
    from lth.experiments.graph import Setting
    from lth.experiments.store import Store

    setting = Setting(presets.get(args.scale), seed_base=args.seed_base, n_seeds=args.seeds, device=args.device,
                      kernel="dense" if args.dense_kernel else None)
    lab = planning_lab(setting, Store(args.cache))
    claims = collect_claims(args.paths, args.keyword)
    graph = graph_for(claims, lab)
    if args.json:
        from lth.experiments.progress import planned_nodes

        print(json.dumps({"claims": len(claims), "scale": args.scale, "totals": graph.totals(),
                          "nodes": [n.to_dict() for n in planned_nodes(graph, lab.store)]}))
        return 0
    print(f"lth plan: {len(claims)} claims at scale {args.scale}, seed base {args.seed_base}, {args.device}")
    for line in describe(graph, lab.store, edges=not args.no_edges):
        print(line)
    return 0


def _cache(args) -> int:
    from lth.experiments import cacheadmin as cache

    if args.cache_command == "ls":
        found = cache.entries(args.dir)
        if args.json:
            print(json.dumps([e.to_dict() for e in found], indent=1))
        else:
            for e in found:
                print(e.line())
            total = sum(e.size for e in found)
            print(f"{len(found)} entries, {cache.size_text(total)}, {sum(e.stale for e in found)} stale, "
                  f"{sum(not e.verified for e in found)} unverified")
        return 0
    removed = cache.prune(args.dir, older_than_days=args.older_than, stale=args.stale, dry_run=args.dry_run)
    for e in removed:
        print(("would remove " if args.dry_run else "removed ") + e.line())
    print(f"{len(removed)} entries, {cache.size_text(sum(e.size for e in removed))}")
    return 0


def _export(args) -> int:
    from lth.experiments import presets
    from lth.experiments.executors import LocalExecutor
    from lth.experiments.graph import Setting
    from lth.experiments.lab import Lab
    from lth.experiments.store import Store
    from lth.experiments.tickets import export_ticket

    from lth.claimkit.plan import is_cached

    log = lambda m: print(m, file=sys.stderr)  # noqa: E731
    lab = Lab(Setting(presets.get(args.scale), seed_base=args.seed_base), LocalExecutor(Store(args.cache, log=log)))
    r = lab.level(args.pm)
    if abs(lab.planner.pms[r] - args.pm) >= 0.1:
        raise ValueError(f"--pm {args.pm:g} names no pruning level of scale {args.scale}; the levels are "
                         f"{', '.join(f'{p:g}' for p in lab.planner.pms)}")
    chunk = next((c for c in lab.chunks() if args.seed in c), None)
    if chunk is not None:
        todo = [n for n in (lab.planner.round_node(chunk, i) for i in range(r + 1)) if not is_cached(lab.store, n)]
        steps = sum(n.steps for n in todo) + (lab.preset.lenet_train.iterations if args.weights == "final" else 0)
        print(f"lth export: Pm {lab.planner.pms[r]:g}% is round {r}; {len(todo)} of its {r + 1} rounds for seeds "
              f"{chunk[0]}..{chunk[-1]} are not cached: {steps:,} training steps to compute", file=sys.stderr)
    if args.dry_run:
        return 0
    print(export_ticket(lab, pm=args.pm, seed=args.seed, weights=args.weights, path=args.output))
    return 0


def _diff(args) -> int:
    from lth.report.diff import diff
    from lth.report.page import load_claims

    lines = diff(load_claims(args.old), load_claims(args.new), ignore=set(args.ignore))
    for line in lines:
        print(line)
    print("identical evidence (timing excepted)" if not lines else f"{len(lines)} differences")
    return 1 if lines else 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from lth.core import data
    from lth.report.page import ReportError

    try:
        if args.command == "report":
            from lth.report.page import write_html

            print(write_html(args.path, args.output))
            return 0
        if args.command == "screenshot":
            from lth.report.screenshot import screenshot

            print(screenshot(args.html, args.output, width=args.width, height=args.height, full_page=args.full_page,
                             scale=args.scale))
            return 0
        return {"cache": _cache, "export": _export, "diff": _diff, "plan": _plan, "table": _table, "readme": _readme,
                "preregister": _preregister}[args.command](args)
    except (ReportError, data.DataError, FileNotFoundError, ValueError) as e:
        print(f"lth {args.command}: error: {e}", file=sys.stderr)
        return 2


def run() -> int:
    """The console script: main(), and a closed pipe (``lth cache ls | head``) ends quietly."""
    try:
        code = main()
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # Python flushes stdout again at exit
        return 0


if __name__ == "__main__":
    sys.exit(run())
