"""How lth uses the machine's cores when pytest-xdist runs claims in several worker processes."""
from __future__ import annotations

import os

import torch


def share_cores(workers: int, threads: int | None = None) -> int:
    """Give this process its share of the cores: ``threads`` if given, else the cores divided among ``workers``
    (one intra-op thread per xdist worker on 2 cores; every core for a run without xdist).

    Workers that each use every core oversubscribe the CPU; an explicit share keeps the step's
    matmuls on one core per worker, the setting the benchmarks and the ci preset were measured with.
    """
    threads = int(threads) if threads else max(1, (os.cpu_count() or 1) // max(1, int(workers)))
    torch.set_num_threads(threads)
    return threads
