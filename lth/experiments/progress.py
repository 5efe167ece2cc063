"""Progress of a claims session, read from the experiment graph and the store.

The store is the one shared truth between pytest-xdist workers: a node is done when its entry is on
disk, and running when another process holds its lock. So the controller needs no messages from the
workers: it knows the graph (every node's key, name and model-steps, from ``python -m lth plan --json``
or from the collected claims) and looks at the cache. :class:`Tracker` takes those readings;
:func:`line` puts one in words; :class:`Monitor` shows them (a tqdm bar where a terminal is attached,
a plain line every so often otherwise).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Sequence, TextIO

from filelock import FileLock

from lth.experiments.store import is_held

MODES = ("auto", "bar", "lines", "off")


@dataclass(frozen=True)
class PlannedNode:
    """What progress needs of a graph node: its store key, its name in words, its seeds and its cost."""

    key: str
    name: str
    chunk: tuple[int, ...]
    model_steps: int
    needs: tuple[str, ...] = ()
    cost: float = 0.0  # model-steps times the network's weights: the estimate's unit (XOR's nets are ~10^4 x smaller than LeNet)

    def to_dict(self) -> dict:
        return {"key": self.key, "name": self.name, "chunk": list(self.chunk), "model_steps": self.model_steps,
                "needs": list(self.needs), "cost": self.cost}

    @classmethod
    def from_dict(cls, d: dict) -> "PlannedNode":
        return cls(str(d["key"]), str(d["name"]), tuple(int(s) for s in d["chunk"]), int(d["model_steps"]),
                   tuple(str(k) for k in d.get("needs", ())), float(d.get("cost", d["model_steps"])))

    def label(self) -> str:
        seeds = f"seed {self.chunk[0]}" if len(self.chunk) == 1 else f"seeds {self.chunk[0]}..{self.chunk[-1]}"
        return f"{self.name}, {seeds}"


def _weights(arch) -> int:
    return sum(a * b for a, b in zip(arch.sizes[:-1], arch.sizes[1:]))


def planned_nodes(graph, store) -> list[PlannedNode]:
    """The graph's nodes in a topological order, keyed as ``store`` keys them."""
    return [PlannedNode(store.key(n.spec, n.chunk), n.name, tuple(int(s) for s in n.chunk), int(n.model_steps),
                        tuple(store.key(d.spec, d.chunk) for d in n.needs),
                        float(n.model_steps * _weights(n.spec.arch))) for n in graph.order()]


@dataclass(frozen=True)
class Reading:
    """One look at the cache: nodes and model-steps done (of the totals), and the nodes being computed."""

    done: int
    total: int
    steps_done: int
    steps_total: int
    running: tuple[PlannedNode, ...]
    elapsed_s: float
    eta_s: float | None  # None until this session has computed something to measure a rate by


class Tracker:
    """Reads progress from the store's files: an entry on disk is done; a lock someone holds is running."""

    def __init__(self, nodes: Sequence[PlannedNode], root: str | os.PathLike, clock: Callable[[], float] = time.time):
        self.nodes = list(nodes)
        self.root = Path(root)
        self.clock = clock
        self.started = clock()
        self._done: set[str] = set()
        self._scan()
        self.start_cost = self._cost()  # what was cached before this session: not part of the rate

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.pt"

    def _scan(self) -> int:
        for n in self.nodes:
            if n.key not in self._done and self._path(n.key).exists():
                self._done.add(n.key)
        return sum(n.model_steps for n in self.nodes if n.key in self._done)

    def _cost(self) -> float:
        return sum(n.cost for n in self.nodes if n.key in self._done)

    def _held(self, key: str) -> bool:
        lock_path = self._path(key).with_suffix(".lock")
        if not lock_path.exists():
            return False
        return is_held(FileLock(str(lock_path)))

    def read(self) -> Reading:
        steps = self._scan()
        # Only nodes whose needs are done can be computing (a worker waiting on a need holds that need's lock).
        running = tuple(n for n in self.nodes if n.key not in self._done
                        and all(k in self._done for k in n.needs) and self._held(n.key))
        elapsed = self.clock() - self.started
        total = sum(n.model_steps for n in self.nodes)
        cost, cost_total = self._cost(), sum(n.cost for n in self.nodes)
        rate = (cost - self.start_cost) / elapsed if elapsed > 0 else 0.0  # this session's, in weight-steps a second
        eta = 0.0 if cost >= cost_total else (cost_total - cost) / rate if rate > 0 else None
        return Reading(len(self._done), len(self.nodes), steps, total, running, elapsed, eta)


