"""Executors run the experiment graph's nodes. The unit of work is a node: a spec on a seed chunk, its needs as inputs.

:class:`LocalExecutor` is lth's own behaviour on one machine, shared by pytest-xdist workers through the
store: an experiment's chunks are taken first where nobody holds them, nor anything they need, and
waited for where another worker does (:meth:`lth.experiments.store.Store.chunked`); every node a chunk
needs is read or computed under its own lock (:meth:`~lth.experiments.store.Store.locked`), so no node
is trained twice and a worker takes another chunk rather than wait for another's pruning chain.
Other executors (a GPU cohort, a cluster) implement the same :class:`Executor` protocol.
"""
from __future__ import annotations

from typing import Callable, Protocol

from lth.core import data as lth_data
from lth.experiments.graph import Experiment, Node
from lth.experiments.store import Store


class Context:
    """What a recipe may ask for beyond its inputs: a data set on the device (loaded once per process)."""

    def __init__(self, device: str = "cpu"):
        self.device = device
        self._data: dict[str, lth_data.Dataset] = {}

    def dataset(self, name: str) -> lth_data.Dataset:
        if name not in self._data:
            self._data[name] = lth_data.load(name, device=self.device)
        return self._data[name]


class Executor(Protocol):
    store: Store

    def fetch(self, experiment: Experiment) -> dict:
        """The experiment's entry: its nodes' entries concatenated in seed order (computed where missing)."""

    def entry(self, node: Node) -> dict:
        """One node's entry (computed, with what it needs, where missing)."""


class LocalExecutor:
    """Runs nodes in this process through the store's chunk locks (xdist workers share the work)."""

    def __init__(self, store: Store, context: Context | None = None, log: Callable[[str], None] | None = None):
        self.store, self.context = store, context or Context()
        self.log = log or (lambda msg: None)
        self._fetched: dict[tuple, dict] = {}  # experiments already fetched in this process (records never mutate them)

    def _busy(self, node: Node) -> bool:
        """Whether a node this one needs, and that is not stored yet, is being computed by another worker."""
        for d in node.needs:
            if self.store.exists(d.spec, d.chunk):
                continue
            if self.store.held(d.spec, d.chunk) or self._busy(d):
                return True
        return False

    def _inputs(self, node: Node) -> list[dict]:
        return [self.entry(d) for d in node.needs]

    def entry(self, node: Node) -> dict:
        return self.store.locked(node.spec, node.chunk, lambda chunk, inputs: node.recipe(self.context, inputs),
                                 node.name, prepare=lambda chunk: self._inputs(node))

    def fetch(self, experiment: Experiment) -> dict:
        memo = (experiment.spec.key(), tuple(experiment.seeds))
        if memo not in self._fetched:
            self._fetched[memo] = self._fetch(experiment)
        return self._fetched[memo]

    def _fetch(self, experiment: Experiment) -> dict:
        by_chunk = {n.chunk: n for n in experiment.nodes}
        size = max(len(n.chunk) for n in experiment.nodes)  # the setting's chunk size (the last chunk may be short)
        return self.store.chunked(experiment.spec, experiment.seeds, size,
                                  lambda c, inputs: by_chunk[tuple(c)].recipe(self.context, inputs),
                                  name=lambda c: by_chunk[tuple(c)].name,
                                  prepare=lambda c: self._inputs(by_chunk[tuple(c)]),
                                  ready=lambda c: not self._busy(by_chunk[tuple(c)]))

