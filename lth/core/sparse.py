"""Sparse masked layers: a training step whose cost falls with density, on the CPU.

A layer whose mask keeps few weights is stored as its kept values only, ``values`` [S, nnz],
and runs in the *feature-major* layout: a layer's input is ``hT`` [S, fan_in, N] (one row per
unit, the N examples contiguous), its output ``zT`` [S, fan_out, N]. In that layout each of
the step's three products touches the kept weights only:

  forward       zT[j]    = sum_i w[i, j] hT[i]   torch.embedding_bag (sum, per-sample weights), a bag per output unit
  weight grad   g[i, j]  = <hT[i], dzT[j]>        torch.sparse.sampled_addmm (SDDMM) at the kept (j, i) only
  input grad    dhT[i]   = sum_j w[i, j] dzT[j]  torch.embedding_bag, a bag per input unit

and the optimizer updates the [S, nnz] values, never the pruned zeros. The S seeds of a batch
are one block-diagonal problem (output unit j of seed s is bag s * fan_out + j, reading rows
s * fan_in + i), which needs every seed to keep the same count in the layer: layer-wise
pruning gives that; a layer whose counts differ between seeds (global pruning) stays dense.

Kernels, chosen by measurement (``python benchmarks/sparse_kernels.py``: LeNet-300-100's first
layer 784x300 at batch 60, one thread, S=1 / S=2; time relative to the dense ``bmm`` of the same
product in the same process, candidates interleaved, minimum of 30 rounds; lower is faster) at
density 51% / 21% / 7% / 3.6%:
  forward      embedding_bag          0.91 / 0.52 / 0.21 / 0.13   (S=2: 0.93 / 0.48 / 0.19 / 0.11)   <- used
               CSR torch.sparse.mm    2.05 / 0.96 / 0.36 / 0.21   (MKL)
               CSR spmm_reduce "sum"  2.69 / 1.43 / 0.52 / 0.28
               gather + index_add_    94 / 13 / 4.2 / 2.1
  weight grad  sampled_addmm          2.49 / 1.07 / 0.39 / 0.23   (S=2: 2.43 / 1.05 / 0.39 / 0.22)   <- used,
                                      with mat2 column-major (a transposed view of hT); row-major 2.49 / 1.13 / 0.45 / 0.29
               embedding_bag's per-sample-weight backward  6.3 / 2.6 / 0.86 / 0.46
               spmm_reduce backward   10 / 4.3 / 2.7 / 1.4
               gather-multiply-sum    67 / 11 / 2.1 / 1.0
               dense bmm, then gather the kept entries  2.95 / 1.83 / 1.36 / 1.23
The input gradient is the forward's kernel on the transposed pattern. No library from the
registries was taken: torch-sparse (last PyPI release 0.6.18, 2023, a source package there) and
DGL (2.2.1, 2024), which have SDDMM kernels, are compiled extensions that predate torch 2.14;
sparse-dot-mkl wraps the MKL CSR product measured above as torch.sparse.mm; scipy.sparse has no
SDDMM; and a compiled kernel of our own (numba, a C++ extension, torch.compile) would add a JIT
or a compiler to every machine that runs the claims (it is the way to go further, see below). All kernels used are deterministic on the CPU (each output
element is one sequential sum or one dot product, no atomics), and a seed's bags and dot
products read only its own rows.
"""
from __future__ import annotations

import warnings

import torch

from lth.core.masks import Masks, weight_names

KERNELS = ("auto", "dense")  # TrainConfig.kernel: "dense" forces today's dense masked path everywhere

