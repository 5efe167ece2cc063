"""Magnitude, global, one-shot, random and unit pruning: exact counts, deterministic ties, errors."""
from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import reference_keep, tied_weights
from lth.core import masks
from lth.core import models
from lth.core import pruning

PROPS = settings(max_examples=50, deadline=None)

shapes_st = st.lists(st.tuples(st.integers(1, 9), st.integers(1, 9)), min_size=1, max_size=3)
rate_st = st.floats(0.0, 1.0, exclude_max=True, allow_nan=False)
seeds_st = st.integers(1, 4)
levels_st = st.integers(1, 6)  # few distinct magnitudes: many ties


def random_weights(shapes, n_seeds, seed):
    g = torch.Generator().manual_seed(seed)
    return {f"w{l}": torch.randn(n_seeds, a, b, generator=g) for l, (a, b) in enumerate(shapes)}


# ---------------------------------------------------------------- rounding rule

@PROPS
@given(n=st.integers(0, 10_000), rate=rate_st)
def test_n_pruned_is_round_half_up(n, rate):
    k = pruning.n_pruned(n, rate)
    assert k == math.floor(rate * n + 0.5)
    assert 0 <= k <= n


@pytest.mark.parametrize("n, rate, expected", [(10, 0.25, 3), (10, 0.35, 4), (2, 0.25, 1), (4, 0.125, 1), (3, 0.1, 0), (100, 0.2, 20), (0, 0.5, 0)])
def test_n_pruned_examples(n, rate, expected):
    assert pruning.n_pruned(n, rate) == expected


# ---------------------------------------------------------------- layer-wise magnitude pruning

@PROPS
@given(shapes=shapes_st, n_seeds=seeds_st, levels=levels_st, seed=st.integers(0, 2**31 - 1), data=st.data())
def test_magnitude_prune_exact_counts_and_ties(shapes, n_seeds, levels, seed, data):
    w = tied_weights(shapes, n_seeds, levels, seed)
    names = masks.weight_names(w)
    rates = {k: data.draw(rate_st, label=f"rate {k}") for k in names}
    # start from a random mask so that "remaining" differs from the layer size
    start = {k: torch.rand(w[k].shape, generator=torch.Generator().manual_seed(seed + 1)) < 0.8 for k in names}
    out = pruning.magnitude_prune(w, start, rates)
    have = masks.counts(start)
    got = masks.counts(out)
    for k in names:
        assert out[k].dtype == torch.bool and out[k].shape == w[k].shape
        for s in range(n_seeds):
            n = int(have[k][s])
            assert int(got[k][s]) == n - pruning.n_pruned(n, rates[k])
            expect = reference_keep(w[k][s].abs().flatten().tolist(), start[k][s].flatten().tolist(), int(got[k][s]))
            assert out[k][s].flatten().tolist() == expect
        assert bool((out[k] & ~start[k]).logical_not().all())  # never revives a pruned weight


def test_ties_keep_lower_row_major_index():
    # all magnitudes equal (with both signs): pruning half keeps the first half in row-major order
    w = {"w0": torch.tensor([[[1.0, -1.0, 1.0], [-1.0, 1.0, -1.0]]])}
    out = pruning.magnitude_prune(w, masks.dense(w), 0.5)  # 6 weights: floor(3.5) = 3 pruned
    assert out["w0"].tolist() == [[[True, True, True], [False, False, False]]]
    # a tie straddling the cut: 3.0 > ties at 2.0 (indices 1, 3, 4) > 1.0; keep 3 -> 3.0 and the first two 2.0s
    w = {"w0": torch.tensor([[[1.0, 2.0, 3.0], [-2.0, 2.0, 0.5]]])}
    out = pruning.prune_to_counts(w, masks.dense(w), {"w0": 3})
    assert out["w0"].tolist() == [[[False, True, True], [True, False, False]]]


def test_pruning_is_deterministic():
    w = tied_weights([(30, 20), (20, 10)], 3, 4, 7)
    a = pruning.magnitude_prune(w, masks.dense(w), 0.37)
    b = pruning.magnitude_prune({k: v.clone() for k, v in w.items()}, masks.dense(w), 0.37)
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_paper_rates():
    assert pruning.paper_rates(["w0", "w1", "w2"]) == {"w0": 0.2, "w1": 0.2, "w2": 0.1}


# ---------------------------------------------------------------- iterative, schedule, one-shot

