"""Policies: scripted decisions (and optionally orders) for headless runs.

A policy says, for each decision point, which option to take and how many
minutes after the point opens; unlisted points take the scenario default at
their deadline. Policies ship beside a scenario (``policies/<scenario>.<name>.yaml``)
or come from any file.

Orders are given at a minute (`at`, format 1: refused, with an `order_rejected` event, if
the order cannot be given then) or, in a policy file that says `sitroom: 2`, when a
condition first holds (`on`, `after` minutes later), and either may `wait` for the order to
become possible (a free unit) instead of being refused, for at most `within` minutes.
`PolicyDriver` gives the format-2 orders in a run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jsonschema

from .errors import CommandRejected, PolicyError, Problem
from .expr import MAX_NUMBER, Expr, ExprError, compile_expr
from .loading import format_needed, schema_message
from .loading import suggest as _suggest
from .safeyaml import load_file, load_text
from .scenario import Scenario
from .schema import POLICY_SCHEMA
from .state import name_audience, sees_all_of

if TYPE_CHECKING:
    from .model import Simulation
    from .state import Watcher

_VALIDATOR = jsonschema.Draft202012Validator(POLICY_SCHEMA)


@dataclass(frozen=True)
class PolicyDecision:
    """A scripted answer: the option, minutes after the point opens, and a force level."""

    option: str
    after: float = 0.0
    force: int | None = None


@dataclass(frozen=True)
class PolicyOrder:
    """A scripted order: the minute it is due (`at`), or the condition that makes it due (`on`, format 2).

    `params`: the order's parameters (format 2 orders with `params`; None: the order's defaults).
    `after`: minutes from `on` first holding to the order being due. `wait`: if it cannot be
    given when due, it is given as soon as it can (within `within` minutes, when set).
    """

    order: str
    at: float | None = None
    on: Expr | None = None
    after: float = 0.0
    wait: bool = False
    within: float | None = None
    params: dict[str, Any] | None = field(default=None, compare=False)

    @property
    def reactive(self) -> bool:
        """True for a format-2 order (given on a condition, or waiting until it can be given)."""
        return self.on is not None or self.wait

    def to_dict(self) -> dict[str, Any]:
        """The entry as it is written in a policy file."""
        out: dict[str, Any] = {"order": self.order}
        if self.on is not None:
            out["on"] = self.on.text
            if self.after:
                out["after"] = self.after
        else:
            out["at"] = self.at
        if self.wait:
            out["wait"] = True
            if self.within is not None:
                out["within"] = self.within
        if self.params:
            out["params"] = dict(self.params)
        return out


@dataclass(frozen=True)
class Policy:
    """Scripted answers for a headless run; `warnings` say what of it will not take effect."""

    name: str
    decisions: dict[str, PolicyDecision] = field(default_factory=dict)
    orders: tuple[PolicyOrder, ...] = ()  # timed orders (format 1), by time
    warnings: tuple[str, ...] = field(default=(), compare=False)
    reactive: tuple[PolicyOrder, ...] = ()  # format 2: on a condition, or waiting; in file order

    def to_dict(self) -> dict[str, Any]:
        """The policy as the YAML/JSON mapping it is read from."""
        out: dict[str, Any] = {"sitroom": 2} if self.reactive else {}
        out.update({
            "policy": self.name,
            "decisions": {
                k: {"option": d.option, "after": d.after, **({"force": d.force} if d.force else {})}
                for k, d in self.decisions.items()
            },
            "orders": [{"order": o.order, "at": o.at, **({"params": dict(o.params)} if o.params else {})}
                       for o in self.orders] + [o.to_dict() for o in self.reactive],
        })
        return out


def policy_from_dict(data: Any, scenario: Scenario, file: str = "<policy>", loc: Any = None) -> Policy:
    """Check a policy mapping against the schema and the scenario's points and options."""
    problems: list[Problem] = []

    def prob(path: tuple, msg: str) -> None:
        if loc is not None:
            problems.append(loc.problem(path, msg))
        else:
            problems.append(Problem(file, 0, 0, msg))

    for err in _VALIDATOR.iter_errors(data):
        path = tuple(err.absolute_path)
        where = ".".join(map(str, path)) or "(top level)"
        prob(path, f"{where}: {schema_message(err)}")
    if problems:
        raise PolicyError(problems)

    def minutes(path: tuple, value: Any) -> bool:
        """A policy's times are minutes, finite, 0 to MAX_NUMBER, like a scenario's (else a problem)."""
        ok = isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= MAX_NUMBER
        if not ok:
            prob(path, f"{'.'.join(map(str, path))}: {value!r} is not a time: write minutes, a number from 0 to "
                 f"{MAX_NUMBER:g}")
        return ok

    for point, spec in (data.get("decisions") or {}).items():
        if isinstance(spec, dict) and "after" in spec:
            minutes(("decisions", point, "after"), spec["after"])
    late: list[str] = []
    for i, o in enumerate(data.get("orders") or []):
        for key in ("at", "after", "within"):
            if key in o and minutes(("orders", i, key), o[key]) and key == "at" and o["at"] > scenario.limit:
                late.append(f"orders.{i}.at: {o['at']:g} is after the exercise ends (T+{scenario.limit:g}): "
                            "the order will never be given")
    if problems:
        raise PolicyError(problems)
    decisions: dict[str, PolicyDecision] = {}
    for point, spec in (data.get("decisions") or {}).items():
        if point not in scenario.decisions:
            prob(("decisions", point), f"decisions.{point}: scenario {scenario.id!r} has no decision point {point!r}"
                 + _suggest(point, list(scenario.decisions)))
            continue
        if isinstance(spec, str):
            spec = {"option": spec}
        opt = spec["option"]
        if opt not in scenario.decisions[point].options:
            prob(("decisions", point), f"decisions.{point}: no option {opt!r}"
                 + _suggest(opt, list(scenario.decisions[point].options)))
            continue
        decisions[point] = PolicyDecision(opt, float(spec.get("after", 0.0)), spec.get("force"))
    orders: list[PolicyOrder] = []
    reactive: list[PolicyOrder] = []
    fmt = int(data.get("sitroom", 1))
    names = _names(scenario)
    unseen: list[str] = []
    for i, o in enumerate(data.get("orders") or []):
        where = f"orders.{i}"
        if o["order"] not in scenario.orders:
            prob(("orders", i, "order"), f"{where}: scenario has no order {o['order']!r}"
                 + _suggest(o["order"], list(scenario.orders)))
            continue
        new = [k for k in ("on", "after", "wait", "within") if k in o]
        if new and fmt < 2:
            prob(("orders", i, new[0]), f"{where}.{new[0]}: " + format_needed(
                "a policy order on a condition or waiting for a free unit", 2, fmt, ""))
            continue
        if ("at" in o) == ("on" in o):
            prob(("orders", i), f"{where}: give exactly one of 'at' (minute) or 'on' (condition)")
            continue
        if "after" in o and "on" not in o:
            prob(("orders", i, "after"), f"{where}.after: 'after' counts minutes from 'on' holding; with 'at', "
                 "write the minute itself")
            continue
        if "within" in o and not o.get("wait"):
            prob(("orders", i, "within"), f"{where}.within: 'within' is how long a waiting order waits: it needs "
                 "'wait: true'")
            continue
        params = o.get("params")
        if params:
            why = _params_problem(scenario, o["order"], params)
            if why:
                prob(("orders", i, "params"), f"{where}.params: {why}")
                continue
        on = None
        if "on" in o:
            try:
                on = compile_expr(o["on"], names.__contains__)
            except ExprError as exc:
                prob(("orders", i, "on"), f"{where}.on: {exc}"
                     + (_suggest(str(exc).split("'")[1], sorted(names)) if str(exc).startswith("unknown name")
                        and "'" in str(exc) else ""))
                continue
            unseen += [f"{where}.on reads {n!r}, which the team does not see: a policy standing for a team "
                       "should react only to what the team knows" for n in on.names if not _team_sees(scenario, n)]
        po = PolicyOrder(o["order"], float(o["at"]) if "at" in o else None, on, float(o.get("after", 0.0)),
                         bool(o.get("wait", False)), float(o["within"]) if "within" in o else None,
                         dict(params) if params else None)
        (reactive if po.reactive else orders).append(po)
    if problems:
        raise PolicyError(problems)
    return Policy(data["policy"], decisions, tuple(sorted(orders, key=lambda o: o.at or 0.0)),
                  tuple(text["en"] for _, text in late_answers(decisions, scenario)) + tuple(unseen) + tuple(late),
                  tuple(reactive))


