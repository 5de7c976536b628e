"""The incident model: a SimPy simulation of one scenario run.

`Simulation` owns a SimPy environment and the state of the incident. It never
sleeps and never reads the wall clock: callers `advance(t)` to a simulated
minute and get back the events that happened. Commands (`decide`, `order`,
`fire_inject`) apply at the current simulated time.

How the dynamics work:
- *Processes* are hazards: each occurrence happens after a unit-rate
  exponential amount of integrated rate, drawn from the process's own stream.
  When the state changes the rate, the remaining hazard is kept, so a decision
  that slows escalation delays the same random draw rather than re-rolling it.
- *Units* live in a per-resource store; tasks take units from it (waiting when
  none is free), travel, work, and give them back. A busy unit cannot be in
  two places.
- *Conditions* (inject triggers, decision points, endings, task `until`,
  metrics) are re-evaluated after every event that changes a name they read.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import simpy

from .errors import CommandRejected
from .expr import Expr
from .policy import Policy
from .scenario import DecisionPoint, Dist, Effect, Expectation, Inject, Scenario, Task
from .streams import Streams, draw

# The model's behaviour version: journals record it, and a journal made by another model
# version is refused (its events would not replay). Bump it, and say why in CHANGELOG.md,
# whenever a change alters the events a scenario and seed produce.
MODEL_VERSION = 2

UNIT_STATUSES = ("standby", "mobilising", "ready", "en_route", "on_scene", "returning")
LNUF_LEVELS = ("I", "II", "III", "IV", "V")


class ModelError(Exception):
    """The scenario asked the model for something impossible at run time."""


@dataclass(frozen=True, slots=True)
class Event:
    """Something that happened in the simulation, with who may see it."""

    seq: int
    t: float
    kind: str
    ref: str
    audience: tuple[str, ...]
    data: dict[str, Any]

    def record(self) -> dict[str, Any]:
        return {"seq": self.seq, "t": round(self.t, 6), "kind": self.kind, "ref": self.ref,
                "audience": list(self.audience), "data": self.data}


@dataclass(slots=True)
class Unit:
    id: str
    resource: str
    index: int
    status: str
    task: str | None = None
    since: float = 0.0
    eta: float | None = None


# Why a decision was taken: the team (or a policy standing in for it), its deadline's
# default, or the instructor. Who took it (the actor: a team name) is kept apart, so a team
# called "default" is still a team.
CAUSES = ("team", "policy", "default", "instructor")


@dataclass(slots=True)
class DecisionState:
    """An opened decision point: when it opened, its deadline, and how it was answered."""

    opened_at: float
    deadline_at: float | None
    decided_at: float | None = None
    option: str | None = None
    by: str | None = None  # the actor: a team name, "policy", or None for a default
    force: int | None = None
    cause: str | None = None  # one of CAUSES once decided

    @property
    def answered(self) -> bool:
        """Decided by the team, or by the policy that stands for it in a headless run."""
        return self.decided_at is not None and self.cause in ("team", "policy")

    @property
    def latency(self) -> float | None:
        """Minutes from opening to the team's answer; None when the team did not answer."""
        if not self.answered:
            return None
        assert self.decided_at is not None
        return self.decided_at - self.opened_at


@dataclass(slots=True)
class TaskRun:
    task: Task
    n: int
    by: str
    units: list[Unit] = field(default_factory=list)
    on_scene: bool = False
    release: bool = False
    done: simpy.Event | None = None


@dataclass(frozen=True, slots=True)
class QuantityView:
    id: str
    value: float
    previous: float | None  # value before the last change the viewer saw
    changed_at: float | None
    as_of: float  # the time this picture is of (now - report delay)


@dataclass(frozen=True, slots=True)
class UnitView:
    id: str
    resource: str
    status: str
    task: str | None
    eta: float | None
    since: float
    location: dict[str, str] | None  # es/en: the task's site when sent, else the resource's base


@dataclass(frozen=True, slots=True)
class OpenDecision:
    id: str
    opened_at: float
    deadline_at: float | None


@dataclass(frozen=True, slots=True)
class OrderView:
    id: str
    available: bool
    reason: str  # why not, when unavailable


@dataclass(frozen=True)
class Snapshot:
    """What one viewer (a role, or the instructor when role is None) can see now."""

    t: float
    role: str | None
    quantities: tuple[QuantityView, ...]
    units: tuple[UnitView, ...]
    open_decisions: tuple[OpenDecision, ...]
    decided: tuple[tuple[str, str, float, str], ...]  # (point, option, time, cause)
    orders: tuple[OrderView, ...]
    halted_for: str | None
    ended: bool
    end_reason: str | None


# How an objective's rating was reached: its value against the thresholds; the objective's
# `if_missing` rule because the measured event never happened; or not applicable because its
# `applies_when` condition never held.
RATING_RULES = ("thresholds", "if_missing", "not_applicable")
NOT_APPLICABLE = "N/A"


@dataclass(frozen=True)
class ObjectiveRating:
    """An objective's HSEEP rating and what it rests on."""

    id: str
    metric: str
    value: float | None  # None: the measure was not reached (or the objective does not apply)
    rating: str  # P S M U, or N/A when the objective does not apply
    rule: str = "thresholds"  # one of RATING_RULES
    applicable: bool = True
    reached: bool = True  # False: the measured event never happened


