"""TUI benchmarks: launch to first frame, and frame pacing at 60x (and 600x fast-forward).

`run()` returns figures with units in their names. The app runs headless
(`App.run_test`), with the real wall clock and its normal frame timer; the
first-frame figure is measured from spawning a fresh Python process (imports
included) to the moment the room has drawn.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = r"""
import argparse, asyncio, sys
from tui.app import SitroomApp
from simulator.clock import SystemClock
from tui.session import Session

async def main(journal):
    args = argparse.Namespace(scenario="P0-modulo-b", seed=1, speed=None, team="bench", role="trainee",
                              lang="es", journal=journal, resume=None)
    app = SitroomApp(args, session=Session.from_args(args, SystemClock()))
    async with app.run_test(size=(120, 35)) as pilot:
        while app.first_frame_at is None:
            await pilot.pause(0.005)
        print("FIRST", flush=True)

asyncio.run(main(sys.argv[1]))
"""


def first_frame_s(repeats: int = 3) -> float:
    """Median seconds from spawning `python` to the room's first frame."""
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(repeats):
            t0 = time.perf_counter()
            proc = subprocess.Popen([sys.executable, "-c", CHILD, str(Path(tmp) / f"j{i}.sitroom")],
                                    stdout=subprocess.PIPE, text=True)
            assert proc.stdout is not None
            for line in proc.stdout:
                if line.startswith("FIRST"):
                    times.append(time.perf_counter() - t0)
                    break
            proc.wait()
    times.sort()
    return times[len(times) // 2] if times else float("nan")


async def _pacing(speed: float, seconds: float, journal: str) -> tuple[list[float], list[float], float]:
    from simulator.clock import SystemClock
    from tui.app import SitroomApp
    from tui.session import Session

    # alert_speed = speed: the clock must not drop to 60x when a decision opens, or a 600x run
    # would measure 60x; the session starts past its briefing.
    args = argparse.Namespace(scenario="P0-modulo-b", seed=1, speed=speed, team="bench", role="instructor",
                              lang="es", journal=journal, resume=None, alert_speed=speed)
    session = Session.from_args(args, SystemClock())
    session.begin()
    app = SitroomApp(args, session=session)
    async with app.run_test(size=(120, 35)) as pilot:
        await pilot.pause(0.3)
        app.frame_log = []
        app.tick_costs = []
        await asyncio.sleep(seconds)
        log, costs = app.frame_log, app.tick_costs
        app.frame_log = app.tick_costs = None
        sim_minutes = app.session.sim.now if app.session else 0.0
    return log, costs, sim_minutes


def _p95(values: list[float]) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(int(len(values) * 0.95), len(values) - 1)]


def pacing(speed: float, seconds: float = 6.0) -> tuple[float, float, float]:
    """p95 of the interval between frames (ms), p95 of each frame's own work (ms), sim minutes reached."""
    with tempfile.TemporaryDirectory() as tmp:
        log, costs, sim_minutes = asyncio.run(_pacing(speed, seconds, str(Path(tmp) / "j.sitroom")))
    gaps = [(b - a) * 1000 for a, b in zip(log, log[1:], strict=False)]
    return _p95(gaps), _p95([c * 1000 for c in costs]), sim_minutes


def run() -> dict[str, float]:
    gap60, work60, _ = pacing(60.0)
    gap600, work600, reached = pacing(600.0)
    return {
        "tui_first_frame_s": first_frame_s(),
        "tui_frame_interval_p95_ms_60x": gap60,
        "tui_frame_work_p95_ms_60x": work60,
        "tui_frame_interval_p95_ms_600x": gap600,
        "tui_frame_work_p95_ms_600x": work600,
        "tui_sim_minutes_in_6s_at_600x": reached,
    }


if __name__ == "__main__":
    for k, v in run().items():
        print(f"{k:<40} {v:10.3f}")
