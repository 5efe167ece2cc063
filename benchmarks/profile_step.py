"""torch.profiler view of the lth training step: S seeds batched in one MaskedTrainer vs S trainers in a loop.

Run:  .venv/bin/python benchmarks/profile_step.py [--seeds 8] [--steps 40] [--density 0.2] [--threads 2]

Prints, for each variant, the wall time per model-step, the achieved GFLOP/s against a
large-GEMM reference measured on the same threads (below density 1 the masked step runs lth's
sparse kernels, so its "dense-equivalent" GFLOP/s count the multiply-adds it skips), the key_averages table (self CPU time),
and the same table grouped by input shape so the three layers' matmuls can be told apart.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import torch
from torch.profiler import ProfilerActivity, profile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _cpu  # noqa: E402
import _steps as steps  # noqa: E402


def flops_per_model_step() -> float:
    """Multiply-adds x2 of one step: forward, weight gradients, input gradients of layers 1.. (none for the input)."""
    sizes, B = steps.ARCH.sizes, steps.BATCH
    mm = sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
    fwd = 2 * B * mm
    wgrad = 2 * B * mm
    igrad = 2 * B * sum(a * b for a, b in zip(sizes[1:-1], sizes[2:]))
    return float(fwd + wgrad + igrad)


def gemm_reference(n: int = 1024, reps: int = 20) -> float:
    """GFLOP/s of a large square float32 matmul on the current threads (what MKL can reach here)."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    for _ in range(3):
        a @ b
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t0)
    return 2 * n**3 / best / 1e9


def wall_per_call(fn, seconds: float = 1.0) -> float:
    """Min over ~20 ms chunks of the wall time per call (robust to neighbours stealing a core)."""
    for _ in range(5):
        fn()
    best, t_end = float("inf"), time.perf_counter() + seconds
    while time.perf_counter() < t_end:
        t0, n = time.perf_counter(), 0
        while time.perf_counter() - t0 < 0.02:
            fn()
            n += 1
        best = min(best, (time.perf_counter() - t0) / n)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=8)
    ap.add_argument("--steps", type=int, default=40, help="profiled calls per variant")
    ap.add_argument("--density", type=float, default=0.2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rows", type=int, default=12)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    S = args.seeds

    flops = flops_per_model_step()
    peak = gemm_reference()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {torch.backends.cpu.get_cpu_capability()}")
    print(f"one model-step = {flops / 1e6:.1f} MFLOP; large-GEMM reference on these threads: {peak:.0f} GFLOP/s")

    variants = [
        (f"S={S} batched (one MaskedTrainer)", steps.lth_batched(S, args.density), S),
        (f"S={S} sequential ({S} S=1 MaskedTrainers in a loop)", steps.lth_sequential(S, args.density), S),
        ("torch dense baseline (a), S=1", steps.torch_dense(), 1),
    ]
    for name, fn, n_models in variants:
        _cpu.settle(10.0)  # wait for a quiet, fast host (see _cpu.py)
        quiet_start = _cpu.snapshot()
        per_call = wall_per_call(fn)
        per_model = per_call / n_models
        print("\n" + "=" * 100)
        eq = " dense-equivalent" if args.density < 1 and "torch dense" not in name else ""
        print(
            f"{name}: {per_call * 1e3:.2f} ms per call, {per_model * 1e6:.0f} us per model-step, "
            f"{1 / per_model:.0f} model-steps/s, {flops / per_model / 1e9:.0f}{eq} GFLOP/s "
            f"({flops / per_model / 1e9 / peak:.0%} of the GEMM reference)"
        )
        with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
            for _ in range(args.steps):
                fn()
        o = _cpu.others(quiet_start, _cpu.snapshot())
        if o is not None and o[1] > 0.1:
            print(f"  (noisy: other processes took {o[1]:.0%} of a core meanwhile)")
        probe, best = _cpu.probe_us(), _cpu.best_probe_us()
        if best and probe > 1.2 * best:
            print(f"  (slow host: probe {probe:.0f} us vs best {best:.0f} us; see _cpu.py)")
        ka = prof.key_averages()
        total = sum(e.self_cpu_time_total for e in ka)
        print(f"  profiled {args.steps} calls, self CPU total {total / 1e3:.1f} ms; top ops by self CPU:")
        for e in sorted(ka, key=lambda e: -e.self_cpu_time_total)[: min(args.rows, 8)]:
            print(f"    {e.key:<28} {100 * e.self_cpu_time_total / total:5.1f}%  {e.count // args.steps:4d} calls/step")
        print(ka.table(sort_by="self_cpu_time_total", row_limit=args.rows))
        print(prof.key_averages(group_by_input_shape=True).table(sort_by="self_cpu_time_total", row_limit=args.rows))


if __name__ == "__main__":
    main()
