"""The claims report (lth.page, lth.plots, lth.fmt) and its command
line, built from a stored claims.json.

tests/data/claims-small.json is a smoke run trimmed by hand: CAL-1 (strip and bar figures,
reproduced), MNIST-3 (line, hand-set to contradicted and failed), MNIST-6 (hist, xfailed with a
reason) and XOR-1 (bar, reproduced). No test here runs an experiment.
"""
from __future__ import annotations

import copy
import json
import math
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest

from lth.report import fmt
from lth.report import plots
from lth.report.page import ReportError, load_claims, write_html
from lth.__main__ import main

ROOT = Path(__file__).resolve().parents[1]
SMALL = Path(__file__).parent / "data" / "claims-small.json"
SVG_NS = "http://www.w3.org/2000/svg"
ALLOWED_URLS = {SVG_NS, "http://www.w3.org/1999/xlink"}  # namespace names, never fetched
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Page(HTMLParser):
    """Checks that tags nest and close, and records what the tests look for: the verdict table's
    rows, each claim section's <svg> count and badges, the header's counts."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, dict]] = []
        self.errors: list[str] = []
        self.rows: list[str] = []  # data-claim of each row of the verdict table, in order
        self.row_badges: dict[str, list[str]] = {}
        self.sections: dict[str, dict] = {}  # data-claim -> {"svgs": n, "badges": [...], "text": "..."}
        self.counts: dict[str, int] = {}
        self.ids: list[str] = []
        self._badge: list[str] | None = None
        self._count: dict | None = None
        self.feed(text)
        self.close()
        if self.stack:
            self.errors.append(f"unclosed at the end: {[t for t, _ in self.stack]}")

    def _inside(self, tag: str, cls: str | None = None) -> dict | None:
        for t, a in reversed(self.stack):
            if t == tag and (cls is None or cls in (a.get("class") or "").split()):
                return a
        return None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.append(a["id"])
        section = self._inside("section", "claim")
        if tag == "section" and "claim" in (a.get("class") or "").split():
            self.sections[a["data-claim"]] = {"svgs": 0, "badges": [], "text": []}
        elif tag == "svg" and section is not None:
            self.sections[section["data-claim"]]["svgs"] += 1
        if tag == "tr" and self._inside("table", "verdicts") and "data-claim" in a:
            self.rows.append(a["data-claim"])
            self.row_badges[a["data-claim"]] = []
        if tag == "span" and "badge" in (a.get("class") or "").split():
            self._badge = [a["class"]]
        if tag == "li" and self._inside("ul", "counts"):
            self._count = {"class": a.get("class", ""), "text": []}
        if tag not in VOID:
            self.stack.append((tag, a))

    def handle_startendtag(self, tag, attrs):
        if dict(attrs).get("id"):
            self.ids.append(dict(attrs)["id"])

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1][0] != tag:
            open_tag = self.stack[-1][0] if self.stack else None
            self.errors.append(f"</{tag}> at line {self.getpos()[0]} closes <{open_tag}>")
            return
        _, a = self.stack.pop()
        if tag == "span" and self._badge is not None and "badge" in (a.get("class") or "").split():
            cls, text = self._badge[0], " ".join("".join(self._badge[1:]).split())
            row = self._inside("tr")
            section = self._inside("section", "claim")
            if row is not None and row.get("data-claim"):
                self.row_badges[row["data-claim"]].append(f"{cls}|{text}")
            elif section is not None:
                self.sections[section["data-claim"]]["badges"].append(f"{cls}|{text}")
            self._badge = None
        if tag == "li" and self._count is not None:
            n, *label = " ".join("".join(self._count["text"]).split()).split(" ", 1) or ["0"]
            self.counts[label[0] if label else ""] = int(n)
            self._count = None

    def handle_data(self, data):
        if self._badge is not None:
            self._badge.append(data)
        if self._count is not None:
            self._count["text"].append(data + " ")
        section = self._inside("section", "claim")
        if section is not None:
            self.sections[section["data-claim"]]["text"].append(data)


@pytest.fixture(scope="module")
def doc() -> dict:
    return json.loads(SMALL.read_text())


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, str]:
    folder = tmp_path_factory.mktemp("report")
    src = folder / "claims.json"
    shutil.copy(SMALL, src)
    out = write_html(src)
    return out, out.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def page(built) -> Page:
    return Page(built[1])


def write(tmp_path: Path, doc, name="claims.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc) if not isinstance(doc, str) else doc)
    return path


def section_text(page: Page, cid: str) -> str:
    return " ".join("".join(page.sections[cid]["text"]).split())


# ----------------------------------------------------------------------------- the page

def test_builds_beside_the_json_from_the_stored_file(built):
    out, text = built
    assert out.name == "claims.html"
    assert sorted(p.name for p in out.parent.iterdir()) == ["claims.html", "claims.json"]  # no temp file left
    assert text.startswith("<!DOCTYPE html>")


def test_html_nests_and_closes_and_every_svg_is_xml(built, page):
    assert page.errors == []
    svgs = re.findall(r"<svg\b.*?</svg>", built[1], flags=re.S)
    assert len(svgs) == 5  # CAL-1 two, MNIST-3 one, MNIST-6 one, XOR-1 one
    for svg in svgs:
        root = ET.fromstring(svg)
        assert root.tag == f"{{{SVG_NS}}}svg"
        assert root.get("viewBox")
    assert len(page.ids) == len(set(page.ids)), "ids must be unique across the inline SVGs"


def test_every_claim_has_its_row_and_its_section_with_its_figures(doc, page):
    ids = [c["id"] for c in doc["claims"]]
    assert page.rows == ids
    assert list(page.sections) == ids
    for c in doc["claims"]:
        assert page.sections[c["id"]]["svgs"] == len(c["figures"]) >= 1, c["id"]
    assert page.sections["CAL-1"]["svgs"] == 2


def test_each_figure_type_is_drawn(built):
    for kind in ("line", "bar", "hist", "strip"):
        assert re.search(rf'<figure class="fig-{kind}[ "].*?<svg', built[1], flags=re.S), kind


def test_contradicted_claim_renders_as_contradicted(page):
    assert page.row_badges["MNIST-3"] == ["badge contradicted|\u2717 contradicted"]
    assert page.sections["MNIST-3"]["badges"] == ["badge contradicted|\u2717 contradicted"]
    assert "Contradicted:" in section_text(page, "MNIST-3")


def test_reproduced_and_failed_claims_look_alike_but_say_different_things(page):
    assert page.row_badges["XOR-1"] == ["badge reproduced|\u2713 reproduced"]
    assert page.row_badges["CAL-1"] == ["badge reproduced|\u2713 reproduced"]


def test_xfailed_claim_shows_expected_failure_and_its_reason(doc, page, built):
    assert page.row_badges["MNIST-6"] == ["badge xfailed|\u2298 expected failure"]
    reason = next(c["xfail_reason"] for c in doc["claims"] if c["id"] == "MNIST-6")
    row = re.search(r'<tr class="row-xfailed" data-claim="MNIST-6">.*?</tr>', built[1], flags=re.S).group(0)
    assert reason.replace("'", "&#39;") in row
    assert "Expected failure at scale smoke" in section_text(page, "MNIST-6")


def test_header_counts_every_state(page):
    assert page.counts == {"reproduced": 2, "absent": 0, "inconclusive": 0, "not reproduced": 0, "contradicted": 1,
                           "expected failures": 1, "errors": 0}


def test_header_names_the_run_and_the_command_that_repeats_it(doc, built):
    text = built[1]
    for needle in ("smoke", doc["device"], doc["git_commit"], doc["versions"]["torch"], "39.7 s", "seed base 0",
                   "xor 200", "mnist 2"):
        assert needle in text, needle
    assert f"<code>{doc['command']} --lth-seed-base 0</code>" in text


def test_claim_sections_show_method_comparisons_and_the_papers_number(doc, page):
    for c in doc["claims"]:
        text = section_text(page, c["id"])
        assert " ".join(c["paper_numbers"].split()) in text
        assert " ".join(c["measured"].split()) in text
        assert c["test"] in text and "MDE" in text
        for k in c["comparisons"]:
            assert k["label"] in text


def test_protocol_and_experiment_timings_once_each(doc, built):
    text = built[1]
    protocol = text[text.index('id="protocol"'):]
    for p in doc["protocol"]:
        assert f'<td class="mono">{p["name"]}</td>' in protocol
    rows = re.findall(r"<tr><td>([^<]+)</td><td class=\"num\">", protocol)
    names = {e["experiment"] for c in doc["claims"] for e in c["experiments"]}
    assert sorted(rows) == sorted(names)  # "xor H=4" is used by CAL-1 and XOR-1: one row
    assert rows.index("xor H=2") < rows.index("xor H=10")  # natural order


def test_no_external_references_scripts_or_fonts(built):
    text = built[1]
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", text))
    assert urls <= ALLOWED_URLS, urls - ALLOWED_URLS
    assert not re.search(r"<script|<link|<iframe|<img|@import|@font-face|\bsrc=", text, flags=re.I)
    assert not re.search(r"url\((?!#)", text)
    assert "<?xml" not in text and "<!DOCTYPE svg" not in text
    assert "<text" not in text  # svg.fonttype 'path': glyphs are paths, no font is needed


def test_printable(built):
    assert "@media print" in built[1]


def test_output_is_reproducible(tmp_path):
    a = write_html(SMALL, tmp_path / "a.html").read_bytes()
    b = write_html(SMALL, tmp_path / "b.html").read_bytes()
    assert a == b


def test_reproduce_command_adds_the_seed_base_once():
    assert fmt.reproduce_command({"command": "pytest claims -n 2", "seed_base": 7}) == \
        "pytest claims -n 2 --lth-seed-base 7"
    for cmd in ("pytest claims --lth-seed-base 7", "pytest claims --lth-seed-base=7"):
        assert fmt.reproduce_command({"command": cmd, "seed_base": 7}) == cmd


# ----------------------------------------------------------------------------- robustness

def test_nulls_nans_no_figures_and_errors_still_build(tmp_path, doc):
    d = copy.deepcopy(doc)
    cal, mnist3, mnist6, xor1 = d["claims"]
    line = mnist3["figures"][0]
    line["series"][0]["y"][2] = None
    line["series"][0]["lo"][5] = math.nan
    line["series"][1]["x"][0] = None
    line["series"][2]["y"] = [None] * len(line["series"][2]["y"])
    line["hlines"][0]["lo"] = None
    cal["figures"][0]["groups"][0]["values"].append(math.nan)
    xor1["figures"][0]["y"][0] = None
    mnist6["figures"][0]["panels"][0]["series"][0]["density"][0] = math.inf
    info = {k: xor1[k] for k in ("source", "paper_numbers", "nodeid", "scale", "alpha", "m")}
    # a crashed test: what the plugin records before the claim concludes, and the crash
    d["claims"].append({**info, "id": "ERR-1", "statement": "A claim whose test crashed.", "verdict": "error",
                        "outcome": "failed", "p_holm": None, "error": "RuntimeError: boom"})
    empty = {**copy.deepcopy(xor1), "id": "EMPTY-1", "statement": "No figures.", "verdict": "not reproduced",
             "outcome": "failed", "p_value": math.nan, "p_holm": None, "ci": [math.nan, math.nan], "figures": [],
             "comparisons": [], "experiments": []}
    d["claims"].append(empty)
    bare = {"type": "line", "title": "no series", "xlabel": "x", "ylabel": "y", "series": []}
    d["claims"].append({**copy.deepcopy(xor1), "id": "ODD-1", "statement": "A figure without data.",
                        "figures": [bare]})
    path = write(tmp_path, json.dumps(d, allow_nan=True))
    text = write_html(path).read_text()
    page = Page(text)
    assert page.errors == []
    assert page.rows == [c["id"] for c in d["claims"]]
    assert page.sections["ERR-1"]["svgs"] == 0 and "No figures for this claim." in section_text(page, "ERR-1")
    assert page.row_badges["ERR-1"] == ["badge error|! error"]
    assert "RuntimeError: boom" in section_text(page, "ERR-1")
    assert page.sections["EMPTY-1"]["svgs"] == 0 and page.row_badges["EMPTY-1"] == [
        "badge not-reproduced|\u2013 not reproduced"]
    assert page.sections["ODD-1"]["svgs"] == 1  # a line figure without series still draws: "no finite values"
    assert "without a finite value" in text
    assert page.counts["errors"] == 1
    for svg in re.findall(r"<svg\b.*?</svg>", text, flags=re.S):
        ET.fromstring(svg)
        assert "NaN" not in svg and "nan " not in svg


def test_figures_outside_the_schema_are_named_not_fatal():
    # the page's input is checked against the schema first; drawn directly, a bad spec still yields a note
    assert plots.render_figure({"type": "sankey", "title": "?"}) == (
        None, ["figure type 'sankey' is not one the report draws"])
    assert plots.render_figure("not a spec") == (None, ["figure type None is not one the report draws"])
    svg, notes = plots.render_figure({"type": "line"})
    assert svg is not None and notes == []
    svg, notes = plots.render_figure({"type": "bar", "categories": ["a"], "y": "oops"})
    assert svg is not None and notes == ["1 category without a finite value shown as n/a"]


def test_claims_collected_but_never_recorded_are_called_out(tmp_path, doc, built):
    assert "recorded no evidence" not in built[1]
    d = copy.deepcopy(doc)
    d["collected"] = 5  # five claim tests collected, four concluded
    text = write_html(write(tmp_path, d)).read_text()
    assert "1 of 5 collected claims recorded no evidence:" in text


def test_render_figure_for_each_type_gives_bare_svg(doc):
    specs = [f for c in doc["claims"] for f in c["figures"]]
    assert {f["type"] for f in specs} == {"line", "bar", "hist", "strip"}
    for i, spec in enumerate(specs):
        svg, notes = plots.render_figure(spec, prefix=f"t{i}-")
        assert svg.startswith("<svg ") and svg.endswith("</svg>"), spec["type"]
        assert notes == []
        assert all(v.startswith(f"t{i}-") for v in re.findall(r'\bid="([^"]+)"', svg))


def test_mismatched_series_lengths_are_noted():
    spec = {"type": "line", "title": "t", "xlabel": "x", "ylabel": "y", "xscale": "linear", "xinvert": False,
            "series": [{"name": "a", "x": [1, 2, 1, 2], "y": [0.5, 0.6], "lo": [0.4, 0.5], "hi": [0.6, 0.7]}],
            "hlines": []}
    svg, notes = plots.render_figure(spec)
    assert svg is not None and notes == ["series 'a': 4 x values but 2 y values; the first 2 pairs are drawn"]


# ----------------------------------------------------------------------------- loading errors

def _without(*keys: str) -> str:
    d = json.loads(SMALL.read_text())
    for k in keys:
        del d[k]
    return json.dumps(d)


def _with(**top) -> str:
    return json.dumps({**json.loads(SMALL.read_text()), **top})


def _claim(i: int, **fields) -> str:
    d = json.loads(SMALL.read_text())
    d["claims"][i].update(fields)
    for k in [k for k, v in fields.items() if v is None]:
        del d["claims"][i][k]
    return json.dumps(d)


@pytest.mark.parametrize("content, problem", [
    (None, "no such file"),
    ("{\"scale\": \"smoke\",", "invalid JSON at line 1"),
    ("[1, 2]", "expected a JSON object"),
    (_without("seed_base", "claims"), "missing required keys 'seed_base', 'claims'"),
    (_with(claims={"CAL-1": {}}), "claims: {'CAL-1': {}} is not of type 'array'"),
    (_claim(0, verdict=None), "claims[0]: missing required key 'verdict' (claim CAL-1)"),
    (_claim(3, p_value="abc"), "claims[3].p_value: 'abc' is not of type 'number' or null (claim XOR-1)"),
])
def test_load_claims_names_the_file_and_the_problem(tmp_path, content, problem):
    path = tmp_path / "claims.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ReportError) as e:
        load_claims(path)
    assert isinstance(e.value, ValueError)
    msg = str(e.value)
    assert msg.startswith(f"{path}: ") and problem in msg and "\n" not in msg


# ----------------------------------------------------------------------------- command line

def test_cli_builds_the_page(tmp_path, capsys):
    out = tmp_path / "out" / "page.html"
    assert main(["report", str(SMALL), "-o", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    assert Page(out.read_text()).rows == ["CAL-1", "MNIST-3", "MNIST-6", "XOR-1"]


@pytest.mark.parametrize("content, problem", [(None, "no such file"), ("{not json", "invalid JSON"),
                                              ('{"claims": []}', "missing required keys")])
def test_cli_errors_are_one_line_and_exit_2(tmp_path, capsys, content, problem):
    path = tmp_path / "claims.json"
    if content is not None:
        path.write_text(content)
    assert main(["report", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(path) in err and problem in err and "Traceback" not in err
    assert not (tmp_path / "claims.html").exists()


def test_cli_default_path_and_no_traceback_from_python_m(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    run = subprocess.run([sys.executable, "-m", "lth", "report"], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 2
    assert run.stderr.strip() == ("lth report: error: reports/claims.json: no such file "
                                  "(a claims run, `pytest claims/`, writes it)")
    (tmp_path / "reports").mkdir()
    shutil.copy(SMALL, tmp_path / "reports" / "claims.json")
    run = subprocess.run([sys.executable, "-m", "lth", "report"], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "reports" / "claims.html").is_file()


def test_report_refuses_a_hand_edited_verdict_or_a_swapped_interval_in_one_line(tmp_path):
    import json as _json
    import subprocess as _sp
    import sys as _sys

    doc = _json.loads((ROOT / "tests" / "data" / "claims-small.json").read_text())
    reproduced = next(c for c in doc["claims"] if c["verdict"] == "reproduced" and "A/A" not in c["test"])
    for edit, want in ((lambda c: c.update(p_value=0.9, p_opposite=0.9), "contradicts its numbers (p = 0.9"),
                       (lambda c: c.update(ci=[1.0, 0.0]), "ends below its start")):
        bad = _json.loads(_json.dumps(doc))
        edit(next(c for c in bad["claims"] if c["id"] == reproduced["id"]))
        path = tmp_path / "claims.json"
        path.write_text(_json.dumps(bad))
        run = _sp.run([_sys.executable, "-m", "lth", "report", str(path)], capture_output=True, text=True, timeout=120)
        assert run.returncode == 2 and run.stderr.count("\n") == 1 and want in run.stderr, run.stderr
        assert f"claim {reproduced['id']}" in run.stderr