def _names(scenario: Scenario) -> set[str]:
    """Every name a policy's condition may read: the scenario's name table."""
    from .model import Simulation  # the model imports this module: import at call time

    return set(Simulation.initial_names(scenario))


def _team_sees(scenario: Scenario, name: str) -> bool:
    """Does the team (every role) see the value of `name`?"""
    data = scenario.cache.get("data")
    if data is None:
        loc = load_text(scenario.text, scenario.path or "<scenario>")
        data = scenario.cache["data"] = loc.data if not isinstance(loc, Problem) else {}
    return sees_all_of(data, ("all",), name_audience(data, name))


def _params_problem(scenario: Scenario, order_id: str, params: dict[str, Any]) -> str:
    """What is wrong with a policy order's parameters ('' when nothing): they must fit the order."""
    from .orders import resolve_params

    order = scenario.orders[order_id]
    try:
        chosen = resolve_params(order, params)
    except CommandRejected as exc:
        return str(exc)
    pp = order.params
    assert pp is not None  # resolve_params refuses parameters of an order that takes none
    if pp.count is not None and not pp.count.lo <= int(chosen["count"]) <= pp.count.hi:
        return f"count {chosen['count']} is not from {pp.count.lo} to {pp.count.hi}"
    if "site" in chosen and pp.site(str(chosen["site"])) is None:
        return f"no site {chosen['site']!r} (sites: {', '.join(x.id for x in pp.sites)})" + _suggest(
            str(chosen["site"]), [x.id for x in pp.sites])
    return ""