# ----------------------------------------------------------------------------- the crossover
# Measured with ``python benchmarks/sparse_kernels.py --crossover``: one Adam step of LeNet-300-100 at
# batch 60 with the layers forced sparse or dense, time / the dense step, for S=1 and S=2 at 1 thread
# and at 2 threads (four numbers per cell, in that order; a shared box, so +-10%):
#   density            51%                  36%                  30%                  25%                  21%                  7%                   3.6%
#   all three sparse   1.25 1.20 1.29 1.25  0.99 0.83 0.91 0.90  0.87 0.81 0.81 0.95  0.81 0.66 0.70 0.74  0.65 0.61 0.68 0.63  0.31 0.27 0.45 0.37  0.30 0.20 0.41 0.35
#   784x300 + 300x100  1.23 1.24 1.33 1.26  1.01 0.86 0.91 0.90  0.89 0.79 0.84 0.95  0.84 0.70 0.72 0.74  0.66 0.59 0.67 0.66  0.36 0.30 0.48 0.41  0.32 0.22 0.44 0.38
#   784x300 only       1.28 1.18 1.32 1.28  1.05 0.91 1.01 0.96  0.97 0.84 0.90 1.04  0.78 0.75 0.81 0.83  0.72 0.71 0.78 0.69  0.47 0.45 0.59 0.51  0.44 0.34 0.53 0.47
#   300x100 only       1.21 1.21 1.22 1.20  1.15 1.05 1.04 1.05  1.14 1.08 1.02 1.11  1.20 1.12 0.99 1.14  1.11 1.08 1.02 1.06  0.94 0.99 1.01 0.97  1.04 0.98 1.05 0.97
# So the large layers pay off below about 36% density; the crossover is set at 30%, where the
# worst of the measurements was 0.95x (1.04x with the first layer alone sparse). The paper's
# levels 26% and below then run sparse, 33% and above dense. What starts the sparse path is a
# large layer: XOR's 2-10-1 and 2-100-1 nets with every layer sparse took 1.3-1.7x as long at any
# density (three kernels with index tensors cost more than their products), and the 300x100 layer
# alone gains nothing (0.94-1.21x), because the feature-major layout has a cost of its own (the
# input's transpose, transposed dense products for the other layers). Hence: the sparse path runs
# when layers of at least MIN_SPARSE_WEIGHTS weights below the crossover hold at least
# MIN_SPARSE_SHARE of the network's weights; then every layer below the crossover runs sparse, the
# small ones too (LeNet's 100x10 output layer: "all three" against "784x300 + 300x100" above, since
# its gradients then come with the others' in one call).
# What remains at Pm 3.6% is mostly the fixed cost of some 25 kernel calls (~7-10 us each in a step on
# this box; sampled_addmm alone costs 17-23 us for a single kept weight), which a second thread does
# not shorten; a fused kernel of our own (C++ or numba: forward, bias and ReLU in one pass, a
# register-blocked SDDMM) is what would cut it further.
# On a GPU the sparse path has not been measured yet (no GPU in the session that wrote it), so there
# "auto" keeps the dense path: add "cuda" to SPARSE_DEVICES once benchmarks/gpu_throughput.py shows it pays.
CROSSOVER_DENSITY = 0.30
MIN_SPARSE_WEIGHTS = 10_000
MIN_SPARSE_SHARE = 0.5
SPARSE_DEVICES = ("cpu",)


def use_sparse(n_in: int, n_out: int, nnz: int) -> bool:
    """Whether a layer of n_in x n_out keeping nnz weights (per seed) is below the crossover."""
    return nnz <= CROSSOVER_DENSITY * n_in * n_out


def check_kernel(kernel: object) -> str:
    if kernel not in KERNELS:
        raise ValueError(f"kernel must be one of {KERNELS}, got {kernel!r}")
    return kernel


def plan(masks: Masks, kernel: str = "auto") -> list["SparseLayer | None"]:
    """Per layer (in weight order): a SparseLayer where the sparse path runs, None where the dense one does.

    ``kernel="dense"`` keeps every layer dense. With ``"auto"``, on SPARSE_DEVICES: a layer is
    eligible when all its seeds keep the same count and :func:`use_sparse` says so; the sparse
    path runs when eligible layers of at least MIN_SPARSE_WEIGHTS weights hold at least
    MIN_SPARSE_SHARE of all weights, and then every eligible layer runs sparse (see the
    measurements above). Built once per trainer (this reads counts back to the host; the step never does).
    """
    check_kernel(kernel)
    names = weight_names(masks)
    none: list[SparseLayer | None] = [None] * len(names)
    if kernel == "dense" or not names or masks[names[0]].device.type not in SPARSE_DEVICES:
        return none
    eligible, sizes = [], []
    for name in names:
        m = masks[name]
        counts = m.flatten(1).sum(1)
        nnz = int(counts[0])
        eligible.append(bool((counts == nnz).all()) and use_sparse(m.shape[1], m.shape[2], nnz))
        sizes.append(m.shape[1] * m.shape[2])
    large = sum(n for n, e in zip(sizes, eligible) if e and n >= MIN_SPARSE_WEIGHTS)
    if large < MIN_SPARSE_SHARE * sum(sizes):
        return none
    return [SparseLayer(masks[n]) if e else None for n, e in zip(names, eligible)]


