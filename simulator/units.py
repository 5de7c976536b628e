"""Units and tasks: resources and their units, tasks that send units out, and the run-time
fleet that mobilises, dispatches, recalls and returns them.

A resource's ready units wait at base. A task run takes the units it needs from there, of
one kind or of several (`needs`, format 2), all at the same instant or none (waiting in line
when too few are free), sends them to the site, keeps them while it works, and sends them back.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import simpy

from .distributions import Dist
from .effects import Effect, apply
from .expr import Expr
from .state import sees_all_of
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
    """Work that takes units to a site, for a duration or until a condition.

    `resource` and `units` are its first (or only) kind and how many; `needs` lists every
    kind with its count, in the author's order (empty on a task built without it: then
    `(resource, units)` alone).
    """

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
    needs: tuple[tuple[str, int], ...] = ()

    @property
    def kinds(self) -> tuple[tuple[str, int], ...]:
        """Every (resource, count) a run of this task takes, in order."""
        return self.needs or ((self.resource, self.units),)


@dataclass(frozen=True)
class Site:
    """A place an order may send a task's units (format 2 order parameter): label, own travel, effects."""

    id: str
    label: Text
    travel: Dist | None = None
    on_arrival: tuple[Effect, ...] = ()


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
        needs = _parse_needs(b, p, t)
        if not needs:
            continue
        if "work" in t and "until" in t:
            b.err(p, "give either 'work' (a duration) or 'until' (a condition), not both")
        out[k] = Task(k, t["label"], needs[0][0], needs[0][1], b.dist(p + ("travel",), t.get("travel")),
                      b.dist(p + ("work",), t.get("work")), b.opt_expr(p, t, "until"),
                      b.effects(p + ("on_arrival",), t.get("on_arrival"), f"task.{k}.on_arrival"),
                      b.effects(p + ("on_complete",), t.get("on_complete"), f"task.{k}.on_complete"),
                      t.get("site"), needs if "needs" in t else ())
    return out


def _parse_needs(b: Builder, p: tuple, t: dict[str, Any]) -> tuple[tuple[str, int], ...]:
    """A task's kinds of unit and counts: `resource` + `units`, or (format 2) `needs: {R: n, ...}`."""
    resources = b.d.get("resources") or {}
    if "needs" in t:
        if "resource" in t or "units" in t:
            b.err(p + ("needs",), "give either 'needs' (several kinds of unit) or 'resource' with 'units', "
                  "not both", key=True)
            return ()
        if not b.needs_format(p + ("needs",), "a task that needs units of several kinds (`needs`)"):
            return ()
        out = []
        for r, n in t["needs"].items():
            b.ref(p + ("needs", r), "resources", r)
            if r in resources and n > resources[r]["count"]:
                b.err(p + ("needs", r), f"needs {n} units but {r} has only {resources[r]['count']}")
            out.append((r, int(n)))
        return tuple(out)
    if "resource" not in t:
        b.err(p, "a task needs 'resource' (one kind of unit, with 'units') or 'needs' (several kinds, "
              "format 2)")
        return ()
    b.ref(p + ("resource",), "resources", t["resource"])
    units = int(t.get("units", 1))
    res = resources.get(t["resource"])
    if res and units > res["count"]:
        b.err(p + ("units",), f"needs {units} units but {t['resource']} has only {res['count']}")
    return ((t["resource"], units),)


def task_audience(scn: Scenario, task: Task) -> tuple[str, ...]:
    """Who may see a task's events: whoever may see every kind of unit it takes."""
    kinds = task.kinds
    first = scn.resources[kinds[0][0]].audience
    if all(scn.resources[r].audience == first for r, _ in kinds[1:]):
        return first
    auds = [scn.resources[r].audience for r, _ in kinds]
    if any("instructor" in a for a in auds):
        return ("instructor",)
    roles = [r for r in scn.roles if all("all" in a or r in a for a in auds)]
    return tuple(roles) or ("instructor",)


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
    site: Text | None = None  # where its run sent it, when an order chose the site


