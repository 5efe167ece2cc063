"""How much CPU other processes take while we time something (Linux /proc; None elsewhere).

With 2 cores and 2 OpenMP threads, a single busy neighbour process makes every parallel
region wait for a descheduled thread: a 0.7 ms step can take 100+ ms. The benchmarks
record the neighbours' share per benchmark and can wait for a quiet moment before timing.
"""
from __future__ import annotations

import os
import time


def snapshot() -> tuple[float, float, float] | None:
    """(wall s, busy CPU-seconds of the whole machine, CPU-seconds of this process)."""
    try:
        tick = os.sysconf("SC_CLK_TCK")
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        busy = (sum(v[:8]) - v[3] - v[4]) / tick  # all but idle and iowait
        t = os.times()
        return time.monotonic(), busy, t.user + t.system
    except (OSError, ValueError, IndexError):
        return None


def others(start, end) -> tuple[float, float] | None:
    """(CPU-seconds used by other processes, as a fraction of one core) between two snapshots."""
    if not start or not end or end[0] <= start[0]:
        return None
    other = max(0.0, (end[1] - start[1]) - (end[2] - start[2]))
    return other, other / (end[0] - start[0])


def wait_for_quiet(max_wait_s: float, threshold: float = 0.1, window_s: float = 0.5) -> float:
    """Sleep until other processes use < ``threshold`` of a core over ``window_s``; give up after ``max_wait_s``.

    Sleeping leaves our threads cold: warm up again before timing.

    Returns the seconds waited.
    """
    t0 = time.monotonic()
    while True:
        a = snapshot()
        if a is None:
            return 0.0
        time.sleep(window_s)
        o = others(a, snapshot())
        if o is None or o[1] < threshold or time.monotonic() - t0 >= max_wait_s:
            return time.monotonic() - t0


# ----------------------------------------------------------------------------- host speed probe
# On this shared VM the host sometimes runs in a "slow mode" for seconds at a time, probably
# another tenant evicting our working set from the shared L3: the lth S=1 step (~5 MB of
# weights, gradients and Adam moments) then takes ~2x longer, a plain GEMM hardly longer, and
# fused Adam ~5x longer inside a step. /proc/stat does not show it. A benchmark timed entirely
# inside such an episode is not comparable with one timed outside it, so every benchmark
# probes the host right before and right after timing: the probe is the min over 10 calls of
# a dense lth S=1 step (its best value this session is the reference).
_PROBE: dict = {}


def probe_us(calls: int = 10) -> float:
    """Min wall time (us) over ``calls`` dense S=1 lth steps."""
    if "step" not in _PROBE:
        import _steps

        _PROBE["step"] = _steps.lth_batched(1, 1.0)
        for _ in range(5):
            _PROBE["step"]()
    step, best = _PROBE["step"], float("inf")
    for _ in range(calls):
        t0 = time.perf_counter()
        step()
        best = min(best, time.perf_counter() - t0)
    us = best * 1e6
    _PROBE["best"] = min(_PROBE.get("best", us), us)
    return us


def best_probe_us() -> float | None:
    """The fastest probe seen in this process."""
    return _PROBE.get("best")


def wait_for_fast_host(max_wait_s: float, slack: float = 1.2) -> tuple[float, float]:
    """Probe back to back (no sleeping: an idle pause itself makes the next steps slow) until the
    probe is within ``slack`` of the best seen so far, or ``max_wait_s`` passed.

    Returns (seconds waited, last probe in us).
    """
    t0 = time.monotonic()
    while True:
        us = probe_us()
        if us <= slack * _PROBE["best"] or time.monotonic() - t0 >= max_wait_s:
            return time.monotonic() - t0, us