@PROPS
@given(shapes=shapes_st, n_seeds=seeds_st, rate=st.floats(0.0, 0.9), rounds=st.integers(0, 6), seed=st.integers(0, 2**31 - 1))
def test_iterative_masks_nested_and_follow_schedule(shapes, n_seeds, rate, rounds, seed):
    w = random_weights(shapes, n_seeds, seed)
    sched = pruning.schedule(w, rate, rounds)
    assert len(sched) == rounds + 1
    assert sched[0] == {k: w[k][0].numel() for k in w}
    m = masks.dense(w)
    g = torch.Generator().manual_seed(seed)
    for r in range(1, rounds + 1):
        # the weights change between rounds (as training would change them)
        w = {k: v + 0.5 * torch.randn(v.shape, generator=g) for k, v in w.items()}
        new = pruning.magnitude_prune(w, m, rate)
        assert masks.is_nested(new, m)
        for k, c in masks.counts(new).items():
            assert c.tolist() == [sched[r][k]] * n_seeds
        m = new
    shot = pruning.one_shot(w, rate, rounds)
    for k, c in masks.counts(shot).items():
        assert c.tolist() == [sched[-1][k]] * n_seeds


def test_schedule_matches_iterative_counts_and_paper_rates():
    w = models.init_params(models.lenet_300_100(), [0])
    names = masks.weight_names(w)
    sched = pruning.schedule(w, pruning.paper_rates(names), 3)
    # 784*300 = 235200 -> 188160 -> 150528 -> 120422 (0.2 * 150528 = 30105.6 rounds to 30106)
    assert [s["w0"] for s in sched] == [235200, 188160, 150528, 120422]
    assert [s["w2"] for s in sched] == pruning.iterative_counts(1000, 0.1, 3) == [1000, 900, 810, 729]


def test_one_shot_keeps_largest_magnitudes():
    w = random_weights([(12, 7), (7, 3)], 2, 3)
    shot = pruning.one_shot(w, 0.3, 2)
    for k in shot:
        for s in range(2):
            kept, pruned = w[k][s].abs()[shot[k][s]], w[k][s].abs()[~shot[k][s]]
            assert kept.min() >= pruned.max()


def test_one_shot_to_density():
    w = random_weights([(10, 10), (10, 3)], 2, 0)
    m = pruning.one_shot_to_density(w, 0.25)
    assert masks.counts(m)["w0"].tolist() == [25, 25]
    assert masks.counts(m)["w1"].tolist() == [8, 8]  # floor(7.5 + 0.5)
    for bad in (0.0, 1.5, -0.1):
        with pytest.raises(ValueError, match=repr(bad)):
            pruning.one_shot_to_density(w, bad)


# ---------------------------------------------------------------- global magnitude pruning

@PROPS
@given(shapes=shapes_st, n_seeds=seeds_st, levels=levels_st, rate=rate_st, seed=st.integers(0, 2**31 - 1))
def test_global_prune_total_and_globally_largest(shapes, n_seeds, levels, rate, seed):
    w = tied_weights(shapes, n_seeds, levels, seed)
    names = masks.weight_names(w)
    start = {k: torch.rand(w[k].shape, generator=torch.Generator().manual_seed(seed)) < 0.7 for k in names}
    out = pruning.global_magnitude_prune(w, start, rate)
    for s in range(n_seeds):
        have = sum(int(start[k][s].sum()) for k in names)
        kept = sum(int(out[k][s].sum()) for k in names)
        assert kept == have - pruning.n_pruned(have, rate)
        scores = [x for k in names for x in w[k][s].abs().flatten().tolist()]
        elig = [x for k in names for x in start[k][s].flatten().tolist()]
        got = [x for k in names for x in out[k][s].flatten().tolist()]
        assert got == reference_keep(scores, elig, kept)  # globally largest; ties: earlier layer, then row-major
    assert masks.is_nested(out, start)


def test_global_prune_ignores_layer_boundaries():
    w = {"w0": torch.full((1, 2, 2), 5.0), "w1": torch.full((1, 2, 2), 0.1)}
    out = pruning.global_magnitude_prune(w, masks.dense(w), 0.5)
    assert out["w0"].all() and not out["w1"].any()


# ---------------------------------------------------------------- random masks

@PROPS
@given(shapes=shapes_st, seeds=st.lists(st.integers(0, 10_000), min_size=1, max_size=5, unique=True),
       rate=rate_st, seed=st.integers(0, 2**31 - 1), index=st.integers(0, 3))
def test_random_like_counts_and_batch_invariance(shapes, seeds, rate, seed, index):
    w = random_weights(shapes, len(seeds), seed)
    m = pruning.magnitude_prune(w, masks.dense(w), rate)
    r = pruning.random_like(m, seeds, index)
    for k in m:
        assert r[k].dtype == torch.bool and r[k].shape == m[k].shape
        assert torch.equal(masks.counts(r)[k], masks.counts(m)[k])
    for i, s in enumerate(seeds):  # seed s alone == seed s at position i of the batch
        alone = pruning.random_like({k: v[i : i + 1] for k, v in m.items()}, [s], index)
        assert all(torch.equal(alone[k][0], r[k][i]) for k in m)


