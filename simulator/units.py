"""Units and tasks: resources and their units, tasks that send units out, and the run-time
fleet that mobilises, dispatches, recalls and returns them.

A resource's ready units wait in a SimPy store at base. A task run takes the units it
needs from there (waiting in the queue when too few are free), sends them to the site,
keeps them while it works, and sends them back.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import simpy

from .distributions import Dist
from .effects import Effect, apply
from .expr import Expr
from .text import Text

if TYPE_CHECKING:
    from .loading import Builder
    from .model import Simulation
    from .scenario import Scenario
    from .state import Watcher

UNIT_STATUSES = ("standby", "mobilising", "ready", "en_route", "on_scene", "returning")


@dataclass(frozen=True)
class Resource:
    """A type of unit (CERT squads, ambulances...): how many, on standby, times, audience."""

    id: str
    label: Text
    count: int
    standby: int
    mobilise: Dist | None
    travel: Dist
    audience: tuple[str, ...]
    base: Text | None = None


@dataclass(frozen=True)
class Task:
    """Work that takes units of one resource to a site, for a duration or until a condition."""

    id: str
    label: Text
    resource: str
    units: int
    travel: Dist | None
    work: Dist | None
    until: Expr | None
    on_arrival: tuple[Effect, ...]
    on_complete: tuple[Effect, ...]
    site: Text | None = None


def parse_resources(b: Builder) -> dict[str, Resource]:
    """The scenario's `resources` section, checked."""
    out = {}
    for k, r in (b.d.get("resources") or {}).items():
        p = ("resources", k)
        standby = int(r.get("standby", 0))
        if standby > r["count"]:
            b.err(p + ("standby",), f"standby {standby} is more than count {r['count']}")
        if standby and "mobilise" not in r:
            b.err(p, "units on standby need a 'mobilise' time")
        if "source" in r:
            b.source_ref(p + ("source",), r["source"])
        out[k] = Resource(k, r["label"], int(r["count"]), standby, b.dist(p + ("mobilise",), r.get("mobilise")),
                          b.dist(p + ("travel",), r["travel"]), b.audience(p + ("audience",), r.get("audience")),
                          r.get("base"))
    return out


def parse_tasks(b: Builder) -> dict[str, Task]:
    """The scenario's `tasks` section, checked."""
    d = b.d
    out = {}
    for k, t in (d.get("tasks") or {}).items():
        p = ("tasks", k)
        b.ref(p + ("resource",), "resources", t["resource"])
        units = int(t.get("units", 1))
        res = (d.get("resources") or {}).get(t["resource"])
        if res and units > res["count"]:
            b.err(p + ("units",), f"needs {units} units but {t['resource']} has only {res['count']}")
        if "work" in t and "until" in t:
            b.err(p, "give either 'work' (a duration) or 'until' (a condition), not both")
        out[k] = Task(k, t["label"], t["resource"], units, b.dist(p + ("travel",), t.get("travel")),
                      b.dist(p + ("work",), t.get("work")), b.opt_expr(p, t, "until"),
                      b.effects(p + ("on_arrival",), t.get("on_arrival"), f"task.{k}.on_arrival"),
                      b.effects(p + ("on_complete",), t.get("on_complete"), f"task.{k}.on_complete"),
                      t.get("site"))
    return out


# --------------------------------------------------------------------------- run time


@dataclass(slots=True)
class Unit:
    """One unit of a resource, where it is and what it is doing."""

    id: str
    resource: str
    index: int
    status: str
    task: str | None = None
    since: float = 0.0
    eta: float | None = None


@dataclass(slots=True)
class TaskRun:
    """One dispatch of a task: its number, cause, the units it holds and how it stands."""

    task: Task
    n: int
    by: str
    units: list[Unit] = field(default_factory=list)
    on_scene: bool = False
    release: bool = False
    done: simpy.Event | None = None
    phase: str = "new"  # new | queued | travel | scene | leaving
    proc: simpy.Process | None = None
    grant: simpy.Event | None = None
    trips: dict[str, tuple[float, float]] = field(default_factory=dict)  # unit -> (left at, travel time)


