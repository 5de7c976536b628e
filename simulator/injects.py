"""Injects (the MSEL): timed, conditional, manual and contingency messages, and the
expectations they carry (an action the team should take within some minutes).

An inject's text may quote state values as `{name}`; the values are taken when it is
delivered and kept in the event, so every reader shows the same numbers.
"""

from __future__ import annotations

import math
import re
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .distributions import Dist
from .effects import Effect, apply
from .expr import Expr
from .loading import audience_of, suggest
from .state import name_audience, sees_all_of
from .text import Text, number_text, tr

if TYPE_CHECKING:
    from .events import Event
    from .loading import Builder
    from .model import Simulation
    from .scenario import Scenario
    from .state import Watcher

FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.]*)\}")


@dataclass(frozen=True)
class Expectation:
    """What the team should do after an inject: one of `any_of` within `within` minutes.

    `any_of` lists orders and decision points; `options[point]` are the options of a listed
    point that meet the expectation (written `{POINT: option}`; a bare point means its
    `expected` options, or any option when it names none).
    """

    any_of: tuple[str, ...]
    within: float
    contingency: str | None
    note: Text | None
    options: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def met_by(self, sim: Simulation) -> str | None:
        """The first listed order or point the team (or its policy) took as expected, if any."""
        for ref in self.any_of:
            if ref in sim.scn.orders:
                if sim.orders.team_orders.get(ref):
                    return ref
                continue
            st = sim.decisions.get(ref)
            if st is not None and st.answered and st.option in self.options.get(ref, ()):
                return ref
        return None


@dataclass(frozen=True)
class Inject:
    """One message of the MSEL: when it fires, to whom, what it says and does."""

    id: str
    at: float | None
    when: Expr | None
    delay: Dist | None
    manual: bool
    channel: str
    sender: Text | None
    audience: tuple[str, ...]
    text: Text
    effects: tuple[Effect, ...]
    expect: Expectation | None
    is_contingency: bool = False
    fields: tuple[str, ...] = ()  # names written as {name} in the text, filled in at delivery


def inject_text(inj: Inject, lang: str, values: dict[str, float] | None = None) -> str:
    """An inject's message in `lang`, with each {name} replaced by its value at delivery."""
    text = tr(inj.text, lang)
    if not inj.fields:
        return text
    vals = values or {}
    return FIELD.sub(lambda m: number_text(vals[m.group(1)]) if m.group(1) in vals else m.group(0), text)


def parse_injects(b: Builder) -> dict[str, Inject]:
    """The scenario's `injects` section, checked."""
    d = b.d
    contingencies = set()
    for i in (d.get("injects") or {}).values():
        ex = i.get("expect")
        if ex and ex.get("contingency"):
            contingencies.add(ex["contingency"])
    out = {}
    for k, i in (d.get("injects") or {}).items():
        p = ("injects", k)
        triggers = [x for x in ("at", "when") if x in i]
        if len(triggers) > 1:
            b.err(p, "give either 'at' or 'when', not both")
        if not triggers and not i.get("manual") and k not in contingencies and not _targeted(d, k):
            b.err(p, "this inject never fires: give 'at', 'when', 'manual: true', or use it as a contingency or an effect")
        expect = None
        if i.get("expect"):
            e = i["expect"]
            refs: list[str] = []
            options: dict[str, tuple[str, ...]] = {}
            all_dps = d.get("decisions") or {}
            for j, a in enumerate(e["any_of"]):
                named = None
                if isinstance(a, dict):
                    a, named = next(iter(a.items()))
                    named = [named] if isinstance(named, str) else list(named)
                refs.append(a)
                if a in all_dps:
                    opts = list(all_dps[a].get("options") or {})
                    for o in named or []:
                        if o not in opts:
                            b.err(p + ("expect", "any_of", j, a), f"{a} has no option {o!r}{suggest(o, opts)}")
                    options[a] = tuple(named or all_dps[a].get("expected") or opts)
                elif a not in (d.get("orders") or {}):
                    b.err(p + ("expect", "any_of", j), f"{a!r} is neither an order nor a decision point")
                elif named is not None:
                    b.err(p + ("expect", "any_of", j), f"{a} is an order: it has no options to name")
            if e.get("contingency"):
                b.ref(p + ("expect", "contingency"), "injects", e["contingency"])
                if e["contingency"] == k:
                    b.err(p + ("expect", "contingency"), "an inject cannot be its own contingency")
            expect = Expectation(tuple(refs), float(e["within"]), e.get("contingency"), e.get("note"), options)
        at = i.get("at")
        if at is not None:
            b.within_limit(p + ("at",), at)
        fields: list[str] = []
        for lang in ("es", "en"):
            for mt in FIELD.finditer(i["text"][lang]):
                name = mt.group(1)
                if not b.known(name):
                    b.err(p + ("text", lang), f"{{{name}}}: unknown name{suggest(name, sorted(b.names))}")
                    continue
                quoted = name_audience(d, name)
                if not sees_all_of(d, audience_of(i.get("audience")), quoted):
                    b.err(p + ("text", lang), f"{{{name}}}: this inject's audience may not see {name} "
                          f"(its audience is {', '.join(quoted)}); quote it only to those who see it")
                elif name not in fields:
                    fields.append(name)
        out[k] = Inject(k, float(at) if at is not None else None, b.opt_expr(p, i, "when"),
                        b.dist(p + ("delay",), i.get("delay")), bool(i.get("manual", False)), i["channel"],
                        i.get("from"), b.audience(p + ("audience",), i.get("audience")), i["text"],
                        b.effects(p + ("effects",), i.get("effects"), f"inject.{k}"), expect, k in contingencies,
                        tuple(sorted(fields)))
    return out


