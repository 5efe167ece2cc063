"""Check that the dense path is bitwise what it was: train with the original code and with this checkout, compare.

Run:  LTH_DATA=../shared/data python benchmarks/check_dense_bitwise.py --baseline /path/to/original/checkout

The original code runs in a subprocess with ``PYTHONPATH=<baseline>``, this checkout in
another with ``PYTHONPATH=<this checkout>``; both train LeNet-300-100 on real MNIST from the
same initial weights, masks and data (loaded once, by the baseline) for ``--iterations``
iterations with 2 seeds, at the dense mask and one-shot masks of 21% and 3.6% of the init,
with validation, early-stopping snapshot and a rewind point. This checkout runs with
``TrainConfig(kernel="dense")`` at every mask, and with the default ``kernel="auto"`` at the
dense mask (where auto must choose the dense path). Every record tensor must be
``torch.equal`` (and the same dtype and shape) to the original's. Exit status 0 when all are.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
DENSITIES = (1.0, 0.21, 0.036)
SEEDS = [0, 1]


class _Data:
    """The attributes lth.training.train reads from a data set."""

    def __init__(self, d: dict):
        self.__dict__.update(d)


def worker(which: str, workdir: Path, iterations: int, threads: int) -> None:
    torch.set_num_threads(threads)
    from lth.core import masks as M
    from lth.core import models
    from lth.core import pruning
    from lth.core import training

    print(f"{which}: lth from {Path(training.__file__).parent}", flush=True)
    if which == "old":
        from lth.core import data

        ds = data.mnist()
        fields = {k: getattr(ds, k) for k in ("train_x", "train_y", "val_x", "val_y", "test_x", "test_y")}
        torch.save(fields, workdir / "data.pt")
        arch = models.lenet_300_100()
        init = models.init_params(arch, SEEDS)
        inputs = {d: (init, M.dense(init) if d == 1.0 else pruning.one_shot_to_density(init, d)) for d in DENSITIES}
        torch.save(inputs, workdir / "inputs.pt")
    fields = torch.load(workdir / "data.pt")
    inputs = torch.load(workdir / "inputs.pt")
    ds = _Data(fields)
    arch = models.lenet_300_100()
    base = dict(iterations=iterations, eval_every=100, rewind_iteration=37)
    runs = {}
    for d, (params, masks) in inputs.items():
        if which == "old":
            runs[(d, "old")] = training.train(arch, params, masks, ds, training.TrainConfig(**base), SEEDS)
        else:
            runs[(d, "dense")] = training.train(arch, params, masks, ds, training.TrainConfig(**base, kernel="dense"), SEEDS)
            if d == 1.0:
                runs[(d, "auto")] = training.train(arch, params, masks, ds, training.TrainConfig(**base), SEEDS)
        print(f"{which}: density {d} done", flush=True)
    torch.save(runs, workdir / f"{which}.pt")


def flatten(rec: dict, prefix: str = "") -> dict[str, torch.Tensor]:
    out = {}
    for k, v in rec.items():
        if isinstance(v, dict):
            out.update(flatten(v, f"{prefix}{k}."))
        else:
            out[prefix + k] = v
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--baseline", required=True, help="a checkout of the original code (its lth/ is imported)")
    ap.add_argument("--iterations", type=int, default=300)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--worker", choices=("old", "new"), help=argparse.SUPPRESS)
    ap.add_argument("--workdir", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker:
        worker(a.worker, Path(a.workdir), a.iterations, a.threads)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        for which, path in (("old", Path(a.baseline).resolve()), ("new", ROOT)):
            env = dict(os.environ, PYTHONPATH=str(path))
            cmd = [sys.executable, __file__, "--baseline", a.baseline, "--iterations", str(a.iterations),
                   "--threads", str(a.threads), "--worker", which, "--workdir", tmp]
            subprocess.run(cmd, env=env, check=True, cwd=tmp)
        old, new = torch.load(Path(tmp) / "old.pt"), torch.load(Path(tmp) / "new.pt")
    bad = compared = 0
    for (d, kernel), rec in new.items():
        ref = flatten(old[(d, "old")])
        got = flatten(rec)
        if sorted(ref) != sorted(got):
            print(f"density {d} kernel={kernel}: record keys differ: {sorted(set(ref) ^ set(got))}")
            bad += 1
        for k in sorted(set(ref) & set(got)):
            compared += 1
            r, g = ref[k], got[k]
            same = r.dtype == g.dtype and r.shape == g.shape and torch.equal(r, g)
            # torch.equal treats -0.0 == +0.0; compare the bytes too
            same = same and bytes(r.contiguous().view(torch.uint8).numpy()) == bytes(g.contiguous().view(torch.uint8).numpy())
            if not same:
                bad += 1
                diff = (r.double() - g.double()).abs().max().item() if r.shape == g.shape and r.is_floating_point() else "n/a"
                print(f"density {d} kernel={kernel}: {k} DIFFERS (max abs diff {diff})")
    print(f"{compared} record tensors compared over {len(new)} runs ({a.iterations} iterations, seeds {SEEDS}, "
          f"{a.threads} thread(s)): {'all bitwise identical' if not bad else f'{bad} differ'}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
