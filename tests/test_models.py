"""Architectures, initialisation streams, the forward pass and the random streams behind them."""
from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lth.core import masks
from lth.core import models
from lth.core import pruning
from lth.core import rng

PROPS = settings(max_examples=50, deadline=None)


def test_architectures():
    a = models.lenet_300_100()
    assert a.sizes == (784, 300, 100, 10) and a.n_layers == 3 and a.weight_names == ["w0", "w1", "w2"]
    assert a.n_weights() == 784 * 300 + 300 * 100 + 100 * 10 == 266_200
    assert models.lenet_300_100(0.5).sizes == (784, 150, 50, 10)
    x = models.xor_net(10)
    assert x.sizes == (2, 10, 1) and x.output == "sigmoid"
    assert models.Architecture.__hash__ is not None and a == models.lenet_300_100()


@pytest.mark.parametrize("kwargs, fragment", [
    (dict(sizes=(784,)), "(784,)"),
    (dict(sizes=()), "()"),
    (dict(sizes=(784, 0, 10)), "(784, 0, 10)"),
    (dict(sizes=(784, -3, 10)), "(784, -3, 10)"),
    (dict(sizes=(784, 2.5, 10)), "(784, 2.5, 10)"),
    (dict(sizes=(4, 3), activation="gelu"), "'gelu'"),
    (dict(sizes=(4, 3), output="linear"), "'linear'"),
    (dict(sizes=(4, 3), output="sigmoid"), "3"),
])
def test_architecture_validation(kwargs, fragment):
    with pytest.raises(ValueError) as e:
        models.Architecture(**kwargs)
    assert fragment in str(e.value)


@pytest.mark.parametrize("width", [0, -1.0, float("nan"), float("inf"), "1", 0.001])
def test_lenet_width_validation(width):
    with pytest.raises(ValueError, match="width"):
        models.lenet_300_100(width)


@PROPS
@given(seeds=st.lists(st.integers(0, 10**6), min_size=1, max_size=6, unique=True), stream=st.sampled_from(["init", "reinit"]),
       index=st.integers(0, 3))
def test_init_is_per_seed_whatever_the_batch(seeds, stream, index):
    arch = models.Architecture((6, 5, 4, 3))
    p = models.init_params(arch, seeds, stream=stream, index=index)
    for i, s in enumerate(seeds):
        alone = models.init_params(arch, [s], stream=stream, index=index)
        assert all(torch.equal(alone[k][0], p[k][i]) for k in p)
    assert all(not p[f"b{l}"].any() for l in range(arch.n_layers))
    assert {k: tuple(v.shape) for k, v in p.items()} == {
        "w0": (len(seeds), 6, 5), "b0": (len(seeds), 5), "w1": (len(seeds), 5, 4), "b1": (len(seeds), 4),
        "w2": (len(seeds), 4, 3), "b2": (len(seeds), 3)}


def test_glorot_scale():
    p = models.init_params(models.lenet_300_100(), [0, 1])
    for k, (a, b) in models.lenet_300_100().weight_shapes().items():
        std = p[k].std().item()
        assert std == pytest.approx(math.sqrt(2 / (a + b)), rel=0.05), k
        assert abs(p[k].mean().item()) < 0.1 * std


def test_reinit_keeps_mask_and_changes_weights():
    arch = models.Architecture((20, 15, 5))
    seeds = [0, 1, 2]
    init = models.init_params(arch, seeds)
    m = pruning.magnitude_prune(init, masks.dense(init), 0.6)
    re0 = masks.apply(models.init_params(arch, seeds, stream="reinit"), m)
    re1 = masks.apply(models.init_params(arch, seeds, stream="reinit", index=1), m)
    for k in m:
        for re in (re0, re1):
            assert torch.equal(re[k] != 0, m[k])  # same mask (Gaussian draws are never exactly 0)
            assert not bool((re[k][m[k]] == init[k][m[k]]).any())  # different values wherever kept
        assert not torch.equal(re0[k], re1[k])  # the j-th reinitialisation is its own draw
    back = masks.apply(init, m)  # rewinding to iteration 0
    for k in m:
        assert torch.equal(back[k][m[k]], init[k][m[k]])


