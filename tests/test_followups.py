"""Follow-ups beyond the paper (issue 10): signed constants, the supermask criterion, error barriers, Lab.on."""
import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lth.experiments import recipes as compute
from lth.core import connectivity, init_variants, supermask
from lth.core import models
from lth.core import rng
from lth.experiments import presets as scales
from lth.core import masks as M
from lth.experiments.executors import LocalExecutor
from lth.experiments.graph import Setting
from lth.experiments.lab import Lab
from lth.experiments.spec import ExperimentSpec
from lth.experiments.store import Store
from lth.core.training import TrainConfig

SHAPES = ((6, 5), (5, 3))


def _params(seeds, shapes=SHAPES):
    return models.init_params(models.Architecture((shapes[0][0], *(b for _, b in shapes))), seeds)


# ---- signed constant ------------------------------------------------------------------------------
def test_signed_constant_keeps_signs_and_one_magnitude_per_layer():
    params = _params([3, 4])
    out = init_variants.signed_constant(params)
    for name in M.weight_names(params):
        w, c = params[name], out[name]
        assert torch.equal(torch.sign(c), torch.sign(w))
        assert torch.allclose(c.abs(), torch.full_like(c, init_variants.layer_std(w.shape)))
        fan_in, fan_out = w.shape[1:]
        assert init_variants.layer_std(w.shape) == pytest.approx(math.sqrt(2 / (fan_in + fan_out)))
    assert torch.equal(out["b0"], params["b0"]) and out["b0"] is not params["b0"]


def test_random_signs_come_from_their_own_stream_deterministically_per_seed():
    params = _params([3, 4, 5])
    a = init_variants.signed_constant(params, [3, 4, 5])
    b = init_variants.signed_constant(_params([5]), [5])  # seed 5 alone: the same signs as in the batch
    assert all(torch.equal(a[k][2], b[k][0]) for k in ("w0", "w1"))
    assert not torch.equal(a["w0"][0], a["w0"][1])  # seeds differ
    other = init_variants.signed_constant(params, [3, 4, 5], index=1)
    assert not torch.equal(other["w0"], a["w0"])  # another index, other signs
    assert rng.STREAMS["sign"] not in {v for k, v in rng.STREAMS.items() if k != "sign"}
    agree = (torch.sign(a["w0"]) == torch.sign(params["w0"])).double().mean()
    assert 0.2 < float(agree) < 0.8  # independent of the initial signs
    assert torch.allclose(a["w1"].abs(), torch.full_like(a["w1"], init_variants.layer_std(params["w1"].shape)))


def test_the_new_controls_start_from_the_round_mask():
    arch = models.Architecture((6, 5, 3))
    chunk = [1, 2]
    mask = {k: torch.rand(v.shape, generator=torch.Generator().manual_seed(0)) < 0.5
            for k, v in _params(chunk).items() if k.startswith("w")}
    spec = ExperimentSpec(kind="lenet-control", arch=arch, train=TrainConfig(), control="signed-constant")
    params, masks = compute.control_start(spec, chunk, mask, None)
    assert masks is mask and torch.equal(torch.sign(params["w0"]), torch.sign(models.init_params(arch, chunk)["w0"]))
    spec = ExperimentSpec(kind="lenet-control", arch=arch, train=TrainConfig(), control="random-sign-constant")
    params, _ = compute.control_start(spec, chunk, mask, None)
    assert torch.equal(params["w0"], init_variants.signed_constant(models.init_params(arch, chunk), chunk)["w0"])


# ---- supermask ------------------------------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), k0=st.integers(0, 30), k1=st.integers(0, 15))
def test_supermask_keeps_the_counts_and_only_same_sign_weights_where_enough_exist(seed, k0, k1):
    g = torch.Generator().manual_seed(seed)
    init = {"w0": torch.randn(2, 6, 5, generator=g), "w1": torch.randn(2, 5, 3, generator=g)}
    final = {k: torch.randn(v.shape, generator=g) for k, v in init.items()}
    keep = {"w0": k0, "w1": k1}
    mask = supermask.same_sign_mask(init, final, keep)
    scores = supermask.same_sign_scores(init, final)
    for name, m in mask.items():
        assert (m.flatten(1).sum(1) == keep[name]).all()
        same = torch.sign(init[name]) == torch.sign(final[name])
        for s in range(2):
            n_same = int(same[s].sum())
            if n_same >= keep[name]:
                assert bool((same[s] | ~m[s]).all())  # nothing of the other sign kept
                if keep[name] and bool((~m[s]).any()):  # and the kept ones are the largest same-sign |final|
                    assert float(scores[name][s][m[s]].min()) >= float(scores[name][s][~m[s]].max())
            else:
                assert bool(m[s][same[s]].all())  # every same-sign weight kept, the rest filled


def test_supermask_score_is_final_magnitude_where_the_sign_held():
    init = {"w0": torch.tensor([[[1.0, -1.0, 2.0, -0.5]]])}
    final = {"w0": torch.tensor([[[3.0, 2.0, 0.5, -4.0]]])}
    assert supermask.same_sign_scores(init, final)["w0"].tolist() == [[[3.0, 0.0, 0.5, 4.0]]]
    assert supermask.same_sign_mask(init, final, {"w0": 2})["w0"].tolist() == [[[True, False, False, True]]]


