"""lth.results: Holm adjustment, assembly of the claims document, provenance, and the atomic,
validated write of claims.json with claims.html beside it."""
from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

from lth.report import page
from lth.claimkit import families as registry
from lth.report import document as results
from lth.report import schema
from lth import stats

SMALL = Path(__file__).parent / "data" / "claims-small.json"


def evidence(cid: str, p: float, **extra) -> dict:
    """A claim's evidence as the plugin collects it: marker data, the statistics, figures, timings."""
    result = stats.welch(np.linspace(1.0, 1.1, 8), np.linspace(0.0, 0.1, 8), alpha=0.0025, label="a > b",
                         n_resamples=50)
    return {"id": cid, "statement": f"{cid} holds.", "source": "Sec. 1", "paper_numbers": "none", "nodeid": f"t::{cid}",
            "scale": "ci", "alpha": 0.0025, "family_alpha": 0.01, "m": 4, "test": result.test,
            "verdict": "reproduced" if p < 0.0025 else "not reproduced",  # what p and alpha give (lth report checks)
            "p_value": p, "p_opposite": result.p_opposite, "effect": np.float64(result.effect),
            "effect_label": result.effect_label, "ci": list(result.ci), "n": result.n, "mde": result.mde,
            "comparisons": [result.to_dict()], "measured": "a 1.05 vs b 0.05", "seeds": {"mnist": [0, 7]},
            "figures": [{"type": "strip", "title": "t", "ylabel": "y",
                         "groups": [{"name": "a", "values": [1.0, math.nan]}]}],
            "experiments": [{"experiment": "lenet iterative", "wall_s": 1.5, "cached": False}],
            "outcome": "passed", **extra}


def crashed(cid: str) -> dict:
    return {"id": cid, "statement": f"{cid} holds.", "source": "Sec. 2", "paper_numbers": "none", "nodeid": f"t::{cid}",
            "scale": "ci", "alpha": 0.0025, "m": 4, "verdict": "error", "outcome": "failed",
            "error": "the test raised before concluding: RuntimeError: boom"}


def metadata(**over) -> dict:
    return {"scale": "ci", "seed_base": 0, "seeds": {"xor": 1000, "mnist": 8}, "device": "cpu",
            "versions": {"python": "3.11", "torch": "2.14"}, "git_commit": None, "command": "pytest claims -n 2",
            "started": 1_764_000_000.0, "wall_time_s": 901.26, "family_alpha": 0.01,
            "protocol": [{"name": "mnist_seeds", "value": 8, "reason": "power"}], **over}


@pytest.fixture
def doc() -> dict:
    claims = [evidence("MNIST-2", 0.04), evidence("CAL-1", 0.3), crashed("MNIST-1"), evidence("XOR-1", 1e-9)]
    return results.build_document(claims, **metadata())


def test_holm_adjusts_over_every_claim_and_sorts_by_id():
    claims = [{"id": "B", "p_value": 0.01}, {"id": "A", "p_value": 0.04}, {"id": "C"}, {"id": "D", "p_value": math.nan}]
    out = results.holm_adjust(claims)
    assert [c["id"] for c in out] == ["A", "B", "C", "D"]
    expected = stats.holm([0.04, 0.01, 1.0, 1.0])  # no p: counts as 1, so m stays 4
    assert [c["p_holm"] for c in out] == [expected[0], expected[1], None, None]
    assert out[1]["p_holm"] == pytest.approx(0.04)
    assert "p_holm" not in claims[0]  # the inputs are not changed


