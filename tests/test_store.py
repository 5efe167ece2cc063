"""The experiment store: content keys, atomic entries, recovery from damage, chunk sharing between processes."""
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import torch

from lth.core import models
from lth.experiments.spec import ExperimentSpec
from lth.experiments.store import Store
from lth.core.training import TrainConfig

REPO = Path(__file__).resolve().parents[1]


def spec(**changes) -> ExperimentSpec:
    """A small experiment spec; ``changes`` vary its fields."""
    base = dict(kind="xor-dense", arch=models.xor_net(4), train=TrainConfig(iterations=10, eval_every=5))
    return ExperimentSpec(**{**base, **changes})


def _square(chunk):
    return {"x": torch.tensor(chunk, dtype=torch.float64) ** 2, "meta": "same for every chunk"}


def test_entries_round_trip_and_keys_depend_on_config_and_seeds(tmp_path):
    store = Store(tmp_path)
    value = store.cached(spec(), [0, 1], lambda: {"t": torch.arange(3), "n": 5})
    assert store.misses == 1
    again = store.cached(spec(), [0, 1], lambda: pytest.fail("recomputed a cached entry"))
    assert torch.equal(again["t"], value["t"]) and again["n"] == 5 and store.hits == 1
    assert store.key(spec(), [0, 1]) != store.key(spec(round=1), [0, 1])
    assert store.key(spec(), [0, 1]) != store.key(spec(), [0, 2])
    assert store.key(spec(), [0, 1]) != store.key(spec(kind="xor-tickets"), [0, 1])


def test_each_entry_has_its_spec_as_json_beside_it(tmp_path):
    store = Store(tmp_path)
    store.chunked(spec(round=3), [5, 6], 1, _square)
    metas = sorted(json.loads(p.read_text())["seeds"] for p in tmp_path.glob("*/*.json"))
    assert metas == [[5], [6]]
    meta = json.loads(next(tmp_path.glob("*/*.json")).read_text())
    assert meta["kind"] == "xor-dense" and meta["spec"]["round"] == 3 and meta["differences"]["round"] == 3
    assert meta["source"] == store.fingerprint and (tmp_path / meta["key"][:2] / f"{meta['key']}.pt").exists()


def test_configuration_must_be_plain_data(tmp_path):
    with pytest.raises(ValueError, match="plain data"):
        Store(tmp_path).key(spec(criterion=object()), [0])


def test_unreadable_entry_is_recomputed_with_a_warning(tmp_path):
    store = Store(tmp_path)
    store.cached(spec(), [0], lambda: {"v": torch.ones(2)})
    path = store._path(store.key(spec(), [0]))
    path.write_bytes(path.read_bytes()[:20])  # truncated, as by a crash of something else
    with pytest.warns(UserWarning, match="unreadable"):
        value = store.cached(spec(), [0], lambda: {"v": torch.zeros(2)})
    assert torch.equal(value["v"], torch.zeros(2))


def test_disabled_store_writes_nothing(tmp_path):
    store = Store(tmp_path / "c", enabled=False)
    store.chunked(spec(), [0, 1, 2], 2, _square)
    assert not (tmp_path / "c").exists()


@pytest.mark.parametrize("chunk_size", [1, 2, 5])
def test_chunks_concatenate_in_seed_order_whatever_the_chunk_size(tmp_path, chunk_size):
    out = Store(tmp_path).chunked(spec(), [3, 4, 5, 6, 7], chunk_size, _square)
    assert out["x"].tolist() == [9.0, 16.0, 25.0, 36.0, 49.0]
    assert out["meta"] == "same for every chunk"


WORKER = textwrap.dedent("""
    import json, os, sys, time, torch
    sys.path.insert(0, {repo!r})
    from lth.core import models
    from lth.experiments.spec import ExperimentSpec
    from lth.experiments.store import Store
    from lth.core.training import TrainConfig
    log = sys.argv[2]
    spec = ExperimentSpec(kind="xor-dense", arch=models.xor_net(4), train=TrainConfig())
    def compute(chunk):
        with open(log, "a") as f:
            f.write(json.dumps({{"pid": os.getpid(), "chunk": chunk}}) + "\\n")
        time.sleep(0.3)
        return {{"x": torch.tensor(chunk) * 10}}
    out = Store(sys.argv[1]).chunked(spec, list(range(8)), 1, compute)
    print(json.dumps(out["x"].tolist()))
""")