def late_answers(decisions: dict[str, PolicyDecision], scenario: Scenario) -> list[tuple[str, dict[str, str]]]:
    """(point, {es, en} warning) for each answer timed after its point's deadline.

    The rule: an answer timed at the deadline or before it is taken; after it, never (the
    default is taken at the deadline).
    """
    out = []
    for point, pd in decisions.items():
        dp = scenario.decisions[point]
        if dp.deadline is not None and pd.after > dp.deadline:
            out.append((point, {
                "es": f"decisions.{point}: after {pd.after:g} pasa el plazo del punto ({dp.deadline:g} min tras "
                      f"abrirse): se tomará la opción por defecto {dp.default!r}",
                "en": f"decisions.{point}: after {pd.after:g} is past the point's deadline ({dp.deadline:g} min "
                      f"after it opens): the default {dp.default!r} will be taken instead",
            }))
    return out


def load_policy(path: str | Path, scenario: Scenario) -> Policy:
    """Load and check a policy file against its scenario (PolicyError on problems)."""
    loc = load_file(path)
    if isinstance(loc, Problem):
        raise PolicyError([loc])
    if not isinstance(loc.data, dict):
        raise PolicyError([loc.problem((), "a policy is a map with keys policy, decisions, orders")])
    return policy_from_dict(loc.data, scenario, str(path), loc)


def load_policy_text(text: str, scenario: Scenario, name: str = "<policy>") -> Policy:
    """Check policy text against its scenario (PolicyError on problems)."""
    loc = load_text(text, name)
    if isinstance(loc, Problem):
        raise PolicyError([loc])
    if not isinstance(loc.data, dict):
        raise PolicyError([loc.problem((), "a policy is a map with keys policy, decisions, orders")])
    return policy_from_dict(loc.data, scenario, name, loc)


def doctrine_policy(scenario: Scenario) -> Policy:
    """The first expected option of every point, answered at once: a fallback doctrine."""
    return Policy(
        "expected",
        {k: PolicyDecision(dp.expected[0]) for k, dp in scenario.decisions.items() if dp.expected},
    )


