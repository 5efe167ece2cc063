"""Mask helpers: dense, counts, density, apply, is_nested and validation."""
from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lth.core import masks
from lth.core import models
from lth.core import pruning

PROPS = settings(max_examples=50, deadline=None)


def test_weight_names_in_layer_order():
    p = {f"w{l}": torch.zeros(1, 2, 2) for l in (10, 2, 0, 1)} | {"b0": torch.zeros(1, 2)}
    assert masks.weight_names(p) == ["w0", "w1", "w2", "w10"]


def test_dense_counts_density():
    p = models.init_params(models.Architecture((5, 4, 3)), [0, 1])
    d = masks.dense(p)
    assert sorted(d) == ["w0", "w1"] and all(v.dtype == torch.bool and v.all() for v in d.values())
    assert masks.counts(d)["w0"].tolist() == [20, 20]
    assert masks.density(d).tolist() == [1.0, 1.0]
    m = pruning.magnitude_prune(p, d, {"w0": 0.5, "w1": 0.0})  # 10 of 20 pruned, none of 12
    assert masks.density(m).tolist() == pytest.approx([22 / 32, 22 / 32])
    assert masks.layer_density(m)["w0"].tolist() == [0.5, 0.5]


@PROPS
@given(seed=st.integers(0, 2**31 - 1), rate=st.floats(0.0, 0.99), n_seeds=st.integers(1, 3))
def test_apply_zeroes_pruned_bitwise_and_keeps_the_rest(seed, rate, n_seeds):
    p = models.init_params(models.Architecture((7, 6, 3)), list(range(seed % 1000, seed % 1000 + n_seeds)))
    p["b0"] += 0.5  # biases are never masked
    m = pruning.magnitude_prune(p, masks.dense(p), rate)
    a = masks.apply(p, m)
    assert sorted(a) == sorted(p)
    for k in m:
        assert bool((a[k][~m[k]].view(torch.int32) == 0).all())  # +0.0 bit for bit, not -0.0
        assert torch.equal(a[k][m[k]], p[k][m[k]])
    assert torch.equal(a["b0"], p["b0"]) and a["b0"] is not p["b0"]
    assert not torch.equal(a["w0"], p["w0"]) or bool(m["w0"].all())


def test_apply_zeroes_non_finite_pruned_weights():
    p = {"w0": torch.tensor([[[float("inf"), -float("inf")], [float("nan"), 2.0]]])}
    m = {"w0": torch.tensor([[[False, False], [False, True]]])}
    a = masks.apply(p, m)
    assert a["w0"].tolist() == [[[0.0, 0.0], [0.0, 2.0]]]


@PROPS
@given(seed=st.integers(0, 2**31 - 1))
def test_is_nested(seed):
    g = torch.Generator().manual_seed(seed)
    outer = {"w0": torch.rand(2, 5, 4, generator=g) < 0.6}
    inner = {"w0": outer["w0"] & (torch.rand(2, 5, 4, generator=g) < 0.5)}
    assert masks.is_nested(inner, outer)
    assert masks.is_nested(outer, outer)
    extra = {"w0": inner["w0"].clone()}
    pruned = (~outer["w0"]).nonzero()
    if len(pruned):
        extra["w0"][tuple(pruned[0])] = True  # revive one weight the outer mask pruned
        assert not masks.is_nested(extra, outer)


def test_check_masks_messages():
    w = {"w0": torch.randn(2, 3, 4)}
    with pytest.raises(ValueError, match="torch.float32"):
        masks.check_masks({"w0": torch.ones(2, 3, 4)}, w)
    with pytest.raises(ValueError, match=r"\(2, 4, 3\)"):
        masks.check_masks({"w0": torch.ones(2, 4, 3, dtype=torch.bool)}, w)
    with pytest.raises(ValueError, match="torch.int32"):
        masks.check_weights({"w0": torch.ones(2, 3, 4, dtype=torch.int32)})
    with pytest.raises(ValueError, match=r"\(3, 4\)"):
        masks.check_weights({"w0": torch.randn(3, 4)})
    with pytest.raises(ValueError, match="no weights"):
        masks.check_weights({"b0": torch.randn(2, 3)})
    with pytest.raises(ValueError, match="list"):
        masks.check_weights({"w0": [[1.0]]})