# ----------------------------------------------------------------------------- one layer
def _csr(crow: torch.Tensor, col: torch.Tensor, values: torch.Tensor, size: tuple[int, int], check: bool) -> torch.Tensor:
    with warnings.catch_warnings():  # "sparse CSR support is in beta": the kernels used here are tested in tests/test_sparse.py
        warnings.simplefilter("ignore", UserWarning)
        return torch.sparse_csr_tensor(crow, col, values, size, check_invariants=check)


def _offsets(group: torch.Tensor, n_groups: int) -> torch.Tensor:
    """Start of each group's entries in a list sorted by group (embedding_bag offsets / CSR row pointers without the end)."""
    crow = torch.zeros(n_groups + 1, dtype=torch.long, device=group.device)
    crow[1:] = torch.bincount(group, minlength=n_groups).cumsum(0)
    return crow


class SparseLayer:
    """The kept weights of one layer for S seeds (same count per seed) and the three kernels on them.

    ``values`` [S, nnz] hold seed s's kept w[i, j] in (output j, input i) order. All index
    tensors are built here, once; the kernels allocate only their outputs.
    """

    def __init__(self, mask: torch.Tensor):
        S, n_in, n_out = mask.shape
        counts = mask.flatten(1).sum(1)
        nnz = int(counts[0])
        if not bool((counts == nnz).all()):
            raise ValueError(f"a sparse layer needs the same count in every seed, got {counts.tolist()}")
        self.S, self.n_in, self.n_out, self.nnz = S, n_in, n_out, nnz
        s, j, i = mask.transpose(1, 2).nonzero().unbind(1)  # row-major in (s, j, i)
        bag = s * n_out + j
        self.col = s * n_in + i  # the input row each kept weight reads, per seed
        self.col_shared = i.contiguous()  # the same for an input [fan_in, N] shared by all seeds (evaluation)
        self.index = (s * n_in + i) * n_out + j  # position in the dense [S, fan_in, fan_out] weight
        crow = _offsets(bag, S * n_out)
        self.offsets = crow[:-1]
        self._crow = crow
        _csr(crow, self.col, torch.zeros(S * nnz, device=mask.device), (S * n_out, S * n_in), True)  # checks the indices once
        # input gradient: the same weights in (seed, input, output) order, one bag per input unit
        self.perm = torch.argsort(self.index)
        self.col_t = bag[self.perm]
        self.offsets_t = _offsets(self.col[self.perm], S * n_in)[:-1]

    # -- conversions (outside the step)
    def gather(self, w: torch.Tensor) -> torch.Tensor:
        """Kept values [S, nnz] of a dense weight [S, fan_in, fan_out]."""
        return w.reshape(-1)[self.index].view(self.S, self.nnz)

    def scatter(self, values: torch.Tensor) -> torch.Tensor:
        """The dense weight [S, fan_in, fan_out]: kept values in place, pruned entries exactly +0.0."""
        w = torch.zeros(self.S * self.n_in * self.n_out, dtype=values.dtype, device=values.device)
        return w.index_copy_(0, self.index, values.reshape(-1)).view(self.S, self.n_in, self.n_out)

    def grad_target(self, grad: torch.Tensor) -> torch.Tensor:
        """A CSR tensor sharing ``grad``'s storage ([S, nnz], contiguous): sampled_addmm writes the weight gradient there."""
        if not grad.is_contiguous() or grad.shape != (self.S, self.nnz):
            raise ValueError(f"gradient buffer must be contiguous [{self.S}, {self.nnz}], got {tuple(grad.shape)}")
        return _csr(self._crow, self.col, grad.view(-1), (self.S * self.n_out, self.S * self.n_in), False)

    # -- kernels (feature-major)
    def forward(self, values: torch.Tensor, bias: torch.Tensor, hT: torch.Tensor) -> torch.Tensor:
        """zT [S, fan_out, N] = W^T hT + b, for hT [S, fan_in, N] per seed or [fan_in, N] shared.

        ``values`` flat [S * nnz] or [S, nnz]; ``bias`` [S, fan_out] or its view [S, fan_out, 1].
        """
        if hT.dim() == 2:
            table, col = hT, self.col_shared
        else:
            table, col = hT.view(self.S * self.n_in, -1), self.col
        z = torch.embedding_bag(table, col, self.offsets, False, 0, False, values.view(-1), False)[0]
        return z.view(self.S, self.n_out, -1).add_(bias if bias.dim() == 3 else bias.unsqueeze(2))

    def weight_grad(self, dzT: torch.Tensor, hT: torch.Tensor, target: torch.Tensor) -> None:
        """<hT[i], dzT[j]> at the kept (i, j) only, into ``target`` (from :meth:`grad_target`).

        ``target`` is also the input, scaled by beta=0 (``out`` = ``self`` skips a copy of the
        pattern): a previous gradient that was not finite would turn 0 * inf into NaN, but by
        then the weights it updated are not finite either, so the run has diverged anyway.
        ``hT`` enters as the transposed view: sampled_addmm wants mat2 column-major (0.6-0.7x
        the time of a row-major mat2, which it transposes itself).
        """
        n = dzT.shape[-1]
        torch.sparse.sampled_addmm(target, dzT.view(self.S * self.n_out, n), hT.view(self.S * self.n_in, n).t(),
                                   beta=0.0, out=target)

    def input_grad(self, values: torch.Tensor, dzT: torch.Tensor) -> torch.Tensor:
        """dhT [S, fan_in, N] = W dzT."""
        w = values.view(-1).index_select(0, self.perm)
        table = dzT.view(self.S * self.n_out, -1)
        dh = torch.embedding_bag(table, self.col_t, self.offsets_t, False, 0, False, w, False)[0]
        return dh.view(self.S, self.n_in, -1)


