"""`python -m lth export`: a seed's ticket from the pruning run, written as plain PyTorch and read back."""
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from lth.core import masks
from lth.core import models
from lth.experiments import presets as scales
from lth.experiments.lab import Lab
from lth.core.export import load_ticket
from lth.experiments.tickets import export_ticket

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory, mnist):
    return Lab.local(scales.get("smoke"), tmp_path_factory.mktemp("cache"), n_seeds=2)


def test_exported_ticket_is_the_pruning_runs_mask_on_the_seeds_init(lab, tmp_path, mnist):
    path = export_ticket(lab, pm=21, seed=1, weights="init", path=tmp_path / "t.pt")
    model, kept = load_ticket(path)
    r = lab.level(21)
    chunk = next(c for c in lab.chunks() if 1 in c)
    mask = {k: v[[chunk.index(1)]] for k, v in lab.executor.entry(lab.planner.round_node(chunk, r))["mask"].items()}
    arch = models.lenet_300_100()
    ticket = masks.apply(models.init_params(arch, [1]), mask)
    x = mnist.test_x[:64]
    torch.testing.assert_close(model(x), models.forward(arch, ticket, x)[0], rtol=1e-5, atol=1e-6)
    assert torch.equal(kept["0.weight"], mask["w0"][0].T)
    assert abs(float(masks.density(mask)[0]) - 0.2107) < 1e-3


def test_trained_ticket_keeps_pruned_weights_at_zero(lab, tmp_path):
    model, kept = load_ticket(export_ticket(lab, pm=51, seed=0, weights="final", path=tmp_path / "f.pt"))
    w = model[0].weight.detach()
    assert bool((w[~kept["0.weight"]] == 0).all()) and bool((w[kept["0.weight"]] != 0).any())


def test_bad_requests_are_value_errors(lab, tmp_path):
    with pytest.raises(ValueError, match="seed 99"):
        export_ticket(lab, pm=21, seed=99, weights="init", path=tmp_path / "x.pt")
    with pytest.raises(ValueError, match="'trained'"):
        export_ticket(lab, pm=21, seed=0, weights="trained", path=tmp_path / "x.pt")
    with pytest.raises(ValueError, match="Pm near 45"):
        export_ticket(lab, pm=45, seed=0, weights="init", path=tmp_path / "x.pt")


def test_command_line_exit_2_on_a_bad_seed(tmp_path):
    run = subprocess.run([sys.executable, "-m", "lth", "export", "--scale", "smoke", "--pm", "21", "--seed", "7",
                          "--cache", str(tmp_path / "c"), "-o", str(tmp_path / "t.pt")], capture_output=True, text=True,
                         cwd=REPO, timeout=600)
    assert run.returncode == 2 and "seed 7 is not among this scale's seeds 0..3" in run.stderr
    assert not (tmp_path / "t.pt").exists()


def _lth(*args, tmp_path):
    return subprocess.run([sys.executable, "-m", "lth", *args], capture_output=True, text=True, cwd=REPO, timeout=600)


def test_pm_must_name_a_level_and_dry_run_says_what_it_would_compute(tmp_path):
    bad = _lth("export", "--scale", "smoke", "--pm", "50", "--cache", str(tmp_path / "c"), tmp_path=tmp_path)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1
    assert "--pm 50 names no pruning level of scale smoke; the levels are 100, 80.04, 64.06, 51.28" in bad.stderr
    dry = _lth("export", "--scale", "smoke", "--pm", "21.07", "--dry-run", "--cache", str(tmp_path / "c"),
               "-o", str(tmp_path / "t.pt"), tmp_path=tmp_path)
    assert dry.returncode == 0 and "round 7; 8 of its 8 rounds for seeds 0..0 are not cached" in dry.stderr
    assert not (tmp_path / "t.pt").exists() and not (tmp_path / "c").exists()


def test_version_and_a_closed_pipe_end_quietly(tmp_path):
    script = Path(sys.executable).parent / "lth"  # the console script, installed beside this interpreter
    out = subprocess.run([str(script), "--version"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.startswith("lth ")
    piped = subprocess.run(f"'{script}' --help | head -1", shell=True, capture_output=True, text=True, timeout=60)
    assert piped.stdout.startswith("usage: lth") and "Traceback" not in piped.stderr
