"""Orders: actions a team may give at any time (dispatch, lockdown, a statement), limited by
availability, by a count and by free units.

An order may take parameters (format 2, `params`): how many units of one kind its task
sends (a whole number within the author's bounds, at most what is free) and to which of
the author's sites. `OrderStatus` says whether an order can be given now and, when not,
why, as data (`code`, and for missing units each short kind and the numbers), so each
reader words it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .effects import Effect, apply
from .errors import CommandRejected
from .expr import Expr
from .loading import suggest
from .text import Text, tr
from .units import Site

if TYPE_CHECKING:
    from .events import Event
    from .loading import Builder
    from .model import Simulation
    from .scenario import Scenario

STATUS_CODES = ("ok", "ended", "limit", "unavailable", "units", "params", "standby")
PARAM_NAMES = ("count", "site")

Params = dict[str, int | str]  # an order's parameters: {"count": 2, "site": "yard"}


@dataclass(frozen=True)
class CountParam:
    """How many units of one kind an order's task takes: a whole number from `lo` to `hi`."""

    resource: str
    lo: int
    hi: int
    default: int


@dataclass(frozen=True)
class OrderParams:
    """What an order lets the team choose: a count of units, a site (either may be absent)."""

    count: CountParam | None = None
    sites: tuple[Site, ...] = ()
    site_default: str | None = None

    def site(self, site_id: str) -> Site | None:
        """The site called `site_id`, or None."""
        return next((x for x in self.sites if x.id == site_id), None)

    def defaults(self) -> Params:
        """The parameters an order takes when none are given."""
        out: Params = {}
        if self.count is not None:
            out["count"] = self.count.default
        if self.site_default is not None:
            out["site"] = self.site_default
        return out


@dataclass(frozen=True)
class Order:
    """An action a team may take: its task, availability condition, limit, effects and parameters."""

    id: str
    label: Text
    detail: Text | None
    audience: tuple[str, ...]
    task: str | None
    available: Expr | None
    limit: int | None
    effects: tuple[Effect, ...]
    irreversible: bool = False  # the room asks for a confirmation before giving it
    params: OrderParams | None = None


@dataclass(frozen=True, slots=True)
class OrderStatus:
    """Can an order be given now? `code` is one of STATUS_CODES.

    For "units": the first short kind (`resource`, `free`, `need`) and any other short kinds
    in `more` as (resource, free, need); for "params": which parameter (`param`) is not valid;
    for "standby": an order that only calls standby units of `resource`, none of which is left.
    An "ok" order whose task would wait in line behind an earlier run (units that come free go
    to that run first) names that run's task in `behind` ("" when the viewer may not see it).
    """

    code: str
    resource: str | None = None
    free: int = 0
    need: int = 0
    more: tuple[tuple[str, int, int], ...] = ()
    param: str | None = None
    behind: str | None = None

    @property
    def ok(self) -> bool:
        """True when the order can be given now."""
        return self.code == "ok"

    @property
    def shortages(self) -> tuple[tuple[str, int, int], ...]:
        """Every short kind as (resource, free, need), in the task's order."""
        if self.code != "units" or self.resource is None:
            return ()
        return ((self.resource, self.free, self.need), *self.more)

    def as_data(self) -> dict[str, Any]:
        """The status as event data: `reason` (the code) and, for units, which and how many."""
        if self.code == "units":
            data: dict[str, Any] = {"reason": "units", "resource": self.resource, "free": self.free,
                                    "need": self.need}
            if self.more:
                data["more"] = [list(m) for m in self.more]
            return data
        if self.code == "params":
            return {"reason": "params", "param": self.param}
        if self.code == "standby":
            return {"reason": "standby", "resource": self.resource}
        if self.behind is not None:
            return {"reason": self.code, "behind": self.behind}
        return {"reason": self.code}

    def seen_by(self, sim: Simulation, role: str | None) -> OrderStatus:
        """The status as `role` may know it: a shortage of units it cannot see is only 'unavailable'."""
        if self.code == "standby" and role is not None and self.resource is not None:
            seen = sim.scn.visible(sim.scn.resources[self.resource].audience, role)
            return self if seen else OrderStatus("unavailable")
        if self.behind and role is not None and not sim.scn.visible(sim.fleet.task_audience(self.behind), role):
            return OrderStatus(self.code, behind="")  # in line behind a run this role cannot see: say only that
        if self.code != "units" or role is None or self.resource is None:
            return self
        seen = [s for s in self.shortages if sim.scn.visible(sim.scn.resources[s[0]].audience, role)]
        if not seen:
            return OrderStatus("unavailable")
        if len(seen) == len(self.shortages):
            return self
        return OrderStatus("units", *seen[0], more=tuple(seen[1:]))

    def reason(self, order: Order) -> str:
        """Words (English) for why the order cannot be given."""
        if self.code == "ended":
            return "the exercise has ended"
        if self.code == "limit":
            return f"order {order.id} can be given only {order.limit} time(s)"
        if self.code == "unavailable":
            return f"order {order.id} is not available now"
        if self.code == "units":
            return f"order {order.id} needs " + "; and ".join(
                f"{need} free {res} unit(s) ({free} free now)" for res, free, need in self.shortages)
        if self.code == "standby":
            return f"order {order.id} calls standby {self.resource} units, and none is left on standby"
        if self.code == "params":
            pp = order.params
            if self.param == "count" and pp is not None and pp.count is not None:
                return f"order {order.id}: the count must be a whole number from {pp.count.lo} to {pp.count.hi}"
            if self.param == "site" and pp is not None:
                return f"order {order.id}: the site must be one of {', '.join(x.id for x in pp.sites)}"
            return f"order {order.id} takes no parameter {self.param!r}"
        return ""


