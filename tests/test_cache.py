"""`python -m lth cache`: list a real cache, prune by age and by staleness, clear errors."""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import torch

from lth.experiments import cacheadmin as cache
from lth.core import models
from lth.experiments.spec import ExperimentSpec
from lth.experiments.store import Store
from lth.core.training import TrainConfig

REPO = Path(__file__).resolve().parents[1]


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lth", *args], capture_output=True, text=True, cwd=REPO, timeout=120)


def _fill(root: Path) -> Store:
    store = Store(root)
    spec = ExperimentSpec(kind="lenet-control", arch=models.lenet_300_100(), train=TrainConfig(iterations=2_000),
                          round=7, control="reinit")
    store.chunked(spec, [0, 1, 2, 3], 2, lambda chunk: {"x": torch.zeros(len(chunk), 1000)})
    store.cached(ExperimentSpec(kind="xor-dense", arch=models.xor_net(4), train=TrainConfig()), [0],
                 lambda: {"y": torch.ones(1)})
    return store


def test_ls_lists_kind_seeds_and_differences(tmp_path):
    _fill(tmp_path)
    out = _cli("cache", "ls", str(tmp_path))
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    control = [l for l in lines if l.startswith("lenet-control")]
    assert len(control) == 2 and any("seeds 0..1" in l for l in control) and any("seeds 2..3" in l for l in control)
    assert all("round=7" in l and 'control="reinit"' in l and "train.iterations=2000" in l for l in control)
    assert any(l.startswith("xor-dense") for l in lines)
    assert lines[-1].startswith("3 entries") and "0 stale" in lines[-1]


def test_ls_json_and_staleness(tmp_path):
    _fill(tmp_path)
    meta = next(p for p in tmp_path.glob("*/*.json") if '"xor-dense"' in p.read_text())
    data = json.loads(meta.read_text())
    data["source"] = "computed-by-other-code"
    meta.write_text(json.dumps(data))
    out = _cli("cache", "ls", str(tmp_path), "--json")
    rows = json.loads(out.stdout)
    assert len(rows) == 3 and sum(r["stale"] for r in rows) == 1
    assert {r["kind"] for r in rows if r["stale"]} == {"xor-dense"}
    assert all(r["size"] > 0 for r in rows)


def test_prune_by_age_and_stale(tmp_path):
    _fill(tmp_path)
    old = sorted(tmp_path.glob("*/*.pt"))[0]
    past = time.time() - 10 * 86400
    os.utime(old, (past, past))
    dry = _cli("cache", "prune", str(tmp_path), "--older-than", "5", "--dry-run")
    assert dry.returncode == 0 and "would remove" in dry.stdout and old.exists()
    out = _cli("cache", "prune", str(tmp_path), "--older-than", "5")
    assert out.returncode == 0 and not old.exists() and not old.with_suffix(".json").exists()
    assert len(cache.entries(tmp_path)) == 2
    assert cache.prune(tmp_path, stale=True) == []  # everything left was computed by this code


def test_errors_are_one_line_with_exit_2(tmp_path):
    missing = _cli("cache", "ls", str(tmp_path / "nowhere"))
    assert missing.returncode == 2 and "no experiment cache at" in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1
    nothing = _cli("cache", "prune", str(tmp_path))
    assert nothing.returncode == 2 and "--older-than" in nothing.stderr
    negative = _cli("cache", "prune", str(tmp_path), "--older-than", "-1")
    assert negative.returncode == 2 and "-1" in negative.stderr
