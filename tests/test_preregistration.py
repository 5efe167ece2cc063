"""Pre-registration the tool enforces: declarations hashed, compared on every run, and a verdict run refused on any change."""
import dataclasses
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lth.claimkit import preregistration as prereg
from lth.experiments import presets

REPO = Path(__file__).resolve().parents[1]


def _claim(module: str):
    import importlib.util

    spec = importlib.util.spec_from_file_location(module, REPO / "claims" / f"{module}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return getattr(mod, module).lth_claim


def test_a_declaration_is_plain_data_whose_hash_changes_with_any_field_that_decides():
    claim = _claim("test_tickets_are_as_accurate")
    d = prereg.declaration(claim)
    assert json.loads(json.dumps(d)) == d and prereg.sha256(d) == prereg.sha256(prereg.declaration(claim))
    assert d["checks"][0]["margin"] == "margin" and d["family"] == "paper" and "ci" in d["expected"]
    edited = dataclasses.replace(claim, checks=[dataclasses.replace(claim.checks[0], margin=0.002), *claim.checks[1:]])
    assert prereg.sha256(prereg.declaration(edited)) != prereg.sha256(d)
    assert prereg.first_difference(d, prereg.declaration(edited)) == "checks[0].margin"
    unexpected = dataclasses.replace(claim, expected={})  # an expected outcome is part of the declaration
    assert prereg.first_difference(d, prereg.declaration(unexpected)).startswith("expected")
    figures_only = dataclasses.replace(claim, figures=())  # figures decide nothing: not part of it
    assert prereg.sha256(prereg.declaration(figures_only)) == prereg.sha256(d)


def test_each_claim_stands_pre_registered_changed_or_not_registered(tmp_path):
    claim, other = _claim("test_tickets_are_as_accurate"), _claim("test_wider_xor_networks_converge_more_often")
    preset = presets.get("smoke")
    doc = prereg.build([claim], preset)
    path = prereg.write(tmp_path / "preregistration" / "smoke.json", doc)
    registered = prereg.load(path)
    assert prereg.standing(claim, registered, ("abc123", "2026-12-03T18:00:00+00:00")).words() == \
        "pre-registered in abc123 on 2026-12-03"
    assert prereg.standing(other, registered).status == prereg.UNREGISTERED
    edited = dataclasses.replace(claim, checks=[dataclasses.replace(claim.checks[0], design="paired-t"), *claim.checks[1:]])
    s = prereg.standing(edited, registered)
    assert s.status == prereg.CHANGED and s.changed == "checks[0].design"
    assert prereg.problems([claim], preset, registered, path) == []
    assert prereg.problems([edited], preset, registered, path) == [
        f"MNIST-2b is changed after pre-registration (checks[0].design) against {path}"]
    moved = dataclasses.replace(preset, margin=preset.margin + 0.001)
    assert prereg.problems([claim], moved, registered, path) == [f"preset smoke differs from {path} (field margin)"]
    assert "no pre-registration at" in prereg.problems([claim], preset, None, path)[0]
    path.write_text("{not json")
    with pytest.raises(ValueError, match="not a pre-registration"):
        prereg.load(path)


def _git(cwd, *args):
    subprocess.run(["git", "-c", "user.name=lth", "-c", "user.email=lth@example.invalid", *args], cwd=cwd,
                   check=True, capture_output=True, text=True)


def _pytest(cwd, *args, env=None):
    return subprocess.run([sys.executable, "-m", "pytest", *args, "-p", "no:cacheprovider", "--rootdir", str(cwd),
                           "--lth-cache", str(cwd / ".lth-cache"), "--lth-report", str(cwd / "reports")],
                          cwd=cwd, capture_output=True, text=True, timeout=600, env={**os.environ, **(env or {})})


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_a_verdict_run_starts_only_on_what_was_pre_registered_and_committed(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    for name in ("test_tickets_are_as_accurate.py", "test_wider_xor_networks_converge_more_often.py"):
        shutil.copy(REPO / "claims" / name, project / name)
    (project / ".gitignore").write_text(".lth-cache/\nreports/\n__pycache__/\n")
    _git(project, "init", "-q")
    xor = "test_wider_xor_networks_converge_more_often.py"

    refused = _pytest(project, xor, "--lth-scale", "smoke", "--lth-verdict")  # nothing registered yet
    assert refused.returncode == 4 and "--lth-commit SHA or LTH_COMMIT" in refused.stderr  # no commit yet
    _git(project, "add", "-A")
    _git(project, "commit", "-qm", "claims")
    refused = _pytest(project, xor, "--lth-scale", "smoke", "--lth-verdict")
    lines = [l for l in (refused.stdout + refused.stderr).splitlines() if l.strip()]
    assert refused.returncode == 4 and len(lines) == 1 and "no pre-registration at" in lines[0], lines

    run = subprocess.run([sys.executable, "-m", "lth", "preregister", "--scale", "smoke", "--root", str(project), "."],
                         cwd=project, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0 and "2 claims at scale smoke" in run.stdout, run.stdout + run.stderr
    _git(project, "add", "-A")
    _git(project, "commit", "-qm", "pre-register smoke")
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=project, capture_output=True, text=True).stdout.strip()

    ok = _pytest(project, xor, "--lth-scale", "smoke", "--lth-verdict")
    assert ok.returncode == 0, ok.stdout[-2000:] + ok.stderr[-2000:]
    doc = json.loads((project / "reports" / "claims.json").read_text())
    assert doc["git_commit"] == head and doc["provenance"]["verdict_run"] is True
    assert doc["provenance"]["dirty_files"] == [] and doc["provenance"]["preregistration"]["commit"] == head
    (claim,) = doc["claims"]
    assert claim["preregistration"]["status"] == "pre-registered" and claim["preregistration"]["commit"] == head

    module = project / "test_tickets_are_as_accurate.py"  # edit MNIST-2b's margin
    module.write_text(module.read_text().replace('margin="margin", design="signflip"', 'margin=0.002, design="signflip"', 1))
    refused = _pytest(project, xor, "--lth-scale", "smoke", "--lth-verdict")
    lines = [l for l in (refused.stdout + refused.stderr).splitlines() if l.strip()]
    assert refused.returncode == 4 and len(lines) == 1 and "working tree differs" in lines[0] \
        and "test_tickets_are_as_accurate.py" in lines[0], lines
    _git(project, "commit", "-qam", "a new margin")
    refused = _pytest(project, ".", "--lth-scale", "smoke", "--lth-verdict")
    lines = [l for l in (refused.stdout + refused.stderr).splitlines() if l.strip()]
    assert refused.returncode == 4 and len(lines) == 1, lines
    assert lines[0] == (f"ERROR: --lth-verdict refused: MNIST-2b is changed after pre-registration (checks[0].margin) "
                        f"against {project / 'preregistration' / 'smoke.json'}"), lines

    plain = _pytest(project, xor, "--lth-scale", "smoke", "--lth-commit", "feedbeef")  # not a verdict run: recorded
    assert plain.returncode == 0, plain.stdout[-2000:]
    doc = json.loads((project / "reports" / "claims.json").read_text())
    assert doc["git_commit"] == "feedbeef" and doc["provenance"]["commit_from"] == "--lth-commit"
    refused = _pytest(project, xor, "--lth-scale", "smoke", "--lth-verdict", "--lth-commit", "feedbeef")
    assert refused.returncode == 4 and "is not this checkout's HEAD" in refused.stdout + refused.stderr


def test_without_git_a_verdict_run_needs_the_commit_named(tmp_path):
    shutil.copy(REPO / "claims" / "test_wider_xor_networks_converge_more_often.py", tmp_path / "test_xor.py")
    refused = _pytest(tmp_path, "test_xor.py", "--lth-scale", "smoke", "--lth-verdict",
                      env={"GIT_CEILING_DIRECTORIES": str(tmp_path.parent)})
    assert refused.returncode == 4 and "name the commit being run with --lth-commit SHA or LTH_COMMIT" in \
        refused.stdout + refused.stderr
