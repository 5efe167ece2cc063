"""pytest plugin: options, markers and fixtures that turn claim tests into evidence.

Workers compute and test; the evidence of each claim travels to the controller as plain
Python types in the test report's ``user_properties``; only the controller (or the one
process without xdist) writes ``claims.json`` and ``claims.html``.
"""
from __future__ import annotations

import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

EVIDENCE = "lth_claim"
INFO = "lth_claim_info"  # the claim's marker data, attached before it runs, so a crash is reported too
SCALES = ("smoke", "ci", "paper")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("lth", "lottery-ticket claims")
    group.addoption("--lth-scale", choices=SCALES, default="ci",
                    help="pre-registered experiment scale (lth/scales.py); default: ci")
    group.addoption("--lth-seeds", type=int, default=None, metavar="N",
                    help="seeds per experiment (default: the scale's own counts)")
    group.addoption("--lth-seed-base", type=int, default=0, metavar="N",
                    help="seeds are N..N+seeds-1 in every experiment; default 0")
    group.addoption("--lth-device", choices=("cpu", "cuda"), default="cpu", help="where to train; default cpu")
    group.addoption("--lth-cache", default=".lth-cache", metavar="DIR", help="experiment cache; default .lth-cache/")
    group.addoption("--lth-no-cache", action="store_true", help="compute everything, read and write no cache")
    group.addoption("--lth-report", default="reports", metavar="DIR",
                    help="where claims.json and claims.html go; default reports/")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "claim(id, statement, source, paper_numbers, schedule=0): a claim of the paper, "
                                       "tested over seeds; lower schedule runs first")
    config.addinivalue_line("markers", "lth_xfail(scale, reason): the claim does not reproduce at this scale (strict xfail there)")
    seeds, base = config.getoption("--lth-seeds"), config.getoption("--lth-seed-base")
    if seeds is not None and seeds < 4:
        raise pytest.UsageError(f"--lth-seeds must be >= 4 (the A/A check compares two halves of >= 2 seeds), got {seeds}")
    if base < 0:
        raise pytest.UsageError(f"--lth-seed-base must be >= 0, got {base}")
    if config.getoption("--lth-device") == "cuda":
        import torch

        if not torch.cuda.is_available():
            raise pytest.UsageError("--lth-device cuda was asked for, but torch.cuda.is_available() is False")
    worker = getattr(config, "workerinput", None)
    if worker is not None:
        # one xdist worker per core: give each worker its share of the cores, explicitly
        import torch

        torch.set_num_threads(max(1, (os.cpu_count() or 1) // int(worker.get("workercount", 1))))
    config._lth_m = 0
    config.pluginmanager.register(ClaimsCollector(config), "lth-claims-collector")


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    claims = [i for i in items if i.get_closest_marker("claim")]
    config._lth_m = len(claims)
    # Claims whose experiments share nothing with the others declare a lower `schedule`: they start
    # first, so one worker computes them while another begins the shared pruning run. A stable sort:
    # every xdist worker collects the same order.
    items.sort(key=lambda i: i.get_closest_marker("claim").kwargs.get("schedule", 0) if i.get_closest_marker("claim") else 0)
    scale = config.getoption("--lth-scale")
    for item in claims:
        for mark in item.iter_markers("lth_xfail"):
            if mark.kwargs.get("scale", mark.args[0] if mark.args else None) == scale and scale != "smoke":
                item.add_marker(pytest.mark.xfail(strict=True, reason=mark.kwargs["reason"]))


def _progress_writer(config: pytest.Config):
    """A function printing progress lines where the user sees them: stderr with pytest's capture
    suspended (xdist workers inherit the terminal's stderr)."""
    capman = config.pluginmanager.getplugin("capturemanager")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")

    def write(message: str) -> None:
        line = f"[lth {worker} {time.strftime('%H:%M:%S')}] {message}\n"
        if capman is None:
            sys.stderr.write(line)
            return
        with capman.global_and_fixture_disabled():
            sys.stderr.write(line)
            sys.stderr.flush()

    return write


@pytest.fixture(scope="session")
def lth_lab(pytestconfig: pytest.Config):
    """The session's experiments (lth.experiments.Lab), shared through the cache with other workers."""
    from lth import scales
    from lth.experiments import Lab
    from lth.store import Store

    c = pytestconfig
    log = _progress_writer(c)
    store = Store(c.getoption("--lth-cache"), enabled=not c.getoption("--lth-no-cache"), log=log)
    return Lab(scales.get(c.getoption("--lth-scale")), store, seed_base=c.getoption("--lth-seed-base"),
               n_seeds=c.getoption("--lth-seeds"), device=c.getoption("--lth-device"), log=log)


class Claim:
    """What a claim test reports: ``conclude`` records the evidence and fails unless reproduced."""

    def __init__(self, item: pytest.Item, lab, m: int):
        mark = item.get_closest_marker("claim")
        if mark is None:
            raise pytest.UsageError(f"{item.nodeid} uses the claim fixture without @pytest.mark.claim(...)")
        self.item, self.lab, self.info = item, lab, dict(mark.kwargs)
        self.m = max(1, m)
        self.alpha = lab.preset.family_alpha / self.m  # Bonferroni over the claims collected
        self.scale = item.config.getoption("--lth-scale")
        self._timings_start = len(lab.timings)

    @property
    def options(self) -> dict:
        """Keyword arguments every lth.stats test of this claim takes: its alpha, bootstrap seed and resamples."""
        return {"alpha": self.alpha, "seed": self.seed, "n_resamples": self.lab.preset.bootstrap_resamples}

    @property
    def seed(self) -> int:
        """Seed for this claim's bootstrap: derived from the seed base, so intervals are reproducible."""
        return self.lab.seed_base

    def conclude(self, result, *, measured: str, figures: list[dict], seeds: dict[str, list[int]], aa: bool = False,
                 extra: dict | None = None) -> None:
        from lth import stats

        verdict = stats.verdict(result, self.alpha, aa=aa)
        evidence = {
            **self.info, "nodeid": self.item.nodeid, "scale": self.scale, "alpha": self.alpha,
            "family_alpha": self.lab.preset.family_alpha, "m": self.m, "verdict": verdict,
            "test": result.test, "p_value": result.p_value, "p_opposite": result.p_value if aa else result.p_opposite,
            "effect": result.effect, "effect_label": result.effect_label, "ci": list(result.ci), "n": result.n,
            "mde": result.mde, "comparisons": result.components or [result.to_dict()], "measured": measured,
            "seeds": {k: [int(v[0]), int(v[-1])] for k, v in seeds.items()}, "figures": figures,
            "experiments": self.lab.timings[self._timings_start:], **(extra or {}),
        }
        self.item.user_properties.append((EVIDENCE, json.loads(json.dumps(evidence, default=float))))
        if verdict == stats.REPRODUCED or self.scale == "smoke":
            return
        seed_text = ", ".join(f"{k} seeds {a}..{b}" for k, (a, b) in evidence["seeds"].items())
        pytest.fail(
            f"{self.info.get('id')} {verdict}: {self.info.get('statement')} Measured: {measured}. "
            f"{result.effect_label} = {result.effect:+.4g} (95% CI {result.ci[0]:+.4g} to {result.ci[1]:+.4g}), "
            f"p = {result.p_value:.3g} against alpha = {self.alpha:.3g} ({result.test}); {seed_text}.",
            pytrace=False,
        )


@pytest.fixture
def claim(request: pytest.FixtureRequest, lth_lab) -> Claim:
    c = Claim(request.node, lth_lab, request.config._lth_m)
    request.node.user_properties.append((INFO, {**c.info, "nodeid": request.node.nodeid, "scale": c.scale,
                                                "alpha": c.alpha, "m": c.m}))
    return c


def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                               text=True, timeout=10)
        return out.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "") if out.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


