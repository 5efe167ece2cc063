"""Content-addressed experiment cache shared by every claim and every xdist worker.

An entry's key is the SHA-256 of its experiment spec's key (:class:`lth.spec.ExperimentSpec`),
its seeds and a fingerprint of the code that computes numbers (:func:`computing_files`). Beside each entry
``<key>.pt`` lies ``<key>.json``: the spec, the seeds, the fingerprint and when it was
written, so ``python -m lth cache ls`` can say what the cache holds. Entries are written to a
temporary file and renamed into place, so a run killed at any moment (kill -9) leaves either
a whole entry or none. The description records the SHA-256 of the entry's bytes: an entry whose bytes
differ (a flipped byte inside a tensor), that cannot be read, or that has no description is recomputed
with a warning, never trusted. Large
experiments are split into seed chunks; each chunk is claimed through a file lock, so two
workers that need the same experiment compute different chunks instead of one waiting.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import time
import warnings
from pathlib import Path
from typing import Any, Callable, Sequence

import torch
from filelock import FileLock, Timeout

from lth.core.atomic import write_atomic
from lth.experiments.spec import ExperimentSpec

PACKAGE = Path(__file__).resolve().parents[1]  # lth/
RECIPES = ("experiments/recipes.py", "experiments/controls.py")  # the experiments layer's computing modules


def computing_files(root: Path = PACKAGE) -> list[Path]:
    """The files whose code decides the numbers an experiment computes: every ``.py`` under ``core/`` (found
    in the tree, so a new module is covered without being listed) plus the recipes and the controls.
    Orchestration (graph, executors, Lab), claims, statistics and reporting are deliberately left out."""
    return sorted(root.glob("core/**/*.py")) + [root / f for f in RECIPES]


def source_fingerprint(root: Path = PACKAGE) -> str:
    """SHA-256 over the paths and source of :func:`computing_files`."""
    h = hashlib.sha256()
    for path in computing_files(root):
        h.update(path.relative_to(root).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


class Store:
    """Cache rooted at ``root``; ``enabled=False`` computes everything and writes nothing."""

    def __init__(self, root: str | os.PathLike, enabled: bool = True, log: Callable[[str], None] | None = None):
        self.root = Path(root)
        self.enabled = enabled
        self.log = log or (lambda msg: None)
        self.fingerprint = source_fingerprint()
        self.hits = 0
        self.misses = 0

    def key(self, spec: ExperimentSpec, seeds: Sequence[int]) -> str:
        blob = json.dumps({"spec": spec.key(), "seeds": [int(s) for s in seeds], "source": self.fingerprint},
                          sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.pt"

    def load(self, key: str) -> dict | None:
        """The entry, or None if absent, unverified or corrupt (then recomputed, with a warning).

        An entry is trusted only when its description (``<key>.json``) records the SHA-256 of the ``.pt``
        bytes and they match: a flipped byte inside a tensor, a truncated file or an entry whose description
        is missing are all recomputed, never used."""
        if not self.enabled:
            return None
        path = self._path(key)
        if not path.exists():
            return None
        try:
            meta = json.loads(path.with_suffix(".json").read_text())
            want = meta["sha256"]
        except (OSError, ValueError, KeyError, TypeError):
            warnings.warn(f"lth cache entry {path} has no readable description with its SHA-256 (unverified); "
                          f"recomputing it")
            return None
        try:
            blob = path.read_bytes()
            if hashlib.sha256(blob).hexdigest() != want:
                raise ValueError("its SHA-256 differs from the one recorded when it was written")
            value = torch.load(io.BytesIO(blob), map_location="cpu", weights_only=True)
            if not isinstance(value, dict) or value.get("__key__") != key:
                raise ValueError("entry does not hold its own key")
        except Exception as e:  # truncated, corrupt, or written by something else
            warnings.warn(f"lth cache entry {path} is corrupt ({type(e).__name__}: {e}); recomputing it")
            path.unlink(missing_ok=True)
            return None
        self.hits += 1
        value.pop("__key__")
        return value

    def save(self, key: str, value: dict, spec: ExperimentSpec | None = None, seeds: Sequence[int] = ()) -> None:
        """Write atomically: the description with the entry's SHA-256 first, then the entry."""
        if not self.enabled:
            return
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        buffer = io.BytesIO()
        torch.save({**value, "__key__": key}, buffer)
        blob = buffer.getvalue()
        meta = {"key": key, "sha256": hashlib.sha256(blob).hexdigest(), "seeds": [int(s) for s in seeds],
                "source": self.fingerprint, "written": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
        if spec is not None:
            meta.update({"kind": spec.kind, "spec": spec.to_dict(), "differences": spec.differences()})
        write_atomic(path.with_suffix(".json"), lambda f: json.dump(meta, f, indent=1), text=True)
        write_atomic(path, lambda f: f.write(blob))

    def exists(self, spec: ExperimentSpec, seeds: Sequence[int]) -> bool:
        """Whether an entry for (spec, seeds) is on disk (not whether it is intact: :meth:`load` says that)."""
        return self.enabled and self._path(self.key(spec, seeds)).exists()

    def held(self, spec: ExperimentSpec, seeds: Sequence[int]) -> bool:
        """Whether another worker holds the lock of (spec, seeds) right now (a probe: it may change at once)."""
        return is_held(self.lock(self.key(spec, seeds)))

    def lock(self, key: str) -> FileLock:
        path = self._path(key).with_suffix(".lock")
        path.parent.mkdir(parents=True, exist_ok=True)
        return FileLock(str(path))

    def cached(self, spec: ExperimentSpec, seeds: Sequence[int], compute: Callable[[], dict]) -> dict:
        """The entry for (spec, seeds), computed and saved when missing."""
        key = self.key(spec, seeds)
        value = self.load(key)
        if value is None:
            self.misses += 1
            value = compute()
            self.save(key, value, spec, seeds)
        return value

    def locked(self, spec: ExperimentSpec, seeds: Sequence[int], compute: Callable, name: str = "",
               prepare: Callable[[list[int]], Any] | None = None) -> dict:
        """The entry for (spec, seeds); when missing, computed under its lock (waiting for a worker that holds it),
        so a node another worker is computing is read, not computed twice. ``prepare(seeds)``, when given, runs
        first (e.g. fetching the entries a node needs) and its result is ``compute``'s second argument; its
        time is not the entry's own."""
        seeds = [int(s) for s in seeds]
        key = self.key(spec, seeds)
        value = self.load(key)
        if value is not None or not self.enabled:
            if value is None:
                self.misses += 1
                value = _call(compute, prepare, seeds)
            return value
        with self.lock(key):
            return self._compute_locked(spec, seeds, key, compute, name, prepare)

    def chunked(
        self,
        spec: ExperimentSpec,
        seeds: Sequence[int],
        chunk_size: int,
        compute: Callable,
        name: Callable[[list[int]], str] | None = None,
        prepare: Callable[[list[int]], Any] | None = None,
        ready: Callable[[list[int]], bool] | None = None,
    ) -> dict:
        """Per-seed results for ``seeds``, computed in chunks that workers claim through locks.

        ``compute(chunk)`` returns a dict whose tensors have the chunk's seeds as first
        dimension (other values must agree between chunks); chunks are concatenated in seed order.
        With ``prepare``, ``compute(chunk, prepare(chunk))`` (see :meth:`locked`). ``ready(chunk)`` False in
        the first pass (what the chunk needs is being computed by another worker) defers the chunk, so this
        worker takes another one instead of waiting.
        """
        seeds = [int(s) for s in seeds]
        if chunk_size < 1:
            raise ValueError(f"chunk_size must be >= 1, got {chunk_size!r}")
        chunks = [seeds[i : i + chunk_size] for i in range(0, len(seeds), chunk_size)]
        keys = [self.key(spec, c) for c in chunks]
        results: list[dict | None] = [self.load(k) for k in keys]
        if not self.enabled:
            results = [_call(compute, prepare, c) for c in chunks]
            self.misses += len(chunks)
            return _concat(results)
        deferred = []
        for i, (c, k) in enumerate(zip(chunks, keys)):  # first pass: take every chunk nobody holds
            if results[i] is not None:
                continue
            lock = self.lock(k)
            try:
                lock.acquire(timeout=0)
            except Timeout:
                deferred.append(i)
                continue
            if ready is not None and not ready(c):
                lock.release()
                deferred.append(i)
                continue
            try:
                results[i] = self._compute_locked(spec, c, k, compute, name(c) if name else "", prepare)
            finally:
                lock.release()
        for i in deferred:  # second pass: wait for chunks other workers hold, compute any they abandoned
            with self.lock(keys[i]):
                results[i] = self._compute_locked(spec, chunks[i], keys[i], compute,
                                                  name(chunks[i]) if name else "", prepare)
        return _concat(results)

    def _compute_locked(self, spec: ExperimentSpec, chunk: list[int], key: str,
                        compute: Callable, name: str = "", prepare: Callable | None = None) -> dict:
        value = self.load(key)
        if value is not None:
            return value
        self.misses += 1
        inputs = prepare(chunk) if prepare is not None else None
        t0 = time.perf_counter()
        value = compute(chunk) if prepare is None else compute(chunk, inputs)
        value["wall_s"] = torch.tensor([time.perf_counter() - t0] * len(chunk), dtype=torch.float64)
        self.save(key, value, spec, chunk)
        self.log(f"{name or spec.kind} seeds {chunk[0]}..{chunk[-1]}: computed in {time.perf_counter() - t0:.1f}s")
        return value


def is_held(lock: FileLock) -> bool:
    """Whether another holder has ``lock`` right now (a probe: it may change at once)."""
    try:
        lock.acquire(timeout=0)
    except Timeout:
        return True
    lock.release()
    return False


def _call(compute: Callable, prepare: Callable | None, chunk: list[int]) -> dict:
    """``compute(chunk)``, or ``compute(chunk, prepare(chunk))`` when there is a ``prepare``."""
    return compute(chunk) if prepare is None else compute(chunk, prepare(chunk))


def _concat(parts: list[dict]) -> dict:
    out = {}
    for k in parts[0]:
        vals = [p[k] for p in parts]
        if isinstance(vals[0], torch.Tensor) and vals[0].dim() > 0:
            out[k] = torch.cat(vals)
        elif isinstance(vals[0], dict):
            out[k] = _concat(vals)
        elif isinstance(vals[0], list) and vals[0] and isinstance(vals[0][0], dict):
            out[k] = [_concat([v[j] for v in vals]) for j in range(len(vals[0]))]
        else:
            out[k] = vals[0]
    return out
