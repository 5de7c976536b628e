"""Injects (the MSEL): timed, conditional, manual and contingency messages, and the
expectations they carry (an action the team should take within some minutes).

An inject's text may quote state values as `{name}` (format 2: any expression, `{near + far}`);
the values, as the inject's audience sees them (`knowledge.Knowledge.seen_expr`: report delays
and estimates applied), are taken when it is delivered and kept in the event, so every reader
shows the same numbers.
"""

from __future__ import annotations

import math
import re
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .distributions import Dist, finite
from .effects import Effect, apply
from .expr import Expr, ExprError, compile_expr
from .knowledge import seen_data
from .loading import audience_of, suggest
from .state import name_audience, sees_all_of
from .text import Text, quoted_text, tr

if TYPE_CHECKING:
    from .events import Event
    from .loading import Builder
    from .model import Simulation
    from .scenario import Scenario
    from .state import Watcher

FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.]*)\}")  # format 1: a name
FIELD2 = re.compile(r"\{([^{}]+)\}")  # format 2: an expression (what `inject_text` fills in, both formats)


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
    fields: tuple[str, ...] = ()  # names (format 2: expressions) written as {...} in the text, filled in at delivery
    exprs: dict[str, Expr] = field(default_factory=dict, compare=False)  # each field compiled (run time only)


def inject_text(inj: Inject, lang: str, values: dict[str, Any] | None = None) -> str:
    """An inject's message in `lang`, with each {field} replaced by its value at delivery (a number,
    an estimate's range, or the word for unknown)."""
    text = tr(inj.text, lang)
    if not inj.fields:
        return text
    vals = values or {}
    return FIELD2.sub(lambda m: quoted_text(vals[m.group(1)], lang) if m.group(1) in vals else m.group(0), text)


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
        fields, exprs = _fields(b, p, i)
        out[k] = Inject(k, float(at) if at is not None else None, b.opt_expr(p, i, "when"),
                        b.dist(p + ("delay",), i.get("delay")), bool(i.get("manual", False)), i["channel"],
                        i.get("from"), b.audience(p + ("audience",), i.get("audience")), i["text"],
                        b.effects(p + ("effects",), i.get("effects"), f"inject.{k}"), expect, k in contingencies,
                        tuple(sorted(fields)), exprs)
    _check_cycles(b, out)
    return out


def _fires(inj: Inject) -> list[str]:
    """The injects `inj` fires at once, whatever the state (`{inject: X}` with no `if` or `after`)."""
    return [e.target for e in inj.effects if e.verb == "inject" and e.cond is None]


def _check_cycles(b: Builder, injects: dict[str, Inject]) -> None:
    """Refuse injects that fire each other at once with no condition: an endless loop in one instant.

    A depth-first walk that colours each inject once (linear in injects and effects): a way back to
    an inject still on the walk's path is a loop, reported once, at the first inject of it.
    """
    done: set[str] = set()
    for start in injects:
        if start in done:
            continue
        path: list[str] = [start]
        on_path = {start}
        stack = [iter(_fires(injects[start]))]
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                stack.pop()
                gone = path.pop()
                on_path.discard(gone)
                done.add(gone)
                continue
            if nxt in on_path:
                loop = path[path.index(nxt):]
                b.err(("injects", nxt, "effects"), f"{' -> '.join([*loop, nxt])}: these injects fire each other at "
                      "once with no condition, an endless loop in one instant; give one of the {inject: ...} "
                      "effects an `if:` that stops it, or put it in `{after: N, do: [...]}` with N above 0")
                continue
            if nxt in done or nxt not in injects:
                continue
            path.append(nxt)
            on_path.add(nxt)
            stack.append(iter(_fires(injects[nxt])))


def _fields(b: Builder, p: tuple[str, ...], i: dict[str, Any]) -> tuple[list[str], dict[str, Expr]]:
    """The {name} (format 2: {expression}) fields of an inject's texts, each checked against its audience."""
    d = b.d
    fields: list[str] = []
    exprs: dict[str, Expr] = {}
    for lang in ("es", "en"):
        for mt in FIELD2.finditer(i["text"][lang]):
            inner = mt.group(1)
            plain = FIELD.fullmatch(mt.group(0)) is not None
            if not plain and b.format < 2:
                try:  # braces around something else: literal text in format 1, unless it is an expression
                    compile_expr(inner, b.known)
                except ExprError:
                    continue
                b.needs_format(p + ("text", lang), f"{{{inner}}}: an expression in an inject's text")
                continue
            if plain and not b.known(inner):
                b.err(p + ("text", lang), f"{{{inner}}}: unknown name{suggest(inner, sorted(b.names))}")
                continue
            try:
                ex = compile_expr(inner, b.known)
            except ExprError as exc:
                b.err(p + ("text", lang), f"{{{inner}}}: {exc}")
                continue
            blocked = [n for n in ex.names if not sees_all_of(d, audience_of(i.get("audience")), name_audience(d, n))]
            for n in blocked:
                quoted = name_audience(d, n)
                b.err(p + ("text", lang), f"{{{inner}}}: this inject's audience may not see {n} "
                      f"(its audience is {', '.join(quoted)}); quote it only to those who see it")
            if not blocked and inner not in fields:
                fields.append(inner)
                exprs[inner] = ex
    return fields, exprs


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


