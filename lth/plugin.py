"""pytest plugin: options, markers and fixtures that turn claim tests into evidence.

Workers compute and test; the evidence of each claim travels to the controller as plain
Python types in the test report's ``user_properties``; only the controller (or the one
process without xdist) writes ``claims.json`` and ``claims.html``.
"""
from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

import pytest

from lth.claimkit.claim import EVIDENCE, INFO, OUTCOMES
from lth.claimkit.run import ClaimRun
from lth.experiments.presets import PRESETS



def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("lth", "lottery-ticket claims")
    group.addoption("--lth-scale", choices=tuple(PRESETS), default="ci",
                    help="pre-registered experiment scale (lth/experiments/presets.py); default: ci")
    group.addoption("--lth-seeds", type=int, default=None, metavar="N",
                    help="seeds per experiment (default: the scale's own counts)")
    group.addoption("--lth-seed-base", type=int, default=0, metavar="N",
                    help="seeds are N..N+seeds-1 in every experiment; default 0")
    group.addoption("--lth-device", choices=("cpu", "cuda"), default="cpu", help="where to train; default cpu")
    group.addoption("--lth-cache", default=".lth-cache", metavar="DIR",
                    help="experiment cache; default .lth-cache/ (relative paths: from the pytest rootdir)")
    group.addoption("--lth-no-cache", action="store_true", help="compute everything, read and write no cache")
    group.addoption("--lth-report", default="reports", metavar="DIR",
                    help="where claims.json and claims.html go; default reports/ (relative paths: from the pytest rootdir)")
    group.addoption("--lth-threads", type=int, default=None, metavar="N",
                    help="torch intra-op threads per process (default: the cores divided among xdist workers, "
                         "every core without xdist)")
    group.addoption("--lth-verdict", action="store_true",
                    help="a verdict run: refuse to start unless every collected claim, the preset and the code match "
                         "preregistration/SCALE.json and the working tree is clean")
    group.addoption("--lth-commit", default=None, metavar="SHA",
                    help="the commit being run, for a copy without .git (default: $LTH_COMMIT, else git HEAD)")
    group.addoption("--lth-progress", choices=("auto", "bar", "lines", "off"), default="auto",
                    help="progress from the experiment graph: a bar on a terminal, plain lines otherwise (auto), "
                         "or off; a line per computed node is printed with -v or off")
    group.addoption("--lth-progress-every", type=float, default=30.0, metavar="SECONDS",
                    help="at most one progress line this often (lines mode); default 30")
    group.addoption("--lth-dense-kernel", action="store_true",
                    help="force the dense masked training step in every layer (debugging; slower at low density)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "claim(id, statement, source, paper_numbers): a claim of the paper, tested over "
                                       "seeds (declared with lth.claimkit.Claim)")
    config.addinivalue_line("markers", "lth_expect(scale, verdict, reason): the pre-registered outcome expected at this "
                                       "scale, absent or inconclusive: an expected failure there that absorbs only that "
                                       "verdict (contradicted, a crash or the other verdict still fails; a reproduced "
                                       "claim is reported as XPASS)")
    seeds, base = config.getoption("--lth-seeds"), config.getoption("--lth-seed-base")
    if seeds is not None and seeds < 4:
        raise pytest.UsageError(f"--lth-seeds must be >= 4 (the A/A check compares two halves of >= 2 seeds), got {seeds}")
    if base < 0:
        raise pytest.UsageError(f"--lth-seed-base must be >= 0, got {base}")
    if config.getoption("--lth-device") == "cuda":
        import torch

        if not torch.cuda.is_available():
            raise pytest.UsageError("--lth-device cuda was asked for, but torch.cuda.is_available() is False")
    if config.getoption("--lth-progress-every") < 0:
        raise pytest.UsageError(f"--lth-progress-every must be >= 0, got {config.getoption('--lth-progress-every')}")
    threads = config.getoption("--lth-threads")
    if threads is not None and threads < 1:
        raise pytest.UsageError(f"--lth-threads must be >= 1, got {threads}")
    worker = getattr(config, "workerinput", None)
    if worker is None:
        config._lth_provenance = _provenance(config)
        if config.getoption("--lth-verdict") and not config.getoption("collectonly"):
            _refuse_unless_preregistered(config)
    from lth.experiments.runtime import share_cores

    share_cores(int(worker.get("workercount", 1)) if worker is not None else 1, threads)
    config.pluginmanager.register(ClaimsCollector(config), "lth-claims-collector")


