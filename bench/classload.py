"""Class load: 30 headless protocol clients (one per team) at 60x for 10 simulated minutes, on loopback.

The host runs as `sitroom class start --headless` in its own process (its CPU is read from
/proc); the clients run here, each answering open decisions and giving orders at random.
Figures: the p95 of input acknowledgement (request sent to ack received), the p95 of view
updates (an event's due moment on the team's clock to the view that carries it reaching
the client), host CPU as a percentage of one core, and inputs lost (sent but never
answered, or acknowledged but not in the journal). Bounded: 30 teams, about 10 s of class,
a hard wall limit, and the host is ended and stopped at the end.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import selectors
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from classroom.client import ClassClient, HostRefused
from simulator import Journal

TEAMS = 30
SPEED = 60.0
SIM_MINUTES = 10.0
WALL_LIMIT_S = 60.0
SCENARIO = "P0-modulo-b"
TEXTS = ("information", "threat_risk", "powers_policy", "why")


def _p95(values: list[float]) -> float:
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[94] if len(values) > 1 else values[0]


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Team:
    """One headless team client and what it measured."""

    def __init__(self, url: str, rng: random.Random) -> None:
        self.client = ClassClient(url, lang="en", reconnect=False, on_update=self._on_update)
        self.rng = rng
        self.acks: list[float] = []
        self.views: list[float] = []
        self.sent = 0
        self.answered = 0
        self.accepted = 0
        self.measuring = False
        self._seen = -1

    def _on_update(self, what: str) -> None:
        view = self.client.view
        if what != "view" or view is None or view.sent is None or not view.events:
            return
        now = time.time()
        fresh = [e for e in view.events if e.seq > self._seen]
        self._seen = view.events[-1].seq
        if not self.measuring or not view.running:
            return
        for ev in fresh:
            # The event was due when the team's clock passed ev.t: `target` was the clock when the view left.
            due = view.sent - max(view.target - ev.t, 0.0) * 60.0 / view.speed
            self.views.append((now - due) * 1000.0)

    async def play(self, stop_at: float) -> None:
        """Answer decisions and give orders at random until the class clock passes `stop_at` minutes."""
        client = self.client
        scenario = client.scenario
        assert scenario is not None
        while True:
            await asyncio.sleep(self.rng.uniform(0.3, 1.2))
            view = client.view
            if view is None or view.snapshot is None or view.t >= stop_at or view.status == "ended":
                return
            snap = view.snapshot
            try:
                if snap.open_decisions and self.rng.random() < 0.7:
                    point = self.rng.choice(snap.open_decisions).id
                    dp = scenario.decisions[point]
                    option = self.rng.choice(list(dp.options))
                    rationale: dict[str, Any] = {f: f"bench {f}" for f in TEXTS}
                    rationale["options_considered"] = list(dp.options)
                    force = 1 if dp.force else None
                    await self._timed(client.decide(point, option, rationale, force))
                else:
                    usable = [o.id for o in snap.orders if o.available]
                    if usable:
                        await self._timed(client.order(self.rng.choice(usable)))
            except HostRefused as exc:
                if exc.code == "disconnected":
                    return

    async def _timed(self, request: Any) -> None:
        self.sent += 1
        t0 = time.perf_counter()
        try:
            await request
            self.accepted += 1
        except HostRefused as exc:
            if exc.code in ("disconnected", "closed"):
                raise
        self.answered += 1
        self.acks.append((time.perf_counter() - t0) * 1000.0)


def _start_host(directory: Path) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    names = ",".join(f"T{n:02d}" for n in range(1, TEAMS + 1))
    proc = subprocess.Popen([sys.executable, "-m", "sitroom", "class", "start", SCENARIO, "--teams", names,
                             "--headless", "--dir", str(directory), "--speed", str(SPEED), "--seed", "2011",
                             "--lang", "en"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    if not sel.select(30):
        proc.kill()
        raise RuntimeError("the class host did not start in 30 s")
    return proc, json.loads(proc.stdout.readline())


async def _drive(links: dict[str, Any], pid: int) -> dict[str, float]:
    rng = random.Random(12)
    instructor = ClassClient(links["instructor"], lang="en", reconnect=False)
    await instructor.connect()
    teams = [Team(url, random.Random(rng.random())) for url in links["teams"].values()]
    await asyncio.gather(*(t.client.connect() for t in teams))
    await asyncio.gather(*(t.client.wait_for(lambda t=t: t.client.view is not None) for t in teams))
    cpu0, wall0 = _cpu_s(pid), time.perf_counter()
    await instructor.start_class()
    for t in teams:
        t.measuring = True
    with contextlib.suppress(TimeoutError):  # the wall limit bounds a stuck run; figures still come out
        await asyncio.wait_for(asyncio.gather(*(t.play(SIM_MINUTES) for t in teams)), WALL_LIMIT_S)
    cpu1, wall1 = _cpu_s(pid), time.perf_counter()
    await instructor.end(None)
    for t in teams:
        await t.client.close()
    await instructor.close()
    acks = [a for t in teams for a in t.acks]
    views = [v for t in teams for v in t.views]
    return {
        "classload_teams": float(len(teams)),
        "classload_inputs": float(sum(t.sent for t in teams)),
        "classload_inputs_accepted": float(sum(t.accepted for t in teams)),
        "classload_inputs_unanswered": float(sum(t.sent - t.answered for t in teams)),
        "classload_input_ack_ms_p95": _p95(acks),
        "classload_input_ack_ms_median": statistics.median(acks) if acks else float("nan"),
        "classload_view_update_ms_p95": _p95(views),
        "classload_view_updates": float(len(views)),
        "classload_host_cpu_percent": 100.0 * (cpu1 - cpu0) / (wall1 - wall0),
        "classload_wall_s": wall1 - wall0,
    }


def run() -> dict[str, float]:
    """Run the load test once and return its figures."""
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp) / "class"
        proc, links = _start_host(directory)
        try:
            figures = asyncio.run(_drive(links, proc.pid))
            proc.wait(30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
        journaled = 0
        for path in sorted(directory.glob("*.sitroom")):
            journal = Journal.open(path)
            journaled += sum(1 for i in journal.inputs() if i.kind in ("decision", "order"))
            journal.close()
        figures["classload_inputs_lost"] = figures["classload_inputs_accepted"] - journaled
        return figures


if __name__ == "__main__":
    for key, value in run().items():
        print(f"{key:<40} {value:>10.2f}")
