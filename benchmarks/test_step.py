"""One training step of LeNet-300-100 (784-300-100-10), batch 60, Adam lr 1.2e-3, on the CPU.

Run:  .venv/bin/python -m pytest benchmarks -p no:xdist --benchmark-only
(torch threads are pinned in benchmarks/conftest.py, which also prints the ratio table.)

Variants (``extra_info['variant']``):
  a           nn.Sequential + torch.optim.Adam (defaults, lr 1.2e-3) + F.cross_entropy, dense
  b           lth MaskedTrainer, masks.dense, S=1
  c           lth MaskedTrainer, pruning.one_shot_to_density 0.2 / 0.04 (80% / 96% sparse), S=1
  d           torch.nn.utils.prune.custom_from_mask (same masks as c) + Adam defaults
  e           open_lth style: F.linear(x, weight * mask, bias) in every forward + Adam defaults
  batched     one MaskedTrainer holding S seeds (80% sparse), one call = S model-steps
  sequential  the same S seeds as S separate S=1 MaskedTrainers stepped in a loop

Timing: each benchmark is warmed up, then timed with ``benchmark.pedantic`` using rounds of
several steps (~5 ms) and enough rounds for ~2 s; stats are per call of the step function
(divide by ``models`` for a model-step; the ratio table in conftest.py does).
"""
from __future__ import annotations

import os
import time

import pytest

import _cpu
import _steps as steps

ROUND_S = 0.005  # target duration of one timed round
BENCH_S = 2.0  # target total timed duration of one benchmark
WARMUP_S = 0.3
# Before timing, wait up to this long (in all) for other processes to leave the 2 cores
# alone and for the host to leave a slow episode (see _cpu.py). Either way the benchmark
# records the neighbours' CPU share and the host probe before/after timing (extra_info),
# and the ratio table flags it. 0 disables the waiting.
WAIT_S = float(os.environ.get("LTH_BENCH_WAIT", "8"))


def _run(benchmark, fn, *, variant: str, density: float = 1.0, models: int = 1) -> None:
    benchmark.extra_info.update(variant=variant, density=density, models=models)
    if getattr(benchmark, "disabled", False):  # --benchmark-disable: a smoke run, one call
        benchmark(fn)
        return
    # warm up (threads, allocator, MKL/oneDNN kernel selection, Adam state) and estimate one call
    times: list[float] = []
    t0 = time.perf_counter()
    while len(times) < 5 or time.perf_counter() - t0 < WARMUP_S:
        t1 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t1)
    per_call = sorted(times)[len(times) // 2]
    iterations = max(1, round(ROUND_S / per_call))
    rounds = int(min(1000, max(15, BENCH_S / (iterations * per_call))))
    waited, probe_before, _ = _cpu.settle(WAIT_S) if WAIT_S > 0 else (0.0, _cpu.probe_us(), None)
    for _ in range(3):  # the probe ran another network: bring ours back into the caches
        fn()
    start = _cpu.snapshot()
    benchmark.pedantic(fn, rounds=rounds, iterations=iterations, warmup_rounds=1)
    others = _cpu.others(start, _cpu.snapshot())
    benchmark.extra_info.update(
        other_cpu=round(others[1], 3) if others else None,
        probe_before_us=round(probe_before, 1),
        probe_after_us=round(_cpu.probe_us(), 1),
        waited_s=round(waited, 1),
    )


@pytest.fixture(scope="module", autouse=True)
def same_computation():
    """Before timing anything: every variant trains exactly the same networks (see _steps.check_same_training)."""
    steps.check_same_training(0.2)
    steps.check_same_training(0.04)


# ----------------------------------------------------------------------------- S=1, dense
@pytest.mark.benchmark(group="S=1 dense")
def test_a_torch_dense(benchmark):
    _run(benchmark, steps.torch_dense(), variant="a")


@pytest.mark.benchmark(group="S=1 dense")
def test_b_lth_dense(benchmark):
    _run(benchmark, steps.lth_batched(1, 1.0), variant="b")


# ----------------------------------------------------------------------------- S=1, masked
DENSITIES = [
    pytest.param(0.2, id="80pct", marks=pytest.mark.benchmark(group="S=1 80% sparse")),
    pytest.param(0.04, id="96pct", marks=pytest.mark.benchmark(group="S=1 96% sparse")),
]


@pytest.mark.parametrize("density", DENSITIES)
def test_c_lth_masked(benchmark, density):
    _run(benchmark, steps.lth_batched(1, density), variant="c", density=density)


@pytest.mark.parametrize("density", DENSITIES)
def test_d_torch_prune(benchmark, density):
    _run(benchmark, steps.torch_prune_step(density), variant="d", density=density)


@pytest.mark.parametrize("density", DENSITIES)
def test_e_open_lth_style(benchmark, density):
    _run(benchmark, steps.open_lth_step(density), variant="e", density=density)


# ----------------------------------------------------------------------------- seeds: batched vs sequential
SEEDS = [
    pytest.param(n, id=f"S{n}", marks=pytest.mark.benchmark(group=f"S={n} seeds, 80% sparse (one call = {n} model-steps)"))
    for n in (1, 8, 32)
]
SEED_DENSITY = 0.2  # 80% sparse, the lottery-ticket use; (c)~(b) so density barely matters here


@pytest.mark.parametrize("n_seeds", SEEDS)
def test_seeds_batched(benchmark, n_seeds):
    _run(benchmark, steps.lth_batched(n_seeds, SEED_DENSITY), variant="batched", density=SEED_DENSITY, models=n_seeds)


@pytest.mark.parametrize("n_seeds", SEEDS)
def test_seeds_sequential(benchmark, n_seeds):
    _run(benchmark, steps.lth_sequential(n_seeds, SEED_DENSITY), variant="sequential", density=SEED_DENSITY, models=n_seeds)