OK = OrderStatus("ok")


def parse_orders(b: Builder) -> dict[str, Order]:
    """The scenario's `orders` section, checked."""
    out = {}
    for k, o in (b.d.get("orders") or {}).items():
        p = ("orders", k)
        if "task" in o:
            b.ref(p + ("task",), "tasks", o["task"])
        params = _parse_params(b, p, o) if "params" in o else None
        out[k] = Order(k, o["label"], o.get("detail"), b.audience(p + ("audience",), o.get("audience")),
                       o.get("task"), b.opt_expr(p, o, "available"), o.get("limit"),
                       b.effects(p + ("effects",), o.get("effects"), f"order.{k}"), bool(o.get("irreversible", False)),
                       params)
    return out


def _parse_params(b: Builder, p: tuple, o: dict[str, Any]) -> OrderParams | None:
    """An order's `params` (format 2): `count` of one kind of its task's units, and `site`."""
    pp = p + ("params",)
    if not b.needs_format(pp, "an order with parameters (`params`)"):
        return None
    spec = o["params"]
    task = (b.d.get("tasks") or {}).get(o.get("task") or "")
    if "task" not in o:
        b.err(pp, "parameters choose how many units the order's task takes and where it goes: give the "
              "order a 'task'")
        return None
    if task is None:
        return None  # the dangling task is reported already
    if "needs" in task:
        kinds = [(r, int(n)) for r, n in (task.get("needs") or {}).items()]
    else:
        kinds = [(task.get("resource", ""), int(task.get("units", 1)))]
    count = None
    if "count" in spec:
        c = spec["count"]
        cp = pp + ("count",)
        res = c.get("resource")
        if res is None:
            if len(kinds) > 1:
                b.err(cp, f"task {o['task']!r} takes units of several kinds ({', '.join(r for r, _ in kinds)}): "
                      "say which one the count is of with 'resource'")
                return None
            res = kinds[0][0]
        elif res not in [r for r, _ in kinds]:
            b.err(cp + ("resource",), f"task {o['task']!r} takes no {res!r} units (it takes "
                  f"{', '.join(r for r, _ in kinds)})")
            return None
        lo, hi = int(c["min"]), int(c["max"])
        have = ((b.d.get("resources") or {}).get(res) or {}).get("count", hi)
        default = int(c.get("default", dict(kinds)[res]))
        if lo > hi:
            b.err(cp, f"min {lo} is more than max {hi}")
        elif hi > have:
            b.err(cp + ("max",), f"max {hi} is more than the {have} units {res} has")
        elif not lo <= default <= hi:
            b.err(cp + ("default",) if "default" in c else cp,
                  f"the default count {default} is not from {lo} to {hi}"
                  + ("" if "default" in c else f" (it is the task's own count of {res}: give 'default')"))
        count = CountParam(res, lo, hi, default)
    sites: list[Site] = []
    site_default = None
    if "site" in spec:
        sp = pp + ("site",)
        for sid, x in spec["site"]["options"].items():
            xp = sp + ("options", sid)
            sites.append(Site(sid, x["label"], b.dist(xp + ("travel",), x.get("travel")),
                              b.effects(xp + ("on_arrival",), x.get("on_arrival"), f"order.{o.get('task')}.{sid}")))
        site_default = spec["site"].get("default", sites[0].id if sites else None)
        if site_default not in [x.id for x in sites]:
            b.err(sp + ("default",), f"no site called {site_default!r} in options"
                  + suggest(str(site_default), [x.id for x in sites]))
    return OrderParams(count, tuple(sites), site_default)


