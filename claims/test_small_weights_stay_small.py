"""MNIST-6: weights that start small stay small, so magnitude pruning selects by initial magnitude."""
import numpy as np
import pytest
from scipy import stats as sps

from lth import evidence, stats


def _per_seed(init: np.ndarray, final: np.ndarray, keep: np.ndarray) -> tuple[float, float]:
    """Spearman rho(|init|, |final|) and AUC = P(|init| of a survivor > |init| of a pruned weight)."""
    a, f = np.abs(init.ravel()), np.abs(final.ravel())
    rho = sps.spearmanr(a, f).statistic
    kept, pruned = a[keep.ravel()], a[~keep.ravel()]
    auc = sps.mannwhitneyu(kept, pruned).statistic / (len(kept) * len(pruned))
    return float(rho), float(auc)


@pytest.mark.claim(
    id="MNIST-6",
    statement=("Weights that start small stay small: per layer, |initial| and |final| weights of the trained dense "
               "network are positively rank-correlated, and the weights that survive pruning to about 21% started "
               "larger than those pruned."),
    source="arXiv 1803.03635 (ICLR 2019), App. F (Fig. 13-14, initial weights of winning tickets)",
    paper_numbers=("ICLR App. F: surviving weights of the second hidden and output layers skew to larger initial "
                   "magnitudes ('increasingly bimodal'); the first hidden layer's distribution changes less."),
)
def test_small_weights_stay_small(lth_lab, claim):
    p = lth_lab.preset
    r = p.levels[1]
    w = lth_lab.lenet_weights(r)
    kw = claim.options
    parts, panels, text = [], [], []
    for name in sorted(w["init"]):
        init, final, mask = (w[k][name].numpy() for k in ("init", "final", "mask"))
        rho, auc = np.array([_per_seed(init[s], final[s], mask[s]) for s in range(init.shape[0])]).T
        parts.append(stats.one_sample(rho, 0.0, label=f"layer {name}: Spearman |init| vs |final| > 0", **kw))
        parts.append(stats.one_sample(auc, 0.5, label=f"layer {name}: survivors started larger (AUC > 0.5)", **kw))
        text.append(f"{name}: rho {rho.mean():.3f}, AUC {auc.mean():.3f}")
        edges = np.linspace(init.min(), init.max(), 41)
        panels.append({"name": f"layer {name}", "edges": edges.tolist(), "series": [
            {"name": "survivors", "density": np.histogram(init[mask], edges, density=True)[0].tolist()},
            {"name": "pruned", "density": np.histogram(init[~mask], edges, density=True)[0].tolist()}]})
    lvl = evidence.pct(lth_lab.lenet_iterative()["rounds"][r]["density"])
    claim.conclude(
        stats.all_hold(parts, label="every layer, both properties"),
        measured=f"per-seed means at Pm {lvl:g}%: " + "; ".join(text),
        figures=[evidence.hist(f"Initial weights of survivors and pruned weights at Pm {lvl:g}% (all seeds)",
                               "initial weight", panels)],
        seeds={"mnist": lth_lab.seeds("mnist")},
    )
