"""Independent, reproducible random streams per (seed, purpose, index).

Every random draw in lth goes through :func:`generator`, so that seed ``s`` sees the
same numbers whether it is trained alone or at any position in a batch of any size.
"""
from __future__ import annotations

import numpy as np
import torch

# One code per purpose: streams with different purposes never share numbers.
STREAMS = {
    "init": 1,  # initial weights of the original network
    "reinit": 2,  # fresh initial weights for the random-reinitialisation control
    "data": 3,  # order of training examples
    "random_mask": 4,  # random pruning control
    "split": 5,  # train/validation split of MNIST
    "bootstrap": 6,  # bootstrap resampling in lth.stats
    "rearrange": 7,  # the rearranged control: survivors' initial values shuffled among surviving positions
    "sign": 8,  # random signs of the random-sign constant control (Zhou et al. 2019)
}


def stream_seed(seed: int, purpose: str, *index: int) -> int:
    """A 63-bit integer derived from (seed, purpose, index) by numpy's SeedSequence."""
    if purpose not in STREAMS:
        raise ValueError(f"unknown random stream {purpose!r}; known: {sorted(STREAMS)}")
    if int(seed) < 0 or any(int(i) < 0 for i in index):
        raise ValueError(f"seeds and stream indices must be non-negative, got {seed}, {index}")
    seed = int(seed)
    # 32-bit words of the seed, then the purpose and how many indices follow: no two requests share entropy
    words = [seed & 0xFFFFFFFF, seed >> 32, STREAMS[purpose], len(index), *map(int, index)]
    state = np.random.SeedSequence(words).generate_state(2, np.uint32)
    return int((int(state[0]) << 31) ^ int(state[1]))


def generator(seed: int, purpose: str, *index: int) -> torch.Generator:
    """A CPU torch.Generator for one seed's stream (draw on CPU, then move: same numbers on any device)."""
    return torch.Generator(device="cpu").manual_seed(stream_seed(seed, purpose, *index))