def test_random_like_differs_from_input_and_between_seeds():
    w = models.init_params(models.Architecture((40, 30, 10)), [0, 1, 2])
    m = pruning.magnitude_prune(w, masks.dense(w), 0.5)
    r = pruning.random_like(m, [0, 1, 2])
    for k in m:
        for s in range(3):
            assert not torch.equal(r[k][s], m[k][s])
        assert not torch.equal(r[k][0], r[k][1])
    r1 = pruning.random_like(m, [0, 1, 2], index=1)
    assert not torch.equal(r["w0"], r1["w0"])  # another index: another independent draw
    r_again = pruning.random_like(m, [0, 1, 2])
    assert all(torch.equal(r[k], r_again[k]) for k in m)
    with pytest.raises(ValueError, match="2 seeds"):
        pruning.random_like(m, [0, 1])


# ---------------------------------------------------------------- rearranged control

@PROPS
@given(shapes=shapes_st, seeds=st.lists(st.integers(0, 10_000), min_size=1, max_size=4, unique=True),
       rate=rate_st, seed=st.integers(0, 2**31 - 1), index=st.integers(0, 3))
def test_rearrange_permutes_kept_values_only_and_ignores_batching(shapes, seeds, rate, seed, index):
    w = random_weights(shapes, len(seeds), seed)
    m = pruning.magnitude_prune(w, masks.dense(w), rate)
    r = pruning.rearrange(w, m, seeds, index)
    for k in masks.weight_names(w):
        for i in range(len(seeds)):
            kept = m[k][i]
            assert torch.equal(torch.sort(r[k][i][kept]).values, torch.sort(w[k][i][kept]).values)  # same values
            assert torch.equal(r[k][i][~kept], w[k][i][~kept])  # pruned positions untouched
    for i, s in enumerate(seeds):  # seed s alone == seed s at position i of the batch
        alone = pruning.rearrange({k: v[i : i + 1] for k, v in w.items()}, {k: v[i : i + 1] for k, v in m.items()},
                                  [s], index)
        assert all(torch.equal(alone[k][0], r[k][i]) for k in w)


def test_rearrange_moves_values_and_checks_its_inputs():
    w = models.init_params(models.Architecture((40, 30, 10)), [0, 1])
    m = pruning.magnitude_prune(w, masks.dense(w), 0.8)
    r = pruning.rearrange(w, m, [0, 1])
    assert not torch.equal(r["w0"][m["w0"]], w["w0"][m["w0"]])  # 240 kept values: a shuffle moves them
    assert torch.equal(r["b0"], w["b0"])
    assert not torch.equal(pruning.rearrange(w, m, [0, 1], index=1)["w0"], r["w0"])
    with pytest.raises(ValueError, match="3 seeds"):
        pruning.rearrange(w, m, [0, 1, 2])


# ---------------------------------------------------------------- unit pruning

@PROPS
@given(n_in=st.integers(1, 8), hidden=st.integers(1, 12), n_out=st.integers(1, 5), n_seeds=seeds_st,
       seed=st.integers(0, 2**31 - 1), data=st.data())
def test_unit_prune_keeps_k_whole_units_with_largest_scores(n_in, hidden, n_out, n_seeds, seed, data):
    k = data.draw(st.integers(1, hidden), label="keep")
    w = random_weights([(n_in, hidden), (hidden, n_out)], n_seeds, seed)
    scores = pruning.unit_scores(w)
    manual = torch.cat([w["w0"].transpose(1, 2), w["w1"]], 2).norm(dim=2)  # ||incoming, outgoing||_2 per unit
    torch.testing.assert_close(scores, manual)
    m = pruning.unit_prune(w, k)
    for s in range(n_seeds):
        cols = m["w0"][s]  # [in, H]: a unit is a column of w0
        rows = m["w1"][s]  # [H, out]: and a row of w1
        unit_kept = cols[0]
        assert bool((cols == unit_kept[None, :]).all()) and bool((rows == unit_kept[:, None]).all())
        assert int(unit_kept.sum()) == k
        assert unit_kept.tolist() == reference_keep(scores[s].tolist(), [True] * hidden, k)


@PROPS
@given(hidden=st.integers(1, 12), seeds=st.lists(st.integers(0, 1000), min_size=1, max_size=4, unique=True), data=st.data())
def test_random_unit_prune_keeps_k_units(hidden, seeds, data):
    k = data.draw(st.integers(1, hidden), label="keep")
    w = random_weights([(3, hidden), (hidden, 2)], len(seeds), 0)
    m = pruning.random_unit_prune(w, k, seeds)
    for i, s in enumerate(seeds):
        unit_kept = m["w0"][i][0]
        assert int(unit_kept.sum()) == k
        assert bool((m["w0"][i] == unit_kept[None, :]).all()) and bool((m["w1"][i] == unit_kept[:, None]).all())
        alone = pruning.random_unit_prune({n: v[i : i + 1] for n, v in w.items()}, k, [s])
        assert torch.equal(alone["w0"][0], m["w0"][i])