def resolve_params(order: Order, given: dict[str, Any] | None) -> Params:
    """The full parameters of an order: what was given, defaults for the rest.

    Raises CommandRejected when a parameter is unknown or of the wrong type (bounds and
    free units are the status's business: `OrderDesk.status`).
    """
    pp = order.params
    given = dict(given or {})
    if pp is None:
        if given:
            raise CommandRejected(f"order {order.id} takes no parameters (given: {', '.join(sorted(given))})",
                                  field="params")
        return {}
    out = pp.defaults()
    for name, value in given.items():
        if name not in out:
            raise CommandRejected(f"order {order.id} takes no parameter {name!r}"
                                  + (f" (it takes {', '.join(out)})" if out else ""), field="params")
        if name == "count" and (isinstance(value, bool) or not isinstance(value, int)):
            raise CommandRejected(f"order {order.id}: the count must be a whole number, not {value!r}",
                                  field="params")
        if name == "site" and not isinstance(value, str):
            raise CommandRejected(f"order {order.id}: the site must be a site id, not {value!r}", field="params")
        out[name] = value
    return out


def params_text(scn: Scenario, order: Order, params: dict[str, Any] | None) -> Text | None:
    """What an order's parameters chose, in words (es/en): '2 × CERT squad · Unidad C yard'; None without."""
    if not params or order.params is None:
        return None
    out = {}
    for lang in ("es", "en"):
        parts = []
        c = order.params.count
        if c is not None and "count" in params:
            res = scn.resources.get(c.resource)
            parts.append(f"{params['count']} × {tr(res.label, lang)}" if res else str(params["count"]))
        site = order.params.site(str(params.get("site", "")))
        if site is not None:
            parts.append(tr(site.label, lang))
        out[lang] = " · ".join(parts)
    return out if out["en"] else None


