"""Nothing wrong is trusted: wrong data are one line before anything trains, and a run says what it was."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lth.core import data
from lth.report import document

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("LTH_DATA") or REPO.parent / "shared" / "data")
needs_data = pytest.mark.skipif(not (SHARED / "MNIST" / "raw").is_dir(), reason=f"no MNIST under {SHARED} (set LTH_DATA)")


def _pytest(*args, env=None, cwd=REPO, **kw):
    return subprocess.run([sys.executable, "-m", "pytest", *args, "-p", "no:cacheprovider"], capture_output=True,
                          text=True, cwd=cwd, env={**os.environ, **(env or {})}, timeout=600, **kw)


def test_a_wrong_lth_data_is_one_line_and_exit_4_and_leaves_the_last_report(tmp_path):
    report = tmp_path / "reports"
    report.mkdir()
    (report / "claims.json").write_text('{"complete": true}')
    run = _pytest("claims/", "-n", "2", "--lth-scale", "smoke", "--lth-report", str(report),
                  "--lth-cache", str(tmp_path / "cache"), env={"LTH_DATA": str(tmp_path / "nowhere")})
    assert run.returncode == 4, run.stdout + run.stderr
    errors = [l for l in (run.stdout + run.stderr).splitlines() if l.strip()]
    assert len(errors) == 1 and errors[0].startswith("ERROR: MNIST not found: ") and "LTH_DATA=" in errors[0]
    assert str(tmp_path / "nowhere" / "MNIST" / "raw") in errors[0] and "train-labels-idx1-ubyte" in errors[0]
    assert (report / "claims.json").read_text() == '{"complete": true}'


@needs_data
def test_a_data_file_of_the_right_size_but_wrong_contents_is_caught(tmp_path, monkeypatch):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for f in data.MNIST_FILES:
        shutil.copy(SHARED / "MNIST" / "raw" / f, raw / f)
    labels = bytearray((raw / "train-labels-idx1-ubyte").read_bytes())
    labels[8:] = bytes((b + 1) % 10 for b in labels[8:])  # every label shifted by one: same size
    (raw / "train-labels-idx1-ubyte").write_bytes(bytes(labels))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("LTH_DATA", str(tmp_path))
    with pytest.raises(data.DataError, match=r"differ from the canonical ones \(SHA-256\): train-labels-idx1-ubyte "
                                             r"\(LTH_DATA="):
        data.verify("mnist")
    shutil.copy(SHARED / "MNIST" / "raw" / "train-labels-idx1-ubyte", raw / "train-labels-idx1-ubyte")
    assert data.verify("mnist") == raw
    assert len(json.loads((tmp_path / "xdg" / "lth" / "data-verified.json").read_text())) == 4  # hashed once


CLAIMS = '''
import os, time
import numpy as np
import pytest
from lth import stats

def _run(claim):
    a, b = np.linspace(1.0, 1.1, 8), np.linspace(0.0, 0.1, 8)
    claim.conclude(stats.welch(a, b, alpha=claim.alpha, label="a > b", seed=0, n_resamples=20), measured="m",
                   figures=[], seeds={"mnist": [0, 7]})

@pytest.mark.claim(id="XOR-1", statement="s", source="here", paper_numbers="none")
def test_quick(claim):
    _run(claim)

@pytest.mark.claim(id="XOR-2", statement="s", source="here", paper_numbers="none")
def test_slow(claim):
    open(os.environ["MARK"], "w").close()
    time.sleep(120)
    _run(claim)
'''


def test_an_interrupted_xdist_run_writes_a_report_marked_incomplete(tmp_path):
    (tmp_path / "test_two.py").write_text(CLAIMS)
    mark, report = tmp_path / "started", tmp_path / "reports"
    proc = subprocess.Popen([sys.executable, "-m", "pytest", "test_two.py", "-n", "2", "-p", "no:cacheprovider",
                             "--lth-scale", "smoke", "--lth-report", str(report), "--rootdir", str(tmp_path)],
                            cwd=tmp_path, env={**os.environ, "MARK": str(mark), "PYTHONPATH": str(REPO)},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 120
    while not mark.exists() and time.time() < deadline:
        time.sleep(0.2)
    time.sleep(3)  # the quick claim's report reaches the controller
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=120)
    doc = json.loads((report / "claims.json").read_text())
    assert doc["complete"] is False and doc["interrupted"] is True, out
    assert [c["id"] for c in doc["claims"]] == ["XOR-1"] and "XOR-2" in doc["missing"] and "MNIST-1" in doc["missing"]
    page = (report / "claims.html").read_text()
    assert "Incomplete run: interrupted before it finished." in page and "XOR-2" in page


def test_a_run_where_no_claim_reached_a_verdict_leaves_a_complete_report(tmp_path):
    report = tmp_path / "reports"
    report.mkdir()
    (report / "claims.json").write_text('{"complete": true, "claims": []}')
    (tmp_path / "test_crash.py").write_text('''
import pytest

@pytest.mark.claim(id="XOR-1", statement="s", source="here", paper_numbers="none")
def test_crash(claim):
    raise RuntimeError("boom")
''')
    run = _pytest("test_crash.py", "--lth-scale", "smoke", "--lth-report", str(report), "--rootdir", str(tmp_path),
                  cwd=tmp_path, env={"PYTHONPATH": str(REPO)})
    assert run.returncode == 1 and "no claim reached a verdict" in run.stdout
    assert (report / "claims.json").read_text() == '{"complete": true, "claims": []}'


def test_completeness_names_the_registered_claims_without_evidence():
    got = document.completeness([{"id": "XOR-1"}], interrupted=False)
    assert got["complete"] is False and got["interrupted"] is False and "XOR-2" in got["missing"]
    assert "XOR-1" not in got["missing"]