def _targeted(d: dict[str, Any], inject_id: str) -> bool:
    """Is this inject fired by some effect (`inject: id`)?"""
    found = False

    def walk(x: Any) -> None:
        nonlocal found
        if isinstance(x, dict):
            if x.get("inject") == inject_id:
                found = True
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    walk({k: v for k, v in d.items() if k != "injects"})
    for v in (d.get("injects") or {}).values():
        walk(v.get("effects"))
    return found


# --------------------------------------------------------------------------- run time


class InjectDesk:
    """Delivers the injects of one run and follows up their expectations."""

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.fired: dict[str, float] = {}

    @staticmethod
    def init_names(scn: Scenario, v: dict[str, float]) -> None:
        """The names injects derive, at T0."""
        for i in scn.injects:
            v[f"{i}.fired"] = 0.0

    def watch(self) -> None:
        """Register the `when` condition of each conditional inject."""
        for inj in self.sim.scn.injects.values():
            if inj.when is not None and not inj.manual:
                self.sim.state.add_watcher(inj.when, lambda w, inj=inj: self._condition(w, inj))

    def start(self) -> None:
        """Schedule the timed injects (in order of their time)."""
        for inj in sorted(self.sim.scn.injects.values(), key=lambda i: (i.at if i.at is not None else math.inf)):
            if inj.at is not None and not inj.manual:
                self.sim.later(lambda inj=inj: self._timed_delay(inj), lambda inj=inj: self.deliver(inj, "schedule"))

    def _condition(self, w: Watcher, inj: Inject) -> None:
        if not w.expr.fn(self.sim.v):
            return
        w.active = False
        if inj.delay is not None:
            self.sim.env.process(self._delayed(inj))
        else:
            self.deliver(inj, "condition")

    def _timed_delay(self, inj: Inject) -> float:
        assert inj.at is not None
        delay = inj.at
        if inj.delay is not None:
            delay += max(self.sim.draw(inj.delay, "inject", inj.id), 0.0)
        return delay

    def _delayed(self, inj: Inject) -> Generator[Any, Any, None]:
        assert inj.delay is not None
        yield self.sim.env.timeout(max(self.sim.draw(inj.delay, "inject", inj.id), 0.0))
        self.deliver(inj, "condition")

    def deliver(self, inj: Inject, cause: str, **extra: Any) -> Event:
        """Deliver an inject now: its event, its effects, and its expectation's clock."""
        sim = self.sim
        first = inj.id not in self.fired
        self.fired.setdefault(inj.id, sim.env.now)
        data: dict[str, Any] = {"channel": inj.channel, "cause": cause}
        if inj.fields:  # the numbers the message quotes, as its audience sees them now
            data["values"] = {n: self.quoted(inj, n) for n in inj.fields}
        data.update(extra)
        ev = sim.emit("inject", inj.id, inj.audience, data)
        sim.state.set(f"{inj.id}.fired", sim.v[f"{inj.id}.fired"] + 1)
        if inj.expect is not None and first:
            sim.later(inj.expect.within, lambda: self._expectation(inj))
        apply(sim, inj.effects, f"inject.{inj.id}")
        return ev

    def quoted(self, inj: Inject, name: str) -> float:
        """The value of `name` as the inject's audience sees it now (with the report delay)."""
        sim = self.sim
        q = sim.scn.state.get(name)
        if q is None or q.report_delay <= 0 or "instructor" in inj.audience:
            return sim.v[name]
        return sim.value_at(name, sim.env.now - q.report_delay)[0]

    def _expectation(self, inj: Inject) -> None:
        sim = self.sim
        ex = inj.expect
        assert ex is not None
        # A point left to its default was not acted on: the expectation is not met. Only what
        # the team did (or the policy standing for it), with an option that counts, meets it.
        met_by = ex.met_by(sim)
        done = met_by is not None
        sim.emit("expectation", inj.id, ("instructor",), {"met": done, "any_of": list(ex.any_of), "met_by": met_by})
        if not done and ex.contingency:
            self.deliver(sim.scn.injects[ex.contingency], "contingency", contingency_for=inj.id)