class OrderDesk:
    """The orders of one run: their status, the times they were given, and policy orders."""

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.times: dict[str, list[float]] = {k: [] for k in sim.scn.orders}
        self.team_orders: dict[str, int] = {}  # orders given by the team or its policy: count

    @staticmethod
    def init_names(scn: Scenario, v: dict[str, float]) -> None:
        """The names orders derive, at T0."""
        for o in scn.orders:
            v[f"{o}.count"] = 0.0

    def start(self) -> None:
        """Schedule the policy's timed orders."""
        sim = self.sim
        if sim.policy is not None:
            for po in sim.policy.orders:
                sim.later(po.at, lambda po=po: self._policy(po.order, getattr(po, "params", None)))

    def status(self, order_id: str, params: dict[str, Any] | None = None) -> OrderStatus:
        """Whether the order can be given now, and why not.

        With `params` (complete, see `resolve_params`): given exactly so. Without: given in
        some form, i.e. with the fewest units its count allows.
        """
        sim = self.sim
        o = sim.scn.orders[order_id]
        if sim.ended:
            return OrderStatus("ended")
        if o.limit is not None and len(self.times[order_id]) >= o.limit:
            return OrderStatus("limit")
        if o.available is not None and not o.available(sim.v):
            return OrderStatus("unavailable")
        if o.task is None and o.effects and all(e.verb == "mobilise" and e.cond is None for e in o.effects) \
                and all(sim.v[f"{e.target}.standby"] <= 0 for e in o.effects):
            # It would only call standby units, and none is left (all called already): it would do nothing.
            return OrderStatus("standby", resource=o.effects[0].target)
        if o.task is not None:
            t = sim.scn.tasks[o.task]
            needs = t.kinds
            pp = o.params
            if pp is not None and pp.count is not None:
                c = pp.count
                n = c.lo if params is None else params.get("count", c.default)
                if not isinstance(n, int) or isinstance(n, bool) or not c.lo <= n <= c.hi:
                    return OrderStatus("params", param="count")
                needs = tuple((r, n if r == c.resource else k) for r, k in needs)
            if pp is not None and params is not None and "site" in params and pp.site(str(params["site"])) is None:
                return OrderStatus("params", param="site")
            short = sim.fleet.short(needs)
            if short:
                return OrderStatus("units", *short[0], more=tuple(short[1:]))
            ahead = sim.fleet.ahead(needs)
            if ahead is not None:
                return OrderStatus("ok", behind=ahead.task.id)
        return OK

    def check(self, order_id: str, params: dict[str, Any] | None = None) -> Order:
        """The order, if it can be given now with `params` (None: its defaults); else CommandRejected saying why."""
        o = self.sim.scn.orders.get(order_id)
        if o is None:
            raise CommandRejected(f"no order called {order_id!r}", field="order")
        st = self.status(order_id, resolve_params(o, params))
        if not st.ok:
            raise CommandRejected(st.reason(o), field="params" if st.code == "params" else "order")
        return o

    def give(self, order_id: str, by: str, cause: str, params: dict[str, Any] | None = None) -> Event:
        """Give the order now: count it, record it, dispatch its task, apply its effects."""
        sim = self.sim
        o = sim.scn.orders[order_id]
        self.times[order_id].append(sim.env.now)
        if cause in ("team", "policy"):
            self.team_orders[order_id] = self.team_orders.get(order_id, 0) + 1
        sim.state.set(f"{order_id}.count", sim.v[f"{order_id}.count"] + 1)
        data: dict[str, Any] = {"by": by, "cause": cause}
        chosen = resolve_params(o, params) if o.params is not None else {}
        if chosen:
            data["params"] = chosen
        ev = sim.emit("order", order_id, o.audience, data)
        if o.task is not None:
            pp = o.params
            count = (pp.count.resource, int(chosen["count"])) if pp is not None and pp.count is not None else None
            site = pp.site(str(chosen["site"])) if pp is not None and "site" in chosen else None
            sim.fleet.dispatch(sim.scn.tasks[o.task], f"order.{order_id}", count=count, site=site)
        apply(sim, o.effects, f"order.{order_id}")
        return ev

    def _policy(self, order_id: str, params: dict[str, Any] | None = None) -> None:
        sim = self.sim
        o = sim.scn.orders[order_id]
        chosen = resolve_params(o, params) if o.params is not None else None
        st = self.status(order_id, chosen)
        if st.ok:
            self.give(order_id, "policy", "policy", chosen)
        else:
            data = {"by": "policy", "cause": "policy", **st.as_data()}
            if chosen:
                data["params"] = chosen
            sim.emit("order_rejected", order_id, ("instructor",), data)
