"""Which sparse kernels, and below which density: the measurements behind lth/sparse.py.

Run:  python benchmarks/sparse_kernels.py [--threads 1 2] [--seeds 1 2] [--rounds 40]
      python benchmarks/sparse_kernels.py --crossover     # whole training steps, layer by layer

``--kernels`` (the default) times candidate kernels for the three products of a masked layer
(LeNet-300-100's first layer 784x300 at batch 60, float32) at densities 51, 21, 7 and 3.6%,
each against its dense ``bmm`` in the same process; ``--crossover`` times one Adam step of
LeNet-300-100 with each layer forced sparse or dense, against the dense step, at a range of
densities, and small layers (LeNet's 100x10 output, XOR's 2-10-1) forced sparse against dense.

The box these numbers come from is shared and noisy, so every candidate is timed in short
bursts, interleaved round-robin with the others over ``--rounds`` rounds, and the minimum
burst is kept: other processes only ever add time. Only the ratios printed (candidate time /
dense time in the same run) are meant to be compared between runs.
"""
from __future__ import annotations

import argparse
import itertools
import os
import sys
import time
import warnings
from contextlib import contextmanager

import torch
import torch.nn.functional as F

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from lth.core import masks as M  # noqa: E402
from lth.core import models, pruning, sparse, training  # noqa: E402

B, IN, OUT = 60, 784, 300
DENSITIES = (0.51, 0.21, 0.07, 0.036)


def interleaved(fns: dict, rounds: int, burst_s: float = 0.004) -> dict[str, float]:
    """Min over rounds of the mean time per call (s) in a burst of ~burst_s, candidates interleaved."""
    reps = {}
    for k, f in fns.items():
        for _ in range(3):
            f()
        t0 = time.perf_counter()
        f()
        reps[k] = max(1, int(burst_s / max(time.perf_counter() - t0, 1e-7)))
    best = {k: float("inf") for k in fns}
    for _ in range(rounds):
        for k, f in fns.items():
            t0 = time.perf_counter()
            for _ in range(reps[k]):
                f()
            best[k] = min(best[k], (time.perf_counter() - t0) / reps[k])
    return best


def _layer(S: int, density: float, gen: torch.Generator):
    k = int(round(density * IN * OUT))
    mask = torch.zeros(S, IN * OUT, dtype=torch.bool)
    for s in range(S):
        mask[s, torch.randperm(IN * OUT, generator=gen)[:k]] = True
    mask = mask.view(S, IN, OUT)
    w = torch.randn(S, IN, OUT, generator=gen) * mask
    return mask, w


