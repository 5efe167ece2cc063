"""`lth table`: the per-seed data of a real claims run, read back by pandas, give the same p when re-tested."""
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lth import stats
from lth.stats import designs

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("xor")
    done = subprocess.run([sys.executable, "-m", "pytest", "claims/test_wider_xor_networks_converge_more_often.py",
                           "claims/test_xor_tickets_beat_controls.py", "--lth-scale", "smoke", "-p", "no:cacheprovider",
                           "--lth-cache", str(out / "cache"), "--lth-report", str(out)], cwd=REPO, capture_output=True,
                          text=True, timeout=600, env=os.environ)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return out / "claims.json"


def _lth(*args):
    out = subprocess.run([sys.executable, "-m", "lth", *args], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_pandas_reads_the_per_seed_csv_and_a_rerun_gives_the_same_p(run):
    pd = pytest.importorskip("pandas")
    frame = pd.read_csv(io.StringIO(_lth("table", str(run), "--per-seed", "--csv")))
    assert list(frame.columns) == ["run", "claim", "comparison", "design", "alternative", "margin", "arm", "level",
                                   "level_value", "metric", "seed", "value"]
    doc = json.loads(run.read_text())
    comps = {comp["label"]: comp for c in doc["claims"] for comp in (c["comparisons"][0]["components"]
                                                                     or c["comparisons"])}
    checked = 0
    for label, rows in frame.groupby("comparison", sort=False):
        stored = comps[label]
        design, alternative = rows["design"].iloc[0], rows["alternative"].iloc[0]
        if design in designs.DESIGNS:  # two arms, seed by seed
            keys = list(dict.fromkeys(zip(rows["arm"], rows["level"].fillna(""))))  # an arm at a level
            a, b = (rows[(rows["arm"] == arm) & (rows["level"].fillna("") == level)].sort_values("seed")["value"]
                    .to_numpy() for arm, level in keys)
            again = designs.run(design, a, b, alternative=alternative, margin=float(rows["margin"].iloc[0]),
                                alpha=stored["alpha"], label=label, n_resamples=0)
        else:  # the Kendall trend over levels
            assert design == "kendall-trend"
            again = stats.trend(rows["level_value"].to_numpy(float), rows["value"].to_numpy(float),
                                alternative=alternative, alpha=stored["alpha"], label=label, n_resamples=0)
        assert np.isclose(again.p_value, stored["p_value"], rtol=1e-12, atol=0), label
        checked += 1
    assert checked == 5  # XOR-1's trend and Fisher test, XOR-2's three McNemar comparisons


def test_the_verdict_table_is_markdown_or_csv(run):
    md = _lth("table", str(run))
    assert md.splitlines()[0].startswith("| run | claim | family | verdict | p |") and "| XOR-1 | paper |" in md
    pd = pytest.importorskip("pandas")
    frame = pd.read_csv(io.StringIO(_lth("table", str(run), "--csv")))
    assert sorted(frame["claim"]) == ["XOR-1", "XOR-2"] and (frame["p"] < frame["alpha"]).all()


def test_the_readmes_tables_are_what_lth_table_prints():
    from lth.report import readme

    root = Path(__file__).resolve().parents[1]
    assert readme.regenerate(root / "README.md", check=True) == []  # regenerate with `python -m lth readme`
    assert "<!-- lth table results/ci-60000/claims.json" in (root / "README.md").read_text()


def test_lth_readme_regenerates_a_drifted_block_and_check_reports_it(tmp_path):
    import shutil

    from lth.report import readme

    root = Path(__file__).resolve().parents[1]
    shutil.copy(root / "results" / "ci-60000" / "claims.json", tmp_path / "claims.json")
    doc = tmp_path / "README.md"
    doc.write_text("intro\n<!-- lth table claims.json --columns claim,verdict -->\n| typed | by hand |\n"
                   "<!-- end lth table -->\nafter\n")
    assert readme.regenerate(doc, check=True) == ["table claims.json --columns claim,verdict"]
    assert "typed" in doc.read_text()  # --check changes nothing
    assert readme.regenerate(doc) == ["table claims.json --columns claim,verdict"]
    text = doc.read_text()
    assert "| claim | verdict |" in text and "| XOR-1 | reproduced |" in text and text.endswith("after\n")
    assert readme.regenerate(doc, check=True) == []
