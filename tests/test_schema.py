"""The claims.json schema (lth/schemas/claims.schema.json, lth.schema): what it accepts, and the
one-line errors naming the field for what it does not; the report's command line on a bad file."""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from lth.claimkit import figures
from lth.report import schema
from lth import stats

ROOT = Path(__file__).resolve().parents[1]
SMALL = Path(__file__).parent / "data" / "claims-small.json"
VERDICTS = "'reproduced', 'contradicted', 'absent', 'inconclusive', 'not reproduced', 'error'"


@pytest.fixture
def doc() -> dict:
    return json.loads(SMALL.read_text())


def error_of(doc) -> str:
    with pytest.raises(schema.SchemaError) as e:
        schema.validate(doc)
    assert isinstance(e.value, ValueError)
    msg = str(e.value)
    assert "\n" not in msg and len(msg) < 300
    return msg


def test_the_schema_is_draft_2020_12_and_ships_with_the_package():
    from jsonschema import Draft202012Validator

    s = schema.schema()
    assert s["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(s)
    assert schema.SCHEMA_PATH == ROOT / "lth" / "report" / "schemas" / "claims.schema.json"


def test_pyproject_ships_the_schema_and_its_validator():
    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "schemas/*.json" in project["tool"]["setuptools"]["package-data"]["lth.report"]
    assert any(d.startswith("jsonschema") for d in project["project"]["dependencies"])


def test_the_stored_claims_json_is_valid(doc):
    schema.validate(doc)


def test_unknown_claim_fields_are_allowed_and_known_ones_typed(doc):
    doc["claims"][0]["censored_fraction"] = {"ticket": 0.1, "control": 0.3}
    schema.validate(doc)
    doc["claims"][0]["schedule"] = "first"
    assert error_of(doc) == "claims[0].schedule: 'first' is not of type 'integer' (claim CAL-1)"


def test_missing_and_non_finite_numbers(doc):
    c = doc["claims"][1]
    c["p_value"], c["effect"], c["ci"], c["mde"] = None, math.nan, [None, math.inf], -math.inf
    c["figures"][0]["series"][0]["y"][0] = math.nan
    schema.validate(doc)  # null, and the NaN/Infinity that older files hold, are both "no number"
    assert schema.jsonable({"a": [math.nan, math.inf, 1.5], "b": (1, 2)}) == {"a": [None, None, 1.5], "b": [1, 2]}


def test_jsonable_turns_array_types_into_json_data():
    value = {1: np.float32(0.5), "n": np.int64(3), "t": torch.tensor([1.0, float("nan")]), "ok": np.bool_(True),
             "x": np.array([[1, 2]]), "s": "text", "none": None}
    out = schema.jsonable(value)
    assert out == {"1": 0.5, "n": 3, "t": [1.0, None], "ok": True, "x": [[1, 2]], "s": "text", "none": None}
    assert json.loads(json.dumps(out, allow_nan=False)) == out
    with pytest.raises(TypeError, match="object is not JSON data"):
        schema.jsonable(object())


def _del(*path):
    def change(d):
        *parent, last = path
        for p in parent:
            d = d[p]
        del d[last]
    return change


def _set(value, *path):
    def change(d):
        *parent, last = path
        for p in parent:
            d = d[p]
        d[last] = value
    return change


@pytest.mark.parametrize("change, message", [
    (_del("seed_base"), "missing required key 'seed_base'"),
    (_set("0", "seed_base"), "seed_base: '0' is not of type 'integer'"),
    (_set(0, "sclae"), "unknown key 'sclae'"),
    (_set({"xor": "many"}, "seeds"), "seeds.xor: 'many' is not of type 'integer'"),
    (_set(None, "wall_time_s"), "wall_time_s: null is not of type 'number'"),
    (_del("claims", 1, "p_value"), "claims[1]: missing required key 'p_value' (claim MNIST-3)"),
    (_set("abc", "claims", 3, "p_value"), "claims[3].p_value: 'abc' is not of type 'number' or null (claim XOR-1)"),
    (_set(1.5, "claims", 3, "p_holm"), "claims[3].p_holm: 1.5 is above the maximum 1 (claim XOR-1)"),
    (_set("maybe", "claims", 0, "verdict"), f"claims[0].verdict: 'maybe' is not one of {VERDICTS} (claim CAL-1)"),
    (_set("crashed", "claims", 0, "outcome"),
     "claims[0].outcome: 'crashed' is not one of 'passed', 'failed', 'xfailed', 'xpassed', 'skipped' (claim CAL-1)"),
    (_del("claims", 2, "xfail_reason"), "claims[2]: missing required key 'xfail_reason' (claim MNIST-6)"),
    (_set([0.1, 0.2, 0.3], "claims", 0, "ci"), "claims[0].ci: 3 items, expected exactly 2 (claim CAL-1)"),
    (_set(3, "claims", 0, "n"), "claims[0].n: 3 is not of type 'array' (claim CAL-1)"),
    (_set({"a": list(range(30))}, "claims", 0, "p_value"),
     "claims[0].p_value: an object with 1 key is not of type 'number' or null (claim CAL-1)"),
    (_set("boom", "claims", 0, "error"),
     "claims[0].error: present, but the verdict is 'reproduced'; only a claim with verdict 'error' carries one "
     "(claim CAL-1)"),
    (_set("pie", "claims", 0, "figures", 1, "type"),
     "claims[0].figures[1].type: 'pie' is not one of 'line', 'bar', 'hist', 'strip' (claim CAL-1)"),
    (_del("claims", 0, "figures", 1, "type"), "claims[0].figures[1]: missing required key 'type' (claim CAL-1)"),
    (_del("claims", 1, "figures", 0, "series"), "claims[1].figures[0]: missing required key 'series' (claim MNIST-3)"),
    (_set("up", "claims", 1, "figures", 0, "xinvert"),
     "claims[1].figures[0].xinvert: 'up' is not of type 'boolean' (claim MNIST-3)"),
    (_set("symlog", "claims", 1, "figures", 0, "xscale"),
     "claims[1].figures[0].xscale: 'symlog' is not one of 'linear', 'log' (claim MNIST-3)"),
    (_del("claims", 1, "figures", 0, "series", 2, "y"),
     "claims[1].figures[0].series[2]: missing required key 'y' (claim MNIST-3)"),
    (_set(["a"], "claims", 2, "figures", 0, "panels", 0, "series", 1, "density", 4),
     "claims[2].figures[0].panels[0].series[1].density[4]: ['a'] is not of type 'number' or null (claim MNIST-6)"),
    (_set("red", "claims", 0, "figures", 0, "colour"), "claims[0].figures[0]: unknown key 'colour' (claim CAL-1)"),
    (_set(["2"], "claims", 0, "comparisons", 0, "n"),
     "claims[0].comparisons[0].n[0]: '2' is not of type 'integer' (claim CAL-1)"),
    (_set("yes", "claims", 0, "experiments", 0, "cached"),
     "claims[0].experiments[0].cached: 'yes' is not of type 'boolean' (claim CAL-1)"),
    (_set("CAL-1", "claims", 1, "id"), "claims[1].id: 'CAL-1' repeats claims[0].id"),
])
def test_each_corruption_is_one_line_naming_the_field(doc, change, message):
    change(doc)
    assert error_of(doc) == message


def test_an_error_claim_needs_its_error_and_little_else(doc):
    info = {k: doc["claims"][3][k] for k in ("id", "statement", "source", "paper_numbers", "nodeid", "scale",
                                             "alpha", "m")}
    doc["claims"][3] = {**info, "verdict": "error", "outcome": "failed", "p_holm": None,
                        "error": "the test raised before concluding: RuntimeError: boom"}
    schema.validate(doc)
    del doc["claims"][3]["error"]
    assert error_of(doc) == "claims[3]: missing required key 'error' (claim XOR-1)"
    doc["claims"][3]["error"] = ""
    assert error_of(doc) == "claims[3].error: is empty (claim XOR-1)"


def test_figure_specs_built_by_lth_figures_follow_the_schema(doc):
    per_seed = [torch.tensor([0.9, 0.92, float("nan")]), torch.tensor([0.95, 0.96, 0.97])]
    edges = np.linspace(-1, 1, 5)
    specs = [
        figures.line("t", "x", "y", [figures.line_series("a", [100.0, 51.2], per_seed)], xscale="log", xinvert=True,
                      hlines=[figures.hline("dense", torch.tensor([0.9, 0.91]))]),
        figures.rates_bar("t", "rate", {"H=2": [True, False, False], "none": []}),
        figures.strip("t", "y", {"half a": [0.5, float("nan")], "half b": np.array([0.4, 0.6])}),
        figures.hist("t", "initial weight", [{"name": "layer w0", "edges": edges.tolist(), "series": [
            {"name": "survivors", "density": np.histogram([0.1, 0.5], edges, density=True)[0].tolist()}]}]),
    ]
    doc["claims"][0]["figures"] = schema.jsonable(specs)
    schema.validate(doc)


def test_statistics_results_follow_the_schema(doc):
    a, b = np.linspace(1.0, 1.1, 8), np.linspace(0.0, 0.1, 8)
    parts = [stats.welch(a, b, alpha=0.01, label="a > b", n_resamples=0),
             stats.fisher([True] * 5 + [False] * 3, [False] * 8, alpha=0.01, label="rates", n_resamples=50)]
    both = stats.all_hold(parts, label="both")
    c = doc["claims"][0]
    c["comparisons"] = schema.jsonable(both.components)
    c.update(schema.jsonable({"test": both.test, "p_value": both.p_value, "p_opposite": both.p_opposite,
                              "effect": both.effect, "ci": list(both.ci), "n": both.n, "mde": both.mde}))
    schema.validate(doc)
    c["comparisons"] = [schema.jsonable(both.to_dict())]  # components nest
    schema.validate(doc)


def test_report_command_on_a_corrupted_file_exits_2_with_one_line(tmp_path, doc):
    doc["claims"][3]["p_value"] = "abc"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    run = subprocess.run([sys.executable, "-m", "lth", "report", str(bad)], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2
    assert run.stdout == ""
    assert run.stderr == (f"lth report: error: {bad}: claims[3].p_value: 'abc' is not of type 'number' or null "
                          "(claim XOR-1)\n")
    assert not (tmp_path / "claims.html").exists()
