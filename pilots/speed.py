"""Pilot for the speed claims (issue "Claims v2"): uncensored early stopping from dedicated longer runs.

Design under test: masks (and controls' masks) from the ci preset's pruning run (2,000 iterations
a round), then each arm retrained for ``--iterations`` with validation every ``--eval-every``:
the dense network, tickets at 51/21/7/3.6%, and reinit / random-pruning / rearranged controls at
21%. Prints per arm the mean early-stopping iteration, its SD, the fraction censored at the
budget and test accuracy; the within-seed correlations that decide paired or unpaired tests;
and p-values of the key comparisons under Welch, paired t and Wilcoxon.

Run it on seed bases that are never used for verdicts (the CHANGELOG lists them). Two processes
on one cache split the chunks between them (the store's chunk locks):

    LTH_DATA=../shared/data python pilots/speed.py --seed-base 50000 & \\
    LTH_DATA=../shared/data python pilots/speed.py --seed-base 50000 --quiet; wait
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from scipy import stats

from lth.experiments import presets as scales
from lth.experiments.lab import Lab
from lth.experiments.store import Store
from lth.core.training import TrainConfig

ARMS = [("dense", "", 100.0), ("ticket 51", "", 51.3), ("ticket 21", "", 21.1), ("ticket 7", "", 7.0),
        ("ticket 3.6", "", 3.6), ("reinit 21", "reinit", 21.1), ("random 21", "random-prune", 21.1),
        ("rearranged 21", "rearrange", 21.1)]
COMPARISONS = [  # (a, b, alternative): H1 says a's early stop is ... than b's
    ("ticket 51", "dense", "less"), ("ticket 21", "dense", "less"), ("ticket 3.6", "ticket 21", "greater"),
    ("reinit 21", "ticket 21", "greater"), ("random 21", "ticket 21", "greater"),
    ("rearranged 21", "ticket 21", "greater")]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed-base", type=int, default=50_000)
    ap.add_argument("--seeds", type=int, default=16)
    ap.add_argument("--iterations", type=int, default=8_000)
    ap.add_argument("--eval-every", type=int, default=200)
    ap.add_argument("--cache", default=".lth-cache")
    ap.add_argument("--out", default=None, help="write the summary as JSON here")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(1)  # two processes on two cores, as the claims' xdist workers
    t0 = time.time()
    lab = Lab(scales.get("ci"), Store(args.cache), seed_base=args.seed_base, n_seeds=args.seeds,
              log=(lambda m: None) if args.quiet else (lambda m: print(m, flush=True)))
    train = TrainConfig(iterations=args.iterations, eval_every=args.eval_every)
    runs = {name: lab.control(kind, pm, train=train) for name, kind, pm in ARMS}
    es = {k: r.es_iteration.double().numpy() for k, r in runs.items()}
    acc = {k: r.test_acc_es.double().numpy() for k, r in runs.items()}
    last = runs["dense"].eval_iterations[-1]
    summary = {"seed_base": args.seed_base, "seeds": args.seeds, "iterations": args.iterations,
               "eval_every": args.eval_every, "wall_s": round(time.time() - t0, 1), "arms": {}, "comparisons": []}
    for k in es:
        summary["arms"][k] = {"es_mean": es[k].mean(), "es_sd": es[k].std(ddof=1), "censored": float((es[k] >= last).mean()),
                              "test_acc_es": acc[k].mean(), "es": es[k].tolist()}
    for a, b, alt in COMPARISONS:
        row = {"a": a, "b": b, "alternative": alt, "ratio": es[a].mean() / es[b].mean(),
               "r_es": float(np.corrcoef(es[a], es[b])[0, 1]), "r_acc": float(np.corrcoef(acc[a], acc[b])[0, 1]),
               "welch_p": stats.ttest_ind(es[a], es[b], equal_var=False, alternative=alt).pvalue,
               "paired_p": stats.ttest_rel(es[a], es[b], alternative=alt).pvalue,
               "wilcoxon_p": stats.wilcoxon(es[a], es[b], alternative=alt, zero_method="zsplit").pvalue}
        summary["comparisons"].append(row)
    text = json.dumps(summary, indent=1, default=float)
    if args.out:
        Path(args.out).write_text(text)
    if not args.quiet:
        print(f"wall {summary['wall_s']} s")
        for k, v in summary["arms"].items():
            print(f"{k:>14}: early stop {v['es_mean']:6.0f} (sd {v['es_sd']:5.0f}), censored {v['censored']:.2f}, "
                  f"test acc {100 * v['test_acc_es']:.2f}%")
        for r in summary["comparisons"]:
            print(f"{r['a']:>14} vs {r['b']:<10} ({r['alternative']}): ratio {r['ratio']:.2f}, r_es {r['r_es']:+.2f}, "
                  f"r_acc {r['r_acc']:+.2f}, p welch {r['welch_p']:.2g} paired {r['paired_p']:.2g} "
                  f"wilcoxon {r['wilcoxon_p']:.2g}")


if __name__ == "__main__":
    main()
