"""A live session: one `Exercise`, its pacing clock, and what the room has shown so far.

This is the part of the exercise room that has no widgets: it opens or resumes
an exercise from the command-line arguments, advances the engine in small
slices towards the clock's target (never blocking the UI), and carries out the
team's and the instructor's commands, journaling clock actions. The Textual
screens only render what it holds and call its methods.
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from simulator import (
    CommandRejected,
    Event,
    Exercise,
    JournalError,
    OrderStatus,
    Problem,
    Scenario,
    load_scenario,
    resolve_scenario,
    tr,
)
from simulator.clock import ExerciseClock, WallClock, fmt_elapsed, fmt_speed, pace

from .i18n import t, tn

# CPU spent advancing the engine per UI frame; fast-forward never freezes the screen.
CPU_BUDGET_S = 0.008


@dataclass
class Draft:
    """What the team has typed for one decision point so far (kept across closes and errors)."""

    option: str | None = None
    fields: dict[str, str] = field(default_factory=dict)
    considered: list[str] = field(default_factory=list)
    force: int | None = None


def random_seed() -> int:
    """A fresh seed when none is given (shown to the user and journaled)."""
    return int.from_bytes(os.urandom(4), "big")


def default_journal_path(scenario_id: str, now: datetime | None = None) -> Path:
    """`journals/<scenario-id>-<UTC yyyymmdd-hhmmss>.sitroom`, relative to the working directory."""
    now = now or datetime.now(UTC)
    return Path("journals") / f"{scenario_id}-{now.strftime('%Y%m%d-%H%M%S')}.sitroom"


class Session:
    """One exercise being played: the engine, the clock, the drafts, the event cursor."""

    remote = False  # this terminal keeps the journal (a class's team room does not: its host does)

    def __init__(self, exercise: Exercise, journal_path: Path, *, wall: WallClock, speed: float,
                 instructor: bool, lang: str, resumed: bool = False, begun: bool = True,
                 alert_speed: float | None = None) -> None:
        self.exercise = exercise
        self.sim = exercise.sim
        self.scenario = exercise.scenario
        self.journal_path = journal_path
        self.instructor = instructor
        self.lang = lang
        self.resumed = resumed
        self.role = self.scenario.team_role
        # A new exercise waits on its briefing: the clock starts when the team (or, in a
        # class, the instructor) calls `begin()`. A resumed one goes on at once.
        self.begun = begun
        self.clock = ExerciseClock(wall, speed, self.sim.now, running=begun)
        # When a decision opens above this speed, the clock drops to it (the team must see it).
        self.alert_speed = alert_speed or self.scenario.alert_speed
        self.drafts: dict[str, Draft] = {}
        self._drained = 0
        self._flushed = len(self.sim.events)
        self._flushed_wall = time.monotonic()
        self.closed = False

    # ---------------------------------------------------------------- opening
    @classmethod
    def from_args(cls, args: argparse.Namespace, wall: WallClock) -> Session:
        """Start (or resume) the exercise the arguments describe. Raises simulator.InputError."""
        lang = args.lang if args.lang in ("es", "en") else "es"
        instructor = args.role == "instructor"
        if args.resume:
            path = Path(args.resume)
            if not path.exists():
                raise JournalError([Problem(str(path), 0, 0, "no such journal file")])
            ex = Exercise.resume(path)
            last_speed, was_paused = _last_clock(ex)
            speed = args.speed or last_speed or ex.scenario.speed
            s = cls(ex, path, wall=wall, speed=speed, instructor=instructor, lang=lang, resumed=True,
                    alert_speed=getattr(args, "alert_speed", None), begun=_has_begun(ex))
            if was_paused and instructor:  # the instructor had paused: come back paused, exactly there
                s.clock.pause(s.sim.now)
            ex.record("session", {"action": "resume", "role": args.role, "lang": lang, "speed": speed},
                      actor=s.actor)
            return s
        scenario = load_scenario(resolve_scenario(args.scenario))
        return cls.start(scenario, args, wall)

    @classmethod
    def start(cls, scenario: Scenario, args: argparse.Namespace, wall: WallClock) -> Session:
        """A new exercise of `scenario` with the seed, team and journal in `args`."""
        seed = args.seed if args.seed is not None else random_seed()
        path = Path(args.journal) if args.journal else default_journal_path(scenario.id)
        if path.exists():
            raise JournalError([Problem(str(path), 0, 0, "a file is already there; choose a new journal path "
                                        "or continue it with --resume")])
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise JournalError([Problem(str(path), 0, 0, f"cannot create the journal folder: {exc}")]) from None
        lang = args.lang if args.lang in ("es", "en") else "es"
        team = (args.team or "").strip() or t("default_team", lang)
        ex = Exercise.start(scenario, seed, path, team=team, honour_pauses=True)
        speed = args.speed or scenario.speed
        s = cls(ex, path, wall=wall, speed=speed, instructor=args.role == "instructor", lang=lang, begun=False,
                alert_speed=getattr(args, "alert_speed", None))
        ex.record("session", {"action": "start", "role": args.role, "lang": s.lang, "speed": speed},
                  actor=s.actor)
        return s

    # ---------------------------------------------------------------- reading
    @property
    def actor(self) -> str:
        return "instructor" if self.instructor else self.exercise.team

    @property
    def seed(self) -> int:
        return self.exercise.seed

    @property
    def ended(self) -> bool:
        return self.sim.ended

    def drain(self) -> list[Event]:
        """Every engine event not yet handed to the screen (all audiences; the screen filters)."""
        evs = self.sim.events[self._drained:]
        self._drained = len(self.sim.events)
        return evs

    def visible(self, ev: Event) -> bool:
        """May the team see this event?"""
        return self.scenario.visible(ev.audience, self.role)

    def local_time(self, minutes: float, seconds: bool = True) -> str:
        dt = self.scenario.start_datetime() + timedelta(minutes=minutes)
        return dt.strftime("%H:%M:%S" if seconds else "%H:%M")

    def status_key(self) -> str:
        """running, paused, halted (a pausing decision), waiting (briefing) or ended."""
        if self.sim.ended:
            return "ended"
        if not self.begun:
            return "waiting"
        if self.sim.halted_for is not None:
            return "halted"
        return "running" if self.clock.running else "paused"

    # ---------------------------------------------------------------- pacing
    def tick(self, budget_s: float = CPU_BUDGET_S) -> None:
        """Advance the engine towards the clock's target, for at most `budget_s` of CPU (`clock.pace`)."""
        if self.sim.ended or self.closed:
            return
        slowed = pace(self.sim, self.clock, self.scenario.limit, self.alert_speed, budget_s, self.visible)
        if slowed is not None:
            self.exercise.record("speed", {"speed": self.alert_speed, "cause": "decision_open", "point": slowed},
                                 actor="sitroom")
        self.flush()

    def flush(self, force: bool = False) -> None:
        """Journal new events now; clock progress alone is journaled at most once a second.

        Inputs are always committed durably at once by the Exercise, and events are
        re-created exactly from them, so a crash loses at most a second of uneventful clock.
        """
        wall = time.monotonic()
        if force or len(self.sim.events) > self._flushed or wall - self._flushed_wall >= 1.0 or self.sim.ended:
            self.exercise.flush()
            self._flushed = len(self.sim.events)
            self._flushed_wall = wall

    def now(self) -> float:
        """The scenario time the engine has reached (minutes from T0)."""
        return self.sim.now

    # ---------------------------------------------------------------- the briefing
    def begin(self) -> None:
        """The team has read the briefing: start the clock (once; journaled)."""
        if self.begun or self.sim.ended:
            return
        self.exercise.record("session", {"action": "begin", "speed": self.clock.speed}, actor=self.actor)
        self.begun = True
        self.clock.resume(self.sim.now)

    # ---------------------------------------------------------------- instructor clock
    # Each clock action is journaled first and done after: when the journal refuses
    # (JournalError), nothing has changed.
    def pause(self) -> None:
        """Stop the clock exactly where the engine is (instructor)."""
        if self.clock.running and not self.sim.ended:
            self.tick()
            self.exercise.record("pause", {"speed": self.clock.speed}, actor=self.actor)
            self.clock.pause(self.sim.now)

    def resume(self) -> None:
        """Start the clock again from where it stopped (instructor)."""
        if not self.clock.running and not self.sim.ended:
            self.exercise.record("resume", {"speed": self.clock.speed}, actor=self.actor)
            self.clock.resume(self.sim.now)

    def set_speed(self, speed: float) -> None:
        """Change the speed (sim seconds per wall second) from this instant on."""
        if speed == self.clock.speed:
            return
        self.tick()
        self.exercise.record("speed", {"speed": speed}, actor=self.actor)
        self.clock.set_speed(speed, self.sim.now)

    def step(self) -> bool:
        """Advance to the next scheduled moment (while paused). False when nothing is due."""
        sim = self.sim
        if sim.ended or sim.halted_for is not None:
            return False
        nt = sim.next_time()
        if nt is None or nt > self.scenario.limit:
            return False
        first = len(sim.events)
        for _ in range(100):  # some moments only move the clock: go on to the next visible change
            nt = sim.next_time()
            if nt is None:
                break
            self.exercise.advance(max(nt, sim.now))
            if len(sim.events) > first or sim.ended or sim.halted_for is not None:
                break
        self.clock.anchor(sim.now)
        return True

    # ---------------------------------------------------------------- commands (may raise CommandRejected)
    def decide(self, point: str, option: str, rationale: dict[str, Any], force: int | None) -> Event:
        ev = self.exercise.decide(point, option, rationale=rationale, force=force, actor=self.exercise.team,
                                  role=self.role, lang=self.lang)
        self.drafts.pop(point, None)
        return ev

    def order(self, order_id: str, params: dict[str, Any] | None = None) -> Event:
        """Give an order (with its parameters) as the team."""
        return self.exercise.order(order_id, actor=self.exercise.team, params=params)

    def fire_inject(self, inject_id: str) -> Event:
        return self.exercise.inject(inject_id, actor="instructor")

    def note(self, text: str, at: float | None = None) -> None:
        """Journal an observation note about minute `at` (None: now)."""
        self.exercise.note(text, actor="instructor", at=at)

    def end(self) -> Event:
        return self.exercise.end(actor="instructor")

    def close(self) -> None:
        if not self.closed:
            self.flush(force=True)
            self.closed = True
            self.exercise.close()

    # ---------------------------------------------------------------- words
    def order_why(self, order_id: str, lang: str, params: dict[str, Any] | None = None) -> str:
        """Why an order cannot be given now (with `params`), in the UI language ('' when it can)."""
        try:
            status = self.order_check(order_id, params)
        except CommandRejected as exc:  # a parameter of the wrong kind: the engine's words
            return str(exc)
        return order_why_text(self.scenario, order_id, status, lang)

    def order_check(self, order_id: str, params: dict[str, Any] | None = None) -> OrderStatus:
        """Whether an order can be given now (with `params`), as this session's role may know it."""
        return self.sim.order_check(order_id, None if self.instructor else self.role, params)

    def debrief_command(self, lang: str) -> str:
        return f"sitroom debrief {self.journal_path} --out debrief-{self.scenario.id} --lang {lang}"

    def resume_command(self) -> str:
        role = " --role instructor" if self.instructor else ""
        return f"sitroom play --resume {self.journal_path}{role} --lang {self.lang}"

    def speed_text(self, lang: str) -> str:
        return t("speed", lang, x=fmt_speed(self.clock.speed))

    def elapsed_text(self) -> str:
        return "T+" + fmt_elapsed(self.sim.now)