def _provenance(config: pytest.Config) -> dict:
    """The commit that runs (an explicit one wins: a copy without .git, or with a stale one, must say), the files
    that differ from it, and the pre-registration file of the scale with where it was committed."""
    from lth.claimkit import preregistration as prereg

    root = Path(config.rootpath)
    explicit = config.getoption("--lth-commit") or os.environ.get("LTH_COMMIT") or None
    head = prereg.git_head(root)
    commit, source = (explicit, "--lth-commit" if config.getoption("--lth-commit") else "LTH_COMMIT") if explicit \
        else (head, "git HEAD") if head else (None, "unknown")
    path = prereg.path_for(root, config.getoption("--lth-scale"))
    registered = None
    if path.exists():
        committed = prereg.committed_in(path)
        import hashlib

        registered = {"file": str(path.relative_to(root)), "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                      "commit": committed[0] if committed else None, "date": committed[1] if committed else None}
    return {"git_commit": commit, "head": head, "verdict_run": bool(config.getoption("--lth-verdict")),
            "commit_from": source, "dirty_files": prereg.dirty_files(root) if head else None,
            "preregistration": registered}


def _refuse_unless_preregistered(config: pytest.Config) -> None:
    """--lth-verdict: one line and exit 4 unless the run is what was pre-registered, on a clean, known commit."""
    import subprocess

    p = config._lth_provenance
    if p["git_commit"] is None:
        raise pytest.UsageError(f"--lth-verdict: no git checkout at {config.rootpath}; name the commit being run "
                                f"with --lth-commit SHA or LTH_COMMIT")
    if p["head"] is not None and not p["head"].startswith(p["git_commit"]):
        raise pytest.UsageError(f"--lth-verdict: {p['commit_from']} {p['git_commit']} is not this checkout's HEAD "
                                f"{p['head']}")
    if p["dirty_files"]:
        shown = ", ".join(p["dirty_files"][:3]) + (f" and {len(p['dirty_files']) - 3} more"
                                                   if len(p["dirty_files"]) > 3 else "")
        raise pytest.UsageError(f"--lth-verdict: the working tree differs from {p['head'][:12]} ({shown}); "
                                f"commit or stash first")
    args = [*(a for a in config.args if not a.startswith("-")), "--check", "--scale", config.getoption("--lth-scale"),
            "--root", str(config.rootpath)]
    args += ["-k", config.getoption("keyword")] if config.getoption("keyword") else []
    run = subprocess.run([sys.executable, "-m", "lth", "preregister", *args], capture_output=True, text=True,
                         cwd=config.invocation_params.dir, timeout=600)
    if run.returncode != 0:
        found = [l.removeprefix("lth preregister: ") for l in run.stdout.splitlines() if l.strip()] or \
            [(run.stderr.strip().splitlines() or ["the pre-registration check failed"])[-1]]
        more = f" (and {len(found) - 1} more: python -m lth preregister --check)" if len(found) > 1 else ""
        raise pytest.UsageError(f"--lth-verdict refused: {found[0]}{more}")


def _standing(config: pytest.Config, declared) -> dict:
    """The claim against this scale's pre-registration (loaded once per process)."""
    from lth.claimkit import preregistration as prereg

    if not hasattr(config, "_lth_registered"):
        path = prereg.path_for(config.rootpath, config.getoption("--lth-scale"))
        try:
            config._lth_registered = (prereg.load(path), prereg.committed_in(path) if path.exists() else None)
        except ValueError:
            config._lth_registered = (None, None)
    registered, committed = config._lth_registered
    s = prereg.standing(declared, registered, committed)
    return {**s.to_dict(), "words": s.words()}


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    from lth.claimkit import families

    claims = [i for i in items if i.get_closest_marker("claim")]
    config._lth_collected = len(claims)
    for item in claims:  # alpha is family_alpha / (claims registered in the family): an unknown id is an error
        claim_id = item.get_closest_marker("claim").kwargs.get("id")
        try:
            families.family_of(claim_id)
        except ValueError as e:
            raise pytest.UsageError(f"{item.nodeid}: {e}") from None
    # Claims start in the order of the experiment families they need (lth.claimkit.claim.FAMILY_ORDER): long ones
    # nobody shares first, so one worker computes them while another begins the shared pruning run.
    # A stable sort: every xdist worker collects the same order.
    items.sort(key=_schedule)
    scale = config.getoption("--lth-scale")
    for item in claims:
        for mark in item.iter_markers("lth_expect"):
            if mark.kwargs.get("scale") == scale and scale != "smoke":
                verdict = mark.kwargs["verdict"]
                item.add_marker(pytest.mark.xfail(strict=False, raises=OUTCOMES[verdict],
                                                  reason=f"expected {verdict}: {mark.kwargs['reason']}"))


def pytest_collection_finish(session: pytest.Session) -> None:
    """Without xdist, the progress display's graph is that of the claims selected (after -k and -m)."""
    if not hasattr(session.config, "workerinput"):
        claims = [getattr(i.function, "lth_claim") for i in session.items
                  if hasattr(getattr(i, "function", None), "lth_claim")]
        if claims:
            _start_local_progress(session.config, claims)


def _schedule(item: pytest.Item) -> int:
    function = getattr(item, "function", None)
    declared = getattr(function, "lth_claim", None)
    return declared.schedule if declared is not None else getattr(function, "lth_schedule", 0)


def _progress_mode(config: pytest.Config) -> str:
    mode = config.getoption("--lth-progress")
    if config.getoption("--lth-no-cache") or config.getoption("collectonly"):
        return "off"  # progress is read from the cache's files
    if mode == "auto":
        return "bar" if sys.stderr.isatty() and _is_xdist_controller(config) else "lines"
    return mode


def _is_xdist_controller(config: pytest.Config) -> bool:
    return not hasattr(config, "workerinput") and config.pluginmanager.hasplugin("dsession")


def _node_lines(config: pytest.Config) -> bool:
    """Whether workers print a line per computed node: with -v, or when the progress display is off."""
    return config.getoption("verbose") > 0 or config.getoption("--lth-progress") == "off" \
        or config.getoption("--lth-no-cache")


def _start_local_progress(config: pytest.Config, claims: list) -> None:
    """Without xdist: the collected claims' graph, ticked whenever this process computes a node."""
    if _is_xdist_controller(config) or _progress_mode(config) == "off":
        return
    from lth.claimkit.plan import graph_for, planning_lab
    from lth.experiments import progress
    from lth.experiments.store import Store

    store = Store(rooted(config, "--lth-cache"))
    nodes = progress.planned_nodes(graph_for(claims, planning_lab(session_setting(config), store)), store)
    if not nodes:
        return  # claims that read no experiments: nothing to show
    write = _progress_writer(config)
    config._lth_monitor = progress.Monitor(progress.Tracker(nodes, store.root), "lines",
                                           config.getoption("--lth-progress-every"),
                                           write=lambda text: write(text, tag=False))


@pytest.hookimpl(trylast=True)  # after claims/conftest.py's data check
def pytest_sessionstart(session: pytest.Session) -> None:
    config = session.config
    if _is_xdist_controller(config) and _progress_mode(config) != "off":
        threading.Thread(target=_start_controller_progress, args=(config,), name="lth-plan", daemon=True).start()


def _start_controller_progress(config: pytest.Config) -> None:
    """On the xdist controller, which collects nothing: the graph from ``lth plan --json`` with the session's
    own selection, then a polling monitor. Progress is a display: if planning fails, the run goes on without it."""
    from lth.experiments import progress

    o = config.getoption
    args = [*(a for a in config.args if not a.startswith("-")), "--scale", o("--lth-scale"),
            "--seed-base", str(o("--lth-seed-base")), "--device", o("--lth-device"),
            "--cache", str(rooted(config, "--lth-cache"))]
    args += ["-k", o("keyword")] if o("keyword") else []
    args += ["--seeds", str(o("--lth-seeds"))] if o("--lth-seeds") else []
    args += ["--dense-kernel"] if o("--lth-dense-kernel") else []
    try:
        nodes = progress.plan_in_subprocess(args, cwd=config.invocation_params.dir)
    except Exception as e:  # noqa: BLE001 - a display must not fail the run
        sys.stderr.write(f"lth progress: not shown (planning the graph failed: {type(e).__name__})\n")
        return
    if getattr(config, "_lth_finished", False) or not nodes:
        return
    reporter = config.pluginmanager.get_plugin("terminalreporter")

    def write(text: str) -> None:  # after pytest's progress dots, not on their line
        mid_line = reporter is not None and getattr(reporter._tw, "width_of_current_line", 0)
        sys.stderr.write(("\n" if mid_line else "") + text + "\n")
        sys.stderr.flush()

    monitor = progress.Monitor(progress.Tracker(nodes, rooted(config, "--lth-cache")), _progress_mode(config),
                               o("--lth-progress-every"), write=write)
    config._lth_monitor = monitor.start()


def _progress_writer(config: pytest.Config):
    """A function printing progress lines where the user sees them: stderr with pytest's capture
    suspended (xdist workers inherit the terminal's stderr)."""
    capman = config.pluginmanager.getplugin("capturemanager")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")

    reporter = config.pluginmanager.get_plugin("terminalreporter")

    def write(message: str, tag: bool = True) -> None:
        mid_line = reporter is not None and getattr(reporter._tw, "width_of_current_line", 0)
        line = ("\n" if mid_line else "") + (f"[lth {worker} {time.strftime('%H:%M:%S')}] {message}\n" if tag
                                             else f"[{time.strftime('%H:%M:%S')}] {message}\n")
        if capman is None:
            sys.stderr.write(line)
            return
        with capman.global_and_fixture_disabled():
            sys.stderr.write(line)
            sys.stderr.flush()

    return write


@pytest.fixture(scope="session")
def lth_lab(pytestconfig: pytest.Config):
    """The session's experiments (lth.experiments.lab.Lab), shared through the cache with other workers."""
    from lth.experiments.executors import Context, LocalExecutor
    from lth.experiments.lab import Lab
    from lth.experiments.store import Store

    c = pytestconfig
    write = _progress_writer(c)
    show_nodes = _node_lines(c)

    def log(message: str) -> None:
        if show_nodes:
            write(message)
        monitor = getattr(c, "_lth_monitor", None)
        if monitor is not None and not hasattr(c, "workerinput") and not _is_xdist_controller(c):
            monitor.tick()

    store = Store(rooted(c, "--lth-cache"), enabled=not c.getoption("--lth-no-cache"), log=log)
    executor = LocalExecutor(store, Context(c.getoption("--lth-device")), log=log)
    return Lab(session_setting(c), executor)


def rooted(config: pytest.Config, option: str) -> Path:
    """A path option; a relative one is taken from the pytest rootdir (not the current folder), so a run from
    ``claims/`` still uses the project's ``reports/`` and ``.lth-cache/``."""
    path = Path(config.getoption(option))
    return path if path.is_absolute() else Path(config.rootpath) / path


def session_setting(config: pytest.Config):
    """The session's :class:`lth.experiments.graph.Setting` from the --lth-* options."""
    from lth.experiments import presets
    from lth.experiments.graph import Setting

    return Setting(presets.get(config.getoption("--lth-scale")), seed_base=config.getoption("--lth-seed-base"),
                   n_seeds=config.getoption("--lth-seeds"), device=config.getoption("--lth-device"),
                   kernel="dense" if config.getoption("--lth-dense-kernel") else None)


@pytest.fixture
def claim(request: pytest.FixtureRequest, lth_lab) -> ClaimRun:
    """The running claim: its alpha and statistics options, and ``check``/``conclude`` to record evidence."""
    c = ClaimRun(request.node, lth_lab)
    declared = getattr(getattr(request.node, "function", None), "lth_claim", None)
    standing = {"preregistration": _standing(request.config, declared)} if declared is not None else {}
    request.node.user_properties.append((INFO, {**c.info, "nodeid": request.node.nodeid, "scale": c.scale,
                                                "alpha": c.alpha, "m": c.m, **standing}))
    return c


class ClaimsCollector:
    """Gathers each claim's evidence as its report arrives; writes claims.json (and .html) at the end."""

    def __init__(self, config: pytest.Config):
        self.config = config
        self.claims: list[dict] = []
        self.started = time.time()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when != "call":
            return
        props = dict(getattr(report, "user_properties", []))
        if EVIDENCE in props:
            value = props[EVIDENCE]
            if "preregistration" in props.get(INFO, {}):
                value = {**value, "preregistration": props[INFO]["preregistration"]}
        elif INFO in props:  # the test broke before it could conclude: report it as an error, not silence
            value = {**props[INFO], "verdict": "error", "p_value": 1.0, "error": _crash_text(report),
                     "measured": "", "figures": [], "comparisons": [], "experiments": []}
        else:
            return
        if hasattr(report, "wasxfail"):
            outcome = "xfailed" if report.skipped else "xpassed"
            value = {**value, "xfail_reason": report.wasxfail}
        else:
            outcome = report.outcome
        self.claims.append({**value, "outcome": outcome})

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if hasattr(self.config, "workerinput"):
            return
        self.config._lth_finished = True
        monitor = getattr(self.config, "_lth_monitor", None)
        if monitor is not None:
            monitor.close()
        if not self.claims:
            return
        interrupted = int(exitstatus) == int(pytest.ExitCode.INTERRUPTED)
        write_claims(self.config, self.claims, self.started, interrupted=interrupted)


def _crash_text(report: pytest.TestReport) -> str:
    crash = getattr(getattr(report, "longrepr", None), "reprcrash", None)
    return f"the test raised before concluding: {crash.message}" if crash else "the test raised before concluding"


def write_claims(config: pytest.Config, claims: list[dict], started: float,
                 *, interrupted: bool = False) -> Path | None:
    """Assemble, validate and write claims.json (and claims.html) through lth.results; return the json path."""
    from lth.experiments import presets
    from lth.report import document as results
    from lth.report.schema import SchemaError

    preset = presets.get(config.getoption("--lth-scale"))
    n_seeds = config.getoption("--lth-seeds")
    provenance = getattr(config, "_lth_provenance", None) or _provenance(config)
    doc = results.build_document(
        claims, scale=preset.name, seed_base=config.getoption("--lth-seed-base"),
        seeds={"xor": n_seeds or preset.xor_seeds, "mnist": n_seeds or preset.mnist_seeds,
               "fashion-mnist": n_seeds or preset.fmnist_seeds},
        device=results.device_label(config.getoption("--lth-device")), versions=results.versions(),
        git_commit=provenance["git_commit"], command=results.command_line(config.invocation_params.args),
        started=started, wall_time_s=time.time() - started, family_alpha=preset.family_alpha,
        protocol=preset.describe(), collected=getattr(config, "_lth_collected", None),
        interrupted=interrupted, provenance={k: provenance[k] for k in ("verdict_run", "commit_from", "dirty_files",
                                                                         "preregistration")})
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    write = reporter.write_line if reporter is not None else (lambda line: print(line, file=sys.stderr))
    if reporter is not None and getattr(reporter._tw, "width_of_current_line", 0):
        reporter._tw.line()  # after pytest's "[100%]", not on its line
    out_dir = rooted(config, "--lth-report")
    if all(c.get("verdict") == "error" for c in doc["claims"]) and results.is_complete(out_dir):
        write(f"lth: no claim reached a verdict; the complete report in {out_dir} is left as it was")
        return None
    try:
        written = results.write_document(doc, out_dir)
    except SchemaError as e:  # the evidence is kept beside it (claims.rejected.json); say what is wrong
        write(f"lth: claims.json not written: {e}")
        return None
    for line in verdict_table(doc["claims"]):
        write(line)
    for line in written.lines(doc):
        write(line)
    return written.json_path


def verdict_table(claims: list[dict]) -> list[str]:
    """The run's verdicts as a terminal table: claim, verdict, p (with the design's floor) against alpha, effect."""
    rows = [("claim", "verdict", "p", "floor", "alpha", "paper vs ours [95% CI]", "effect")]
    num = lambda v: f"{v:.2g}" if isinstance(v, (int, float)) else "-"  # noqa: E731
    for c in claims:
        e = c.get("effect")
        fixed = " [fixed budget]" if str(c.get("decided_as", "")).startswith("a fixed-budget") else ""
        rows.append((str(c.get("id")), str(c.get("verdict")) + (" (expected)" if c.get("outcome") == "xfailed" else "")
                     + fixed,
                     num(c.get("p_value")), num(c.get("p_floor")), num(c.get("alpha")), magnitude_text(c),
                     f"{e:+.4g} {c.get('effect_label', '')}"[:70] if isinstance(e, (int, float)) else "-"))
    widths = [max(len(r[i]) for r in rows) for i in range(6)]
    return ["lth verdicts:"] + ["  " + "  ".join(r[i].ljust(widths[i]) for i in range(6)) + "  " + r[6] for r in rows]


def magnitude_text(claim: dict) -> str:
    """The paper's numbers against ours, e.g. '0.62 vs 0.50 [0.41, 0.61] outside' ('-' where the paper has none)."""
    out = []
    for m in claim.get("magnitude") or []:
        lo, hi = (m.get("ci") or [None, None])
        where = {True: "inside", False: "outside", None: "?"}[m.get("inside")]
        ci = f" [{lo:.3g}, {hi:.3g}]" if isinstance(lo, (int, float)) and isinstance(hi, (int, float)) else ""
        out.append(f"{m['paper']:.3g} vs {m['ours']:.3g}{ci} {where}")
    return "; ".join(out) or "-"