# How deep `{inject: X}` effects nest in one call before the next is delivered in a step of its
# own (a chain of injects firing injects). Each level takes about four Python frames: nested
# calls ran out of stack near 250 levels, so up to here a chain runs exactly as nested calls do
# (effects after an `{inject}` apply after the whole chain below it), with room to spare.
MAX_CHAIN = 120


class InjectDesk:
    """Delivers the injects of one run and follows up their expectations."""

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.fired: dict[str, float] = {}
        self._depth = 0  # how many `{inject: X}` effects deep the delivery now running is

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
                if inj.delay is None:
                    self.sim.later(inj.at, lambda inj=inj: self.deliver(inj, "schedule"))
                else:  # the delay is drawn at `at`, from the state then (as a `when:` inject's is)
                    self.sim.later(inj.at, lambda inj=inj: self.sim.later(self._delay(inj),
                                                                          lambda: self.deliver(inj, "schedule")))

    def _condition(self, w: Watcher, inj: Inject) -> None:
        if not w.expr.fn(self.sim.v):
            return
        w.active = False
        if inj.delay is not None:
            self.sim.env.process(self._delayed(inj))
        else:
            self.deliver(inj, "condition")

    def _delay(self, inj: Inject) -> float:
        """The inject's delay, drawn now (never negative)."""
        assert inj.delay is not None
        return max(self.sim.draw(inj.delay, "inject", inj.id), 0.0)

    def _delayed(self, inj: Inject) -> Generator[Any, Any, None]:
        yield self.sim.env.timeout(self._delay(inj))
        self.deliver(inj, "condition")

    def fire(self, inj: Inject, cause: str) -> None:
        """An `{inject: X}` effect: deliver now, or, deep in a chain of injects firing injects, in a
        step of its own at the same minute (so that a long chain, or a loop that an `if:` ends,
        never exhausts the stack; a loop with no end meets the run's budget)."""
        if self._depth < MAX_CHAIN:
            self._depth += 1
            try:
                self.deliver(inj, cause)
            finally:
                self._depth -= 1
        else:
            self.sim.later(0.0, lambda: None if self.sim.ended else self.deliver(inj, cause))

    def deliver(self, inj: Inject, cause: str, **extra: Any) -> Event:
        """Deliver an inject now: its event, its effects, and its expectation's clock."""
        sim = self.sim
        first = inj.id not in self.fired
        self.fired.setdefault(inj.id, sim.env.now)
        data: dict[str, Any] = {"channel": inj.channel, "cause": cause}
        for e in inj.effects:  # its own reveals come first, so a roll call's message quotes what it reveals
            if e.verb == "reveal" and (e.cond is None or e.cond.fn(sim.v)):
                sim.knowledge.reveal(e.target, f"inject.{inj.id}")
        if inj.fields:  # the numbers the message quotes, as its audience sees them now
            data["values"] = {n: self._finite(inj, n, self.quoted(inj, n)) for n in inj.fields}
        data.update(extra)
        ev = sim.emit("inject", inj.id, inj.audience, data)
        sim.state.set(f"{inj.id}.fired", sim.v[f"{inj.id}.fired"] + 1)
        if inj.expect is not None and first:
            sim.last_at(inj.expect.within, lambda: self._expectation(inj))  # an action at `within` counts
        apply(sim, inj.effects, f"inject.{inj.id}")
        return ev

    def quoted(self, inj: Inject, field: str) -> float | list[float] | None:
        """The value of a field as the inject's audience sees it now (report delays and estimates
        applied; for the instructor, the truth): a number, [low, high] for a range, None for unknown."""
        sim = self.sim
        ex = inj.exprs.get(field)
        if "instructor" in inj.audience:
            return sim.v[field] if ex is None or ex.names == (field,) else float(ex.fn(sim.v))
        if ex is None or ex.names == (field,):  # a plain name
            return seen_data(sim.knowledge.seen(field))
        return seen_data(sim.knowledge.seen_expr(ex))

    def _finite(self, inj: Inject, field: str, v: float | list[float] | None) -> Any:
        """A quoted value within +-1e12 (NaN as 0), with a warning if it was not: a message never
        reads "inf", and the journal holds only numbers JSON allows."""
        if v is None:
            return None
        if isinstance(v, list):
            return [self._finite(inj, field, x) for x in v]
        x, moved = finite(float(v))
        if moved:
            where = f"injects.{inj.id}.text"
            self.sim.warn(where, f"quote:{field}", {
                "es": f"{where}: {{{field}}} valía {v:.9g}; el mensaje cita {x:.9g}",
                "en": f"{where}: {{{field}}} was {v:.9g}; the message quotes {x:.9g}",
            })
        return x

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