class Fleet:
    """The units of one run and the task runs that use them.

    A task run takes all the units it needs at once or none (no unit is held while others
    are awaited), and runs waiting for units are served first come, first served.
    `release` recalls a run at once: waiting, it is withdrawn; en route, each unit turns
    back and needs as long to return as it had travelled; on scene, the work stops.
    """

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        scn = sim.scn
        self.units: dict[str, Unit] = {}
        self.ready: dict[str, list[Unit]] = {}
        self.waiting: dict[str, list[TaskRun]] = {}
        self.task_runs: dict[str, list[TaskRun]] = {k: [] for k in scn.tasks}
        self._counter: dict[str, int] = {}
        self._names: dict[str, dict[str, str]] = {}  # resource -> status -> its name in the table
        for r in scn.resources.values():
            self.ready[r.id] = []
            self.waiting[r.id] = []
            for i in range(r.count):
                u = Unit(f"{r.id}_{i + 1}", r.id, i, "standby" if i >= r.count - r.standby else "ready")
                self.units[u.id] = u
                if u.status == "ready":
                    self.ready[r.id].append(u)

    @staticmethod
    def init_names(scn: Scenario, v: dict[str, float]) -> None:
        """The names resources and tasks derive, at their values at T0."""
        for r in scn.resources.values():
            for st in UNIT_STATUSES:
                v[f"{r.id}.{st}"] = 0.0
            v[f"{r.id}.busy"] = 0.0
            v[f"{r.id}.total"] = float(r.count)
            v[f"{r.id}.standby"] += r.standby
            v[f"{r.id}.ready"] += r.count - r.standby
        for t in scn.tasks:
            for st in ("active", "on_scene", "done", "queued"):
                v[f"{t}.{st}"] = 0.0

    def watch(self) -> None:
        """Register the `until` conditions of tasks (in the run's fixed watcher order)."""
        for t in self.sim.scn.tasks.values():
            if t.until is not None:
                self.sim.state.add_watcher(t.until, lambda w, tid=t.id: self._until(w, tid))

    def free(self, resource: str) -> int:
        """Units of `resource` ready at base now."""
        return len(self.ready[resource])

    def _until(self, w: Watcher, task_id: str) -> None:
        if not w.expr.fn(self.sim.v):
            return
        for run in self.task_runs[task_id]:
            if run.on_scene and run.done is not None and not run.done.triggered:
                run.done.succeed()

    def _unit(self, u: Unit, status: str, task: str | None, eta: float | None = None) -> None:
        sim = self.sim
        r = u.resource
        v = sim.v
        if status != u.status:
            names = self._names.get(r)
            if names is None:
                names = self._names[r] = {s: f"{r}.{s}" for s in (*UNIT_STATUSES, "busy")}
            st = sim.state
            was, now = names[u.status], names[status]
            st.set(was, v[was] - 1)
            st.set(now, v[now] + 1)
            st.set(names["busy"], v[names["en_route"]] + v[names["on_scene"]] + v[names["returning"]])
        u.status, u.task, u.since, u.eta = status, task, sim.env._now, eta
        if not sim.record:
            sim.n_events += 1  # counted as if recorded, so budgets and sequence numbers agree
            return
        aud = sim.scn.resources[r].audience
        data: dict[str, Any] = {"status": status, "task": task}
        if eta is not None:
            data["eta"] = round(eta, 6)
        sim.emit("unit", u.id, aud, data)

    def _back_at_base(self, u: Unit) -> None:
        self._unit(u, "ready", None)
        self.ready[u.resource].append(u)
        self._serve(u.resource)

    def _serve(self, resource: str) -> None:
        """Give waiting runs their units, first come first served, while enough are free."""
        ready, queue = self.ready[resource], self.waiting[resource]
        while queue and len(ready) >= queue[0].task.units:
            run = queue.pop(0)
            n = run.task.units
            run.units = ready[:n]
            del ready[:n]
            assert run.grant is not None
            run.grant.succeed()

    def mobilise(self, resource: str, count: int) -> None:
        """Call `count` standby units of `resource` (0: all of them) to base."""
        sim = self.sim
        res = sim.scn.resources[resource]
        standby = [u for u in self.units.values() if u.resource == resource and u.status == "standby"]
        for u in standby[: count or len(standby)]:
            assert res.mobilise is not None
            dt = max(sim.draw(res.mobilise, "mobilise", u.id), 0.0)
            self._unit(u, "mobilising", None, sim.env.now + dt)
            sim.later(dt, lambda u=u: self._back_at_base(u))

    def dispatch(self, task: Task, cause: str) -> None:
        """Start a new run of `task`."""
        n = self._counter.get(task.id, 0) + 1
        self._counter[task.id] = n
        run = TaskRun(task, n, cause)
        self.task_runs[task.id].append(run)
        sim = self.sim
        sim.state.set(f"{task.id}.active", sim.v[f"{task.id}.active"] + 1)
        run.proc = sim.env.process(self._task(run))

    def release(self, task_id: str) -> None:
        """Recall every run of a task now (see the class docstring)."""
        active = self.sim.env.active_process
        for run in self.task_runs[task_id]:
            if run.release or run.phase == "leaving":
                continue
            run.release = True
            if run.done is not None and not run.done.triggered:
                run.done.succeed()
            elif run.phase in ("queued", "travel", "scene") and run.proc is not None and run.proc is not active \
                    and run.proc.is_alive:
                run.proc.interrupt("release")

    def _task(self, run: TaskRun) -> Generator[Any, Any, None]:
        sim = self.sim
        st = sim.state
        v = sim.v
        task = run.task
        env = sim.env
        aud = sim.scn.resources[task.resource].audience
        if run.release:  # recalled before it started
            self._finish(run, False)
            return
        queue = self.waiting[task.resource]
        queued = bool(queue) or len(self.ready[task.resource]) < task.units
        sim.emit("task", task.id, aud, {"phase": "queued" if queued else "dispatched", "run": run.n,
                                        "cause": run.by})
        run.grant = env.event()
        queue.append(run)
        self._serve(task.resource)
        if queued:
            st.set(f"{task.id}.queued", v[f"{task.id}.queued"] + 1)
        run.phase = "queued"
        try:
            yield run.grant
        except simpy.Interrupt:
            if run in queue:
                queue.remove(run)
            else:  # granted in this very instant: give the units back
                for u in run.units:
                    self.ready[task.resource].append(u)
                run.units = []
                self._serve(task.resource)
            if queued:
                st.set(f"{task.id}.queued", v[f"{task.id}.queued"] - 1)
            self._finish(run, False)
            return
        if queued:
            st.set(f"{task.id}.queued", v[f"{task.id}.queued"] - 1)
            sim.emit("task", task.id, aud, {"phase": "dispatched", "run": run.n, "cause": run.by})
        travel = task.travel or sim.scn.resources[task.resource].travel
        arrivals = []
        # Travel draws are keyed by the task run and the unit's place in it, not by the unit,
        # so which unit happens to be free does not shift anyone's draws (paired what-ifs).
        for k, u in enumerate(run.units):
            dt = max(sim.draw(travel, "travel", f"{task.id}#{run.n}/{k}"), 0.0)
            arrivals.append((dt, u.index, u))
            run.trips[u.id] = (env.now, dt)
            self._unit(u, "en_route", task.id, env.now + dt)
        arrivals.sort(key=lambda a: (a[0], a[1]))
        start = env.now
        run.phase = "travel"
        try:
            for dt, _, u in arrivals:
                wait = start + dt - env.now
                if wait > 0:
                    yield env.timeout(wait)
                self._unit(u, "on_scene", task.id)
        except simpy.Interrupt:
            self._finish(run, False)
            return
        run.on_scene = True
        run.phase = "scene"
        st.set(f"{task.id}.on_scene", v[f"{task.id}.on_scene"] + 1)
        sim.emit("task", task.id, aud, {"phase": "on_scene", "run": run.n})
        apply(sim, task.on_arrival, f"task.{task.id}")
        completed = False
        if not run.release and not sim.ended:
            try:
                if task.work is not None:
                    yield env.timeout(max(sim.draw(task.work, "work", f"{task.id}#{run.n}"), 0.0))
                else:
                    run.done = env.event()
                    if task.until is not None and task.until(v):
                        run.done.succeed()
                    yield run.done
                completed = not run.release
            except simpy.Interrupt:
                completed = False
        self._finish(run, completed)

    def _finish(self, run: TaskRun, completed: bool) -> None:
        """The run ends (done or recalled): counts, its event, effects, and the units go home."""
        sim = self.sim
        st = sim.state
        v = sim.v
        task = run.task
        run.phase = "leaving"
        if run.on_scene:
            run.on_scene = False
            st.set(f"{task.id}.on_scene", v[f"{task.id}.on_scene"] - 1)
        st.set(f"{task.id}.active", v[f"{task.id}.active"] - 1)
        if completed:
            st.set(f"{task.id}.done", v[f"{task.id}.done"] + 1)
        aud = sim.scn.resources[task.resource].audience
        sim.emit("task", task.id, aud, {"phase": "complete" if completed else "released", "run": run.n})
        if completed:
            apply(sim, task.on_complete, f"task.{task.id}")
        travel = task.travel or sim.scn.resources[task.resource].travel
        now = sim.env.now
        for k, u in enumerate(run.units):
            left, dt = run.trips.get(u.id, (now, 0.0))
            # A unit still on its way turns back: it needs as long as it has travelled so far.
            back = now - left if u.status == "en_route" and now < left + dt else None
            sim.env.process(self._return(u, travel, f"{task.id}#{run.n}/{k}", back))

    def _return(self, u: Unit, travel: Dist, key: str, back: float | None = None) -> Generator[Any, Any, None]:
        sim = self.sim
        dt = max(sim.draw(travel, "return", key), 0.0) if back is None else back
        self._unit(u, "returning", None, sim.env.now + dt)
        yield sim.env.timeout(dt)
        self._back_at_base(u)