# ---- error barrier --------------------------------------------------------------------------------
def test_barrier_is_zero_for_identical_endpoints_and_a_flat_path():
    flat = torch.full((3, 11), 0.02, dtype=torch.float64)
    assert torch.equal(connectivity.error_barrier(flat), torch.zeros(3, dtype=torch.float64))
    assert torch.equal(connectivity.error_barrier(flat, "linear"), torch.zeros(3, dtype=torch.float64))


@settings(max_examples=50, deadline=None)
@given(e0=st.floats(0, 1), e1=st.floats(0, 1), points=st.integers(2, 31))
def test_barrier_of_an_exactly_linear_error_curve(e0, e1, points):
    a = connectivity.alphas(points)
    curve = ((1 - a) * e0 + a * e1)[None]
    assert float(connectivity.error_barrier(curve, "linear")[0]) == pytest.approx(0.0, abs=1e-12)
    # the paper's instability measures against the endpoints' mean: a linear curve's maximum is its larger end
    assert float(connectivity.error_barrier(curve, "mean")[0]) == pytest.approx(abs(e0 - e1) / 2, abs=1e-12)


def test_barrier_is_the_bump_above_the_endpoints_and_nan_propagates():
    curve = torch.tensor([[0.02, 0.05, 0.30, 0.04, 0.02], [0.02, math.nan, 0.0, 0.0, 0.02]], dtype=torch.float64)
    b = connectivity.error_barrier(curve)
    assert b[0].item() == pytest.approx(0.28) and math.isnan(b[1].item())
    assert connectivity.alphas(5).tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    with pytest.raises(ValueError, match="reference"):
        connectivity.error_barrier(curve, "max")


def test_interpolation_endpoints_are_the_copies():
    a, b = _params([0]), _params([1])
    assert all(torch.equal(connectivity.interpolate(a, b, 0.0)[k], a[k]) for k in a)
    assert all(torch.equal(connectivity.interpolate(a, b, 1.0)[k], b[k]) for k in a)


# ---- Lab.on ---------------------------------------------------------------------------------------
def test_lab_on_fashion_mnist_changes_its_keys_and_leaves_mnist_keys_alone(tmp_path):
    ci = scales.get("ci")
    lab = Lab(Setting(ci), LocalExecutor(Store(tmp_path)))
    mnist_spec = lab.planner.lenet_spec("lenet-iterative-round", round=7)
    fm = lab.on("fashion-mnist")
    assert lab.on("fashion-mnist") is fm and lab.on("mnist") is lab and fm.on("fashion-mnist") is fm
    fm_spec = fm.planner.lenet_spec("lenet-iterative-round", round=7)
    assert fm_spec.dataset == "fashion-mnist" and fm_spec.key() != mnist_spec.key()
    assert "dataset" not in mnist_spec.differences()  # MNIST's key hashes no dataset field: unchanged
    assert fm.seeds() == list(range(ci.fmnist_seeds)) and len(fm.planner.pms) == ci.fmnist_rounds + 1
    assert lab.seeds() == list(range(ci.mnist_seeds)) and len(lab.planner.pms) == ci.rounds + 1
    assert fm.timings is lab.timings and fm.store is lab.store
    with pytest.raises(ValueError, match="xor"):
        lab.on("xor")


def test_every_preset_sets_the_follow_up_values():
    for p in scales.PRESETS.values():
        assert p.fmnist_seeds >= 4 and p.fmnist_rounds >= 7 and p.lmc_points >= 2
        assert 0 < p.sign_margin < 0.01 and p.lmc_threshold == 0.02 and 0.1 < p.supermask_threshold < 1
        names = {d["name"] for d in p.describe()}
        assert {"fmnist_seeds", "fmnist_rounds", "sign_margin", "supermask_threshold", "lmc_threshold",
                "lmc_points"} <= names


# ---- the report -----------------------------------------------------------------------------------
def test_report_shows_beyond_the_paper_claims_under_their_own_heading_after_the_papers(tmp_path):
    import json
    from pathlib import Path

    from lth.claimkit import families as registry
    from lth.report.page import write_html

    doc = json.loads((Path(__file__).parent / "data" / "claims-small.json").read_text())
    first = doc["claims"][0]["id"]
    for c in doc["claims"]:
        c["family"] = "beyond" if c["id"] == first else "paper"
    (tmp_path / "claims.json").write_text(json.dumps(doc))
    html = write_html(tmp_path / "claims.json").read_text(encoding="utf-8")
    title = registry.TITLES["beyond"]
    assert html.count(f"<h2 id=\"beyond\">{title}</h2>") == 1 and html.count('id="verdicts-beyond"') == 1
    heading = html.index('<h2 id="beyond">')
    others = [html.index(f'data-claim="{c["id"]}">\n  <header>') for c in doc["claims"] if c["id"] != first]
    assert others and all(o < heading for o in others)  # the paper's sections first, though the id sorts first
    assert heading < html.index(f'data-claim="{first}">\n  <header>')
    assert html.index('id="verdicts-beyond"') < html.index('<tr class="row-', html.index('id="verdicts-beyond"'))
