"""The exercise clock: scenario minutes paced from a wall-clock anchor times the speed.

Callers that pace an engine in real time (the exercise room, the class host) use it; the
model itself never reads the wall clock.

Scenario time is never the sum of timer ticks (timers drop ticks when the UI
falls behind); it is `anchor_sim + (wall_now - anchor_wall) * speed / 60`
minutes, re-anchored on every pause, resume and speed change so a pause is
exact. The wall clock is injectable, so tests freeze or step it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from .events import Event
    from .model import Simulation

# Engine steps per `advance` call while pacing: small enough that a frame's CPU budget is kept.
STEPS_PER_SLICE = 200
SPEED_STEPS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0, 120.0, 240.0, 600.0)


class WallClock(Protocol):
    """Anything that tells the wall time in seconds (monotonic)."""

    def now(self) -> float:
        """The wall time in seconds."""
        ...


class SystemClock:
    """The real monotonic clock."""

    def now(self) -> float:
        """`time.monotonic()`."""
        return time.monotonic()


class FakeClock:
    """A wall clock that moves only when told to (tests, benchmarks)."""

    def __init__(self, start: float = 1000.0) -> None:
        self.t = start

    def now(self) -> float:
        """The time it was last set to."""
        return self.t

    def advance(self, seconds: float) -> None:
        """Move the clock on by `seconds`."""
        self.t += seconds


class ExerciseClock:
    """Scenario minutes as a function of wall time; `speed` is sim seconds per wall second."""

    def __init__(self, wall: WallClock, speed: float, sim_minutes: float = 0.0, running: bool = True) -> None:
        self.wall = wall
        self.speed = speed
        self.running = running
        self._anchor_sim = sim_minutes
        self._anchor_wall = wall.now()

    def target(self) -> float:
        """Where the scenario should be now (minutes from T0)."""
        if not self.running:
            return self._anchor_sim
        return self._anchor_sim + (self.wall.now() - self._anchor_wall) * self.speed / 60.0

    def anchor(self, sim_minutes: float) -> None:
        """Pin the clock to `sim_minutes` at this wall instant (after a halt, a step, a resume)."""
        self._anchor_sim = sim_minutes
        self._anchor_wall = self.wall.now()

    def pause(self, sim_minutes: float) -> None:
        """Stop at `sim_minutes` (the target stays there until `resume`)."""
        self.anchor(sim_minutes)
        self.running = False

    def resume(self, sim_minutes: float) -> None:
        """Run on from `sim_minutes` at the current speed."""
        self.anchor(sim_minutes)
        self.running = True

    def set_speed(self, speed: float, sim_minutes: float) -> None:
        """Change the speed at `sim_minutes` (re-anchored, so no time jumps)."""
        self.anchor(sim_minutes)
        self.speed = speed

    def faster(self) -> float:
        """The next speed step up (the current speed if at the top)."""
        return next((s for s in SPEED_STEPS if s > self.speed + 1e-9), self.speed)

    def slower(self) -> float:
        """The next speed step down (the current speed if at the bottom)."""
        return next((s for s in reversed(SPEED_STEPS) if s < self.speed - 1e-9), self.speed)


def fmt_speed(speed: float) -> str:
    """4.0 -> '4', 0.5 -> '0.5'."""
    return f"{speed:g}"


def fmt_elapsed(minutes: float) -> str:
    """T+ time as HH:MM:SS."""
    s = max(int(minutes * 60 + 1e-6), 0)
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def fmt_left(minutes: float) -> str:
    """Time left as M:SS (or H:MM:SS)."""
    s = max(int(minutes * 60 + 0.999), 0)
    if s >= 3600:
        return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"
    return f"{s // 60}:{s % 60:02d}"


def pace(sim: Simulation, clock: ExerciseClock, limit: float, alert_speed: float, budget_s: float,
         sees: Callable[[Event], bool]) -> str | None:
    """Advance `sim` towards the clock's target for at most `budget_s` of CPU: the one pacing rule.

    Above `alert_speed` the engine goes a minute of scenario time at a time, so that a decision
    point the team can see (`sees`) is caught within a minute of opening; the clock then drops
    to `alert_speed` and the point's id is returned, for the caller to journal the change.
    A pausing point (`sim.halted_for`) holds the clock exactly where the engine stopped.
    """
    if sim.ended:
        return None
    if sim.halted_for is not None:
        clock.anchor(sim.now)
        return None
    target = min(clock.target(), limit)
    stop = time.perf_counter() + budget_s
    slowed: str | None = None
    while sim.now < target and not sim.ended and sim.halted_for is None:
        before = sim.now
        fast = clock.speed > alert_speed + 1e-9
        until = min(target, math.floor(sim.now) + 1) if fast else target
        new = sim.advance(until, max_steps=STEPS_PER_SLICE)
        if fast:
            opened = [ev for ev in new if ev.kind == "decision_open" and sees(ev)]
            if opened:
                clock.set_speed(alert_speed, sim.now)
                slowed = opened[0].ref
                break  # the rest of this frame goes at the new speed, next time
        if time.perf_counter() >= stop or sim.now == before:
            break
    if sim.halted_for is not None:
        clock.anchor(sim.now)
    return slowed
