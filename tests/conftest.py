"""Shared fixtures for the lth test suite."""
from __future__ import annotations

import functools
import os
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # import lth from this checkout, also in xdist workers
    sys.path.insert(0, str(ROOT))

from lth.core import data  # noqa: E402

# xdist runs one worker per core (-n 2 on a 2-core machine): one intra-op thread per worker
# avoids oversubscription, and makes CPU results independent of the thread count.
torch.set_num_threads(1)


@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    torch.set_num_threads(1)  # after the lth plugin's own thread policy, which would give -n 0 every core


@functools.lru_cache(maxsize=1)
def _load_mnist() -> data.Dataset:
    return data.mnist()  # LTH_DATA or the default cache folder; never downloads into an explicit root


@pytest.fixture(scope="module")
def mnist() -> data.Dataset:
    """Real MNIST (55K/5K/10K), loaded once per worker process (~3 s).

    Skipped only when LTH_DATA is unset and the data are missing; with LTH_DATA set (as in CI)
    a missing or broken data set is an error, not a skip.
    """
    try:
        return _load_mnist()
    except data.DataError as e:
        if os.environ.get("LTH_DATA"):
            raise
        pytest.skip(f"MNIST not available and LTH_DATA is unset (set LTH_DATA=../shared/data): {e}")

