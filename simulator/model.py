"""The incident model: `Simulation`, one seeded run of a scenario.

`Simulation` owns the SimPy environment (the clock), the event log and the snapshots; the
concepts run in their own modules: the quantity table and its watchers (`state`), units
and tasks (`units.Fleet`), hazards (`hazards.Hazards`), injects (`injects.InjectDesk`),
decision points (`decisions.DecisionDesk`), orders (`orders.OrderDesk`) and metrics
(`metrics.MetricBook`). It never sleeps and never reads the wall clock: callers
`advance(t)` to a simulated minute and get back the events that happened. Commands
(`decide`, `order`, `fire_inject`) apply at the current simulated time.

Conditions (inject triggers, decision points, endings, task `until`, metrics, hazard
rates) are re-evaluated after every event that changes a name they read.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable
from typing import Any

import simpy
from simpy.events import Timeout

from .decisions import CAUSES, LNUF_LEVELS, DecisionDesk, DecisionPoint, DecisionState
from .distributions import RUN_MAX, Dist, draw
from .effects import Effect, apply
from .errors import CommandRejected
from .events import Event
from .hazards import Hazards
from .injects import InjectDesk
from .knowledge import Knowledge
from .metrics import MetricBook, ObjectiveRating, rate
from .orders import OrderDesk, OrderStatus, resolve_params
from .policy import Policy, PolicyDriver, late_answers
from .scenario import Ending, Scenario
from .state import LoopError, State, Watcher
from .streams import Streams
from .units import UNIT_STATUSES, Fleet, TaskRun, Unit
from .views import OpenDecision, OrderView, QuantityView, Snapshot, UnitView

# The model's behaviour version: journals record it, and a journal made by another model
# version is refused (its events would not replay). Bump it, and say why in CHANGELOG.md,
# whenever a change alters the events a scenario and seed produce.
MODEL_VERSION = 3

# A run's bounds: past either, it ends with reason "budget" (a runaway scenario would
# otherwise fill memory). A four-hour class exercise takes a few thousand of each.
STEP_BUDGET = 2_000_000  # SimPy steps
EVENT_BUDGET = 500_000  # recorded events

ModelError = LoopError  # the old name of "the scenario asked the model for something impossible"

__all__ = [
    "CAUSES", "LNUF_LEVELS", "MODEL_VERSION", "UNIT_STATUSES", "DecisionState", "Event", "ModelError",
    "ObjectiveRating", "OpenDecision", "OrderStatus", "OrderView", "QuantityView", "Simulation", "Snapshot",
    "TaskRun", "Unit", "UnitView", "rate",
]


# `Event` is a frozen dataclass, whose generated __init__ sets each field through
# object.__setattr__ (about 2 us); its slot descriptors set the same fields in a quarter of that.
_new_event = object.__new__
_EV_SEQ, _EV_T, _EV_KIND, _EV_REF, _EV_AUD, _EV_DATA = (
    Event.__dict__[f].__set__ for f in ("seq", "t", "kind", "ref", "audience", "data"))


def _call_value(ev: simpy.Event) -> None:
    """Callback of a `Simulation.later` timeout: call the function it carries as its value."""
    ev._value()


class Simulation:
    """One seeded run of a scenario: the clock, the event log, commands and snapshots."""

    def __init__(self, scenario: Scenario, seed: int, *, policy: Policy | None = None,
                 honour_pauses: bool = False, budget: tuple[int, int] = (STEP_BUDGET, EVENT_BUDGET),
                 record: bool = True) -> None:
        self.scn = scenario
        # record=False (what-if replications): events are counted and returned but not kept in
        # `events`; results (metrics, decisions, end) are the same.
        self.record = record
        self.n_events = 0
        self._last_end: Event | None = None
        self.budget = budget  # (SimPy steps, recorded events): past either the run ends, reason "budget"
        self.seed = seed
        self.policy = policy
        self.honour_pauses = honour_pauses
        self.env = simpy.Environment()
        self.streams = Streams(seed)
        self.events: list[Event] = []
        self.state = State(scenario.state, dict(self.initial_names(scenario)),
                           wiring=scenario.cache.setdefault("wiring", {}))
        self.v = self.state.v
        self.history = self.state.history
        self._quantities = scenario.state
        self._exact = self.state.exact
        self.ended = False
        self.end_reason: str | None = None
        self.end_message: dict[str, str] | None = None  # {es, en}: why it ended, when the ending says
        self.end_time: float | None = None
        self.halted_for: str | None = None
        self.steps = 0  # SimPy steps taken so far: where in the event sequence a command lands
        self._warned: set[tuple[str, str]] = set()
        self._early: list[tuple[str, str, dict[str, str]]] | None = []  # warnings of the set-up, told after start
        # Timed calls asked for during set-up, armed in order once set-up is done (see `later`).
        self._pending: list[tuple[float | Callable[[], float], Callable[[], None]]] | None = []
        # The concepts, each setting up its derived names in the table.
        self.fleet = Fleet(self)
        self.points = DecisionDesk(self)
        self.orders = OrderDesk(self)
        self.injects = InjectDesk(self)
        self.hazards = Hazards(self)
        self.metrics = MetricBook(self)
        self.policy_driver = PolicyDriver(self)  # the policy's format-2 orders (on a condition, waiting)
        self.knowledge = Knowledge(self)  # estimates and reveals, computed and drawn quantities, since()
        # Views of the concepts under their long-standing names.
        self.units: dict[str, Unit] = self.fleet.units
        self.task_runs: dict[str, list[TaskRun]] = self.fleet.task_runs
        self.decisions: dict[str, DecisionState] = self.points.states
        self.order_times: dict[str, list[float]] = self.orders.times
        self.team_orders: dict[str, int] = self.orders.team_orders
        self.fired: dict[str, float] = self.injects.fired
        self.applied_at: dict[str, float] = self.metrics.applied_at  # objective -> when applies_when held
        self._setup()

    @staticmethod
    def initial_names(scn: Scenario) -> dict[str, float]:
        """Every name's value at T0, built once per scenario (a template copied by each run)."""
        v0 = scn.cache.get("names")
        if v0 is None:
            v0 = {"t": 0.0}
            for q in scn.state.values():
                v0[q.id] = q.initial
            Fleet.init_names(scn, v0)
            DecisionDesk.init_names(scn, v0)
            OrderDesk.init_names(scn, v0)
            InjectDesk.init_names(scn, v0)
            Hazards.init_names(scn, v0)
            Knowledge.init_names(scn, v0)
            scn.cache["names"] = v0
        return v0

    def _setup(self) -> None:
        # Watchers, in a fixed order: since() clocks and computed quantities (first, so what reads
        # them sees them up to date), reveals, injects, decisions, tasks, metrics, processes,
        # endings (last, so that what the same change triggers still happens before the end).
        self.knowledge.setup()
        self.injects.watch()
        self.points.watch()
        self.fleet.watch()
        self.metrics.watch()
        self.hazards.watch()
        self.policy_driver.watch()
        for e in self.scn.endings:
            self.state.add_watcher(e.when, lambda w, e=e: self._ending(w, e))
        self.emit("start", self.scn.id, ("all",), {"seed": self.seed})
        early, self._early = self._early or [], None
        for where, key, text in early:
            self.warn(where, key, text)
        self.knowledge.start()
        if self.policy is not None:
            for point, text in self._late_answers(self.policy):
                self.warn(f"policy.{point}", "late", text)
        self.injects.start()
        self.points.start()
        self.hazards.start()
        self.orders.start()
        self.policy_driver.start()
        # The time limit ends the run after whatever else was due at that very minute (a point's
        # deadline at the limit takes its default, an inject due then is delivered, an expectation
        # whose `within` ends then is checked).
        self.last_at(self.scn.limit, self._limit_reached)
        if self.state.reads_t():
            self.later(1.0, self._tick)
        self.state.check_all()
        self._propagate()
        pending, self._pending = self._pending or [], None
        for delay, fn in pending:
            self.later(delay, fn)

    def _late_answers(self, policy: Policy) -> list[tuple[str, dict[str, str]]]:
        """`late_answers` of the policy, kept with the scenario for the policy object (what-if arms re-run one)."""
        seen = self.scn.cache.setdefault("late_answers", {})
        hit = seen.get(id(policy))
        if hit is not None and hit[0] is policy:
            return hit[1]
        answers = late_answers(policy.decisions, self.scn)
        if len(seen) >= 64:  # many policies (a long session): forget the old ones
            seen.clear()
        seen[id(policy)] = (policy, answers)  # the policy kept alive, so its id is not reused
        return answers

    def later(self, delay: float | Callable[[], float], fn: Callable[[], None]) -> None:
        """Call `fn` after `delay` minutes (a number, or a function giving it when armed).

        One SimPy event, where a process would take three. Calls asked for during set-up are
        armed when set-up ends, in the order asked, as the processes they replace once were.
        """
        if self._pending is not None:
            self._pending.append((delay, fn))
            return
        Timeout(self.env, delay() if callable(delay) else delay, fn).callbacks.append(_call_value)

    def _limit_reached(self) -> None:
        # Anything still due at this minute goes first, even what closes a span here too (`last_at`).
        if self.env.peek() <= self.env.now:
            self.later(0.0, self._limit_reached)
            return
        self.finish("time_limit", {})

    def last_at(self, delay: float, fn: Callable[[], None]) -> None:
        """Call `fn` after `delay` minutes, after what else was already due at that minute.

        For what closes a span of time, inclusive of its end: the time limit, an expectation's
        `within`, a policy order's wait. Whatever was scheduled for that minute before (an answer
        timed at it, a unit due back then) happens first, so it counts.
        """
        self.later(delay, lambda: self.later(0.0, fn))

    # ------------------------------------------------------------------ clock
    @property
    def now(self) -> float:
        """Simulated minutes since T0."""
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
        queue = env._queue  # what env.peek() reads, without the call
        step = env.step
        state = self.state
        max_steps_, max_events = self.budget
        steps = 0
        cut = False
        while not self.ended and self.halted_for is None:
            t = queue[0][0] if queue else math.inf
            if t > until:
                break
            if max_steps is not None and steps >= max_steps and t > env.now:
                cut = True
                break
            v["t"] = t  # effects applied during this step read the current time
            step()
            steps += 1
            self.steps += 1
            if state.dirty:
                self._propagate()
            if self.steps >= max_steps_ or self.n_events >= max_events:
                self._over_budget()
        if not cut and not self.ended and self.halted_for is None and until > env.now:
            env.run(until=until)  # nothing is due before `until`: move the clock there
            # SimPy >= 4.1.2 puts the spent stop event back in the queue, at the head, with the
            # priority -1 that only it has; take it out now (it has no callbacks), or the next
            # advance would count it as a step, and a command's recorded step would depend on how
            # the caller sliced the clock. It is found by that priority, not by its time: SimPy
            # schedules it at now + (until - now), which can miss `until` by one rounding.
            if queue and queue[0][1] < 0:
                env.step()
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
            if self.state.dirty:
                self._propagate()
            if self.steps >= self.budget[0] or self.n_events >= self.budget[1]:
                self._over_budget()
        return self.events[first:]

    def step(self) -> list[Event]:
        """Advance to the next moment at which something is scheduled."""
        nt = self.next_time()
        if nt is None:
            return []
        return self.advance(nt)

    def run_to_end(self) -> list[Event]:
        """Advance to the time limit (or the end)."""
        return self.advance(self.scn.limit)

    def _tick(self) -> None:
        # Conditions that read `t` are re-checked every simulated minute.
        self.later(1.0, self._tick)
        self.v["t"] = self.env.now
        self.state.touch("t")

    # ------------------------------------------------------------------ the event log and state
    def emit(self, kind: str, ref: str, audience: tuple[str, ...], data: dict[str, Any]) -> Event:
        """Append an event to the log, now."""
        ev = _new_event(Event)  # Event(self.n_events, now, kind, ref, audience, data), quicker
        _EV_SEQ(ev, self.n_events)
        _EV_T(ev, self.env._now)
        _EV_KIND(ev, kind)
        _EV_REF(ev, ref)
        _EV_AUD(ev, audience)
        _EV_DATA(ev, data)
        self.n_events += 1
        if self.record:
            self.events.append(ev)
        return ev

    def warn(self, where: str, key: str, text: dict[str, str]) -> None:
        """Tell the instructor (once per place and kind) that a run-time value had to be corrected.

        One found while the run is set up (a metric's first reading) is told just after `start`,
        so that the event stream always begins with it.
        """
        if self._early is not None:
            self._early.append((where, key, text))
            return
        if (where, key) in self._warned:
            return
        self._warned.add((where, key))
        self.emit("warning", where, ("instructor",), {"key": key, "text": text})

    def draw(self, dist: Dist, kind: str, key: str) -> float:
        """One draw of `dist` from the stream (kind, key), with parameter repairs journaled."""
        if dist.kind == "fixed":  # nothing random: its stream would never be read
            return draw(dist, None, self.v, self.warn)
        src = self.streams.source(kind, key)
        if not dist._plain:  # type: ignore[attr-defined]  # numpy's algorithms: its generator itself
            return draw(dist, src._gen or src.numpy(), self.v, self.warn)
        return draw(dist, src, self.v, self.warn)

    def set_quantity(self, qid: str, value: float, cause: str) -> None:
        """Set a state quantity (clamped to its bounds), journaling the change.

        An integer quantity keeps its exact value apart (`State.exact`) and shows it rounded
        half to even, so fractional amounts carry over instead of being lost or doubled.
        """
        q = self._quantities[qid]
        lo, hi = q.lo, q.hi
        if not (-RUN_MAX <= value <= RUN_MAX and (lo is None or value >= lo)
                and (hi is None or value <= hi)):  # in range (and not NaN): clamp leaves it as it is
            value, bad = self.state.clamp(qid, value)
            if bad:
                self.warn(cause, f"value:{qid}", {
                    "es": f"{cause}: {qid} recibió un valor no finito; se usó {value:g}",
                    "en": f"{cause}: {qid} was given a non-finite value; {value:g} was used",
                })
        if q.integer:
            self._exact[qid] = value
            value = float(round(value))
        v = self.v
        old = v[qid]
        if value == old:
            return
        self.state.set(qid, value)
        self.history[qid].append((self.env._now, value))
        if self.record:
            aud = ("instructor",) if qid in self.knowledge.hidden else q.audience  # unrevealed: the truth is the instructor's
            self.emit("state", qid, aud, {"value": value, "delta": value - old, "cause": cause})
        else:
            self.n_events += 1  # counted as if recorded (budgets, sequence numbers)
        deps = self.knowledge.dependents.get(qid)
        if deps is not None:  # computed quantities that read it: up to date before anything looks
            self.knowledge.follow(deps)

    def add_quantity(self, qid: str, delta: float, cause: str) -> None:
        """Add to a state quantity (see `set_quantity`); integers add to their exact value."""
        base = self._exact.get(qid)
        self.set_quantity(qid, (self.v[qid] if base is None else base) + delta, cause)

    def _propagate(self) -> None:
        try:
            self.state.propagate(self)
        except LoopError:
            # Conditions keep re-triggering each other: stop this round, say so, run on.
            self.state.dirty = 0
            self.warn("conditions", "loop", {
                "es": "hay condiciones que se disparan unas a otras sin fin (un ciclo en los efectos del "
                      "escenario): se detuvo la ronda",
                "en": "conditions keep re-triggering each other (a loop in the scenario's effects): the round "
                      "was stopped",
            })

    def _over_budget(self) -> None:
        self.finish("budget", {"message": {
            "es": f"el ejercicio superó su presupuesto ({self.budget[0]:,} pasos o {self.budget[1]:,} eventos): "
                  "revise las tasas que crecen sin límite",
            "en": f"the run passed its budget ({self.budget[0]:,} steps or {self.budget[1]:,} events): look for "
                  "rates that grow without bound",
        }})

    def _ending(self, w: Watcher, e: Ending) -> None:
        if w.expr.fn(self.v):
            self.finish(e.reason, {"message": e.message} if e.message else {})

    def apply(self, effects: tuple[Effect, ...], cause: str) -> None:
        """Apply effects in order (the public door for scenario-defined effects)."""
        apply(self, effects, cause)

    def finish(self, reason: str, data: dict[str, Any]) -> None:
        """End the run now with `reason` (once)."""
        if self.ended:
            return
        self.ended = True
        self.end_reason = reason
        self.end_message = data.get("message")
        self.end_time = self.env.now
        self._propagate()  # metrics settle on what this very step changed (nothing else runs now)
        self.metrics.finish(self.env.now)
        self._last_end = self.emit("end", reason, ("all",), data)

    def end(self, reason: str = "instructor") -> Event:
        """End the exercise now (instructor)."""
        if self.ended:
            raise CommandRejected("the exercise has already ended")
        self.finish(reason, {"by": "instructor"})
        assert self._last_end is not None
        return self._last_end

    def _settle(self) -> None:
        # A command may schedule work at the current minute; finish it before returning, so
        # that the state between commands never depends on when the caller next advances.
        self._propagate()
        self.advance(self.env.now)

    # ------------------------------------------------------------------ commands
    def fire_inject(self, inject_id: str, *, by: str = "instructor") -> Event:
        """Deliver an inject now (the instructor's manual inject)."""
        if self.ended:
            raise CommandRejected("the exercise has ended")
        inj = self.scn.injects.get(inject_id)
        if inj is None:
            raise CommandRejected(f"no inject called {inject_id!r}")
        ev = self.injects.deliver(inj, "manual", by=by)
        self._settle()
        return ev

    def decide(self, point: str, option: str, *, by: str = "team", force: int | None = None,
               cause: str = "team") -> Event:
        """Answer an open decision point now (`by` is the actor, `cause` one of CAUSES).

        Raises CommandRejected if it cannot be answered.
        """
        if cause not in CAUSES:
            raise CommandRejected(f"unknown cause {cause!r}", field="cause")
        dp = self.check_decision(point, option, force)
        ev = self.points.apply(dp, option, by, force, cause=cause)
        self._settle()
        return ev

    def check_decision(self, point: str, option: str, force: int | None = None) -> DecisionPoint:
        """The decision point, if `option` can be taken there now; else CommandRejected saying why."""
        return self.points.check(point, option, force)

    def offered_options(self, point: str) -> tuple[str, ...]:
        """The options an open point offers now, in file order (see `offered_while`)."""
        return self.points.offers(point)

    def open_decisions(self) -> list[str]:
        """Points opened and not yet decided."""
        return [k for k, st in self.decisions.items() if st.decided_at is None]

    def order_check(self, order_id: str, role: str | None = None,
                    params: dict[str, Any] | None = None) -> OrderStatus:
        """Whether an order can be given now, and why not, as `role` may know it (None: all).

        With `params` ({"count": n, "site": id}, the rest taking their defaults): given exactly
        so; without: given in some form (the fewest units its count allows).
        """
        o = self.scn.orders.get(order_id)
        if o is None:
            raise CommandRejected(f"no order called {order_id!r}", field="order")
        chosen = None if params is None else resolve_params(o, params)
        return self.orders.status(order_id, chosen).seen_by(self, role)

    def order(self, order_id: str, *, by: str = "team", cause: str = "team",
              params: dict[str, Any] | None = None) -> Event:
        """Give an order now (`by` is the actor, `cause` one of CAUSES, `params` its parameters).

        Raises CommandRejected (with the reason) if it cannot be given.
        """
        if cause not in CAUSES:
            raise CommandRejected(f"unknown cause {cause!r}", field="cause")
        self.orders.check(order_id, params)
        ev = self.orders.give(order_id, by, cause, params)
        self._settle()
        return ev

    def check_order(self, order_id: str, params: dict[str, Any] | None = None) -> None:
        """Raise CommandRejected, saying why, unless the order can be given now (with `params`)."""
        self.orders.check(order_id, params)

    # ------------------------------------------------------------------ results
    def metric_values(self) -> dict[str, float | None]:
        """Every metric's value now (final once the run has ended)."""
        return self.metrics.values(self.end_time if self.end_time is not None else self.env.now)

    def objective_ratings(self, metrics: dict[str, float | None] | None = None) -> list[ObjectiveRating]:
        """Each objective's HSEEP rating (from `metrics`, or the values now)."""
        return self.metrics.ratings(self.metric_values() if metrics is None else metrics)

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
        view = self.knowledge.view
        qs = [view(q, role) for q in s.state.values() if s.visible(q.audience, role)]
        units = tuple(UnitView(u.id, u.resource, u.status, u.task, u.eta, u.since, self._location(u))
                      for u in self.units.values() if s.visible(s.resources[u.resource].audience, role))
        open_ = tuple(OpenDecision(k, st.opened_at, st.deadline_at, self.points.offers(k))
                      for k, st in self.decisions.items()
                      if st.decided_at is None and s.visible(s.decisions[k].audience, role))
        decided = tuple((k, st.option or "", st.decided_at or 0.0, st.cause or "") for k, st in self.decisions.items()
                        if st.decided_at is not None and s.visible(s.decisions[k].audience, role))
        orders = []
        for o in s.orders.values():
            if s.visible(o.audience, role):
                st = self.order_check(o.id, role)
                orders.append(OrderView(o.id, st.ok, "" if st.ok else st.reason(o), st))
        return Snapshot(now, role, tuple(qs), units, open_, decided, tuple(orders), self.halted_for,
                        self.ended, self.end_reason)

    def _location(self, u: Unit) -> dict[str, str] | None:
        if u.status in ("en_route", "on_scene") and u.task is not None:
            return u.site or self.scn.tasks[u.task].site
        return self.scn.resources[u.resource].base

    def visible_events(self, role: str | None, since: int = 0) -> list[Event]:
        """Events from sequence number `since` that `role` may see (None: all)."""
        evs = self.events[since:]
        if role is None:
            return list(evs)
        vis = self.scn.visible
        return [e for e in evs if vis(e.audience, role)]
