"""CUDA checks (skipped without a GPU): same results as the CPU, no host syncs in the hot loop."""
import pytest
import torch

from lth.core import models
from lth.core import pruning
from lth.core import training
from lth.core.data import Dataset

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


def _data(device):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(600, 20, generator=g)
    y = torch.randint(0, 4, (600,), generator=g)
    return Dataset("synthetic", x[:480], y[:480], x[480:540], y[480:540], x[540:], y[540:]).to(device)


def _run(device, seeds):
    arch = models.Architecture((20, 32, 16, 4))
    params = models.init_params(arch, seeds)
    masks = pruning.one_shot_to_density(params, 0.3)
    cfg = training.TrainConfig(iterations=200, batch_size=20, eval_every=50)
    return training.train(arch, params, masks, _data(device), cfg, seeds), masks


def test_cuda_matches_cpu_within_float_tolerance():
    cpu, _ = _run("cpu", [0, 1, 2])
    gpu, _ = _run("cuda", [0, 1, 2])
    for k in cpu["final"]:
        torch.testing.assert_close(gpu["final"][k], cpu["final"][k], atol=1e-4, rtol=1e-3)
    assert torch.equal(gpu["es_iteration"], cpu["es_iteration"])


def test_pruned_weights_stay_zero_on_cuda():
    rec, masks = _run("cuda", [3, 4])
    for k, m in masks.items():
        assert bool((rec["final"][k][~m] == 0).all())


def test_training_loop_never_synchronises_with_the_host():
    arch = models.Architecture((20, 32, 16, 4))
    params = models.init_params(arch, [0, 1], device="cuda")
    masks = {k: v.cuda() for k, v in pruning.one_shot_to_density(params, 0.3).items()}
    trainer = training.MaskedTrainer(arch, params, masks, training.TrainConfig())
    data = _data("cuda")
    idx = torch.randint(0, 480, (2, 20), device="cuda")
    x, t = data.train_x[idx], torch.nn.functional.one_hot(data.train_y[idx], 4).float()
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")  # any device-to-host synchronisation raises
    try:
        for _ in range(20):
            trainer.step(x, t)
        loss, acc = training.evaluate(arch, trainer.state(), data.val_x, data.val_y)
    finally:
        torch.cuda.set_sync_debug_mode("default")
    assert loss.shape == (2,) and acc.shape == (2,)
