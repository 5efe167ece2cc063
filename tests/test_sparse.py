"""The sparse path (lth.sparse, lth.layers): kernels, the per-layer choice, and training that equals the dense path.

Tolerance (the sparse path against the dense masked path, float32 on the CPU): the products are
the same sums in another order, so
  * one step: every weight and bias gradient within 1e-5 of the dense one, relative to the
    network's largest gradient (measured relative to each layer's own largest gradient: <= 2.5e-6
    over 300 steps of LeNet-300-100 on MNIST at 21%);
  * after 100 Adam steps: every parameter within 1e-5 (measured on MNIST: 2.3e-6 at 21%, 4.5e-8
    at 3.6%), validation losses within 1e-5, the same early-stopping iteration.
Over longer runs the two trajectories separate the way any change of float rounding makes them
separate (on MNIST at 21% a +1-ulp change of the output layer's init moves weights by 3e-2 after
1,000 steps; the sparse path by 0.18), so long runs are compared by accuracy: after 1,000 and
2,000 steps at 21%, 7% and 3.6% (two seeds, LeNet-300-100, MNIST) test accuracies differed by at
most 0.14 points, and the early-stopping iterations were the same.
"""
from __future__ import annotations

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import synthetic, worst_batch_vs_alone
from lth.core import layers
from lth.core import masks
from lth.core import models
from lth.core import pruning
from lth.core import sparse
from lth.core import training

PROPS = settings(max_examples=40, deadline=None)
# all_sparse only sets module constants, the same for every generated input
PROPS_FORCED = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
GRAD_RTOL = 1e-5
SMALL = models.Architecture((16, 24, 12, 4), name="lenet-like")


@pytest.fixture
def all_sparse(monkeypatch):
    """Every layer runs sparse, whatever its size and density (the automatic rule would keep small nets dense)."""
    monkeypatch.setattr(sparse, "CROSSOVER_DENSITY", 1.0)
    monkeypatch.setattr(sparse, "MIN_SPARSE_WEIGHTS", 0)
    monkeypatch.setattr(sparse, "MIN_SPARSE_SHARE", 0.0)


def equal_count_mask(S: int, n_in: int, n_out: int, nnz: int, gen: torch.Generator) -> torch.Tensor:
    m = torch.zeros(S, n_in * n_out, dtype=torch.bool)
    for s in range(S):
        m[s, torch.randperm(n_in * n_out, generator=gen)[:nnz]] = True
    return m.view(S, n_in, n_out)


def assert_rel_close(got: torch.Tensor, want: torch.Tensor, rtol: float = GRAD_RTOL, what: str = "",
                     scale: float | None = None) -> None:
    """max |got - want| <= rtol * scale (default scale: max |want|)."""
    assert got.shape == want.shape, (what, got.shape, want.shape)
    if not want.numel():
        return
    scale = max(want.abs().max().item() if scale is None else scale, 1e-30)
    err = (got - want).abs().max().item()
    assert err <= rtol * scale, f"{what}: max |diff| {err:.3g} > {rtol:g} x {scale:.3g}"


# ---------------------------------------------------------------- kernels

@PROPS
@given(S=st.integers(1, 3), n_in=st.integers(1, 30), n_out=st.integers(1, 20), n=st.integers(1, 12),
       frac=st.floats(0.0, 1.0), seed=st.integers(0, 2**31 - 1))
def test_kernels_match_dense_products(S, n_in, n_out, n, frac, seed):
    g = torch.Generator().manual_seed(seed)
    nnz = round(frac * n_in * n_out)
    mask = equal_count_mask(S, n_in, n_out, nnz, g)
    w = masks.apply({"w0": torch.randn(S, n_in, n_out, generator=g)}, {"w0": mask})["w0"]
    b = torch.randn(S, n_out, generator=g)
    hT = torch.randn(S, n_in, n, generator=g)
    dzT = torch.randn(S, n_out, n, generator=g)
    lay = sparse.SparseLayer(mask)
    vals = lay.gather(w)
    assert vals.shape == (S, nnz)
    back = lay.scatter(vals)
    assert torch.equal(back.view(torch.int32), w.view(torch.int32))  # pruned +0.0 bit for bit, kept values exact
    assert_rel_close(lay.forward(vals, b, hT), torch.baddbmm(b.unsqueeze(2), w.transpose(1, 2), hT), what="forward")
    shared = hT[0]
    assert_rel_close(lay.forward(vals, b, shared), torch.matmul(w.transpose(1, 2), shared) + b.unsqueeze(2), what="shared input")
    grad = torch.zeros(S, nnz)
    lay.weight_grad(dzT, hT, lay.grad_target(grad))
    dense_grad = torch.bmm(hT, dzT.transpose(1, 2))
    assert_rel_close(grad, lay.gather(dense_grad), what="weight grad")
    assert_rel_close(lay.input_grad(vals, dzT), torch.bmm(w, dzT), what="input grad")