def _versions() -> dict:
    import numpy
    import scipy
    import torch

    import lth

    return {"python": platform.python_version(), "torch": torch.__version__, "numpy": numpy.__version__,
            "scipy": scipy.__version__, "lth": lth.__version__, "platform": platform.platform()}


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
        elif INFO in props:  # the test broke before it could conclude: report it as an error, not silence
            value = {**props[INFO], "verdict": "error", "p_value": 1.0, "measured": _crash_text(report),
                     "figures": [], "comparisons": [], "experiments": []}
        else:
            return
        if hasattr(report, "wasxfail"):
            outcome = "xfailed" if report.skipped else "xpassed"
            value = {**value, "xfail_reason": report.wasxfail}
        else:
            outcome = report.outcome
        self.claims.append({**value, "outcome": outcome})

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if hasattr(self.config, "workerinput") or not self.claims:
            return
        write_claims(self.config, self.claims, self.started)


def _crash_text(report: pytest.TestReport) -> str:
    crash = getattr(getattr(report, "longrepr", None), "reprcrash", None)
    return f"the test raised before concluding: {crash.message}" if crash else "the test raised before concluding"


def write_claims(config: pytest.Config, claims: list[dict], started: float) -> Path:
    """Write claims.json atomically (and claims.html when lth.report is present); return the json path."""
    from lth import scales, stats

    claims = sorted(claims, key=lambda c: c.get("id", ""))
    for c, p in zip(claims, stats.holm([c["p_value"] for c in claims])):
        c["p_holm"] = p
    preset = scales.get(config.getoption("--lth-scale"))
    n_seeds = config.getoption("--lth-seeds")
    device = config.getoption("--lth-device")
    if device == "cuda":
        import torch

        device = f"cuda ({torch.cuda.get_device_name(0)})"
    doc = {
        "scale": preset.name,
        "seed_base": config.getoption("--lth-seed-base"),
        "seeds": {"xor": n_seeds or preset.xor_seeds, "mnist": n_seeds or preset.mnist_seeds},
        "device": device,
        "versions": _versions(),
        "git_commit": _git_commit(),
        "command": "pytest " + " ".join(shlex.quote(a) for a in config.invocation_params.args),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
        "wall_time_s": round(time.time() - started, 1),
        "family_alpha": preset.family_alpha,
        "m": max([c.get("m", 0) for c in claims] + [len(claims)]),
        "protocol": preset.describe(),
        "claims": claims,
    }
    out_dir = Path(config.getoption("--lth-report"))
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "claims.json"
    fd, tmp = tempfile.mkstemp(dir=out_dir, prefix=".claims-", suffix=".json")
    with os.fdopen(fd, "w") as f:
        json.dump(doc, f, indent=1, default=float)
    os.replace(tmp, path)
    lines = [f"lth: {path} ({len(claims)} claims, scale {preset.name}, seed base {doc['seed_base']})"]
    from lth import report

    try:
        lines.append(f"lth: {report.write_html(path, out_dir / 'claims.html')}")
    except Exception as e:  # claims.json is written; a page problem must not fail a long run's end
        lines.append(f"lth: claims.html not written: {type(e).__name__}: {e}")
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    for line in lines:
        if reporter is not None:
            reporter.write_line(line)
        else:
            print(line, file=sys.stderr)
    return path