@dataclass(slots=True)
class TaskRun:
    """One dispatch of a task: its number, cause, the units it holds and how it stands."""

    task: Task
    n: int
    by: str
    needs: tuple[tuple[str, int], ...] = ()  # what this run takes (the task's, or as an order's count set it)
    site: Site | None = None  # where an order sent it (else the task's own site)
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
        # Per scenario, computed once (the template every run of it copies).
        audience = scn.cache.get("task_audience")
        if audience is None:
            audience = scn.cache["task_audience"] = {t.id: task_audience(scn, t) for t in scn.tasks.values()}
        self._audience: dict[str, tuple[str, ...]] = audience
        # Does any run take units of several kinds? Only then do lines wait on one another.
        self._multi = any(len(t.kinds) > 1 for t in scn.tasks.values())
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

    def short(self, needs: tuple[tuple[str, int], ...]) -> list[tuple[str, int, int]]:
        """(resource, free, need) for each kind of `needs` with too few units ready now, in order."""
        return [(r, len(self.ready[r]), n) for r, n in needs if len(self.ready[r]) < n]

    def task_audience(self, task_id: str) -> tuple[str, ...]:
        """Who may see the runs of task `task_id` (and their events)."""
        return self._audience[task_id]

    def ahead(self, needs: tuple[tuple[str, int], ...]) -> TaskRun | None:
        """The run a new run of `needs` would wait behind (first come, first served), if any is waiting."""
        waiting = self.waiting
        return next((waiting[r][0] for r, _ in needs if waiting[r]), None)

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
        u.site = None
        self._unit(u, "ready", None)
        self.ready[u.resource].append(u)
        self._serve(u.resource)

    def _serve(self, resource: str) -> None:
        """Give waiting runs their units, first come first served, while enough are free.

        A run waits in the line of every kind it needs, and is served only at the head of all
        of them, with enough of each free: it takes them all in this instant. Every line keeps
        the order in which runs arrived, so no two runs can each wait behind the other.
        """
        ready, queue = self.ready[resource], self.waiting[resource]
        if not self._multi:  # every task takes one kind: the line of this resource alone
            while queue and len(ready) >= queue[0].needs[0][1]:
                run = queue.pop(0)
                n = run.needs[0][1]
                run.units = ready[:n]
                del ready[:n]
                assert run.grant is not None
                run.grant.succeed()
            return
        lines = [resource]
        while lines:
            r = lines.pop(0)
            queue = self.waiting[r]
            while queue:
                run = queue[0]
                if any(self.waiting[q][0] is not run or len(self.ready[q]) < n for q, n in run.needs):
                    break
                units: list[Unit] = []
                for q, n in run.needs:
                    self.waiting[q].pop(0)
                    units += self.ready[q][:n]
                    del self.ready[q][:n]
                    if q != r and q not in lines:
                        lines.append(q)  # a run behind it there may now be at the head of all its lines
                run.units = units
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

    def dispatch(self, task: Task, cause: str, *, count: tuple[str, int] | None = None,
                 site: Site | None = None) -> None:
        """Start a new run of `task`; an order may set how many units of one kind (`count`) and the site."""
        n = self._counter.get(task.id, 0) + 1
        self._counter[task.id] = n
        needs = task.kinds
        if count is not None:
            needs = tuple((r, count[1] if r == count[0] else k) for r, k in needs)
        run = TaskRun(task, n, cause, needs, site)
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
        aud = self._audience[task.id]
        if run.release:  # recalled before it started
            self._finish(run, False)
            return
        needs = run.needs
        queued = any(self.waiting[r] or len(self.ready[r]) < n for r, n in needs)
        data: dict[str, Any] = {"phase": "queued" if queued else "dispatched", "run": run.n, "cause": run.by}
        if run.site is not None:
            data["site"] = run.site.id
        if queued:  # waiting behind an earlier run, though units may be free: say which, if its readers may know
            ahead = self.ahead(needs)
            if ahead is not None and sees_all_of({"roles": sim.scn.roles}, aud, self._audience[ahead.task.id]):
                data["behind"] = ahead.task.id
        sim.emit("task", task.id, aud, data)
        run.grant = env.event()
        for r, _ in needs:
            self.waiting[r].append(run)
        self._serve(needs[0][0])
        if queued:
            st.set(f"{task.id}.queued", v[f"{task.id}.queued"] + 1)
        run.phase = "queued"
        try:
            yield run.grant
        except simpy.Interrupt:
            if run.units:  # granted in this very instant: give the units back
                for u in run.units:
                    self.ready[u.resource].append(u)
                run.units = []
                for r, _ in needs:
                    self._serve(r)
            else:
                for r, _ in needs:
                    self.waiting[r].remove(run)
                for r, _ in needs:  # it may have held up the next in line: serve it now
                    self._serve(r)
            if queued:
                st.set(f"{task.id}.queued", v[f"{task.id}.queued"] - 1)
            self._finish(run, False)
            return
        if queued:
            st.set(f"{task.id}.queued", v[f"{task.id}.queued"] - 1)
            data = {"phase": "dispatched", "run": run.n, "cause": run.by}
            if run.site is not None:
                data["site"] = run.site.id
            sim.emit("task", task.id, aud, data)
        arrivals = []
        site = run.site.label if run.site is not None else None
        # Travel draws are keyed by the task run and the unit's place in it, not by the unit,
        # so which unit happens to be free does not shift anyone's draws (paired what-ifs).
        for k, u in enumerate(run.units):
            dt = max(sim.draw(self._travel(run, u), "travel", f"{task.id}#{run.n}/{k}"), 0.0)
            arrivals.append((dt, u.index, u))
            run.trips[u.id] = (env.now, dt)
            u.site = site
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
        if run.site is not None and run.site.on_arrival:
            apply(sim, run.site.on_arrival, f"task.{task.id}")
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

    def _travel(self, run: TaskRun, u: Unit) -> Dist:
        """A unit's travel time on a run: the chosen site's, else the task's, else its resource's."""
        if run.site is not None and run.site.travel is not None:
            return run.site.travel
        return run.task.travel or self.sim.scn.resources[u.resource].travel

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
        sim.emit("task", task.id, self._audience[task.id],
                 {"phase": "complete" if completed else "released", "run": run.n})
        if completed:
            apply(sim, task.on_complete, f"task.{task.id}")
        now = sim.env.now
        for k, u in enumerate(run.units):
            left, dt = run.trips.get(u.id, (now, 0.0))
            # A unit still on its way turns back: it needs as long as it has travelled so far.
            back = now - left if u.status == "en_route" and now < left + dt else None
            sim.env.process(self._return(u, self._travel(run, u), f"{task.id}#{run.n}/{k}", back))

    def _return(self, u: Unit, travel: Dist, key: str, back: float | None = None) -> Generator[Any, Any, None]:
        sim = self.sim
        dt = max(sim.draw(travel, "return", key), 0.0) if back is None else back
        self._unit(u, "returning", None, sim.env.now + dt)
        yield sim.env.timeout(dt)
        self._back_at_base(u)