def test_grad_target_checks_its_buffer():
    lay = sparse.SparseLayer(torch.ones(2, 3, 4, dtype=torch.bool))
    with pytest.raises(ValueError, match=r"\[2, 12\]"):
        lay.grad_target(torch.zeros(2, 11))
    with pytest.raises(ValueError, match="same count"):
        sparse.SparseLayer(torch.tensor([[[True, False]], [[True, True]]]))


def test_kernels_are_bitwise_deterministic_and_per_seed():
    g = torch.Generator().manual_seed(3)
    S, n_in, n_out, n = 4, 50, 40, 16
    mask = equal_count_mask(S, n_in, n_out, 300, g)
    w = torch.randn(S, n_in, n_out, generator=g) * mask
    hT, dzT = torch.randn(S, n_in, n, generator=g), torch.randn(S, n_out, n, generator=g)
    lay = sparse.SparseLayer(mask)
    vals = lay.gather(w)
    b = torch.zeros(S, n_out)

    def run(l, v, h, d):
        grad = torch.zeros_like(v)
        l.weight_grad(d, h, l.grad_target(grad))
        return l.forward(v, b[: v.shape[0]], h), grad, l.input_grad(v, d)

    a, c = run(lay, vals, hT, dzT), run(lay, vals.clone(), hT.clone(), dzT.clone())
    assert all(torch.equal(x, y) for x, y in zip(a, c))
    for s in range(S):  # each seed's bags and dot products read only its own rows
        one = sparse.SparseLayer(mask[s : s + 1])
        alone = run(one, one.gather(w[s : s + 1]), hT[s : s + 1], dzT[s : s + 1])
        for x, y in zip(alone, a):
            torch.testing.assert_close(x[0], y[s], atol=1e-6, rtol=1e-6)


# ---------------------------------------------------------------- the per-layer choice

def test_plan_chooses_per_layer_by_density_size_and_equal_counts():
    arch = models.lenet_300_100()
    p = models.init_params(arch, [0, 1])
    assert sparse.plan(masks.dense(p)) == [None, None, None]
    m21 = pruning.one_shot_to_density(p, 0.21)
    assert [isinstance(x, sparse.SparseLayer) for x in sparse.plan(m21)] == [True, True, True]
    assert sparse.plan(m21, "dense") == [None, None, None]
    assert sparse.plan(pruning.one_shot_to_density(p, 0.51)) == [None, None, None]  # above the crossover
    paper = pruning.one_shot(p, pruning.paper_rates(arch.weight_names), 7)  # Pm 21%: the output layer keeps 48%
    assert [isinstance(x, sparse.SparseLayer) for x in sparse.plan(paper)] == [True, True, False]
    glob = pruning.global_magnitude_prune(p, masks.dense(p), 0.9)  # counts differ between seeds: dense
    assert masks.counts(glob)["w0"][0] != masks.counts(glob)["w0"][1]
    assert sparse.plan(glob)[0] is None
    only_w1 = dict(masks.dense(p), w1=m21["w1"])  # a sparse 300x100 beside a dense 784x300: not worth the layout
    assert sparse.plan(only_w1) == [None, None, None]
    xor = models.init_params(models.xor_net(10), [0, 1])
    assert sparse.plan(pruning.magnitude_prune(xor, masks.dense(xor), 0.8)) == [None, None]
    with pytest.raises(ValueError, match="'sparse'"):
        sparse.plan(m21, "sparse")


def test_kernel_option():
    with pytest.raises(ValueError, match="'csr'"):
        training.TrainConfig(kernel="csr")
    assert training.TrainConfig().kernel == "auto"
    arch = models.lenet_300_100()
    p = models.init_params(arch, [0])
    m = pruning.one_shot_to_density(p, 0.07)
    assert training.MaskedTrainer(arch, p, m, training.TrainConfig()).sparse_layers == [True, True, True]
    dense = training.MaskedTrainer(arch, p, m, training.TrainConfig(kernel="dense"))
    assert dense.sparse_layers == [False, False, False] and all(isinstance(k, layers.Dense) for k in dense.layers)


