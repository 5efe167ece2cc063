"""One training run's hyperparameters (defaults: the paper's LeNet-300-100 protocol) and the padding rule."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from lth.core import sparse

OPTIMIZERS = ("adam", "sgd")
# The feature-major path pads a minibatch with zero examples to a multiple of 8 (one AVX2 vector of
# float32; their gradient is zeroed): sampled_addmm's dot products and embedding_bag's rows then end
# on a whole vector. Measured at batch 60 -> 64 (784x300, 1 thread): the weight gradient takes
# 0.78-0.87x the time, the forward and input-gradient bags 0.88-0.95x, for 7% more multiply-adds.
PAD = 8


@dataclass(frozen=True)
class TrainConfig:
    """Hyperparameters of one training run (defaults: the paper's LeNet-300-100 protocol)."""

    iterations: int = 50_000
    batch_size: int = 60
    optimizer: str = "adam"
    lr: float = 1.2e-3
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    momentum: float = 0.0  # SGD only
    eval_every: int = 100
    rewind_iteration: int = 0  # also return the weights after this many iterations (late rewinding)
    data_order: int = 0  # index of the per-seed data-order stream
    kernel: str = "auto"  # "auto": sparse kernels for layers below lth.sparse's crossover; "dense": today's dense path everywhere
    # also record the run as it stood after this many iterations (its weights, early stopping over the evaluations
    # so far, and their test accuracy): exactly what a run of that length gives, so one training serves both budgets
    prefix_iterations: int = 0

    def __post_init__(self) -> None:
        def positive_int(name: str) -> None:
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"{name} must be a positive integer, got {v!r}")

        for name in ("iterations", "batch_size", "eval_every"):
            positive_int(name)
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {self.optimizer!r}")
        if isinstance(self.lr, bool) or not (isinstance(self.lr, (int, float)) and self.lr > 0 and math.isfinite(self.lr)):
            raise ValueError(f"lr must be a positive number, got {self.lr!r}")
        if self.iterations % self.eval_every:
            raise ValueError(f"iterations ({self.iterations}) must be a multiple of eval_every ({self.eval_every})")
        if isinstance(self.rewind_iteration, bool) or not isinstance(self.rewind_iteration, int) \
                or not (0 <= self.rewind_iteration < self.iterations):
            raise ValueError(f"rewind_iteration must be in [0, iterations), got {self.rewind_iteration!r}")
        p = self.prefix_iterations
        if isinstance(p, bool) or not isinstance(p, int) or not (0 <= p < self.iterations) or p % self.eval_every:
            raise ValueError(f"prefix_iterations must be 0 or a multiple of eval_every ({self.eval_every}) below "
                             f"iterations ({self.iterations}), got {p!r}")
        for name in ("beta1", "beta2", "momentum"):
            if not (0.0 <= getattr(self, name) < 1.0):
                raise ValueError(f"{name} must be in [0, 1), got {getattr(self, name)!r}")
        sparse.check_kernel(self.kernel)

    def to_dict(self) -> dict:
        d = asdict(self)
        if not d["prefix_iterations"]:
            del d["prefix_iterations"]  # keys of runs without a prefix record are what they were before it existed
        return d
