"""Builders for the one-training-step benchmarks (shared by test_step.py and profile_step.py).

Every builder returns a zero-argument callable that performs exactly one optimizer step
(or, for the sequential variant, S steps of S separate S=1 trainers), with all inputs
prepared up front so that only the step itself is timed.

Workload: LeNet-300-100 (784-300-100-10), minibatch 60, Adam lr 1.2e-3, float32, CPU.
The inputs are a small pool of fixed random batches (torch.randn images, uniformly random
labels) that the step cycles through, so the networks never fit one batch perfectly
(which could eventually drive gradients into denormal floats and distort timings).
"""
from __future__ import annotations

import copy
import dataclasses
import itertools
import os
import sys
from typing import Callable

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils import prune as torch_prune

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _ROOT not in sys.path:  # `lth` is used from the checkout, not installed
    sys.path.insert(0, _ROOT)

from lth.core import masks as lth_masks  # noqa: E402
from lth.core import pruning  # noqa: E402
from lth.core.models import init_params, lenet_300_100, select_seeds  # noqa: E402
from lth.core.training import MaskedTrainer, TrainConfig  # noqa: E402

ARCH = lenet_300_100()
BATCH = 60
LR = 1.2e-3
N_CLASSES = 10
POOL = 8  # distinct fixed minibatches the step cycles through
CFG = TrainConfig(iterations=1_000, batch_size=BATCH, optimizer="adam", lr=LR)

Step = Callable[[], None]


def _data(n_models: int, seed: int = 1234) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Fixed inputs: x [POOL, n_models, B, 784], labels [POOL, n_models, B], one-hot targets."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(POOL, n_models, BATCH, ARCH.sizes[0], generator=g)
    y = torch.randint(0, N_CLASSES, (POOL, n_models, BATCH), generator=g)
    t = F.one_hot(y, N_CLASSES).to(x.dtype)
    return x, y, t


def lth_masks_for(params: dict[str, torch.Tensor], density: float) -> dict[str, torch.Tensor]:
    """Dense masks for density 1.0, else one-shot layer-wise magnitude pruning to ``density``."""
    if density >= 1.0:
        return lth_masks.dense(params)
    return pruning.one_shot_to_density(params, density)


# ----------------------------------------------------------------------------- lth
def lth_batched(n_seeds: int, density: float = 1.0, kernel: str = "auto") -> Step:
    """(b)/(c), the density sweep and the batched variant: one MaskedTrainer holding ``n_seeds`` networks.

    ``kernel="auto"`` (lth's default) runs layers below lth.sparse's crossover on the sparse
    kernels; ``"dense"`` forces the dense masked path.
    """
    params = init_params(ARCH, list(range(n_seeds)))
    masks = lth_masks_for(params, density)
    trainer = MaskedTrainer(ARCH, params, masks, dataclasses.replace(CFG, kernel=kernel))
    x, _, t = _data(n_seeds)
    batches = [(x[i].contiguous(), t[i].contiguous()) for i in range(POOL)]
    cycle = itertools.cycle(batches)

    def step() -> None:
        xb, tb = next(cycle)
        with torch.no_grad():  # as in lth.training.train
            trainer.step(xb, tb)

    step.trainer = trainer  # type: ignore[attr-defined]
    return step


def lth_sequential(n_seeds: int, density: float = 1.0) -> Step:
    """The same ``n_seeds`` networks as :func:`lth_batched`, as separate S=1 trainers stepped one after another."""
    params = init_params(ARCH, list(range(n_seeds)))
    masks = lth_masks_for(params, density)
    trainers = [
        MaskedTrainer(ARCH, select_seeds(params, [s]), select_seeds(masks, [s]), CFG) for s in range(n_seeds)
    ]
    x, _, t = _data(n_seeds)
    batches = [
        [(x[i, s : s + 1].contiguous(), t[i, s : s + 1].contiguous()) for s in range(n_seeds)] for i in range(POOL)
    ]
    cycle = itertools.cycle(batches)

    def step() -> None:
        per_seed = next(cycle)
        with torch.no_grad():
            for tr, (xb, tb) in zip(trainers, per_seed):
                tr.step(xb, tb)

    step.trainers = trainers  # type: ignore[attr-defined]
    return step