def test_init_params_errors():
    with pytest.raises(ValueError, match="empty"):
        models.init_params(models.xor_net(2), [])
    with pytest.raises(ValueError, match="'bogus'"):
        models.init_params(models.xor_net(2), [0], stream="bogus")
    with pytest.raises(ValueError, match="-1"):
        models.init_params(models.xor_net(2), [-1])


@PROPS
@given(activation=st.sampled_from(models.ACTIVATIONS), n_seeds=st.integers(1, 4), n=st.integers(1, 7), seed=st.integers(0, 10**6))
def test_forward_matches_per_seed_loop(activation, n_seeds, n, seed):
    arch = models.Architecture((5, 4, 3, 2), activation=activation)
    p = models.init_params(arch, range(seed, seed + n_seeds))
    p = {k: v + 0.1 if k.startswith("b") else v for k, v in p.items()}
    x = torch.randn(n, 5, generator=torch.Generator().manual_seed(seed))
    out = models.forward(arch, p, x)
    assert out.shape == (n_seeds, n, 2)
    act = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid}[activation]
    for s in range(n_seeds):
        h = x
        for l in range(3):
            h = h @ p[f"w{l}"][s] + p[f"b{l}"][s]
            h = act(h) if l < 2 else h
        torch.testing.assert_close(out[s], h)
    per_seed_x = x.expand(n_seeds, -1, -1)
    torch.testing.assert_close(models.forward(arch, p, per_seed_x), out)


def test_forward_records_layer_inputs_and_takes_the_callers_products():
    arch = models.Architecture((5, 4, 3, 2))
    p = models.init_params(arch, [0, 1])
    p = {k: v + 0.1 if k.startswith("b") else v for k, v in p.items()}
    x = torch.randn(2, 7, 5, generator=torch.Generator().manual_seed(0))
    inputs: list[torch.Tensor] = []
    out = models.forward(arch, p, x, inputs=inputs)
    assert len(inputs) == arch.n_layers and inputs[0] is x
    assert torch.equal(inputs[1], torch.relu(torch.matmul(x, p["w0"]) + p["b0"][:, None, :]))  # the dense product, bit for bit
    assert torch.equal(models.forward(arch, p, x), out)
    calls = []

    def linear(l, h):  # the trainer's product: baddbmm
        calls.append(l)
        return torch.baddbmm(p[f"b{l}"].unsqueeze(1), h, p[f"w{l}"])

    torch.testing.assert_close(models.forward(arch, None, x, linear=linear), out)
    assert calls == [0, 1, 2]


def test_select_seeds_copies():
    p = models.init_params(models.xor_net(3), [5, 6, 7])
    sub = models.select_seeds(p, [2, 0])
    assert torch.equal(sub["w0"][0], p["w0"][2]) and torch.equal(sub["w1"][1], p["w1"][0])
    sub["w0"].zero_()
    assert p["w0"].abs().sum() > 0


def test_streams_are_distinct_and_reproducible():
    # The number of indices and the seed's high word are part of the entropy: no zero-padding collisions
    assert rng.stream_seed(0, "split") != rng.stream_seed(0, "split", 0)
    assert rng.stream_seed(2**32, "init", 0) != rng.stream_seed(0, "init", 1)
    assert rng.stream_seed(0, "data", 1) != rng.stream_seed(0, "data", 1, 0)
    seeds = {rng.stream_seed(s, purpose, *idx) for s in range(5) for purpose in rng.STREAMS for idx in [(0,), (1,), (7,)]}
    seeds |= {rng.stream_seed(s, purpose, *idx) for s in range(5) for purpose in rng.STREAMS for idx in [(0, 1), (2, 5), (3, 3)]}
    assert len(seeds) == 5 * len(rng.STREAMS) * 6
    assert all(0 <= v < 2**63 for v in seeds)
    assert rng.stream_seed(3, "data", 0, 2) == rng.stream_seed(3, "data", 0, 2)
    a = torch.rand(4, generator=rng.generator(1, "init"))
    assert torch.equal(a, torch.rand(4, generator=rng.generator(1, "init")))
    with pytest.raises(ValueError, match="'nope'"):
        rng.stream_seed(0, "nope")
    with pytest.raises(ValueError, match="-2"):
        rng.stream_seed(0, "data", -2)
