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
  density     the density sweep: lth's step (kernel="auto") at Pm 100, 51, 21, 7 and 3.6%, for S=1
              (test_step_at_density) and S=2, the CPU chunk size of the claims (test_step_at_density_s2)
  torch.func  PyTorch's model-ensembling recipe (stack_module_state, vmap(grad(loss)) of the masked
              weights, fused Adam) at S=8 and 32, against lth's batched step at the same S and Pm

Timing: each benchmark is warmed up, then timed with ``benchmark.pedantic`` using rounds of
several steps (~5 ms) and enough rounds for ~2 s; stats are per call of the step function
(divide by ``models`` for a model-step; the ratio table in conftest.py does). The density
sweep and the torch.func ensembles also time their reference (the dense step; lth's batched
step) in bursts alternating with their own for 1.5 s, and record that interleaved ratio.
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
INTERLEAVE_S = 1.5  # the density sweep and the ensemble comparison also time their reference interleaved, this long


def interleaved_ratio(fn, reference, seconds: float = INTERLEAVE_S, burst_s: float = 0.005) -> float:
    """min burst time of ``fn`` / min burst time of ``reference``, the two timed in alternating bursts.

    Immune to what the host does between two benchmarks (its slow episodes last seconds to
    minutes, see _cpu.py): both sides of the ratio see the same moments.
    """
    reps = []
    for f in (fn, reference):
        t0 = time.perf_counter()
        for _ in range(3):
            f()
        reps.append(max(1, round(burst_s / ((time.perf_counter() - t0) / 3))))
    best = [float("inf"), float("inf")]
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        for i, f in enumerate((fn, reference)):
            t0 = time.perf_counter()
            for _ in range(reps[i]):
                f()
            best[i] = min(best[i], (time.perf_counter() - t0) / reps[i])
    return best[0] / best[1]


def _run(benchmark, fn, *, variant: str, density: float = 1.0, models: int = 1, reference=None) -> None:
    """Time ``fn``; with ``reference`` (a step of as many models), also their interleaved ratio (extra_info)."""
    benchmark.extra_info.update(variant=variant, density=density, models=models)
    if getattr(benchmark, "disabled", False):  # --benchmark-disable: a smoke run, one call
        benchmark(fn)
        if reference is not None:
            reference()
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
    if reference is not None:
        benchmark.extra_info["vs_reference"] = round(interleaved_ratio(fn, reference), 4)


@pytest.fixture(scope="module", autouse=True)
def same_computation():
    """Before timing anything: every variant trains exactly the same networks (see _steps.check_same_training)."""
    steps.check_same_training(0.2)
    steps.check_same_training(0.04)
    for density in (1.0, 0.21, 0.036):
        steps.check_torch_func_same_training(density)


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


# ----------------------------------------------------------------------------- density sweep
# Pm (percent of weights remaining), as the paper names its levels; one-shot layer-wise pruning of the init
SWEEP = [(100, 1.0), (51, 0.51), (21, 0.21), (7, 0.07), (3.6, 0.036)]


@pytest.mark.parametrize("density", [pytest.param(d, id=f"{pm:g}", marks=pytest.mark.benchmark(group="density sweep, S=1"))
                                     for pm, d in SWEEP])
def test_step_at_density(benchmark, density):
    ref = steps.lth_batched(1, 1.0) if density < 1.0 else None
    _run(benchmark, steps.lth_batched(1, density), variant="density", density=density, reference=ref)


@pytest.mark.parametrize("density", [pytest.param(d, id=f"{pm:g}", marks=pytest.mark.benchmark(group="density sweep, S=2"))
                                     for pm, d in SWEEP])
def test_step_at_density_s2(benchmark, density):
    ref = steps.lth_batched(2, 1.0) if density < 1.0 else None
    _run(benchmark, steps.lth_batched(2, density), variant="density", density=density, models=2, reference=ref)


# ----------------------------------------------------------------------------- torch.func ensembling vs lth batched
ENSEMBLE = [pytest.param(n, d, id=f"S{n}-{pm:g}", marks=pytest.mark.benchmark(group=f"S={n} ensemble, Pm {pm:g}%"))
            for n in (8, 32) for pm, d in SWEEP]


@pytest.mark.parametrize("n_models, density", ENSEMBLE)
def test_torch_func_ensemble(benchmark, n_models, density):
    _run(benchmark, steps.torch_func_ensemble(n_models, density), variant="torch.func", density=density, models=n_models,
         reference=steps.lth_batched(n_models, density))


@pytest.mark.parametrize("n_models, density", ENSEMBLE)
def test_lth_ensemble(benchmark, n_models, density):
    _run(benchmark, steps.lth_batched(n_models, density), variant="batched", density=density, models=n_models)
