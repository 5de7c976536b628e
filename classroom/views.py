"""What each client may know of the scenario, and the class overview, computed on the host.

A team's client never receives the scenario file: it receives a *catalog*, the labels of
what its role may see (quantities, units, tasks, its decision points with their options,
its orders, the briefing), and each inject's text only when that inject reaches the team.
`scenario_from_catalog` rebuilds from it a `simulator.Scenario` with nothing else in it
(no processes, no expressions, no MSEL; of the objectives only their labels and capabilities,
which the briefing shows, never their metrics or thresholds), so the same room screens render a
remote session as they render a local one.
"""

from __future__ import annotations

from typing import Any

from simulator import Event, Scenario, Simulation
from simulator.metrics import Objective
from simulator.orders import CountParam, OrderParams
from simulator.scenario import DecisionPoint, Inject, Option, Order, Quantity, Resource, Task
from simulator.units import Site

Text = dict[str, str]


def catalog(scenario: Scenario, role: str | None) -> dict[str, Any]:
    """The labels `role` may see (None: the instructor's, everything but model internals)."""
    vis = scenario.visible
    return {
        "id": scenario.id, "version": scenario.version, "title": scenario.title, "summary": scenario.summary,
        "briefing": scenario.briefing, "kind": scenario.kind, "roles": scenario.roles, "start": scenario.start,
        "limit": scenario.limit, "speed": scenario.speed, "sha256": scenario.sha256,
        "state": {q.id: {"label": q.label, "initial": q.initial, "lo": q.lo, "hi": q.hi, "integer": q.integer,
                         "audience": list(q.audience), "report_delay": q.report_delay}
                  for q in scenario.state.values() if vis(q.audience, role)},
        "resources": {r.id: {"label": r.label, "count": r.count, "standby": r.standby,
                             "audience": list(r.audience), "base": r.base}
                      for r in scenario.resources.values() if vis(r.audience, role)},
        "tasks": {k.id: {"label": k.label, "resource": k.resource, "units": k.units, "site": k.site,
                         **({"needs": [list(n) for n in k.needs]} if k.needs else {})}
                  for k in scenario.tasks.values()},
        "decisions": {d.id: {"title": d.title, "prompt": d.prompt, "audience": list(d.audience),
                             "deadline": d.deadline, "default": d.default, "pause": d.pause,
                             "required": list(d.required), "force": d.force, "max_force": d.max_force,
                             "options": {o.id: {"label": o.label, "detail": o.detail} for o in d.options.values()}}
                      for d in scenario.decisions.values() if vis(d.audience, role)},
        "orders": {o.id: {"label": o.label, "detail": o.detail, "audience": list(o.audience), "task": o.task,
                          "limit": o.limit, "irreversible": bool(getattr(o, "irreversible", False)),
                          **({"params": params_entry(o.params)} if o.params is not None else {})}
                   for o in scenario.orders.values() if vis(o.audience, role)},
        "injects": {i.id: inject_entry(i) for i in scenario.injects.values()} if role is None else {},
        # What the team will be rated on, as its briefing says: labels only (no metric, no thresholds).
        "objectives": [[o.id, o.label, o.capability] for o in scenario.objectives.values()],
    }


def params_entry(pp: OrderParams) -> dict[str, Any]:
    """What a client needs to ask an order's parameters: the count's kind and bounds, the sites' labels."""
    out: dict[str, Any] = {}
    if pp.count is not None:
        out["count"] = {"resource": pp.count.resource, "min": pp.count.lo, "max": pp.count.hi,
                        "default": pp.count.default}
    if pp.sites:
        out["site"] = {"default": pp.site_default, "options": [[x.id, x.label] for x in pp.sites]}
    return out


def _params(d: dict[str, Any] | None) -> OrderParams | None:
    if d is None:
        return None
    c = d.get("count")
    count = CountParam(str(c["resource"]), int(c["min"]), int(c["max"]), int(c["default"])) if c else None
    site = d.get("site") or {}
    return OrderParams(count, tuple(Site(str(k), label) for k, label in site.get("options", [])), site.get("default"))


def inject_entry(inj: Inject) -> dict[str, Any]:
    """What a client needs to show one inject that reached it."""
    return {"channel": inj.channel, "sender": inj.sender, "audience": list(inj.audience), "text": inj.text,
            "fields": list(inj.fields), "manual": inj.manual}


def event_json(scenario: Scenario, ev: Event) -> dict[str, Any]:
    """An event as sent to a client: an inject carries its own text (and only its own)."""
    rec = ev.record()
    if ev.kind == "inject" and ev.ref in scenario.injects:
        rec["inject"] = inject_entry(scenario.injects[ev.ref])
    return rec