def _has_begun(ex: Exercise) -> bool:
    """Did the session in this journal get past its briefing? (Journals from before briefings: yes.)"""
    if ex.journal is None:
        return True
    inputs = ex.journal.inputs()
    if ex.sim.now > 0 or any(i.kind != "session" for i in inputs):
        return True
    actions = [i.payload.get("action") for i in inputs if i.kind == "session"]
    return "begin" in actions or "start" not in actions


def _last_clock(ex: Exercise) -> tuple[float | None, bool]:
    """The speed the session last ran at, and whether its clock was left paused (from the journal)."""
    if ex.journal is None:
        return None, False
    speed, paused = None, False
    for inp in ex.journal.inputs():
        if inp.kind in ("speed", "session", "pause", "resume"):
            v = inp.payload.get("speed")
            if isinstance(v, int | float) and v > 0:
                speed = float(v)
        if inp.kind == "pause":
            paused = True
        elif inp.kind in ("resume", "session"):
            paused = False
    return speed, paused


def order_why_text(scenario: Scenario, order_id: str, status: OrderStatus, lang: str) -> str:
    """Why an order cannot be given, in the UI language ('' when it can): one wording for the
    room's own session and for a remote one."""
    if status.ok:
        return ""
    if status.code == "ended":
        return t("why_ended", lang)
    if status.code == "limit":
        return tn("why_limit", scenario.orders[order_id].limit or 1, lang)
    if status.code == "units" and status.resource is not None:
        parts = []
        for rid, free, need in status.shortages:
            res = scenario.resources.get(rid)
            parts.append(tn("why_units", need, lang, res=tr(res.label, lang) if res is not None else rid, free=free))
        return "; ".join(parts)
    if status.code == "standby" and status.resource is not None:
        res = scenario.resources.get(status.resource)
        return t("why_standby", lang, res=tr(res.label, lang) if res is not None else status.resource)
    if status.code == "params":
        pp = scenario.orders[order_id].params
        if status.param == "count" and pp is not None and pp.count is not None:
            return t("why_count", lang, lo=pp.count.lo, hi=pp.count.hi)
        return t("why_site", lang)
    return t("why_unavailable", lang)
