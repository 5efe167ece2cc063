"""Seed-batched LeNet-300-100 training throughput on a GPU: batched vs one seed at a time, and the sparse path.

Run on a CUDA machine: ``python benchmarks/gpu_throughput.py`` (prints model-steps per second).
Timed with CUDA events after warm-up; the data are resident on the device.

``--densities`` adds the question lth.sparse leaves open: on the GPU, does the sparse path
(``kernel="auto"`` with "cuda" added to ``lth.sparse.SPARSE_DEVICES``) beat the dense masked
path? It prints, at Pm 100, 51, 21, 7 and 3.6% and S = 1, 8 and 128, the sparse step's time
over the dense step's; below 1 at some density means "cuda" belongs in SPARSE_DEVICES (with
the crossover measured there).
"""
import argparse

import torch

from lth.core import masks as M
from lth.core import models
from lth.core import pruning
from lth.core import sparse
from lth.core import training


def model_steps_per_second(S: int, steps: int = 200, sparsity: float | None = 0.8, kernel: str = "dense") -> float:
    arch = models.lenet_300_100()
    params = models.init_params(arch, range(S), device="cuda")
    masks = M.dense(params) if sparsity is None else pruning.one_shot_to_density(params, 1 - sparsity)
    trainer = training.MaskedTrainer(arch, params, masks, training.TrainConfig(kernel=kernel))
    x = torch.randn(S, 60, 784, device="cuda")
    t = torch.nn.functional.one_hot(torch.randint(0, 10, (S, 60), device="cuda"), 10).float()
    with torch.no_grad():
        for _ in range(20):
            trainer.step(x, t)
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        torch.cuda.synchronize()
        start.record()
        for _ in range(steps):
            trainer.step(x, t)
        end.record()
        torch.cuda.synchronize()
    return S * steps / (start.elapsed_time(end) / 1e3)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--densities", action="store_true", help="also time the sparse path against the dense one")
    a = ap.parse_args()
    print(f"device: {torch.cuda.get_device_name(0)}, torch {torch.__version__}")
    one = model_steps_per_second(1)
    print(f"S=1 (one seed at a time): {one:,.0f} model-steps/s")
    for S in (8, 32, 128, 512):
        r = model_steps_per_second(S)
        print(f"S={S} batched: {r:,.0f} model-steps/s = {r / one:.1f}x one seed at a time")
    if a.densities:
        sparse.SPARSE_DEVICES = ("cpu", "cuda")
        print("sparse path / dense masked path, time per step (lower: the sparse path is faster)")
        for S in (1, 8, 128):
            for pm in (51, 21, 7, 3.6):
                dense = model_steps_per_second(S, sparsity=1 - pm / 100, kernel="dense")
                auto = model_steps_per_second(S, sparsity=1 - pm / 100, kernel="auto")
                print(f"  S={S:<4} Pm {pm:>4}%: {dense / auto:.2f}x")
