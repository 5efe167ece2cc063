"""Seed-batched fully connected networks: S independent networks as stacked tensors.

Parameters are plain ``dict[str, Tensor]``: ``w{l}`` shaped [S, fan_in, fan_out] and
``b{l}`` shaped [S, fan_out]. A forward pass is one batched matmul per layer, so S seeds
cost one kernel launch per layer instead of S.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Callable, Sequence

import torch

from lth.core import rng

ACTIVATIONS = ("relu", "tanh", "sigmoid")
OUTPUTS = ("softmax", "sigmoid")  # softmax: cross-entropy over classes; sigmoid: one logit, binary cross-entropy


@dataclass(frozen=True)
class Architecture:
    """A multilayer perceptron: ``sizes`` = (inputs, hidden..., outputs)."""

    sizes: tuple[int, ...]
    activation: str = "relu"
    output: str = "softmax"
    name: str = "mlp"

    def __post_init__(self) -> None:
        if len(self.sizes) < 2 or any(int(s) != s or s < 1 for s in self.sizes):
            raise ValueError(f"layer sizes must be >= 2 positive integers, got {self.sizes!r}")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, got {self.activation!r}")
        if self.output not in OUTPUTS:
            raise ValueError(f"output must be one of {OUTPUTS}, got {self.output!r}")
        if self.output == "sigmoid" and self.sizes[-1] != 1:
            raise ValueError(f"a sigmoid output has one unit, got {self.sizes[-1]}")

    @property
    def n_layers(self) -> int:
        return len(self.sizes) - 1

    @property
    def weight_names(self) -> list[str]:
        return [f"w{l}" for l in range(self.n_layers)]

    def weight_shapes(self) -> dict[str, tuple[int, int]]:
        return {f"w{l}": (self.sizes[l], self.sizes[l + 1]) for l in range(self.n_layers)}

    def n_weights(self) -> int:
        return sum(a * b for a, b in self.weight_shapes().values())

    def to_dict(self) -> dict:
        return asdict(self)


def xor_net(hidden: int, activation: str = "relu") -> Architecture:
    """The paper's XOR network (v1, Sec. 2): 2 inputs, ``hidden`` units, 1 sigmoid output."""
    return Architecture((2, int(hidden), 1), activation=activation, output="sigmoid", name=f"xor-2-{hidden}-1")


def lenet_300_100(width: float = 1.0) -> Architecture:
    """LeNet-300-100 (784-300-100-10); ``width`` scales both hidden layers, keeping 3:1."""
    if not (isinstance(width, (int, float)) and width > 0 and math.isfinite(width)):
        raise ValueError(f"width multiplier must be a positive number, got {width!r}")
    h1, h2 = round(300 * width), round(100 * width)
    if h1 < 1 or h2 < 1:
        raise ValueError(f"width multiplier {width!r} leaves an empty hidden layer ({h1}, {h2})")
    return Architecture((784, h1, h2, 10), activation="relu", output="softmax", name=f"lenet-{h1}-{h2}")


def glorot_std(shape: Sequence[int]) -> float:
    """The standard deviation of Gaussian Glorot initialisation, sqrt(2 / (fan_in + fan_out)), for a
    weight of shape [..., fan_in, fan_out]."""
    fan_in, fan_out = int(shape[-2]), int(shape[-1])
    return math.sqrt(2.0 / (fan_in + fan_out))


def glorot_normal(shape: tuple[int, int], gen: torch.Generator) -> torch.Tensor:
    """Gaussian Glorot (Xavier) initialisation: N(0, 2 / (fan_in + fan_out)), as in the paper."""
    return torch.randn(shape, generator=gen) * glorot_std(shape)


def init_params(
    arch: Architecture,
    seeds: Sequence[int],
    *,
    stream: str = "init",
    index: int = 0,
    device: str | torch.device = "cpu",
) -> dict[str, torch.Tensor]:
    """Initial parameters for each seed, drawn from that seed's own generator.

    ``stream="reinit"`` with ``index=j`` gives the j-th independent reinitialisation
    (the random-reinit control). Biases start at zero.
    """
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise ValueError("seeds must not be empty")
    per_seed: list[dict[str, torch.Tensor]] = []
    for s in seeds:  # initialisation only, never in the training step
        gen = rng.generator(s, stream, index)
        per_seed.append({name: glorot_normal(shape, gen) for name, shape in arch.weight_shapes().items()})
    params: dict[str, torch.Tensor] = {}
    for l in range(arch.n_layers):
        params[f"w{l}"] = torch.stack([p[f"w{l}"] for p in per_seed]).to(device)
        params[f"b{l}"] = torch.zeros(len(seeds), arch.sizes[l + 1], device=device)
    return params


def activate(z: torch.Tensor, activation: str) -> torch.Tensor:
    if activation == "relu":
        return torch.relu(z)
    if activation == "tanh":
        return torch.tanh(z)
    return torch.sigmoid(z)


Linear = Callable[[int, torch.Tensor], torch.Tensor]


def dense_linear(params: dict[str, torch.Tensor]) -> Linear:
    """Layer l's product as ``torch.matmul(h, w_l) + b_l``: the evaluation kernel of the dense path.

    ``h`` is [N, in] shared by all seeds or [S, N, in] per seed; the result is [S, N, out].
    """
    return lambda l, h: torch.matmul(h, params[f"w{l}"]) + params[f"b{l}"][:, None, :]


def forward(
    arch: Architecture,
    params: dict[str, torch.Tensor] | None,
    x: torch.Tensor,
    *,
    linear: Linear | None = None,
    inputs: list[torch.Tensor] | None = None,
) -> torch.Tensor:
    """The forward pass, the only one in lth: each layer's product, then the activation (none after the last).

    By default the product is :func:`dense_linear` of ``params``: logits [S, N, out] for x [N, in]
    shared by all seeds or [S, N, in] per seed. ``linear(l, h)`` replaces it, with ``params``
    unused: the trainer's ``baddbmm``, the sparse kernels and their feature-major layout
    (``lth.sparse``) go through here too, so training, evaluation and the tests share one pass.
    ``inputs``, when given, receives each layer's input (x, then every hidden activation), which
    the trainer's hand-written backward needs.
    """
    if linear is None:
        linear = dense_linear(params)
    h = x
    for l in range(arch.n_layers):
        if inputs is not None:
            inputs.append(h)
        h = linear(l, h)
        if l < arch.n_layers - 1:
            h = activate(h, arch.activation)
    return h


def select_seeds(params: dict[str, torch.Tensor], idx: Sequence[int] | torch.Tensor) -> dict[str, torch.Tensor]:
    """The sub-batch of networks at positions ``idx`` (copies)."""
    idx = torch.as_tensor(idx, dtype=torch.long)
    return {k: v[idx.to(v.device)].clone() for k, v in params.items()}
