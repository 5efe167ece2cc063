"""How lth uses the machine's cores when pytest-xdist runs claims in several worker processes."""
from __future__ import annotations

import os

import torch


def share_cores(workers: int) -> int:
    """Give this worker process its share of the cores (one intra-op thread per worker on 2 cores).

    Workers that each use every core oversubscribe the CPU; an explicit share keeps the step's
    matmuls on one core per worker, the setting the benchmarks and the ci preset were measured with.
    """
    threads = max(1, (os.cpu_count() or 1) // max(1, int(workers)))
    torch.set_num_threads(threads)
    return threads
