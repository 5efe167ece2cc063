"""Progress read from the experiment graph and the store: done, running, model-steps, the estimate, the display."""
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from filelock import FileLock

from lth.claimkit.plan import graph_for, planning_lab
from lth.experiments import presets, progress
from lth.experiments.graph import Setting
from lth.experiments.store import Store

REPO = Path(__file__).resolve().parents[1]


def _nodes():
    a = progress.PlannedNode("aa" + "0" * 62, "round 0", (0,), 100, (), cost=1000.0)
    b = progress.PlannedNode("bb" + "0" * 62, "round 1", (0,), 100, (a.key,), cost=1000.0)
    c = progress.PlannedNode("cc" + "0" * 62, "reinit Pm 80%", (0, 1), 300, (a.key,), cost=2000.0)
    return [a, b, c]


class _Clock:
    def __init__(self):
        self.t = 100.0

    def __call__(self):
        return self.t


def _store_entry(store: Store, key: str) -> None:
    store.save(key, {"x": torch.zeros(1)})


def test_done_running_and_the_estimate_come_from_the_store_files(tmp_path):
    store, clock = Store(tmp_path), _Clock()
    a, b, c = _nodes()
    _store_entry(store, a.key)  # cached before the session: counted done, but not in the rate
    tracker = progress.Tracker([a, b, c], tmp_path, clock=clock)
    r = tracker.read()
    assert (r.done, r.total, r.steps_done, r.steps_total) == (1, 3, 100, 500)
    assert r.running == () and r.eta_s is None  # nothing computed in this session: no rate yet
    held = FileLock(str(store._path(c.key).with_suffix(".lock")))  # another worker computing c
    held.acquire()
    try:
        clock.t += 10
        _store_entry(store, b.key)  # 1,000 weight-steps in 10 s; 2,000 left
        r = tracker.read()
        assert (r.done, r.steps_done) == (2, 200)
        assert [n.key for n in r.running] == [c.key]
        assert r.eta_s == pytest.approx(20.0)
        assert r.elapsed_s == pytest.approx(10.0)
    finally:
        held.release()
    assert tracker.read().running == ()


def test_a_node_waiting_for_its_needs_is_not_called_running(tmp_path):
    store = Store(tmp_path)
    a, b, _ = _nodes()
    lock = FileLock(str(store._path(b.key).with_suffix(".lock")))
    lock.acquire()
    try:
        assert progress.Tracker([a, b], tmp_path).read().running == ()  # b needs a, which is not done
    finally:
        lock.release()


def test_the_line_names_counts_times_and_the_current_nodes():
    a, b, c = _nodes()
    r = progress.Reading(2, 3, 200, 500, (c,), 75.0, 3725.0)
    text = progress.line(r)
    assert text == ("2/3 experiments, 200/500 model-steps (40%), elapsed 1:15, about 1:02:05 left; "
                    "now: reinit Pm 80%, seeds 0..1")
    many = progress.line(progress.Reading(0, 5, 0, 10, (a, b, c, a), 1.0, None), running=2)
    assert "about ? left" in many and many.endswith("+2 more")


def test_lines_mode_shows_a_change_at_most_every_interval_and_a_final_line(tmp_path):
    store = Store(tmp_path)
    a, b, c = _nodes()
    shown: list[str] = []
    monitor = progress.Monitor(progress.Tracker([a, b, c], tmp_path), "lines", every=3600, write=shown.append)
    monitor.tick()
    monitor.tick()  # nothing changed: no line
    _store_entry(store, a.key)
    monitor.tick()  # changed, but within the interval: no line
    assert len(shown) == 1 and shown[0].startswith("lth progress: 0/3 experiments")
    monitor.close()  # the final reading differs from the last shown: shown
    assert len(shown) == 2 and shown[1].startswith("lth progress: 1/3 experiments, 100/500 model-steps")
    again = progress.Monitor(progress.Tracker([a], tmp_path), "lines", every=0, write=shown.append)
    again.tick()
    again.close()  # the same reading as the last line: not repeated
    assert len(shown) == 3


def test_bar_mode_draws_a_tqdm_bar_of_model_steps(tmp_path):
    a, b, c = _nodes()
    stream = io.StringIO()
    Store(tmp_path).save(a.key, {"x": torch.zeros(1)})
    monitor = progress.Monitor(progress.Tracker([a, b, c], tmp_path), "bar", stream=stream)
    monitor.close()
    out = stream.getvalue()
    assert "100/500" in out and "1/3 experiments" in out
    with pytest.raises(ValueError, match="'auto'"):
        progress.Monitor(progress.Tracker([a], tmp_path), "auto")


def test_plan_json_gives_the_graphs_nodes_under_the_stores_keys(tmp_path):
    run = subprocess.run([sys.executable, "-m", "lth", "plan", "--json", "claims/test_wider_xor_networks_converge_more_often.py",
                          "--scale", "smoke", "--cache", str(tmp_path)], cwd=REPO, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    from lth.claimkit.plan import collect_claims

    claims = collect_claims(["claims/test_wider_xor_networks_converge_more_often.py"], rootdir=REPO)
    store = Store(tmp_path)
    graph = graph_for(claims, planning_lab(Setting(presets.get("smoke")), store))
    want = [n.to_dict() for n in progress.planned_nodes(graph, store)]
    assert doc["nodes"] == want and doc["claims"] == 1 and len(want) == doc["totals"]["nodes"] > 0
    assert all(d["cost"] > 0 and d["model_steps"] > 0 for d in want)


@pytest.mark.parametrize("xdist", [[], ["-n", "2"]], ids=["one process", "xdist"])
def test_a_claims_run_shows_progress_to_the_last_experiment(tmp_path, xdist):
    run = subprocess.run([sys.executable, "-m", "pytest", "claims/test_wider_xor_networks_converge_more_often.py",
                          *xdist, "--lth-scale", "smoke", "--lth-progress", "lines", "--lth-progress-every", "0",
                          "--lth-cache", str(tmp_path / "cache"), "--lth-report", str(tmp_path / "r"),
                          "-p", "no:cacheprovider"], cwd=REPO, capture_output=True, text=True, timeout=600,
                         env={**os.environ})
    out = run.stdout + run.stderr
    assert run.returncode == 0, out
    lines = [l for l in out.splitlines() if "lth progress: " in l]
    assert lines, out
    final = lines[-1].split("lth progress: ", 1)[1]
    total = final.split(" experiments")[0].split("/")[1]
    assert final.startswith(f"{total}/{total} experiments") and "(100%)" in final
    assert "computed in" not in out  # a line per node only with -v or --lth-progress off
