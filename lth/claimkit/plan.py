"""The experiment graph of a set of claims, declared before anything runs (``python -m lth plan``).

Each claim lists the (arm, level) pairs its checks and figures read (:meth:`lth.claimkit.claim.Claim.needs`);
each arm names the experiments it needs at that level (:meth:`lth.claimkit.arms.Arm.experiments`); their
nodes, deduplicated by key, are the graph (:class:`lth.experiments.graph.Graph`).
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

from lth.experiments.graph import Graph, Node, Setting
from lth.experiments.lab import Lab
from lth.experiments.store import Store


class _Unrun:
    """The executor of a lab that only plans: it has a store (to say what is cached) and runs nothing."""

    def __init__(self, store: Store | None):
        self.store = store

    def fetch(self, experiment):
        raise RuntimeError("a planning lab runs nothing")

    entry = fetch


def planning_lab(setting: Setting, store: Store | None = None) -> Lab:
    return Lab(setting, _Unrun(store))


def graph_for(claims: Iterable, lab: Lab) -> Graph:
    """The graph of every experiment the claims read at the lab's setting."""
    graph = Graph()
    for claim in claims:
        for arm, level in claim.needs(lab):
            graph.add_all(arm.experiments(lab, arm.level if arm.level is not None else level))
    return graph


def is_cached(store: Store | None, node: Node) -> bool:
    return store is not None and store.exists(node.spec, node.chunk)


def _level(node: Node) -> str:
    s = node.spec
    if s.kind.startswith("xor"):
        return f"H={s.arch.sizes[1]}"
    if s.kind == "lenet-dense":
        return f"x{s.arch.sizes[1] / 300:g}"
    return f"round {s.round}"


def describe(graph: Graph, store: Store | None = None, *, edges: bool = True) -> list[str]:
    """The plan as lines: every node (kind, control, level, data set, seeds, iterations, cached), the edges,
    the critical path and the totals."""
    lines = [f"{'kind':<22} {'control':<21} {'level':<10} {'data set':<14} {'seeds':<12} {'iterations':>10}  cached  node"]
    index = {}
    for i, n in enumerate(graph.order()):
        index[n.id] = i
        s = n.spec
        lines.append(f"{s.kind:<22} {(s.control or '-'):<21} {_level(n):<10} {s.dataset:<14} "
                     f"{f'{n.chunk[0]}..{n.chunk[-1]}':<12} {n.steps:>10,}  {'yes' if is_cached(store, n) else 'no ':<6}  "
                     f"#{i} {n.name}")
    if edges:
        lines.append("edges (needed -> needing):")
        lines += [f"  #{index[a.id]} -> #{index[b.id]}" for a, b in graph.edges()]
    t = graph.totals()
    cached = sum(is_cached(store, n) for n in graph.nodes.values())
    lines.append(f"critical path: {t['critical_path_steps']:,} training steps through {len(t['critical_path'])} nodes "
                 f"({' -> '.join(t['critical_path'][:3])}{' -> ...' if len(t['critical_path']) > 3 else ''})")
    lines.append(f"total: {t['nodes']} nodes ({cached} cached), {t['edges']} edges, {t['trainings']} trainings "
                 f"of a seed chunk, {t['unique_trainings']} unique (a ticket retrained for the rounds' own budget is "
                 f"the round), {t['model_steps']:,} model-steps ({t['unique_model_steps']:,} unique)")
    return lines


def collect_claims(paths: list[str], keyword: str | None = None, rootdir: str | Path | None = None) -> list:
    """The claims pytest would collect from ``paths`` with ``-k keyword`` (pytest's own selection)."""
    import pytest

    class _Collect:
        items: list = []

        def pytest_collection_finish(self, session):
            self.items = list(session.items)

    collector = _Collect()
    args = [*paths, "--collect-only", "-p", "no:cacheprovider", "-p", "no:terminal"]
    if keyword:
        args += ["-k", keyword]
    if rootdir is not None:
        args += ["--rootdir", str(rootdir)]
    code = pytest.main(args, plugins=[collector])
    if code not in (0, 5):
        raise ValueError(f"collecting claims from {' '.join(paths)} failed (pytest exit status {int(code)})")
    return [getattr(i.function, "lth_claim") for i in collector.items if hasattr(getattr(i, "function", None), "lth_claim")]
