"""Journal benchmark: how long `decide` takes to make an input durable in the single file.

`Exercise.decide` returns only once the input is committed (`synchronous=FULL`) and
checkpointed into the main `.sitroom` file, so the time `decide` takes is the time from the
call to the input being durable on its own; what is measured here is that whole call, on the
machine's working disk (the folder `bench` runs in), against the same call with the
checkpoint switched off (WAL only) to show what the single-file promise costs.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from simulator import Exercise, load_scenario
from simulator.catalog import resolve_scenario
from simulator.journal import Journal

DECISIONS = 200


def _decide_times(tmp: Path, checkpoint: bool) -> list[float]:
    scn = load_scenario(resolve_scenario("P0-modulo-b"))
    times: list[float] = []
    original = Journal.checkpoint
    if not checkpoint:
        Journal.checkpoint = lambda self: None  # type: ignore[method-assign]
    try:
        for k in range(DECISIONS):
            ex = Exercise.start(scn, k, tmp / f"j{checkpoint}{k}.sitroom")
            ex.advance(4)
            t0 = time.perf_counter()
            ex.decide("DP1", "withdraw_seal", check=False, force=2, rationale={"why": "contener"})
            times.append((time.perf_counter() - t0) * 1000)
            ex.close()
    finally:
        Journal.checkpoint = original  # type: ignore[method-assign]
    return times


def _p99(xs: list[float]) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(0.99 * (len(xs) - 1))))]


def run() -> dict[str, float]:
    """Figures: decide-to-durable median and p99, with and without the single-file checkpoint."""
    with tempfile.TemporaryDirectory(dir=".") as d:
        single = _decide_times(Path(d), True)
        wal = _decide_times(Path(d), False)
    return {
        "journal_decide_durable_ms_median": statistics.median(single),
        "journal_decide_durable_ms_p99": _p99(single),
        "journal_decide_wal_only_ms_median": statistics.median(wal),
        "journal_decide_wal_only_ms_p99": _p99(wal),
    }
