"""The pytest plugin: options, expected failures per scale, evidence to claims.json (also through xdist)."""
import json

import pytest

pytest_plugins = ["pytester"]

CLAIM_FILE = '''
import numpy as np
import pytest
from lth.claimkit import families as registry
from lth import stats

registry.register("fake", tuple(f"FAKE-{i}" for i in range(1, 9)))  # alpha = family alpha / 8

def _run(claim, a, b, p_equivalence=None):
    result = stats.welch(a, b, alpha=claim.alpha, label="a > b", seed=claim.seed, n_resamples=50)
    result.p_equivalence = p_equivalence
    claim.conclude(result, measured=f"a {np.mean(a):.3f} vs b {np.mean(b):.3f}",
                   figures=[{"type": "strip", "title": "t", "ylabel": "y",
                             "groups": [{"name": "a", "values": list(a)}]}],
                   seeds={"fake": [0, 1, 2]})

@pytest.mark.claim(id="FAKE-1", statement="a beats b.", source="here", paper_numbers="none")
def test_reproduced(claim):
    _run(claim, np.linspace(1.0, 1.1, 8), np.linspace(0.0, 0.1, 8))

@pytest.mark.claim(id="FAKE-2", statement="b beats a.", source="here", paper_numbers="none")
def test_contradicted(claim):
    _run(claim, np.linspace(0.0, 0.1, 8), np.linspace(1.0, 1.1, 8))

@pytest.mark.claim(id="FAKE-3", statement="a beats a.", source="here", paper_numbers="none")
@pytest.mark.lth_expect(scale="ci", verdict="inconclusive", reason="measured: no difference")
def test_expected_failure(claim):
    _run(claim, np.linspace(0.0, 0.1, 8), np.linspace(0.0, 0.1, 8)[::-1])

@pytest.mark.claim(id="FAKE-4", statement="crashes.", source="here", paper_numbers="none")
def test_crash(claim):
    raise RuntimeError("boom")

@pytest.mark.claim(id="FAKE-5", statement="b beats a, expected not to reproduce.", source="here", paper_numbers="none")
@pytest.mark.lth_expect(scale="ci", verdict="inconclusive", reason="measured: no difference")
def test_expected_failure_contradicted(claim):
    _run(claim, np.linspace(0.0, 0.1, 8), np.linspace(1.0, 1.1, 8))

@pytest.mark.claim(id="FAKE-6", statement="a beats b, expected not to reproduce.", source="here", paper_numbers="none")
@pytest.mark.lth_expect(scale="ci", verdict="inconclusive", reason="measured: no difference")
def test_expected_failure_reproduced(claim):
    _run(claim, np.linspace(1.0, 1.1, 8), np.linspace(0.0, 0.1, 8))

@pytest.mark.claim(id="FAKE-7", statement="crashes, expected not to reproduce.", source="here", paper_numbers="none")
@pytest.mark.lth_expect(scale="ci", verdict="inconclusive", reason="measured: no difference")
def test_expected_failure_crash(claim):
    raise RuntimeError("boom")

@pytest.mark.claim(id="FAKE-8", statement="a beats a, expected inconclusive, found absent.", source="here",
                   paper_numbers="none")
@pytest.mark.lth_expect(scale="ci", verdict="inconclusive", reason="measured: too few seeds")
def test_expected_failure_absent(claim):
    _run(claim, np.linspace(0.0, 0.1, 8), np.linspace(0.0, 0.1, 8)[::-1], p_equivalence=1e-9)
'''


@pytest.fixture
def project(pytester):
    pytester.makepyfile(test_fake_claims=CLAIM_FILE)
    return pytester


def _claims(pytester):
    return {c["id"]: c for c in json.loads((pytester.path / "reports" / "claims.json").read_text())["claims"]}


@pytest.mark.parametrize("xdist", [[], ["-n", "2"]], ids=["in-process", "xdist"])
def test_verdicts_outcomes_and_evidence_reach_claims_json(project, xdist):
    result = project.runpytest_subprocess("--lth-report", "reports", "--lth-no-cache", *xdist)
    result.assert_outcomes(passed=1, failed=5, xfailed=1, xpassed=1)
    result.stdout.fnmatch_lines(["*FAKE-2 contradicted: b beats a. Measured: a 0.050 vs b 1.050*p = *"])
    claims = _claims(project)
    assert claims["FAKE-1"]["verdict"] == "reproduced" and claims["FAKE-1"]["outcome"] == "passed"
    assert claims["FAKE-2"]["verdict"] == "contradicted" and claims["FAKE-2"]["outcome"] == "failed"
    assert claims["FAKE-3"]["verdict"] == "inconclusive" and claims["FAKE-3"]["outcome"] == "xfailed"
    assert claims["FAKE-3"]["xfail_reason"] == "expected inconclusive: measured: no difference"
    # an expected outcome absorbs only its own verdict: a contradiction, a crash or "absent" instead of
    # "inconclusive" still fails, a pass is an XPASS
    assert claims["FAKE-8"]["verdict"] == "absent" and claims["FAKE-8"]["outcome"] == "failed"
    assert claims["FAKE-5"]["verdict"] == "contradicted" and claims["FAKE-5"]["outcome"] == "failed"
    assert claims["FAKE-6"]["verdict"] == "reproduced" and claims["FAKE-6"]["outcome"] == "xpassed"
    assert claims["FAKE-7"]["verdict"] == "error" and claims["FAKE-7"]["outcome"] == "failed"
    assert claims["FAKE-4"]["verdict"] == "error" and "boom" in claims["FAKE-4"]["error"]
    for c in claims.values():
        assert c["alpha"] == pytest.approx(0.01 / 8)  # Bonferroni over the eight claims registered in the family
        assert 0 <= c["p_value"] <= c["p_holm"] <= 1
    assert claims["FAKE-1"]["figures"][0]["type"] == "strip"
    doc = json.loads((project.path / "reports" / "claims.json").read_text())
    for key in ("scale", "seed_base", "seeds", "device", "versions", "git_commit", "wall_time_s", "protocol", "command"):
        assert key in doc


def test_smoke_scale_records_verdicts_without_asserting(project):
    result = project.runpytest_subprocess("--lth-scale", "smoke", "--lth-no-cache",
                                          "-k", "not crash")
    result.assert_outcomes(passed=6)
    assert _claims(project)["FAKE-2"]["verdict"] == "contradicted"


def test_xfail_applies_only_at_its_scale(project):
    result = project.runpytest_subprocess("--lth-scale", "paper", "--lth-no-cache",
                                          "-k", "expected_failure and not contradicted and not reproduced and not crash "
                                                "and not absent")
    result.assert_outcomes(failed=1)  # not expected at paper scale: an honest 'inconclusive' fails


@pytest.mark.parametrize("args, message", [
    (["--lth-seeds", "1"], "--lth-seeds must be >= 4"),
    (["--lth-seed-base", "-3"], "--lth-seed-base must be >= 0"),
    (["--lth-scale", "huge"], "invalid choice: 'huge'"),
])
def test_bad_options_are_usage_errors(project, args, message):
    result = project.runpytest_subprocess(*args)
    assert result.ret != 0
    assert message in result.stderr.str()