class PolicyDriver:
    """Gives a policy's format-2 orders in one run: on a condition, and waiting until they can be given.

    Deterministic: conditions are watchers of the name table (as everywhere in the model), and a
    waiting order is looked at again, in file order, after any change to a name the order's
    status can depend on (every resource's units, its `available` names, its count).
    """

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.orders = sim.policy.reactive if sim.policy is not None else ()
        self.waiting: dict[int, float] = {}  # index -> minute it became due
        self._watchers: dict[int, Watcher] = {}
        self._asked: set[int] = set()  # a look is scheduled for this minute

    def watch(self) -> None:
        """Register each order's `on` condition, and (inactive) what a waiting order waits on."""
        sim = self.sim
        scn = sim.scn
        for i, po in enumerate(self.orders):
            if po.on is not None:
                sim.state.add_watcher(po.on, lambda w, i=i: self._condition(w, i))
            if po.wait:
                o = scn.orders[po.order]
                names = {f"{po.order}.count"} | set(o.available.names if o.available is not None else ())
                for r in scn.resources:
                    names |= {f"{r}.ready", f"{r}.standby"}
                probe = Expr(f"<policy wait {po.order}>", lambda _v: 1.0, tuple(sorted(n for n in names if n in sim.v)))
                w = sim.state.add_watcher(probe, lambda w, i=i: self._look(i))
                w.active = False
                self._watchers[i] = w

    def start(self) -> None:
        """Schedule the orders timed by `at`."""
        for i, po in enumerate(self.orders):
            if po.at is not None:
                self.sim.later(po.at, lambda i=i: self._due(i))

    def _condition(self, w: Watcher, i: int) -> None:
        if w.expr.fn(self.sim.v):
            w.active = False  # once: when it first holds
            self.sim.later(self.orders[i].after, lambda: self._due(i))

    def _chosen(self, po: PolicyOrder) -> dict[str, Any] | None:
        """The order's complete parameters (the policy's, defaults filled in), or None for an order without."""
        from .orders import resolve_params

        o = self.sim.scn.orders[po.order]
        return resolve_params(o, po.params) if o.params is not None else None

    def _due(self, i: int) -> None:
        sim = self.sim
        po = self.orders[i]
        chosen = self._chosen(po)
        st = sim.orders.status(po.order, chosen)
        if st.ok:
            sim.orders.give(po.order, "policy", "policy", chosen)
        elif po.wait and st.code not in ("limit", "ended"):
            self.waiting[i] = sim.env.now
            self._watchers[i].active = True
            sim.emit("order_waiting", po.order, ("instructor",), {"by": "policy", "cause": "policy",
                                                                  "within": po.within, **st.as_data()})
            if po.within is not None:
                sim.last_at(po.within, lambda: self._give_up(i))  # units free at the end of the wait count
        else:
            sim.emit("order_rejected", po.order, ("instructor",), {"by": "policy", "cause": "policy", **st.as_data()})

    def _look(self, i: int) -> None:
        # Something the order's status reads changed: look again once every change of this moment is done.
        if i in self.waiting and i not in self._asked:
            self._asked.add(i)
            self.sim.later(0.0, lambda: self._try(i))

    def _try(self, i: int) -> None:
        self._asked.discard(i)
        if i not in self.waiting:
            return
        sim = self.sim
        po = self.orders[i]
        chosen = self._chosen(po)
        st = sim.orders.status(po.order, chosen)
        if st.ok:
            self._stop(i)
            sim.orders.give(po.order, "policy", "policy", chosen)
        elif st.code in ("limit", "ended"):
            self._stop(i)
            if st.code == "limit":
                sim.emit("order_rejected", po.order, ("instructor",), {"by": "policy", "cause": "policy",
                                                                       **st.as_data()})

    def _give_up(self, i: int) -> None:
        if i not in self.waiting:
            return
        sim = self.sim
        po = self.orders[i]
        self._stop(i)
        chosen = self._chosen(po)
        st = sim.orders.status(po.order, chosen)
        if st.ok:  # it can be given at the very minute the wait ends (a unit back just then): it is
            sim.orders.give(po.order, "policy", "policy", chosen)
            return
        sim.emit("order_rejected", po.order, ("instructor",), {"by": "policy", "cause": "policy",
                                                               "waited": po.within, **st.as_data()})

    def _stop(self, i: int) -> None:
        self.waiting.pop(i, None)
        self._watchers[i].active = False