def kernels(S: int, density: float, rounds: int) -> dict[str, float]:
    """Ratios (candidate / dense) of the forward and weight-gradient candidates at one density."""
    g = torch.Generator().manual_seed(0)
    mask, w = _layer(S, density, g)
    x = torch.randn(S, B, IN, generator=g)
    dz = torch.randn(S, B, OUT, generator=g)
    lay = sparse.SparseLayer(mask)
    vals = lay.gather(w)
    bias = torch.zeros(S, OUT)
    xT = x.transpose(1, 2).contiguous()
    dzT = dz.transpose(1, 2).contiguous()
    table, bag_rows = xT.view(S * IN, B), dzT.view(S * OUT, B)
    s, j, i = mask.transpose(1, 2).nonzero().unbind(1)
    bag, col = s * OUT + j, s * IN + i
    crow = torch.cat([torch.zeros(1, dtype=torch.long), torch.bincount(bag, minlength=S * OUT).cumsum(0)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        csr = torch.sparse_csr_tensor(crow, col, vals.view(-1), (S * OUT, S * IN), check_invariants=True)
    xB = x.transpose(0, 1).reshape(B, S * IN).contiguous()  # row-major mat2 for sampled_addmm
    grad = torch.zeros(S, lay.nnz)
    target = lay.grad_target(grad)
    empty = torch.empty(0, dtype=torch.long)
    offs = crow[:-1].contiguous()
    fwd = {
        "dense bmm": lambda: torch.bmm(x, w),
        "embedding_bag": lambda: lay.forward(vals, bias, xT),
        "CSR sparse.mm (MKL)": lambda: torch.sparse.mm(csr, table),
        "CSR spmm_reduce sum": lambda: torch.ops.aten._sparse_mm_reduce_impl(csr, table, "sum")[0],
        "gather + index_add_": lambda: torch.zeros(S * OUT, B).index_add_(0, bag, table[col] * vals.view(-1, 1)),
    }
    wgrad = {
        "dense bmm": lambda: torch.bmm(x.transpose(1, 2), dz),
        "sampled_addmm, mat2 col-major": lambda: lay.weight_grad(dzT, xT, target),
        "sampled_addmm, mat2 row-major": lambda: torch.sparse.sampled_addmm(target, bag_rows, xB, beta=0.0, out=target),
        "embedding_bag psw backward": lambda: torch.ops.aten._embedding_bag_per_sample_weights_backward(
            bag_rows, table, col, offs, bag, 0),
        "spmm_reduce backward": lambda: torch.ops.aten._sparse_mm_reduce_impl_backward(
            csr, bag_rows, table, "sum", empty, [True, False])[0],
        "gather-multiply-sum": lambda: (table.index_select(0, col) * bag_rows.index_select(0, bag)).sum(1),
        "dense bmm + gather": lambda: torch.bmm(x.transpose(1, 2), dz).view(-1)[lay.index],
    }
    # correctness of what is timed (the kernels lth uses are tested in tests/test_sparse.py)
    ref = torch.bmm(x, w).transpose(1, 2)
    torch.testing.assert_close(lay.forward(vals, bias, xT), ref, atol=1e-4, rtol=1e-4)
    lay.weight_grad(dzT, xT, target)
    torch.testing.assert_close(grad.view(-1), torch.bmm(x.transpose(1, 2), dz).view(-1)[lay.index], atol=1e-4, rtol=1e-4)
    out = {}
    for name, fns in (("forward", fwd), ("weight grad", wgrad)):
        t = interleaved(fns, rounds)
        base = t["dense bmm"]
        out.update({f"{name}: {k}": v / base for k, v in t.items() if k != "dense bmm"})
        out[f"{name}: dense bmm (us)"] = base * 1e6
    return out


# ----------------------------------------------------------------------------- whole steps
@contextmanager
def forced_layers(sparse_layers):
    """lth.sparse.plan chooses exactly ``sparse_layers`` (whatever the densities and the share rule)."""
    old = sparse.use_sparse, sparse.MIN_SPARSE_SHARE
    want = iter(sparse_layers)
    sparse.use_sparse, sparse.MIN_SPARSE_SHARE = (lambda *a: next(want)), 0.0
    try:
        yield
    finally:
        sparse.use_sparse, sparse.MIN_SPARSE_SHARE = old


def step_fn(arch, S: int, density: float, sparse_layers: tuple[bool, ...] | None, batch: int = B):
    """One Adam step; ``sparse_layers`` forces each layer's kernel (None: kernel="dense")."""
    p = models.init_params(arch, list(range(S)))
    m = M.dense(p) if density >= 1 else pruning.one_shot_to_density(p, density)
    cfg = training.TrainConfig(kernel="dense" if sparse_layers is None else "auto")
    if sparse_layers is None:
        tr = training.MaskedTrainer(arch, p, m, cfg)
    else:
        with forced_layers(sparse_layers):
            tr = training.MaskedTrainer(arch, p, m, cfg)
        assert tr.sparse_layers == list(sparse_layers), (tr.sparse_layers, sparse_layers)
    g = torch.Generator().manual_seed(1)
    n_cls = arch.sizes[-1]
    data = []
    for _ in range(8):
        x = torch.randn(S, batch, arch.sizes[0], generator=g)
        if arch.output == "softmax":
            t = F.one_hot(torch.randint(0, n_cls, (S, batch), generator=g), n_cls).float()
        else:
            t = torch.randint(0, 2, (S, batch, 1), generator=g).float()
        data.append((x, t))
    cyc = itertools.cycle(data)

    def step():
        x, t = next(cyc)
        with torch.no_grad():
            tr.step(x, t)

    return step


def crossover(S: int, rounds: int) -> None:
    arch = models.lenet_300_100()
    print(f"LeNet-300-100 Adam step, S={S}, {torch.get_num_threads()} thread(s): time / dense step")
    print(f"{'density':>8} {'dense':>7} {'L0 sparse':>10} {'L0+L1':>7} {'all 3':>7} {'L1 only':>8}")
    for d in (0.51, 0.36, 0.3, 0.25, 0.21, 0.15, 0.07, 0.036):
        fns = {"ref": step_fn(arch, S, 1.0, None), "dense": step_fn(arch, S, d, None),
               "L0": step_fn(arch, S, d, (True, False, False)), "L01": step_fn(arch, S, d, (True, True, False)),
               "all": step_fn(arch, S, d, (True, True, True)), "L1": step_fn(arch, S, d, (False, True, False))}
        t = interleaved(fns, rounds)
        r = {k: v / t["ref"] for k, v in t.items()}
        print(f"{d:8.3f} {r['dense']:7.3f} {r['L0']:10.3f} {r['L01']:7.3f} {r['all']:7.3f} {r['L1']:8.3f}"
              f"   (dense step {t['ref'] * 1e6:.0f} us)", flush=True)
    print("small layers: XOR 2-10-1 (batch 4) and 2-100-1 both layers sparse / dense, at density 0.5 and 0.2")
    for h in (10, 100):
        xor = models.xor_net(h)
        for d in (0.5, 0.2):
            fns = {"dense": step_fn(xor, S, d, None, batch=4), "sparse": step_fn(xor, S, d, (True, True), batch=4)}
            t = interleaved(fns, rounds)
            print(f"  XOR 2-{h}-1 density {d}: {t['sparse'] / t['dense']:.2f}x ({t['dense'] * 1e6:.0f} us dense)", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--rounds", type=int, default=40)
    ap.add_argument("--crossover", action="store_true")
    a = ap.parse_args()
    print(f"torch {torch.__version__}, {torch.backends.cpu.get_cpu_capability()}")
    for th in a.threads:
        torch.set_num_threads(th)
        for S in a.seeds:
            if a.crossover:
                crossover(S, a.rounds)
                continue
            rows = {d: kernels(S, d, a.rounds) for d in DENSITIES}
            print(f"\nS={S}, {th} thread(s): time / dense bmm (lower is faster), per density")
            print(f"{'kernel':<46}" + "".join(f"{d:>8.3f}" for d in DENSITIES))
            for k in rows[DENSITIES[0]]:
                fmt = "{:>8.0f}" if k.endswith("(us)") else "{:>8.2f}"
                print(f"{k:<46}" + "".join(fmt.format(rows[d][k]) for d in DENSITIES), flush=True)


if __name__ == "__main__":
    main()
