"""Variants are one function plus a registry line: controls, pruning criteria and designs added from outside lth."""
import numpy as np
import pytest
import torch

from lth import stats
from lth.claimkit import checks
from lth.claimkit.arms import TICKET, Arm
from lth.core import models, pruning
from lth.experiments import controls, presets, store
from lth.experiments.lab import Lab
from lth.stats import designs


@controls.register_control("sign-flipped", summary="the ticket's mask on the negated initial weights")
def sign_flipped(start: controls.Start):
    params = models.init_params(start.arch, start.chunk)
    return {k: (-v if k.startswith("w") else v) for k, v in params.items()}, start.mask


@pruning.register_criterion("smallest-magnitude")
def smallest_magnitude(weights):
    return {k: -weights[k].detach().abs() for k in weights if k.startswith("w")}


def test_unknown_names_are_one_line_value_errors_listing_the_known_ones():
    with pytest.raises(ValueError, match=r"^unknown control 'rearange'; known: ticket, one-shot, reinit, "
                                         r"random-pruning, rearranged, signed-constant, random-sign-constant"):
        controls.get("rearange")
    with pytest.raises(ValueError, match="^unknown pruning criterion 'size'; known: magnitude"):
        pruning.criterion("size")
    with pytest.raises(ValueError, match="^unknown design 'ttest'; known: "):
        checks.versus(TICKET, TICKET, label="x", design="ttest")
    for fn in (lambda: controls.get("rearange"), lambda: pruning.criterion("x"), lambda: designs.get("x")):
        with pytest.raises(ValueError) as e:
            fn()
        assert "\n" not in str(e.value)


def test_a_control_registered_here_is_used_by_a_claims_check_without_editing_lth(tmp_path, mnist):
    lab = Lab.local(presets.get("smoke"), tmp_path, n_seeds=4)
    flipped = Arm("sign-flipped ticket", "control", control="sign-flipped")
    check = checks.versus(TICKET, flipped, label="{pm}: ticket vs sign-flipped", design="signflip")
    results, words = check.run(lab, {"alpha": 0.01, "seed": 0, "n_resamples": 0}, 21.1)
    assert results[0].n == [4, 4] and "sign-flipped ticket" in words[0]
    spec = lab.planner.control("sign-flipped", 21.1).spec
    assert spec.control == "sign-flipped" and spec.control_code == controls.get("sign-flipped").code != ""
    record = lab.control("sign-flipped", 21.1)
    assert torch.equal(record.density, lab.ticket(21.1).density)


def test_a_registered_criterion_prunes_by_its_scores():
    w = {"w0": torch.tensor([[[3.0, -1.0], [0.5, 2.0]]]), "b0": torch.zeros(1, 2)}
    m = {"w0": torch.ones(1, 2, 2, dtype=torch.bool)}
    assert pruning.prune(w, m, 0.5)["w0"].tolist() == [[[True, False], [False, True]]]
    assert pruning.prune(w, m, 0.5, "smallest-magnitude")["w0"].tolist() == [[[False, True], [True, False]]]
    assert torch.equal(pruning.prune(w, m, 0.5)["w0"], pruning.magnitude_prune(w, m, 0.5)["w0"])


def test_a_design_registered_here_runs_through_a_check():
    def median_gap(a, b, *, alternative, margin, alpha, label, seed, n_resamples):
        return designs.get("paired-t").test(a, b, alternative=alternative, margin=margin, alpha=alpha, label=label,
                                            seed=seed, n_resamples=n_resamples)

    designs.register_design("my-paired-t", median_gap)
    a, b = np.linspace(1, 2, 8), np.linspace(0, 1, 8)
    r = designs.run("my-paired-t", a, b, alpha=0.01, label="x", seed=0, n_resamples=0, alternative="greater",
                    margin=0.0)
    assert stats.verdict(r, 0.01) == stats.REPRODUCED


def test_the_fingerprint_covers_every_module_under_core_found_in_the_tree(tmp_path):
    import shutil

    pkg = tmp_path / "lth"
    shutil.copytree(store.PACKAGE, pkg, ignore=shutil.ignore_patterns("__pycache__"))
    before = store.source_fingerprint(pkg)
    assert pkg / "core" / "training.py" in store.computing_files(pkg)
    (pkg / "core" / "new_kernel.py").write_text("SCALE = 1.0\n")
    assert pkg / "core" / "new_kernel.py" in store.computing_files(pkg)
    after = store.source_fingerprint(pkg)
    assert after != before
    (pkg / "claimkit" / "figures.py").write_text("# not computing\n")
    assert store.source_fingerprint(pkg) == after  # the claims layer is not part of the fingerprint
    (pkg / "experiments" / "controls.py").write_text("# changed\n")
    assert store.source_fingerprint(pkg) != after


def test_the_readme_example_registers_a_control_and_a_criterion_and_a_claim_uses_them(tmp_path, mnist):
    """The README's "Adding a control or a pruning criterion" example, run as a claims file of its own."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parents[1]
    text = (repo / "README.md").read_text()
    part = text[text.index("## Adding a control or a pruning criterion"):]
    start = part.index("```python") + len("```python")
    (tmp_path / "test_readme_example.py").write_text(part[start : part.index("```", start)])
    run = subprocess.run([sys.executable, "-m", "pytest", "test_readme_example.py", "--lth-scale", "smoke",
                          "--lth-seeds", "4", "-p", "no:cacheprovider", "--rootdir", str(tmp_path),
                          "--lth-cache", str(tmp_path / "cache"), "--lth-report", str(tmp_path / "reports")],
                         cwd=tmp_path, capture_output=True, text=True, timeout=900,
                         env={**os.environ, "PYTHONPATH": str(repo),
                              **({"LTH_DATA": os.path.abspath(os.environ["LTH_DATA"])} if os.environ.get("LTH_DATA") else {})})
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    import json

    doc = json.loads((tmp_path / "reports" / "claims.json").read_text())
    (claim,) = doc["claims"]
    assert claim["id"] == "EX-2" and "sign-flipped ticket" in claim["measured"] and claim["n"] == [4, 4]


def test_the_readme_claim_example_declares_a_valid_claim():
    """The README's "Adding a claim" example builds (its declaration is checked when the module is imported)."""
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parents[1]
    text = (repo / "README.md").read_text()
    part = text[text.index("## Adding a claim"):]
    start = part.index("```python") + len("```python")
    code = part[start : part.index("```", start)] + (
        "\nc = test_tickets_beat_reinit_at_51.lth_claim\n"
        "assert c.equivalence == 0.001 and c.checks[0].design == 'signflip'\nprint('ok')\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=repo)
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stderr[-2000:]