# ----------------------------------------------------------------------------- autograd baselines
class MaskedLinear(nn.Module):
    """open_lth style: the mask is multiplied into the weight inside every forward, through autograd."""

    def __init__(self, linear: nn.Linear, mask: torch.Tensor):
        super().__init__()
        self.weight = linear.weight
        self.bias = linear.bias
        self.register_buffer("mask", mask.to(linear.weight.dtype))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight * self.mask, self.bias)


def _sequential_from_lth(params: dict[str, torch.Tensor], seed: int = 0) -> nn.Sequential:
    """nn.Sequential 784-300-100-10 (ReLU) holding one seed's lth weights (lth stores [in, out], Linear [out, in])."""
    layers: list[nn.Module] = []
    for l in range(ARCH.n_layers):
        lin = nn.Linear(ARCH.sizes[l], ARCH.sizes[l + 1])
        with torch.no_grad():
            lin.weight.copy_(params[f"w{l}"][seed].T)
            lin.bias.copy_(params[f"b{l}"][seed])
        layers.append(lin)
        if l < ARCH.n_layers - 1:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def _autograd_step(model: nn.Module) -> Step:
    opt = torch.optim.Adam(model.parameters(), lr=LR)  # every other argument at its default
    x, y, _ = _data(1)
    batches = [(x[i, 0].contiguous(), y[i, 0].contiguous()) for i in range(POOL)]
    cycle = itertools.cycle(batches)

    def step() -> None:
        xb, yb = next(cycle)
        opt.zero_grad()
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()

    step.model, step.opt = model, opt  # type: ignore[attr-defined]
    return step


def torch_dense() -> Step:
    """(a) what users write today: nn.Sequential + torch.optim.Adam defaults, dense."""
    return _autograd_step(_sequential_from_lth(init_params(ARCH, [0])))


def torch_prune_step(density: float) -> Step:
    """(d) torch.nn.utils.prune.custom_from_mask with the same masks as lth at ``density``."""
    params = init_params(ARCH, [0])
    masks = lth_masks_for(params, density)
    model = _sequential_from_lth(params)
    linears = [m for m in model if isinstance(m, nn.Linear)]
    for l, lin in enumerate(linears):
        torch_prune.custom_from_mask(lin, "weight", masks[f"w{l}"][0].T.contiguous())
    return _autograd_step(model)


def open_lth_step(density: float) -> Step:
    """(e) open_lth style: F.linear(x, weight * mask, bias) in every forward, autograd, Adam defaults."""
    params = init_params(ARCH, [0])
    masks = lth_masks_for(params, density)
    model = _sequential_from_lth(params)
    layers: list[nn.Module] = []
    l = 0
    for m in model:
        if isinstance(m, nn.Linear):
            layers.append(MaskedLinear(m, masks[f"w{l}"][0].T.contiguous()))
            l += 1
        else:
            layers.append(m)
    return _autograd_step(nn.Sequential(*layers))


# ----------------------------------------------------------------------------- torch.func ensembling
def torch_func_ensemble(n_models: int, density: float = 1.0) -> Step:
    """What a PyTorch user would write to batch seeds: PyTorch's model-ensembling recipe, trained.

    ``torch.func.stack_module_state`` over ``n_models`` copies of the nn.Sequential (the same
    initial weights and masks as lth's seeds), ``vmap(grad(loss))`` with the loss of
    ``functional_call`` on the weights multiplied by their masks, then ``torch.optim.Adam(fused=True)``
    over the stacked parameters. One call = ``n_models`` model-steps.
    """
    from torch.func import functional_call, grad, stack_module_state, vmap

    params = init_params(ARCH, list(range(n_models)))
    masks = lth_masks_for(params, density)
    params = lth_masks.apply(params, masks)
    models = [_sequential_from_lth(params, s) for s in range(n_models)]
    stacked, buffers = stack_module_state(models)
    base = copy.deepcopy(models[0]).to("meta")
    linear_names = [f"{i}.weight" for i, m in enumerate(models[0]) if isinstance(m, nn.Linear)]
    mask_t = {name: masks[f"w{l}"].transpose(1, 2).to(torch.float32).contiguous() for l, name in enumerate(linear_names)}

    def loss_fn(p, b, mask, x, y):
        p = {k: v * mask[k] if k in mask else v for k, v in p.items()}
        return F.cross_entropy(functional_call(base, (p, b), (x,)), y)

    grads_of = vmap(grad(loss_fn))
    opt = torch.optim.Adam(list(stacked.values()), lr=LR, fused=True)
    x, y, _ = _data(n_models)
    batches = [(x[i].contiguous(), y[i].contiguous()) for i in range(POOL)]
    cycle = itertools.cycle(batches)

    def step() -> None:
        xb, yb = next(cycle)
        g = grads_of(stacked, buffers, mask_t, xb, yb)
        for k, v in stacked.items():
            v.grad = g[k]
        opt.step()

    step.stacked, step.masks = stacked, mask_t  # type: ignore[attr-defined]
    return step


