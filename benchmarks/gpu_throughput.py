"""Seed-batched LeNet-300-100 training throughput on a GPU: batched vs one seed at a time.

Run on a CUDA machine: ``python benchmarks/gpu_throughput.py`` (prints model-steps per second).
Timed with CUDA events after warm-up; the data are resident on the device.
"""
import torch

from lth import masks as M
from lth import models, pruning, training


def model_steps_per_second(S: int, steps: int = 200, sparsity: float | None = 0.8) -> float:
    arch = models.lenet_300_100()
    params = models.init_params(arch, range(S), device="cuda")
    masks = M.dense(params) if sparsity is None else pruning.one_shot_to_density(params, 1 - sparsity)
    trainer = training.MaskedTrainer(arch, params, masks, training.TrainConfig())
    x = torch.randn(S, 60, 784, device="cuda")
    t = torch.nn.functional.one_hot(torch.randint(0, 10, (S, 60), device="cuda"), 10).float()
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
    print(f"device: {torch.cuda.get_device_name(0)}, torch {torch.__version__}")
    one = model_steps_per_second(1)
    print(f"S=1 (one seed at a time): {one:,.0f} model-steps/s")
    for S in (8, 32, 128, 512):
        r = model_steps_per_second(S)
        print(f"S={S} batched: {r:,.0f} model-steps/s = {r / one:.1f}x one seed at a time")