# ---------------------------------------------------------------- training equals the dense path

def _batch(arch, S, B, gen):
    x = torch.randn(S, B, arch.sizes[0], generator=gen)
    if arch.output == "softmax":
        t = torch.nn.functional.one_hot(torch.randint(0, arch.sizes[-1], (S, B), generator=gen), arch.sizes[-1]).float()
    else:
        t = torch.randint(0, 2, (S, B, 1), generator=gen).float()
    return x, t


@PROPS_FORCED
@given(activation=st.sampled_from(models.ACTIVATIONS), output=st.sampled_from(models.OUTPUTS),
       S=st.integers(1, 3), h1=st.integers(1, 20), h2=st.integers(1, 12), B=st.integers(1, 9),
       rate=st.floats(0.0, 0.97), optimizer=st.sampled_from(["adam", "sgd"]), seed=st.integers(0, 10**6))
def test_sparse_step_matches_dense_step(all_sparse, activation, output, S, h1, h2, B, rate, optimizer, seed):
    arch = models.Architecture((7, h1, h2, 3 if output == "softmax" else 1), activation=activation, output=output)
    seeds = list(range(seed, seed + S))
    p = models.init_params(arch, seeds)
    p = {k: v + 0.05 if k.startswith("b") else v for k, v in p.items()}
    m = pruning.magnitude_prune(p, masks.dense(p), rate)
    cfg = dict(optimizer=optimizer, lr=1e-2, momentum=0.9 if optimizer == "sgd" else 0.0, iterations=1, eval_every=1)
    d = training.MaskedTrainer(arch, p, m, training.TrainConfig(**cfg, kernel="dense"))
    s = training.MaskedTrainer(arch, p, m, training.TrainConfig(**cfg))
    assert s.sparse_layers == [True] * arch.n_layers
    g = torch.Generator().manual_seed(seed)
    # SGD: three steps, gradients compared at every one (the trajectories stay within rounding).
    # Adam: the first step only, from the same weights: Adam's first updates are lr * g / (|g| + eps), so a
    # gradient that is zero up to rounding can move its weight by up to 2 lr in one path and not the other.
    for _ in range(3 if optimizer == "sgd" else 1):
        x, t = _batch(arch, S, B, g)
        d.step(x, t)
        s.step(x, t)
        # relative to the network's largest gradient: a layer whose gradients are all tiny still carries
        # the upstream deltas' rounding at the scale of the whole network
        scale = max(gr.abs().max().item() for gr in d.grads)
        for l in range(arch.n_layers):
            assert_rel_close(s.layers[l].to_dense(s.grads[2 * l]), d.grads[2 * l], scale=scale, what=f"w{l} grad")
            assert_rel_close(s.grads[2 * l + 1], d.grads[2 * l + 1], scale=scale, what=f"b{l} grad")
    ds, ss = d.state(), s.state()
    for k in ds:
        if optimizer == "sgd":
            torch.testing.assert_close(ss[k], ds[k], atol=1e-5, rtol=1e-4)
        if k in m:
            assert bool((ss[k][~m[k]].view(torch.int32) == 0).all()), k  # pruned: +0.0 bit for bit


def test_sparse_step_with_changing_batch_sizes(all_sparse):
    """Minibatches of 60, 58 (same padded width), 64 (no padding) and 60 again: each step equals the dense path's."""
    p = models.init_params(SMALL, [0, 1])
    m = pruning.magnitude_prune(p, masks.dense(p), 0.7)
    cfg = dict(optimizer="sgd", lr=0.1, iterations=1, eval_every=1)
    d = training.MaskedTrainer(SMALL, p, m, training.TrainConfig(**cfg, kernel="dense"))
    s = training.MaskedTrainer(SMALL, p, m, training.TrainConfig(**cfg))
    g = torch.Generator().manual_seed(0)
    for B in (60, 58, 64, 60, 3):
        x, t = _batch(SMALL, 2, B, g)
        d.step(x, t)
        s.step(x, t)
        scale = max(gr.abs().max().item() for gr in d.grads)
        for l in range(SMALL.n_layers):
            assert_rel_close(s.layers[l].to_dense(s.grads[2 * l]), d.grads[2 * l], scale=scale, what=f"B={B} w{l}")
            assert_rel_close(s.grads[2 * l + 1], d.grads[2 * l + 1], scale=scale, what=f"B={B} b{l}")