def test_two_processes_share_an_experiment_without_computing_a_chunk_twice(tmp_path):
    script = tmp_path / "worker.py"
    script.write_text(WORKER.format(repo=str(REPO)))
    log = tmp_path / "log.jsonl"
    procs = [subprocess.Popen([sys.executable, str(script), str(tmp_path / "cache"), str(log)],
                              stdout=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [json.loads(p.communicate(timeout=120)[0]) for p in procs]
    assert outs[0] == outs[1] == [10 * i for i in range(8)]
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    chunks = [tuple(r["chunk"]) for r in rows]
    assert sorted(chunks) == [(i,) for i in range(8)]  # every chunk computed exactly once
    assert len({r["pid"] for r in rows}) == 2  # and both processes did some of the work


KILLED = textwrap.dedent("""
    import sys, torch
    sys.path.insert(0, {repo!r})
    from lth.core import models
    from lth.experiments.spec import ExperimentSpec
    from lth.experiments.store import Store
    from lth.core.training import TrainConfig
    store = Store(sys.argv[1])
    spec = lambda i: ExperimentSpec(kind="xor-dense", arch=models.xor_net(4), train=TrainConfig(), round=i)
    i = 0
    while True:  # write big entries until killed
        store.save(store.key(spec(i % 3), [0]), {{"w": torch.full((2_000_000,), float(i))}}, spec(i % 3), [0])
        i += 1
""")


def test_a_run_killed_mid_write_leaves_nothing_a_later_run_trusts(tmp_path):
    script = tmp_path / "killed.py"
    script.write_text(KILLED.format(repo=str(REPO)))
    cache = tmp_path / "cache"
    proc = subprocess.Popen([sys.executable, str(script), str(cache)])
    deadline = time.time() + 60
    while not list(cache.glob("*/*.pt")) and time.time() < deadline:  # wait for the first whole entry
        time.sleep(0.05)
    time.sleep(0.37)  # then kill it in the middle of later writes
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    store = Store(cache)
    spec_i = lambda i: spec(train=TrainConfig(), round=i)
    loaded = [store.load(store.key(spec_i(i), [0])) for i in range(3)]
    for value in loaded:  # each entry is absent or whole, never a torn write
        assert value is None or (value["w"].numel() == 2_000_000 and bool((value["w"] == value["w"][0]).all()))
    assert any(v is not None for v in loaded), "the writer never finished an entry"


def test_a_byte_flipped_inside_a_tensor_is_caught_and_recomputed(tmp_path):
    """The file stays loadable (the flipped byte is inside a tensor's storage), so only the SHA-256 can tell."""
    store = Store(tmp_path)
    flags = torch.zeros(200, dtype=torch.bool)
    store.cached(spec(), [0], lambda: {"converged": flags})
    path = next(tmp_path.glob("*/*.pt"))
    blob = bytearray(path.read_bytes())
    start = bytes(blob).find(bytes(200))  # the 200 zero bytes of the tensor's storage
    assert start > 0
    blob[start : start + 200] = bytes([1]) * 200  # every seed now "converged": still a valid file
    path.write_bytes(bytes(blob))
    assert bool(torch.load(path, weights_only=True)["converged"].all())  # loadable, and wrong
    with pytest.warns(UserWarning, match="corrupt.*SHA-256 differs"):
        again = Store(tmp_path).cached(spec(), [0], lambda: {"converged": flags})
    assert not bool(again["converged"].any())
    assert not bool(Store(tmp_path).cached(spec(), [0], lambda: pytest.fail("recomputed twice"))["converged"].any())


def test_an_entry_without_its_description_is_unverified_recomputed_and_never_called_stale(tmp_path):
    from lth.experiments import cacheadmin

    store = Store(tmp_path)
    store.cached(spec(), [0], lambda: {"v": torch.ones(2)})
    next(tmp_path.glob("*/*.json")).unlink()
    listed = cacheadmin.entries(tmp_path)
    assert len(listed) == 1 and not listed[0].stale and not listed[0].verified
    assert "unverified: no recorded SHA-256" in listed[0].line()
    assert cacheadmin.prune(tmp_path, stale=True) == []  # prune --stale keeps it
    with pytest.warns(UserWarning, match="unverified"):
        value = Store(tmp_path).cached(spec(), [0], lambda: {"v": torch.zeros(2)})
    assert torch.equal(value["v"], torch.zeros(2))  # recomputed, not read
    assert cacheadmin.entries(tmp_path)[0].verified