def check_torch_func_same_training(density: float = 0.07, n_models: int = 2, n_steps: int = 3,
                                   atol: float = 1e-6, frac: float = 1e-3) -> None:
    """Assert that the torch.func ensemble and lth's batched trainer train the same networks (tolerance as below)."""
    fn = torch_func_ensemble(n_models, density)
    lth_step = lth_batched(n_models, density)
    for _ in range(n_steps):
        fn()
        lth_step()
    ours = lth_step.trainer.state()  # type: ignore[attr-defined]
    for l in range(ARCH.n_layers):
        theirs = (fn.stacked[f"{2 * l}.weight"] * fn.masks[f"{2 * l}.weight"]).detach().transpose(1, 2)  # type: ignore[attr-defined]
        diff = (theirs - ours[f"w{l}"]).abs()
        off = (diff > atol).double().mean().item()
        if off > frac:
            raise AssertionError(f"layer {l}: {off:.2%} of torch.func and lth weights differ by > {atol:g} "
                                 f"(max {diff.max().item():.3g}) after {n_steps} steps")


# ----------------------------------------------------------------------------- sanity
def check_same_training(density: float = 0.2, n_steps: int = 3, atol: float = 1e-6, frac: float = 1e-3) -> None:
    """Assert that lth, torch.nn.utils.prune and the open_lth-style module train identical networks.

    Same initial weights, masks and minibatches: after ``n_steps`` Adam steps the effective
    weights (weight * mask) must agree, so the benchmarks compare the same computation.
    Also checks the dense torch baseline against the dense lth trainer.

    Tolerance: Adam's first steps move a weight by ~lr * g / (|g| + eps), so where |g| is
    near eps, float32 round-off between mm and bmm (or MKL's alignment-dependent paths)
    changes the update by a visible fraction of lr. Hence at most ``frac`` of the weights
    may differ by more than ``atol``; a real difference (wrong mask, loss, or optimizer)
    moves most weights by ~lr.
    """
    params = init_params(ARCH, [0])
    x, y, t = _data(1)
    for dens, torch_step in ((1.0, torch_dense()), (density, torch_prune_step(density)), (density, open_lth_step(density))):
        trainer = MaskedTrainer(ARCH, params, lth_masks_for(params, dens), CFG)
        for i in range(n_steps):
            with torch.no_grad():
                trainer.step(x[i], t[i])
            torch_step()  # cycles through the same pool, from batch 0
        linears = [m for m in torch_step.model.modules() if isinstance(m, (nn.Linear, MaskedLinear))]  # type: ignore[attr-defined]
        for l, lin in enumerate(linears):
            if isinstance(lin, MaskedLinear):
                w = lin.weight.detach() * lin.mask
            elif hasattr(lin, "weight_orig"):  # torch prune: lin.weight is recomputed only at the next forward
                w = lin.weight_orig.detach() * lin.weight_mask
            else:
                w = lin.weight.detach()
            ours = trainer.state()[f"w{l}"][0].T
            diff = (w - ours).abs()
            off = (diff > atol).double().mean().item()
            if off > frac:
                raise AssertionError(
                    f"layer {l} (density {dens}): {off:.2%} of lth and torch weights differ by > {atol:g} "
                    f"(max {diff.max().item():.3g}) after {n_steps} steps"
                )
            if dens < 1.0 and bool((ours[~lth_masks_for(params, dens)[f"w{l}"][0].T] != 0).any()):
                raise AssertionError(f"layer {l}: lth moved a pruned weight")