class SparseGroup:
    """The sparse layers of one network: one weight-gradient call and one bias-gradient sum for all of them.

    Each sampled_addmm call costs ~20 us however small its problem (measured: 17-23 us for one
    kept weight), as much as the whole weight gradient of a 300x100 layer at 3.6%. So the step
    keeps every sparse layer's input rows in one ``table`` [sum S * fan_in, N] and its output
    deltas in one ``delta`` [sum S * fan_out, N]; :meth:`grads` then computes all their weight
    gradients (one block-diagonal pattern) and bias gradients at once, into the flat buffers
    ``grad_values`` (the layers' [S, nnz] gradients, concatenated) and ``grad_bias`` (their [S, fan_out]).
    """

    def __init__(self, layers: list[SparseLayer], grad_values: torch.Tensor, grad_bias: torch.Tensor):
        self.layers = layers
        crow, col, r_in, r_out, k = [], [], 0, 0, 0
        for lay in layers:
            crow.append(lay._crow[:-1] + k)
            col.append(lay.col + r_in)
            r_in, r_out, k = r_in + lay.S * lay.n_in, r_out + lay.S * lay.n_out, k + lay.S * lay.nnz
        crow.append(torch.tensor([k], device=grad_values.device))
        if grad_values.shape != (k,) or grad_bias.shape != (r_out,):
            raise ValueError(f"gradient buffers must be flat [{k}] and [{r_out}], got {tuple(grad_values.shape)}, {tuple(grad_bias.shape)}")
        self.rows_in, self.rows_out = r_in, r_out
        self.grad = _csr(torch.cat(crow), torch.cat(col), grad_values, (r_out, r_in), True)
        self.grad_bias = grad_bias
        self.table = self.delta = None
        self.tables: list[torch.Tensor] = []
        self.deltas: list[torch.Tensor] = []

    def buffers(self, n: int, dtype: torch.dtype, device: torch.device) -> None:
        """(Re)allocate ``table``/``delta`` for N examples, with per-layer views ``tables[i]`` [S, fan_in, N], ``deltas[i]``."""
        if self.table is not None and self.table.shape[1] == n and self.table.dtype == dtype:
            return
        self.table = torch.zeros(self.rows_in, n, dtype=dtype, device=device)
        self.delta = torch.zeros(self.rows_out, n, dtype=dtype, device=device)
        self.tables, self.deltas, a, b = [], [], 0, 0
        for lay in self.layers:
            self.tables.append(self.table[a : a + lay.S * lay.n_in].view(lay.S, lay.n_in, n))
            self.deltas.append(self.delta[b : b + lay.S * lay.n_out].view(lay.S, lay.n_out, n))
            a, b = a + lay.S * lay.n_in, b + lay.S * lay.n_out

    def grads(self) -> None:
        """Weight gradients at the kept positions and bias gradients of every layer, from ``table`` and ``delta``.

        ``grad`` is also the input, scaled by beta=0 (``out`` = ``self`` skips a copy of the
        pattern): a previous gradient that was not finite would turn 0 * inf into NaN, but by
        then the weights it updated are not finite either, so the run has diverged anyway. The
        table enters as a transposed view: sampled_addmm wants mat2 column-major (0.6-0.7x the
        time of a row-major mat2, which it would transpose itself).
        """
        torch.sparse.sampled_addmm(self.grad, self.delta, self.table.t(), beta=0.0, out=self.grad)
        torch.sum(self.delta, dim=1, out=self.grad_bias)