def _inject(iid: str, d: dict[str, Any]) -> Inject:
    return Inject(id=iid, at=None, when=None, delay=None, manual=bool(d.get("manual", False)),
                  channel=str(d["channel"]), sender=d.get("sender"), audience=tuple(d["audience"]), text=d["text"],
                  effects=(), expect=None, fields=tuple(d.get("fields", ())))


def learn_inject(scenario: Scenario, rec: dict[str, Any]) -> None:
    """Add the inject an event record carries to a client's scenario (so its feed line has a text)."""
    entry = rec.get("inject")
    if isinstance(entry, dict) and rec.get("ref") not in scenario.injects:
        scenario.injects[str(rec["ref"])] = _inject(str(rec["ref"]), entry)


def scenario_from_catalog(c: dict[str, Any]) -> Scenario:
    """A `Scenario` holding only a catalog's labels (for rendering; it cannot be simulated)."""
    state = {k: Quantity(id=k, label=v["label"], initial=float(v["initial"]), lo=v["lo"], hi=v["hi"],
                         integer=bool(v["integer"]), audience=tuple(v["audience"]),
                         report_delay=float(v["report_delay"]), chart=False) for k, v in c["state"].items()}
    resources = {k: Resource(id=k, label=v["label"], count=int(v["count"]), standby=int(v["standby"]), mobilise=None,
                             travel=None, audience=tuple(v["audience"]), base=v.get("base"))  # type: ignore[arg-type]
                 for k, v in c["resources"].items()}
    tasks = {k: Task(id=k, label=v["label"], resource=v["resource"], units=int(v["units"]), travel=None, work=None,
                     until=None, on_arrival=(), on_complete=(), site=v.get("site"),
                     needs=tuple((str(r), int(n)) for r, n in v.get("needs", ()))) for k, v in c["tasks"].items()}
    decisions = {k: DecisionPoint(id=k, title=v["title"], prompt=v["prompt"], audience=tuple(v["audience"]), at=None,
                                  when=None, deadline=v["deadline"], default=v["default"], pause=bool(v["pause"]),
                                  expected=(), required=tuple(v["required"]), force=bool(v["force"]),
                                  max_force=v["max_force"],
                                  options={o: Option(id=o, label=ov["label"], detail=ov.get("detail"), effects=())
                                           for o, ov in v["options"].items()})
                 for k, v in c["decisions"].items()}
    orders = {k: Order(id=k, label=v["label"], detail=v.get("detail"), audience=tuple(v["audience"]),
                       task=v.get("task"), available=None, limit=v.get("limit"), effects=(),
                       irreversible=bool(v.get("irreversible", False)), params=_params(v.get("params")))
              for k, v in c["orders"].items()}
    injects = {k: _inject(k, v) for k, v in c.get("injects", {}).items()}
    objectives = {str(o[0]): Objective(str(o[0]), o[1], str(o[2]), metric="", thresholds={})
                  for o in c.get("objectives", [])}
    return Scenario(id=c["id"], version=c["version"], title=c["title"], summary=c["summary"],
                    briefing=c.get("briefing"), kind=c["kind"], incident_types=(), sources={}, roles=c["roles"],
                    start=c["start"], limit=float(c["limit"]), speed=float(c["speed"]), state=state,
                    resources=resources, tasks=tasks, processes={}, injects=injects, decisions=decisions,
                    orders=orders, metrics={}, objectives=objectives, endings=(), text="", sha256=c["sha256"], path="")


def team_summary(name: str, sim: Simulation, status: str, speed: float, running: bool,
                 clients: int) -> dict[str, Any]:
    """One overview row: clock, status, connection, open decisions and time left, last decision, key values."""
    now = sim.now
    # An ended exercise has nothing open: a point it never decided is no longer waiting for anyone.
    open_ = [] if sim.ended else [{"id": k, "left": None if st.deadline_at is None else round(st.deadline_at - now, 4)}
                                  for k, st in sim.decisions.items() if st.decided_at is None]
    decided = [(st.decided_at, k, st) for k, st in sim.decisions.items() if st.decided_at is not None]
    last = None
    if decided:
        at, point, st = max(decided, key=lambda x: x[0])
        last = {"point": point, "option": st.option, "at": round(at, 4), "cause": st.cause,
                "latency": None if st.latency is None else round(st.latency, 4)}
    quantities = [[q.id, q.value] for q in sim.snapshot(None).quantities]
    return {"team": name, "t": round(now, 4), "status": status, "speed": speed, "running": running,
            "clients": clients, "open": open_, "last_decision": last, "quantities": quantities,
            "events": len(sim.events), "end_reason": sim.end_reason}