def test_build_document_assembles_a_valid_document(doc):
    schema.validate(doc)
    assert [c["id"] for c in doc["claims"]] == ["CAL-1", "MNIST-1", "MNIST-2", "XOR-1"]
    assert doc["m"] == sum(len(ids) for ids in registry.FAMILIES.values()) and doc["wall_time_s"] == 901.3 and doc["seeds"] == {"xor": 1000, "mnist": 8}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}", doc["started"])
    assert doc["claims"][1]["p_holm"] is None and "p_value" not in doc["claims"][1]
    assert doc["claims"][0]["figures"][0]["groups"][0]["values"] == [1.0, None]  # NaN is written as null
    assert type(doc["claims"][0]["effect"]) is float
    json.dumps(doc, allow_nan=False)


def test_build_document_keeps_a_formatted_start_and_a_given_m():
    d = results.build_document([evidence("A-1", 0.2)], **metadata(started="2026-11-28T04:01:53+0000"), m=7)
    assert d["started"] == "2026-11-28T04:01:53+0000" and d["m"] == 7


def test_write_document_writes_strict_json_and_the_page(tmp_path, doc):
    written = results.write_document(doc, tmp_path / "reports")
    assert written.json_path == tmp_path / "reports" / "claims.json"
    assert written.html_path == tmp_path / "reports" / "claims.html" and written.html_problem is None
    assert sorted(p.name for p in written.json_path.parent.iterdir()) == ["claims.html", "claims.json"]

    def no_constants(name):
        raise AssertionError(f"{name} in claims.json")

    assert json.loads(written.json_path.read_text(), parse_constant=no_constants) == doc
    assert "RuntimeError: boom" in written.html_path.read_text()
    assert written.lines(doc) == [f"lth: {written.json_path} (4 claims, scale ci, seed base 0)",
                                  f"lth: {written.html_path}"]


def test_write_document_refuses_a_document_off_the_schema_and_keeps_it(tmp_path, doc):
    out = tmp_path / "reports"
    results.write_document(doc, out, html=False)
    before = (out / "claims.json").read_text()
    doc["claims"][3]["p_value"] = "abc"
    with pytest.raises(schema.SchemaError) as e:
        results.write_document(doc, out)
    msg = str(e.value)
    assert msg.startswith("claims[3].p_value: 'abc' is not of type 'number' or null; claims.json not written, "
                          f"the document is in {out / 'claims.rejected.json'}") and "\n" not in msg
    assert e.value.path == "claims[3].p_value" and e.value.claim_id == "XOR-1"
    assert (out / "claims.json").read_text() == before
    assert json.loads((out / "claims.rejected.json").read_text())["claims"][3]["p_value"] == "abc"
    assert sorted(p.name for p in out.iterdir()) == ["claims.json", "claims.rejected.json"]  # no temp file left


def test_a_page_that_fails_does_not_fail_the_write(tmp_path, doc, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("no\nfonts")

    monkeypatch.setattr(page, "write_html", broken)
    written = results.write_document(doc, tmp_path)
    assert written.json_path.is_file() and written.html_path is None
    assert written.html_problem == "RuntimeError: no fonts"
    assert written.lines(doc)[1] == "lth: claims.html not written: RuntimeError: no fonts"
    assert not (tmp_path / "claims.html").exists()


def test_the_stored_claims_json_round_trips(tmp_path):
    d = json.loads(SMALL.read_text())
    written = results.write_document(d, tmp_path)
    assert json.loads(written.json_path.read_text()) == d and written.html_problem is None


def test_provenance(tmp_path):
    root = Path(__file__).resolve().parents[1]
    commit = results.git_commit(root)
    if commit is not None:  # a checkout with git
        assert re.fullmatch(r"[0-9a-f]{40}(-dirty)?", commit)
    assert results.git_commit(tmp_path) is None
    v = results.versions()
    assert set(v) == {"python", "torch", "numpy", "scipy", "lth", "platform"}
    assert all(isinstance(x, str) and x for x in v.values())
    assert results.device_label("cpu") == "cpu"
    assert results.command_line(["claims", "-k", "not slow", "-n", "2"]) == "pytest claims -k 'not slow' -n 2"
    assert results.timestamp(0.0)[:4] in ("1969", "1970")