class _Watcher:
    __slots__ = ("index", "kind", "expr", "target", "active")

    def __init__(self, index: int, kind: str, expr: Expr, target: Any) -> None:
        self.index = index
        self.kind = kind
        self.expr = expr
        self.target = target
        self.active = True


class _Hazard:
    __slots__ = ("p", "rng", "target", "acc", "since", "rate", "token", "count", "alive", "fire")

    def __init__(self, p: Any, rng: Any) -> None:
        self.p = p
        self.rng = rng
        self.target = self.acc = self.since = self.rate = 0.0
        self.token = 0
        self.count = 0
        self.alive = True
        self.fire: Callable[[simpy.Event], None] = lambda ev: None


class Simulation:
    """One seeded run of a scenario."""

    def __init__(self, scenario: Scenario, seed: int, *, policy: Policy | None = None,
                 honour_pauses: bool = False) -> None:
        self.scn = scenario
        self.seed = seed
        self.policy = policy
        self.honour_pauses = honour_pauses
        self.env = simpy.Environment()
        self.streams = Streams(seed)
        self.events: list[Event] = []
        self.v: dict[str, float] = {"t": 0.0}
        self.history: dict[str, list[tuple[float, float]]] = {}
        self.units: dict[str, Unit] = {}
        self.stores: dict[str, simpy.Store] = {}
        self.decisions: dict[str, DecisionState] = {}
        self.order_times: dict[str, list[float]] = {k: [] for k in scenario.orders}
        self.team_orders: dict[str, int] = {}  # orders given by the team or its policy: count
        self.fired: dict[str, float] = {}
        self.task_runs: dict[str, list[TaskRun]] = {k: [] for k in scenario.tasks}
        self.ended = False
        self.end_reason: str | None = None
        self.end_time: float | None = None
        self.halted_for: str | None = None
        self.steps = 0  # SimPy steps taken so far: where in the event sequence a command lands
        self._dirty: dict[int, _Watcher] = {}
        self._watch: dict[str, list[_Watcher]] = {}
        self._watchers: list[_Watcher] = []
        self._hazards: dict[str, _Hazard] = {}
        self._metric_first: dict[str, float] = {}
        self._metric_ext: dict[str, float] = {}
        self._metric_mean: dict[str, list[float]] = {}  # id -> [integral, last value, last t]
        self._between_from: dict[str, float] = {}  # `between` metrics: when the first condition held
        self._between_to: dict[str, float] = {}  # ... and the duration once the second held too
        self.applied_at: dict[str, float] = {}  # objective id -> first time its applies_when held
        self._task_counter: dict[str, int] = {}
        self._uses_t = False
        self._setup()

    # ------------------------------------------------------------------ set-up
    def _setup(self) -> None:
        s = self.scn
        for q in s.state.values():
            self.v[q.id] = q.initial
            self.history[q.id] = [(0.0, q.initial)]
        for r in s.resources.values():
            self.stores[r.id] = simpy.Store(self.env)
            for st in UNIT_STATUSES:
                self.v[f"{r.id}.{st}"] = 0.0
            self.v[f"{r.id}.busy"] = 0.0
            self.v[f"{r.id}.total"] = float(r.count)
            for i in range(r.count):
                u = Unit(f"{r.id}_{i + 1}", r.id, i, "standby" if i >= r.count - r.standby else "ready")
                self.units[u.id] = u
                self.v[f"{r.id}.{u.status}"] += 1
                if u.status == "ready":
                    self.stores[r.id].items.append(u)
        for t in s.tasks:
            for st in ("active", "on_scene", "done", "queued"):
                self.v[f"{t}.{st}"] = 0.0
        for d in s.decisions.values():
            self.v[f"{d.id}.open"] = 0.0
            self.v[f"{d.id}.decided"] = 0.0
            self.v[f"{d.id}.defaulted"] = 0.0
            self.v[f"{d.id}.at"] = -1.0
            self.v[f"{d.id}.opened_at"] = -1.0
            for o in d.options:
                self.v[f"{d.id}.{o}"] = 0.0
        for o in s.orders:
            self.v[f"{o}.count"] = 0.0
        for i in s.injects:
            self.v[f"{i}.fired"] = 0.0
        for p in s.processes:
            self.v[f"{p}.count"] = 0.0

        # Watchers, in a fixed order: injects, decisions, tasks, metrics, processes, endings
        # (last, so that what the same change triggers still happens before the end).
        for inj in s.injects.values():
            if inj.when is not None and not inj.manual:
                self._add_watcher("inject", inj.when, inj)
        for dp in s.decisions.values():
            if dp.when is not None:
                self._add_watcher("decision", dp.when, dp)
        for t in s.tasks.values():
            if t.until is not None:
                self._add_watcher("until", t.until, t)
        for m in s.metrics.values():
            if m.kind == "between":
                assert m.expr is not None and m.until is not None
                self._add_watcher("between_from", m.expr, m)
                self._add_watcher("between_to", m.until, m)
            elif m.expr is not None and m.kind in ("first", "max", "min", "mean"):
                self._add_watcher("metric", m.expr, m)
                val = m.expr(self.v)
                if m.kind == "first" and val:
                    self._metric_first[m.id] = 0.0
                elif m.kind in ("max", "min"):
                    self._metric_ext[m.id] = float(val)
                elif m.kind == "mean":
                    self._metric_mean[m.id] = [0.0, float(val), 0.0]
        for o in s.objectives.values():
            if o.applies_when is not None:
                self._add_watcher("applies", o.applies_when, o)
        for p in s.processes.values():
            w = self._add_watcher("process", p.rate, p)
            if p.when is not None:
                for n in p.when.names:
                    self._watch.setdefault(n, []).append(w)
                if "t" in p.when.names:
                    self._uses_t = True
        for e in s.endings:
            self._add_watcher("end", e.when, e)

        env = self.env
        self._emit("start", s.id, ("all",), {"seed": self.seed})
        for inj in sorted(s.injects.values(), key=lambda i: (i.at if i.at is not None else math.inf)):
            if inj.at is not None and not inj.manual:
                env.process(self._timed_inject(inj))
        for dp in s.decisions.values():
            if dp.at is not None:
                env.process(self._timed_decision(dp))
        for p in s.processes.values():
            h = _Hazard(p, self.streams.get("process", p.id))
            h.fire = lambda ev, h=h: self._hz_fire(h, ev)
            self._hazards[p.id] = h
            self._hz_cycle(h)
        if self.policy is not None:
            for po in self.policy.orders:
                env.process(self._policy_order(po.order, po.at))
        env.process(self._time_limit())
        if self._uses_t:
            env.process(self._ticker())
        self._check_all()

    def _add_watcher(self, kind: str, expr: Expr, target: Any) -> _Watcher:
        w = _Watcher(len(self._watchers), kind, expr, target)
        self._watchers.append(w)
        for n in expr.names:
            self._watch.setdefault(n, []).append(w)
        if "t" in expr.names:
            self._uses_t = True
        return w

    # ------------------------------------------------------------------ clock
    @property
    def now(self) -> float:
        return self.env.now

    def next_time(self) -> float | None:
        """Time of the next scheduled event, or None when nothing is pending."""
        t = self.env.peek()
        return None if t == math.inf else t

    def advance(self, until: float, max_steps: int | None = None) -> list[Event]:
        """Run every event up to and including `until` (minutes); return the new events.

        Stops early when the exercise ends, or when a decision point that pauses
        the clock opens (only if this run honours pauses). With `max_steps`, it
        may also stop early to keep the caller responsive, but only once every
        event at the current minute is done, so a command given afterwards
        lands exactly where a replay will put it.
        """
        first = len(self.events)
        env = self.env
        v = self.v
        steps = 0
        cut = False
        while not self.ended and self.halted_for is None:
            t = env.peek()
            if t > until:
                break
            if max_steps is not None and steps >= max_steps and t > env.now:
                cut = True
                break
            v["t"] = t  # effects applied during this step read the current time
            env.step()
            steps += 1
            self.steps += 1
            if self._dirty:
                self._propagate()
        if not cut and not self.ended and self.halted_for is None and until > env.now:
            env._now = until  # nothing is due before `until`: move the clock there
            v["t"] = until
        return self.events[first:]

    def step_to(self, steps: int) -> list[Event]:
        """Take single SimPy steps until `self.steps == steps` (replay puts a command there).

        Unlike `advance` it does not stop at a pausing decision point: the live run stepped
        through it too. Returns the new events.
        """
        first = len(self.events)
        env = self.env
        while self.steps < steps and not self.ended:
            t = env.peek()
            if t == math.inf:
                break
            self.v["t"] = t
            env.step()
            self.steps += 1
            if self._dirty:
                self._propagate()
        return self.events[first:]

    def step(self) -> list[Event]:
        """Advance to the next moment at which something is scheduled."""
        nt = self.next_time()
        if nt is None:
            return []
        return self.advance(nt)

    def run_to_end(self) -> list[Event]:
        return self.advance(self.scn.limit)

    # ------------------------------------------------------------------ state
    def _emit(self, kind: str, ref: str, audience: tuple[str, ...], data: dict[str, Any]) -> Event:
        ev = Event(len(self.events), self.env.now, kind, ref, audience, data)
        self.events.append(ev)
        return ev

    def _set(self, name: str, value: float) -> None:
        old = self.v[name]
        if value == old:
            return
        self.v[name] = value
        for w in self._watch.get(name, ()):
            if w.active:
                self._dirty[w.index] = w

    def _set_quantity(self, qid: str, value: float, cause: str) -> None:
        q = self.scn.state[qid]
        if q.lo is not None and value < q.lo:
            value = q.lo
        if q.hi is not None and value > q.hi:
            value = q.hi
        if q.integer:
            value = float(math.floor(value + 0.5))
        old = self.v[qid]
        if value == old:
            return
        self._set(qid, value)
        self.history[qid].append((self.env.now, value))
        self._emit("state", qid, q.audience, {"value": value, "delta": value - old, "cause": cause})

    def _propagate(self) -> None:
        rounds = 0
        while self._dirty:
            rounds += 1
            if rounds > 1000:
                raise ModelError("conditions keep re-triggering each other (a loop in the scenario's effects)")
            batch = [self._dirty[k] for k in sorted(self._dirty)]
            self._dirty.clear()
            for w in batch:
                if w.active and not self.ended:
                    self._check(w)

    def _check_all(self) -> None:
        for w in self._watchers:
            self._dirty[w.index] = w
        self._propagate()

    def _check(self, w: _Watcher) -> None:
        v = self.v
        k = w.kind
        if k == "process":
            self._hz_recheck(self._hazards[w.target.id])
            return
        if k == "metric":
            m = w.target
            val = w.expr(v)
            if m.kind == "first":
                if val and m.id not in self._metric_first:
                    self._metric_first[m.id] = self.env.now
                    w.active = False
            elif m.kind == "max":
                self._metric_ext[m.id] = max(self._metric_ext[m.id], float(val))
            elif m.kind == "min":
                self._metric_ext[m.id] = min(self._metric_ext[m.id], float(val))
            else:
                acc = self._metric_mean[m.id]
                acc[0] += acc[1] * (self.env.now - acc[2])
                acc[1], acc[2] = float(val), self.env.now
            return
        if k == "between_from" or k == "between_to":
            self._check_between(w)
            return
        if k == "applies":
            if w.expr(v):
                self.applied_at.setdefault(w.target.id, self.env.now)
                w.active = False
            return
        if not w.expr(v):
            return
        if k == "end":
            self._end(w.target.reason, {"message": w.target.message} if w.target.message else {})
        elif k == "inject":
            w.active = False
            inj: Inject = w.target
            if inj.delay is not None:
                self.env.process(self._delayed_inject(inj))
            else:
                self._deliver(inj, "condition")
        elif k == "decision":
            w.active = False
            self._open(w.target)
        elif k == "until":
            for run in self.task_runs[w.target.id]:
                if run.on_scene and run.done is not None and not run.done.triggered:
                    run.done.succeed()

    def _check_between(self, w: _Watcher) -> None:
        m = w.target
        now = self.env.now
        if w.kind == "between_from":
            if m.id in self._between_from or not w.expr(self.v):
                return
            self._between_from[m.id] = now
            w.active = False
        if m.id in self._between_from and m.id not in self._between_to and m.until(self.v):
            self._between_to[m.id] = now - self._between_from[m.id]

    # ------------------------------------------------------------------ effects
    def _amount(self, amount: Expr | Dist | None, key: str) -> float:
        if amount is None:
            return 0.0
        if isinstance(amount, Expr):
            return float(amount(self.v))
        return draw(amount, self.streams.get("amount", key), self.v)

    def apply(self, effects: tuple[Effect, ...], cause: str) -> None:
        """Apply effects in order (the public door for scenario-defined effects)."""
        for e in effects:
            if self.ended:
                return
            if e.cond is not None and not e.cond(self.v):
                continue
            verb = e.verb
            if verb == "add":
                self._set_quantity(e.target, self.v[e.target] + self._amount(e.amount, e.where), cause)
            elif verb == "set":
                self._set_quantity(e.target, self._amount(e.amount, e.where), cause)
            elif verb == "task":
                self._dispatch(self.scn.tasks[e.target], cause)
            elif verb == "mobilise":
                self._mobilise(e.target, e.count, cause)
            elif verb == "release":
                for run in self.task_runs[e.target]:
                    run.release = True
                    if run.on_scene and run.done is not None and not run.done.triggered:
                        run.done.succeed()
            elif verb == "inject":
                self._deliver(self.scn.injects[e.target], cause)
            elif verb == "after":
                self.env.process(self._after(e, cause))
            elif verb == "end":
                self._end(e.target, {"cause": cause})

    def _after(self, e: Effect, cause: str):  # noqa: ANN202 - SimPy generator
        assert e.after is not None
        yield self.env.timeout(max(draw(e.after, self.streams.get("after", e.where), self.v), 0.0))
        self.apply(e.do, cause)

    # ------------------------------------------------------------------ injects
    def _timed_inject(self, inj: Inject):  # noqa: ANN202
        assert inj.at is not None
        delay = inj.at
        if inj.delay is not None:
            delay += max(draw(inj.delay, self.streams.get("inject", inj.id), self.v), 0.0)
        yield self.env.timeout(delay)
        self._deliver(inj, "schedule")

    def _delayed_inject(self, inj: Inject):  # noqa: ANN202
        assert inj.delay is not None
        yield self.env.timeout(max(draw(inj.delay, self.streams.get("inject", inj.id), self.v), 0.0))
        self._deliver(inj, "condition")

    def _deliver(self, inj: Inject, cause: str, **extra: Any) -> Event:
        first = inj.id not in self.fired
        self.fired.setdefault(inj.id, self.env.now)
        data: dict[str, Any] = {"channel": inj.channel, "cause": cause}
        if inj.fields:  # the numbers the message quotes, as they stand now
            data["values"] = {n: self.v[n] for n in inj.fields}
        data.update(extra)
        ev = self._emit("inject", inj.id, inj.audience, data)
        self._set(f"{inj.id}.fired", self.v[f"{inj.id}.fired"] + 1)
        if inj.expect is not None and first:
            self.env.process(self._expectation(inj))
        self.apply(inj.effects, f"inject.{inj.id}")
        return ev

    def _expectation(self, inj: Inject):  # noqa: ANN202
        ex = inj.expect
        assert ex is not None
        yield self.env.timeout(ex.within)
        # A point left to its default was not acted on: the expectation is not met. Only what
        # the team did (or the policy standing for it), with an option that counts, meets it.
        met_by = next((a for a in ex.any_of if self._meets(a, ex)), None)
        done = met_by is not None
        self._emit("expectation", inj.id, ("instructor",),
                   {"met": done, "any_of": list(ex.any_of), "met_by": met_by})
        if not done and ex.contingency:
            self._deliver(self.scn.injects[ex.contingency], "contingency", contingency_for=inj.id)

    def _meets(self, ref: str, ex: Expectation) -> bool:
        """Whether the team (or its policy) took `ref`: an order it gave, or a point it answered with an option that counts."""
        if ref in self.scn.orders:
            return bool(self.team_orders.get(ref))
        st = self.decisions.get(ref)
        return st is not None and st.answered and st.option in ex.options.get(ref, ())

    def fire_inject(self, inject_id: str, *, by: str = "instructor") -> Event:
        """Deliver an inject now (the instructor's manual inject)."""
        if self.ended:
            raise CommandRejected("the exercise has ended")
        inj = self.scn.injects.get(inject_id)
        if inj is None:
            raise CommandRejected(f"no inject called {inject_id!r}")
        ev = self._deliver(inj, "manual", by=by)
        self._settle()
        return ev

    # ------------------------------------------------------------------ decisions
    def _timed_decision(self, dp: DecisionPoint):  # noqa: ANN202
        assert dp.at is not None
        yield self.env.timeout(dp.at)
        self._open(dp)

    def _open(self, dp: DecisionPoint) -> None:
        if dp.id in self.decisions or self.ended:
            return
        now = self.env.now
        deadline = now + dp.deadline if dp.deadline is not None else None
        self.decisions[dp.id] = DecisionState(now, deadline)
        self._set(f"{dp.id}.open", 1.0)
        self._set(f"{dp.id}.opened_at", now)
        self._emit("decision_open", dp.id, dp.audience, {"deadline": deadline, "pause": dp.pause})
        if dp.deadline is not None:
            self.env.process(self._deadline(dp))
        if self.policy is not None:
            pd = self.policy.decisions.get(dp.id)
            if pd is not None:
                self.env.process(self._policy_decision(dp, pd.option, pd.after, pd.force))
            elif dp.deadline is None:
                self.env.process(self._policy_decision(dp, dp.default, 0.0, None, cause="default"))
        if dp.pause and self.honour_pauses:
            self.halted_for = dp.id

    def _deadline(self, dp: DecisionPoint):  # noqa: ANN202
        assert dp.deadline is not None
        yield self.env.timeout(dp.deadline)
        st = self.decisions[dp.id]
        if st.decided_at is None:
            self._decide(dp, dp.default, None, None, cause="default")

    def _policy_decision(self, dp: DecisionPoint, option: str, after: float, force: int | None,
                         cause: str = "policy"):  # noqa: ANN202
        yield self.env.timeout(max(after, 0.0))
        if self.decisions[dp.id].decided_at is None:
            self._decide(dp, option, "policy" if cause == "policy" else None, force, cause=cause)

    def decide(self, point: str, option: str, *, by: str = "team", force: int | None = None,
               cause: str = "team") -> Event:
        """Answer an open decision point now (`by` is the actor, `cause` one of CAUSES).

        Raises CommandRejected if it cannot be answered.
        """
        if cause not in CAUSES:
            raise CommandRejected(f"unknown cause {cause!r}", field="cause")
        dp = self.check_decision(point, option, force)
        ev = self._decide(dp, option, by, force, cause=cause)
        self._settle()
        return ev

    def check_decision(self, point: str, option: str, force: int | None = None) -> DecisionPoint:
        """The decision point, if `option` can be taken there now; else CommandRejected saying why."""
        if self.ended:
            raise CommandRejected("the exercise has ended")
        dp = self.scn.decisions.get(point)
        if dp is None:
            raise CommandRejected(f"no decision point called {point!r}", field="point")
        st = self.decisions.get(point)
        if st is None:
            raise CommandRejected(f"decision point {point} is not open yet", field="point")
        if st.decided_at is not None:
            raise CommandRejected(f"decision point {point} was already decided ({st.option}, by {st.by})",
                                  field="point")
        if option not in dp.options:
            raise CommandRejected(f"{point} has no option {option!r}", field="option")
        if force is not None and not 1 <= force <= 5:
            raise CommandRejected("force level must be I to V (1-5)", field="force")
        return dp

    def _decide(self, dp: DecisionPoint, option: str, by: str | None, force: int | None, *,
                cause: str) -> Event:
        st = self.decisions[dp.id]
        now = self.env.now
        st.decided_at, st.option, st.by, st.force, st.cause = now, option, by, force, cause
        self._set(f"{dp.id}.open", 0.0)
        self._set(f"{dp.id}.decided", 1.0)
        self._set(f"{dp.id}.at", now)
        self._set(f"{dp.id}.{option}", 1.0)
        if cause == "default":
            self._set(f"{dp.id}.defaulted", 1.0)
        data: dict[str, Any] = {"option": option, "by": by, "cause": cause, "latency": now - st.opened_at}
        if force is not None:
            data["force"] = force
            if dp.max_force is not None and force > dp.max_force:
                data["over_level"] = True
        ev = self._emit("decision", dp.id, dp.audience, data)
        if self.halted_for == dp.id:
            self.halted_for = None
        self.apply(dp.options[option].effects, f"decision.{dp.id}.{option}")
        return ev

    def open_decisions(self) -> list[str]:
        return [k for k, st in self.decisions.items() if st.decided_at is None]

    # ------------------------------------------------------------------ orders
    def order_status(self, order_id: str) -> tuple[bool, str]:
        """Can this order be given now? (True, "") or (False, reason)."""
        o = self.scn.orders[order_id]
        if self.ended:
            return False, "ended"
        if o.limit is not None and len(self.order_times[order_id]) >= o.limit:
            return False, "limit"
        if o.available is not None and not o.available(self.v):
            return False, "unavailable"
        if o.task is not None:
            t = self.scn.tasks[o.task]
            free = len(self.stores[t.resource].items)
            if free < t.units:
                return False, f"units:{t.resource}:{free}:{t.units}"
        return True, ""

    def order(self, order_id: str, *, by: str = "team", cause: str = "team") -> Event:
        """Give an order now (`by` is the actor, `cause` one of CAUSES).

        Raises CommandRejected (with the reason) if it cannot be given.
        """
        if cause not in CAUSES:
            raise CommandRejected(f"unknown cause {cause!r}", field="cause")
        self.check_order(order_id)
        ev = self._give_order(order_id, by, cause)
        self._settle()
        return ev

    def check_order(self, order_id: str) -> None:
        """Raise CommandRejected, saying why, unless the order can be given now."""
        if order_id not in self.scn.orders:
            raise CommandRejected(f"no order called {order_id!r}", field="order")
        ok, why = self.order_status(order_id)
        if not ok:
            raise CommandRejected(self.order_reason(order_id, why), field="order")

    def _settle(self) -> None:
        # A command may schedule work at the current minute; finish it before returning, so
        # that the state between commands never depends on when the caller next advances.
        self._propagate()
        self.advance(self.env.now)

    def order_reason(self, order_id: str, why: str) -> str:
        """Words for why an order cannot be given (from `order_status`)."""
        if why == "ended":
            return "the exercise has ended"
        if why == "limit":
            return f"order {order_id} can be given only {self.scn.orders[order_id].limit} time(s)"
        if why == "unavailable":
            return f"order {order_id} is not available now"
        _, res, free, need = why.split(":")
        return f"order {order_id} needs {need} free {res} unit(s); {free} free now"

    def _give_order(self, order_id: str, by: str, cause: str) -> Event:
        o = self.scn.orders[order_id]
        self.order_times[order_id].append(self.env.now)
        if cause in ("team", "policy"):
            self.team_orders[order_id] = self.team_orders.get(order_id, 0) + 1
        self._set(f"{order_id}.count", self.v[f"{order_id}.count"] + 1)
        ev = self._emit("order", order_id, o.audience, {"by": by, "cause": cause})
        if o.task is not None:
            self._dispatch(self.scn.tasks[o.task], f"order.{order_id}")
        self.apply(o.effects, f"order.{order_id}")
        return ev

    def _policy_order(self, order_id: str, at: float):  # noqa: ANN202
        yield self.env.timeout(at)
        ok, why = self.order_status(order_id)
        if ok:
            self._give_order(order_id, "policy", "policy")
        else:
            self._emit("order_rejected", order_id, ("instructor",), {"by": "policy", "cause": "policy",
                                                                     "reason": why})

    # ------------------------------------------------------------------ units and tasks
    def _unit(self, u: Unit, status: str, task: str | None, eta: float | None = None) -> None:
        r = u.resource
        if status != u.status:
            self._set(f"{r}.{u.status}", self.v[f"{r}.{u.status}"] - 1)
            self._set(f"{r}.{status}", self.v[f"{r}.{status}"] + 1)
            busy = sum(self.v[f"{r}.{s}"] for s in ("en_route", "on_scene", "returning"))
            self._set(f"{r}.busy", busy)
        u.status, u.task, u.since, u.eta = status, task, self.env.now, eta
        aud = self.scn.resources[r].audience
        data: dict[str, Any] = {"status": status, "task": task}
        if eta is not None:
            data["eta"] = round(eta, 6)
        self._emit("unit", u.id, aud, data)

    def _mobilise(self, resource: str, count: int, cause: str) -> None:
        res = self.scn.resources[resource]
        standby = [u for u in self.units.values() if u.resource == resource and u.status == "standby"]
        for u in standby[: count or len(standby)]:
            assert res.mobilise is not None
            dt = max(draw(res.mobilise, self.streams.get("mobilise", u.id), self.v), 0.0)
            self._unit(u, "mobilising", None, self.env.now + dt)
            self.env.process(self._mobilising(u, dt))

    def _mobilising(self, u: Unit, dt: float):  # noqa: ANN202
        yield self.env.timeout(dt)
        self._unit(u, "ready", None)
        yield self.stores[u.resource].put(u)

    def _dispatch(self, task: Task, cause: str) -> None:
        n = self._task_counter.get(task.id, 0) + 1
        self._task_counter[task.id] = n
        run = TaskRun(task, n, cause)
        self.task_runs[task.id].append(run)
        self._set(f"{task.id}.active", self.v[f"{task.id}.active"] + 1)
        self.env.process(self._task(run))

    def _task(self, run: TaskRun):  # noqa: ANN202
        task = run.task
        env = self.env
        store = self.stores[task.resource]
        aud = self.scn.resources[task.resource].audience
        queued = len(store.items) < task.units
        self._emit("task", task.id, aud, {"phase": "queued" if queued else "dispatched", "run": run.n,
                                          "cause": run.by})
        if queued:
            self._set(f"{task.id}.queued", self.v[f"{task.id}.queued"] + 1)
        for _ in range(task.units):
            u = yield store.get()
            run.units.append(u)
        if queued:
            self._set(f"{task.id}.queued", self.v[f"{task.id}.queued"] - 1)
            self._emit("task", task.id, aud, {"phase": "dispatched", "run": run.n, "cause": run.by})
        travel = task.travel or self.scn.resources[task.resource].travel
        arrivals = []
        # Travel draws are keyed by the task run and the unit's place in it, not by the unit,
        # so which unit happens to be free does not shift anyone's draws (paired what-ifs).
        for k, u in enumerate(run.units):
            dt = max(draw(travel, self.streams.get("travel", f"{task.id}#{run.n}/{k}"), self.v), 0.0)
            arrivals.append((dt, u.index, u))
            self._unit(u, "en_route", task.id, env.now + dt)
        arrivals.sort(key=lambda a: (a[0], a[1]))
        start = env.now
        for dt, _, u in arrivals:
            wait = start + dt - env.now
            if wait > 0:
                yield env.timeout(wait)
            self._unit(u, "on_scene", task.id)
        run.on_scene = True
        self._set(f"{task.id}.on_scene", self.v[f"{task.id}.on_scene"] + 1)
        self._emit("task", task.id, aud, {"phase": "on_scene", "run": run.n})
        self.apply(task.on_arrival, f"task.{task.id}")
        completed = False
        if not run.release and not self.ended:
            if task.work is not None:
                key = f"{task.id}#{run.n}"
                yield env.timeout(max(draw(task.work, self.streams.get("work", key), self.v), 0.0))
                completed = not run.release
            else:
                run.done = env.event()
                if task.until is not None and task.until(self.v):
                    run.done.succeed()
                yield run.done
                completed = not run.release
        run.on_scene = False
        self._set(f"{task.id}.on_scene", self.v[f"{task.id}.on_scene"] - 1)
        self._set(f"{task.id}.active", self.v[f"{task.id}.active"] - 1)
        if completed:
            self._set(f"{task.id}.done", self.v[f"{task.id}.done"] + 1)
        self._emit("task", task.id, aud, {"phase": "complete" if completed else "released", "run": run.n})
        if completed:
            self.apply(task.on_complete, f"task.{task.id}")
        for k, u in enumerate(run.units):
            env.process(self._return(u, travel, f"{task.id}#{run.n}/{k}"))

    def _return(self, u: Unit, travel: Dist, key: str):  # noqa: ANN202
        dt = max(draw(travel, self.streams.get("return", key), self.v), 0.0)
        self._unit(u, "returning", None, self.env.now + dt)
        yield self.env.timeout(dt)
        self._unit(u, "ready", None)
        yield self.stores[u.resource].put(u)

    # ------------------------------------------------------------------ hazards
    # A hazard fires when its integrated rate reaches a unit-exponential target drawn from its
    # own stream. When the rate changes, the hazard accumulated so far is kept and the firing
    # is rescheduled (the old timeout is left to expire unheeded): no re-roll, no interrupt.
    def _hz_rate(self, h: _Hazard) -> float:
        p = h.p
        if p.when is not None and not p.when(self.v):
            return 0.0
        r = float(p.rate(self.v)) / 60.0
        return r if r > 0 else 0.0  # negative or NaN rates mean "not now"

    def _hz_cycle(self, h: _Hazard) -> None:
        h.target = float(h.rng.standard_exponential())
        h.acc = 0.0
        h.since = self.env.now
        h.rate = self._hz_rate(h)
        self._hz_schedule(h)

    def _hz_schedule(self, h: _Hazard) -> None:
        h.token += 1
        if h.rate <= 0:
            return
        delay = 0.0 if math.isinf(h.rate) else max((h.target - h.acc) / h.rate, 0.0)
        ev = self.env.timeout(delay, h.token)
        ev.callbacks.append(h.fire)

    def _hz_recheck(self, h: _Hazard) -> None:
        if not h.alive:
            return
        new = self._hz_rate(h)
        if new == h.rate:
            return
        now = self.env.now
        if not math.isinf(h.rate):
            h.acc += h.rate * (now - h.since)
        h.since = now
        h.rate = new
        self._hz_schedule(h)

    def _hz_fire(self, h: _Hazard, ev: simpy.Event) -> None:
        if ev.value != h.token or not h.alive or self.ended:
            return  # superseded by a reschedule
        h.count += 1
        p = h.p
        self._set(f"{p.id}.count", float(h.count))
        self._emit("process", p.id, ("instructor",), {"n": h.count})
        if p.limit is not None and h.count >= p.limit:
            h.alive = False
        else:
            self._hz_cycle(h)
        # If the effects change what the rate reads, the watchers reschedule it after this step.
        self.apply(p.effects, f"process.{p.id}")

    def _ticker(self):  # noqa: ANN202
        # Conditions that read `t` are re-checked every simulated minute.
        while True:
            yield self.env.timeout(1.0)
            self.v["t"] = self.env.now
            for w in self._watch.get("t", ()):
                if w.active:
                    self._dirty[w.index] = w

    def _time_limit(self):  # noqa: ANN202
        yield self.env.timeout(self.scn.limit)
        self._end("time_limit", {})

    def _end(self, reason: str, data: dict[str, Any]) -> None:
        if self.ended:
            return
        self.ended = True
        self.end_reason = reason
        self.end_time = self.env.now
        for acc in self._metric_mean.values():
            acc[0] += acc[1] * (self.env.now - acc[2])
            acc[2] = self.env.now
        self._emit("end", reason, ("all",), data)

    def end(self, reason: str = "instructor") -> Event:
        """End the exercise now (instructor)."""
        if self.ended:
            raise CommandRejected("the exercise has already ended")
        self._end(reason, {"by": "instructor"})
        return self.events[-1]

    # ------------------------------------------------------------------ results
    def metric_values(self) -> dict[str, float | None]:
        """Every metric's value now (final once the run has ended)."""
        out: dict[str, float | None] = {}
        now = self.end_time if self.end_time is not None else self.env.now
        for m in self.scn.metrics.values():
            val: float | None
            if m.kind == "value":
                assert m.expr is not None
                val = float(m.expr(self.v))
            elif m.kind == "first":
                val = self._metric_first.get(m.id)
            elif m.kind in ("max", "min"):
                val = self._metric_ext.get(m.id)
            elif m.kind == "mean":
                integral, last, last_t = self._metric_mean[m.id]
                integral += last * (now - last_t)
                val = integral / now if now > 0 else last
            elif m.kind == "between":
                val = self._between_to.get(m.id)
            else:
                st = self.decisions.get(m.decision or "")
                val = None if st is None else st.latency
            out[m.id] = None if val is None else round(float(val), 6)
        return out

    def objective_ratings(self, metrics: dict[str, float | None] | None = None) -> list[ObjectiveRating]:
        """Every objective's rating, with the value and the rule it rests on."""
        metrics = self.metric_values() if metrics is None else metrics
        out = []
        for o in self.scn.objectives.values():
            value = metrics.get(o.metric)
            reached = value is not None
            if o.applies_when is not None and o.id not in self.applied_at:
                out.append(ObjectiveRating(o.id, o.metric, None, NOT_APPLICABLE, "not_applicable", False, reached))
            elif not reached:
                out.append(ObjectiveRating(o.id, o.metric, None, o.if_missing, "if_missing", True, False))
            else:
                out.append(ObjectiveRating(o.id, o.metric, value,
                                           rate(value, o.thresholds, self.scn.metrics[o.metric].better)))
        return out

    # ------------------------------------------------------------------ views
    def value_at(self, qid: str, t: float) -> tuple[float, float | None, float | None]:
        """(value, previous value, time of change) of a quantity as it stood at time t."""
        hist = self.history[qid]
        i = bisect.bisect_right(hist, (t, math.inf)) - 1
        i = max(i, 0)
        value = hist[i][1]
        prev = hist[i - 1][1] if i > 0 else None
        changed = hist[i][0] if i > 0 else None
        return value, prev, changed

    def snapshot(self, role: str | None = None) -> Snapshot:
        """The picture one role sees (None: the instructor's ground truth)."""
        s = self.scn
        now = self.env.now
        qs = []
        for q in s.state.values():
            if not s.visible(q.audience, role):
                continue
            as_of = now - q.report_delay if role is not None else now
            value, prev, changed = self.value_at(q.id, as_of)
            qs.append(QuantityView(q.id, value, prev, changed, as_of))
        units = tuple(UnitView(u.id, u.resource, u.status, u.task, u.eta, u.since, self._location(u))
                      for u in self.units.values() if s.visible(s.resources[u.resource].audience, role))
        open_ = tuple(OpenDecision(k, st.opened_at, st.deadline_at) for k, st in self.decisions.items()
                      if st.decided_at is None and s.visible(s.decisions[k].audience, role))
        decided = tuple((k, st.option or "", st.decided_at or 0.0, st.cause or "") for k, st in self.decisions.items()
                        if st.decided_at is not None and s.visible(s.decisions[k].audience, role))
        orders = []
        for o in s.orders.values():
            if s.visible(o.audience, role):
                ok, why = self.order_status(o.id)
                orders.append(OrderView(o.id, ok, "" if ok else self.order_reason(o.id, why)))
        return Snapshot(now, role, tuple(qs), units, open_, decided, tuple(orders), self.halted_for,
                        self.ended, self.end_reason)

    def _location(self, u: Unit) -> dict[str, str] | None:
        if u.status in ("en_route", "on_scene") and u.task is not None:
            return self.scn.tasks[u.task].site
        return self.scn.resources[u.resource].base

    def visible_events(self, role: str | None, since: int = 0) -> list[Event]:
        """Events from sequence number `since` that `role` may see (None: all)."""
        evs = self.events[since:]
        if role is None:
            return list(evs)
        vis = self.scn.visible
        return [e for e in evs if vis(e.audience, role)]


def rate(value: float | None, thresholds: dict[str, float], better: str) -> str:
    """HSEEP rating of a measured value against P/S/M thresholds."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "U"
    for r in ("P", "S", "M"):
        th = thresholds[r]
        if (value <= th) if better == "lower" else (value >= th):
            return r
    return "U"