def clock_text(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    s = int(round(seconds))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def steps_text(n: int) -> str:
    return f"{n / 1e6:.1f}M" if n >= 1e6 else f"{n / 1e3:.0f}k" if n >= 1e4 else str(n)


def line(r: Reading, *, running: int = 3) -> str:
    """A reading in words: experiments and model-steps done of total, elapsed, estimate, current nodes."""
    now = "; ".join(n.label() for n in r.running[:running]) + (f"; +{len(r.running) - running} more"
                                                                 if len(r.running) > running else "")
    pct = 100.0 * r.steps_done / r.steps_total if r.steps_total else 100.0
    return (f"{r.done}/{r.total} experiments, {steps_text(r.steps_done)}/{steps_text(r.steps_total)} model-steps "
            f"({pct:.0f}%), elapsed {clock_text(r.elapsed_s)}, about {clock_text(r.eta_s)} left"
            + (f"; now: {now}" if now else ""))


def plan_in_subprocess(args: Iterable[str], cwd: str | os.PathLike, timeout: float = 300) -> list[PlannedNode]:
    """The graph of the claims ``python -m lth plan --json`` collects with ``args`` (run in its own process, so
    the controller of an xdist session, which collects nothing itself, learns what its workers will compute)."""
    out = subprocess.run([sys.executable, "-m", "lth", "plan", "--json", *args], cwd=cwd, capture_output=True,
                         text=True, timeout=timeout, check=True).stdout
    return [PlannedNode.from_dict(d) for d in json.loads(out)["nodes"]]


class Monitor:
    """Shows a tracker's readings: a tqdm bar on a terminal (``bar``), or a plain line at most every ``every``
    seconds when something changed (``lines``, what CI logs get). :meth:`start` polls in a daemon thread
    (the xdist controller, which runs no tests); :meth:`tick` shows a reading from the caller's thread."""

    def __init__(self, tracker: Tracker, mode: str = "lines", every: float = 30.0, stream: TextIO | None = None,
                 write: Callable[[str], None] | None = None):
        if mode not in ("bar", "lines"):
            raise ValueError(f"progress mode must be 'bar' or 'lines' here, got {mode!r}")
        self.tracker, self.mode, self.every = tracker, mode, float(every)
        self.stream = stream or sys.stderr
        self.write = write or (lambda text: (self.stream.write(text + "\n"), self.stream.flush()))
        self._last_shown, self._last_state = float("-inf"), None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._bar = None
        if mode == "bar":
            from tqdm import tqdm

            self._bar = tqdm(total=tracker.read().steps_total, unit="step", unit_scale=True, file=self.stream,
                             desc="lth", dynamic_ncols=True, leave=True)

    def tick(self, force: bool = False) -> Reading:
        r = self.tracker.read()
        if self._bar is not None:
            self._bar.n = r.steps_done
            self._bar.set_postfix_str(f"{r.done}/{r.total} experiments"
                                      + (f"; now: {r.running[0].label()}" if r.running else ""), refresh=False)
            self._bar.refresh()
            return r
        state = (r.done, tuple(n.key for n in r.running))
        now = time.monotonic()
        if force or (state != self._last_state and now - self._last_shown >= self.every):
            self.write("lth progress: " + line(r))
            self._last_shown, self._last_state = now, state
        return r

    def start(self, poll: float = 2.0) -> "Monitor":
        def loop() -> None:
            while not self._stop.wait(poll):
                self.tick()

        self._thread = threading.Thread(target=loop, name="lth-progress", daemon=True)
        self._thread.start()
        return self

    def close(self) -> Reading:
        """Stop polling and show the final reading (unless the last line shown already was it)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        r = self.tracker.read()
        r = self.tick(force=(r.done, tuple(n.key for n in r.running)) != self._last_state)
        if self._bar is not None:
            self._bar.close()
        return r
