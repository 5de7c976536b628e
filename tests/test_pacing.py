"""`simulator.clock.pace`: the one pacing rule the room and the class host share."""

from __future__ import annotations

from simulator import bundled_scenarios
from simulator.clock import ExerciseClock, FakeClock, pace
from simulator.model import Simulation

TUTORIAL = next(b.scenario for b in bundled_scenarios() if b.id == "tutorial")  # DP1 opens at T+5


def _run(speed: float, sees=lambda ev: True) -> tuple[Simulation, ExerciseClock, list[str | None]]:  # noqa: ANN001
    wall = FakeClock()
    clock = ExerciseClock(wall, speed)
    sim = Simulation(TUTORIAL, 1)
    slowed = []
    for _ in range(40):
        wall.advance(1.0)
        slowed.append(pace(sim, clock, TUTORIAL.limit, 60.0, 5.0, sees))
    return sim, clock, slowed


def test_above_the_alert_speed_the_clock_drops_within_a_minute_of_a_visible_decision():
    """At 600x the engine stops at the minute DP1 opens, the clock drops to 60, once."""
    sim, clock, slowed = _run(600.0)
    assert slowed.count("DP1") == 1 and set(slowed) <= {"DP1", None}
    opened = next(e.t for e in sim.events if e.kind == "decision_open")
    assert opened == 5.0 and clock.speed == 60.0
    first = slowed.index("DP1")
    assert first == 0  # 10 scenario minutes were due in the first second: it stopped at T+5, not T+10


def test_a_decision_the_team_cannot_see_does_not_slow_the_clock():
    """`sees` says no: the clock keeps its speed."""
    _, clock, slowed = _run(600.0, sees=lambda ev: False)
    assert clock.speed == 600.0 and set(slowed) == {None}


def test_at_or_below_the_alert_speed_nothing_changes():
    """At 30x the decision opens and the clock keeps its speed."""
    sim, clock, slowed = _run(30.0)
    assert clock.speed == 30.0 and set(slowed) == {None}
    assert any(e.kind == "decision_open" for e in sim.events)


def test_the_engine_stops_at_the_minute_the_decision_opens():
    """Ten scenario minutes are due, the point opens at T+5: the engine is at T+5, not T+10."""
    wall = FakeClock()
    clock = ExerciseClock(wall, 600.0)
    sim = Simulation(TUTORIAL, 1)
    wall.advance(1.0)
    assert pace(sim, clock, TUTORIAL.limit, 60.0, 5.0, lambda ev: True) == "DP1"
    assert sim.now == 5.0 and clock.target() == 5.0