def test_unit_prune_errors():
    w = random_weights([(3, 5), (5, 2)], 1, 0)
    for bad in (0, 6, 2.5, "2"):
        with pytest.raises(ValueError, match=repr(bad).replace(".", r"\.")):
            pruning.unit_prune(w, bad)
        with pytest.raises(ValueError, match=repr(bad).replace(".", r"\.")):
            pruning.random_unit_prune(w, bad, [0])
    with pytest.raises(ValueError, match="one hidden layer"):
        pruning.unit_prune(random_weights([(3, 4), (4, 4), (4, 2)], 1, 0), 2)


# ---------------------------------------------------------------- invalid input

BAD_RATES = [-0.1, 1.0, 1.5, float("nan"), float("inf"), -float("inf"), True, False, "0.2", None, [0.2]]


@pytest.mark.parametrize("rate", BAD_RATES, ids=repr)
def test_bad_rates_raise_value_error_naming_the_value(rate):
    w = random_weights([(4, 3), (3, 2)], 2, 0)
    m = masks.dense(w)
    calls = [
        lambda: pruning.check_rate(rate),
        lambda: pruning.n_pruned(10, rate),
        lambda: pruning.magnitude_prune(w, m, rate),
        lambda: pruning.magnitude_prune(w, m, {"w0": 0.2, "w1": rate}),
        lambda: pruning.global_magnitude_prune(w, m, rate),
        lambda: pruning.schedule(w, rate, 2),
        lambda: pruning.one_shot(w, rate, 2),
        lambda: pruning.iterative_counts(10, rate, 2),
    ]
    for call in calls:
        with pytest.raises(ValueError) as e:
            call()
        assert repr(rate) in str(e.value)


def test_rate_mapping_must_name_every_layer():
    w = random_weights([(4, 3), (3, 2)], 1, 0)
    with pytest.raises(ValueError, match=r"\['w0'\]"):
        pruning.magnitude_prune(w, masks.dense(w), {"w0": 0.2})


def test_wrong_weight_shape_raises_naming_the_shape():
    w = {"w0": torch.randn(4, 3)}  # 2-D: the seed axis is missing
    for call in (lambda: masks.dense(w), lambda: pruning.one_shot(w, 0.2, 1), lambda: pruning.schedule(w, 0.2, 1),
                 lambda: pruning.magnitude_prune(w, {"w0": torch.ones(4, 3, dtype=torch.bool)}, 0.2),
                 lambda: pruning.global_magnitude_prune(w, {"w0": torch.ones(4, 3, dtype=torch.bool)}, 0.2)):
        with pytest.raises(ValueError, match=r"\(4, 3\)"):
            call()


def test_wrong_dtypes_raise_naming_the_dtype():
    wi = {"w0": torch.ones(1, 4, 3, dtype=torch.int64)}
    with pytest.raises(ValueError, match="torch.int64"):
        pruning.magnitude_prune(wi, {"w0": torch.ones(1, 4, 3, dtype=torch.bool)}, 0.2)
    with pytest.raises(ValueError, match="torch.int64"):
        pruning.one_shot(wi, 0.2, 1)
    w = {"w0": torch.randn(1, 4, 3)}
    for call in (lambda m: pruning.magnitude_prune(w, m, 0.2), lambda m: pruning.global_magnitude_prune(w, m, 0.2)):
        with pytest.raises(ValueError, match="torch.float32"):
            call({"w0": torch.ones(1, 4, 3)})  # a float mask


def test_mask_shape_and_keys_and_seed_count_checked():
    w = {"w0": torch.randn(2, 4, 3), "w1": torch.randn(2, 3, 2)}
    with pytest.raises(ValueError, match=r"\(2, 3, 4\)"):
        pruning.magnitude_prune(w, {"w0": torch.ones(2, 3, 4, dtype=torch.bool), "w1": torch.ones(2, 3, 2, dtype=torch.bool)}, 0.2)
    with pytest.raises(ValueError, match="keyed"):
        pruning.magnitude_prune(w, {"w0": torch.ones(2, 4, 3, dtype=torch.bool)}, 0.2)
    with pytest.raises(ValueError, match="3 seeds"):
        masks.dense({"w0": torch.randn(2, 4, 3), "w1": torch.randn(3, 3, 2)})
    with pytest.raises(ValueError, match="cannot keep"):
        pruning.prune_to_counts(w, masks.dense(w), {"w0": 13, "w1": 1})
    with pytest.raises(ValueError, match="rounds"):
        pruning.schedule(w, 0.2, -1)