def test_train_on_sparse_path_keeps_records_and_pruned_zeros(all_sparse):
    seeds = [0, 1, 2]
    ds = synthetic()
    p = models.init_params(SMALL, seeds)
    m = pruning.magnitude_prune(p, masks.dense(p), 0.8)
    cfg = training.TrainConfig(iterations=300, batch_size=20, eval_every=50, rewind_iteration=10)
    r = training.train(SMALL, p, m, ds, cfg, seeds)
    ref = training.train(SMALL, p, m, ds, training.TrainConfig(iterations=300, batch_size=20, eval_every=50,
                                                                rewind_iteration=10, kernel="dense"), seeds)
    assert sorted(r) == sorted(ref)
    for key in r:
        if isinstance(r[key], dict):
            assert sorted(r[key]) == sorted(ref[key])
            for k in r[key]:
                assert r[key][k].dtype == ref[key][k].dtype and r[key][k].shape == ref[key][k].shape
                if k in m:
                    assert bool((r[key][k][~m[k]].view(torch.int32) == 0).all()), (key, k)
        else:
            assert r[key].dtype == ref[key].dtype and r[key].shape == ref[key].shape, key
    torch.testing.assert_close(r["val_loss"], ref["val_loss"], atol=1e-4, rtol=0)
    # the records' evaluations are the sparse path's own, and equal the dense evaluation of its weights
    loss, acc = training.evaluate(SMALL, r["final"], ds.test_x, ds.test_y)
    torch.testing.assert_close(loss, r["test_loss_final"], atol=1e-6, rtol=1e-6)
    assert torch.equal(acc, r["test_acc_final"])


def test_sparse_training_is_bitwise_deterministic(all_sparse):
    seeds = [2, 9, 4]
    ds = synthetic()
    p = models.init_params(SMALL, seeds)
    m = pruning.magnitude_prune(p, masks.dense(p), 0.6)
    cfg = training.TrainConfig(iterations=100, batch_size=30, eval_every=20, rewind_iteration=7)
    a = training.train(SMALL, p, m, ds, cfg, seeds)
    b = training.train(SMALL, {k: v.clone() for k, v in p.items()}, {k: v.clone() for k, v in m.items()}, ds, cfg, seeds)
    for key in a:
        if isinstance(a[key], dict):
            assert all(torch.equal(a[key][k].view(torch.int32), b[key][k].view(torch.int32)) for k in a[key]), key
        else:
            assert torch.equal(a[key], b[key]), key


def test_sparse_seed_in_batch_equals_seed_alone(all_sparse):
    seeds = [0, 1, 2, 3, 4, 5, 6, 7]
    ds = synthetic()
    p = models.init_params(SMALL, seeds)
    m = pruning.magnitude_prune(p, masks.dense(p), 0.5)
    cfg = training.TrainConfig(iterations=200, batch_size=20, eval_every=50)
    worst = worst_batch_vs_alone(SMALL, p, m, ds, cfg, seeds)
    assert worst <= 1e-5, worst  # the tolerance of tests/test_training.py's dense equivalence test


@pytest.mark.parametrize("density", [0.21, 0.036])
def test_lenet_on_mnist_sparse_equals_dense_within_tolerance(mnist, density):
    arch = models.lenet_300_100()
    seeds = [0, 1]
    p = models.init_params(arch, seeds)
    m = pruning.one_shot_to_density(p, density)
    cfg = dict(iterations=100, eval_every=50)
    s = training.train(arch, p, m, mnist, training.TrainConfig(**cfg), seeds)
    d = training.train(arch, p, m, mnist, training.TrainConfig(**cfg, kernel="dense"), seeds)
    for k in d["final"]:
        err = (s["final"][k] - d["final"][k]).abs().max().item()
        assert err <= 1e-5, (k, err)
    torch.testing.assert_close(s["val_loss"], d["val_loss"], atol=1e-5, rtol=0)
    assert torch.equal(s["es_iteration"], d["es_iteration"])
    assert (s["test_acc_final"] - d["test_acc_final"]).abs().max() <= 2e-4  # at most 2 of 10,000 test images
