"""Orders: actions a team may give at any time (dispatch, lockdown, a statement), limited by
availability, by a count and by free units.

`OrderStatus` says whether an order can be given now and, when not, why, as data
(`code`, and for missing units the resource and the numbers), so each reader words it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .effects import Effect, apply
from .errors import CommandRejected
from .expr import Expr
from .text import Text

if TYPE_CHECKING:
    from .events import Event
    from .loading import Builder
    from .model import Simulation
    from .scenario import Scenario

STATUS_CODES = ("ok", "ended", "limit", "unavailable", "units")


@dataclass(frozen=True)
class Order:
    """An action a team may take: its task, availability condition, limit and effects."""

    id: str
    label: Text
    detail: Text | None
    audience: tuple[str, ...]
    task: str | None
    available: Expr | None
    limit: int | None
    effects: tuple[Effect, ...]
    irreversible: bool = False  # the room asks for a confirmation before giving it


@dataclass(frozen=True, slots=True)
class OrderStatus:
    """Can an order be given now? `code` is one of STATUS_CODES; for "units", which and how many."""

    code: str
    resource: str | None = None
    free: int = 0
    need: int = 0

    @property
    def ok(self) -> bool:
        """True when the order can be given now."""
        return self.code == "ok"

    def as_data(self) -> dict[str, Any]:
        """The status as event data: `reason` (the code) and, for units, which and how many."""
        if self.code == "units":
            return {"reason": "units", "resource": self.resource, "free": self.free, "need": self.need}
        return {"reason": self.code}

    def seen_by(self, sim: Simulation, role: str | None) -> OrderStatus:
        """The status as `role` may know it: a shortage of units it cannot see is only 'unavailable'."""
        if self.code != "units" or role is None or self.resource is None:
            return self
        if sim.scn.visible(sim.scn.resources[self.resource].audience, role):
            return self
        return OrderStatus("unavailable")

    def reason(self, order: Order) -> str:
        """Words (English) for why the order cannot be given."""
        if self.code == "ended":
            return "the exercise has ended"
        if self.code == "limit":
            return f"order {order.id} can be given only {order.limit} time(s)"
        if self.code == "unavailable":
            return f"order {order.id} is not available now"
        if self.code == "units":
            return f"order {order.id} needs {self.need} free {self.resource} unit(s); {self.free} free now"
        return ""


OK = OrderStatus("ok")


def parse_orders(b: Builder) -> dict[str, Order]:
    """The scenario's `orders` section, checked."""
    out = {}
    for k, o in (b.d.get("orders") or {}).items():
        p = ("orders", k)
        if "task" in o:
            b.ref(p + ("task",), "tasks", o["task"])
        out[k] = Order(k, o["label"], o.get("detail"), b.audience(p + ("audience",), o.get("audience")),
                       o.get("task"), b.opt_expr(p, o, "available"), o.get("limit"),
                       b.effects(p + ("effects",), o.get("effects"), f"order.{k}"), bool(o.get("irreversible", False)))
    return out


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
                sim.later(po.at, lambda po=po: self._policy(po.order))

    def status(self, order_id: str) -> OrderStatus:
        """Whether the order can be given now, and why not."""
        sim = self.sim
        o = sim.scn.orders[order_id]
        if sim.ended:
            return OrderStatus("ended")
        if o.limit is not None and len(self.times[order_id]) >= o.limit:
            return OrderStatus("limit")
        if o.available is not None and not o.available(sim.v):
            return OrderStatus("unavailable")
        if o.task is not None:
            t = sim.scn.tasks[o.task]
            free = sim.fleet.free(t.resource)
            if free < t.units:
                return OrderStatus("units", t.resource, free, t.units)
        return OK

    def check(self, order_id: str) -> Order:
        """The order, if it can be given now; else CommandRejected saying why."""
        o = self.sim.scn.orders.get(order_id)
        if o is None:
            raise CommandRejected(f"no order called {order_id!r}", field="order")
        st = self.status(order_id)
        if not st.ok:
            raise CommandRejected(st.reason(o), field="order")
        return o

    def give(self, order_id: str, by: str, cause: str) -> Event:
        """Give the order now: count it, record it, dispatch its task, apply its effects."""
        sim = self.sim
        o = sim.scn.orders[order_id]
        self.times[order_id].append(sim.env.now)
        if cause in ("team", "policy"):
            self.team_orders[order_id] = self.team_orders.get(order_id, 0) + 1
        sim.state.set(f"{order_id}.count", sim.v[f"{order_id}.count"] + 1)
        ev = sim.emit("order", order_id, o.audience, {"by": by, "cause": cause})
        if o.task is not None:
            sim.fleet.dispatch(sim.scn.tasks[o.task], f"order.{order_id}")
        apply(sim, o.effects, f"order.{order_id}")
        return ev

    def _policy(self, order_id: str) -> None:
        sim = self.sim
        st = self.status(order_id)
        if st.ok:
            self.give(order_id, "policy", "policy")
        else:
            sim.emit("order_rejected", order_id, ("instructor",), {"by": "policy", "cause": "policy",
                                                                   **st.as_data()})
