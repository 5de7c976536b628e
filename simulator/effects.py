"""Effects: the changes an option, order, inject, process or task applies.

"Add an effect" is one entry in `VERBS`: the keys that go with the verb, how its target is
checked at load time, and what it does at run time (a function of the running
`Simulation`, the effect and its cause).
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .distributions import Dist
from .expr import Expr
from .loading import suggest

if TYPE_CHECKING:
    from .loading import Builder
    from .model import Simulation
    from .safeyaml import PathKey


@dataclass(frozen=True)
class Effect:
    """One change an option, order, inject, process or task applies."""

    verb: str  # a key of VERBS
    target: str = ""
    amount: Expr | Dist | None = None
    count: int = 0  # mobilise: 0 means all standby units
    after: Dist | None = None
    do: tuple[Effect, ...] = ()
    cond: Expr | None = None
    where: str = ""  # "effects of DP1.retake #2", for messages and random stream keys


@dataclass(frozen=True)
class Verb:
    """One kind of effect: its extra keys, its load-time target check and its run-time action."""

    extra: tuple[str, ...]
    ref: str | None  # the section its target must name, if any
    run: Callable[[Simulation, Effect, str], None]


def amount(sim: Simulation, e: Effect) -> float:
    """The number a `set`/`add` effect applies now (a drawn amount uses its own stream)."""
    a = e.amount
    if a is None:
        return 0.0
    if isinstance(a, Expr):
        return float(a.fn(sim.v))
    return sim.draw(a, "amount", e.where)


def _add(sim: Simulation, e: Effect, cause: str) -> None:
    sim.add_quantity(e.target, amount(sim, e), cause)


def _set(sim: Simulation, e: Effect, cause: str) -> None:
    sim.set_quantity(e.target, amount(sim, e), cause)


def _task(sim: Simulation, e: Effect, cause: str) -> None:
    sim.fleet.dispatch(sim.scn.tasks[e.target], cause)


def _mobilise(sim: Simulation, e: Effect, cause: str) -> None:
    sim.fleet.mobilise(e.target, e.count)


def _release(sim: Simulation, e: Effect, cause: str) -> None:
    sim.fleet.release(e.target)


def _inject(sim: Simulation, e: Effect, cause: str) -> None:
    sim.injects.fire(sim.scn.injects[e.target], cause)


def _after(sim: Simulation, e: Effect, cause: str) -> None:
    sim.env.process(_later(sim, e, cause))


def _later(sim: Simulation, e: Effect, cause: str) -> Generator[Any, Any, None]:
    assert e.after is not None
    yield sim.env.timeout(max(sim.draw(e.after, "after", e.where), 0.0))
    apply(sim, e.do, cause)


def _reveal(sim: Simulation, e: Effect, cause: str) -> None:
    sim.knowledge.reveal(e.target, cause)


# Why a run ends that the engine itself gives: a scenario's own endings may not use these words,
# or a report could not tell "the instructor ended it" from a scenario ending named so.
ENGINE_END_REASONS = ("time_limit", "instructor", "budget")


def check_end_reason(b: Builder, path: PathKey, reason: object) -> None:
    """Refuse a scenario ending whose reason is one the engine gives (`ENGINE_END_REASONS`)."""
    if reason in ENGINE_END_REASONS:
        b.err(path, f"{reason!r} is how sitroom itself says why a run ended ({', '.join(ENGINE_END_REASONS)}): "
              f"name this ending by what happened in the scenario, such as 'escape' or 'resolved'")


def _end(sim: Simulation, e: Effect, cause: str) -> None:
    sim.finish(e.target, {"cause": cause})


VERBS: dict[str, Verb] = {
    "set": Verb(("to",), "state", _set),
    "add": Verb(("by",), "state", _add),
    "task": Verb((), "tasks", _task),
    "mobilise": Verb(("count",), "resources", _mobilise),
    "release": Verb((), "tasks", _release),
    "inject": Verb((), "injects", _inject),
    "after": Verb(("do",), None, _after),
    "end": Verb((), None, _end),
    "reveal": Verb((), None, _reveal),  # format 2: the quantity's audience learns its value
}
_RUN = {k: verb.run for k, verb in VERBS.items()}  # the run-time half of VERBS, one lookup away


def apply(sim: Simulation, effects: tuple[Effect, ...], cause: str) -> None:
    """Apply effects in order; an effect whose `if` is false is skipped, and nothing after the end."""
    v = sim.v
    for e in effects:
        if sim.ended:
            return
        if e.cond is not None and not e.cond.fn(v):
            continue
        _RUN[e.verb](sim, e, cause)


# --------------------------------------------------------------------------- loading


def parse_effects(b: Builder, path: PathKey, items: list | None, at: str) -> tuple[Effect, ...]:
    """An effect list, each effect checked."""
    out = []
    for i, spec in enumerate(items or []):
        e = parse_effect(b, path + (i,), spec, f"{at}#{i}")
        if e is not None:
            out.append(e)
    return tuple(out)


def parse_effect(b: Builder, path: PathKey, spec: dict[str, Any], at: str) -> Effect | None:
    """One effect, or None after reporting what is wrong with it."""
    names = ", ".join(VERBS)
    verbs = [v for v in VERBS if v in spec]
    if len(verbs) != 1:
        b.err(path, f"an effect needs exactly one of {names}" + (f" (found {', '.join(verbs)})" if verbs else ""))
        return None
    verb = verbs[0]
    allowed_extra = set(VERBS[verb].extra) | {"if"}
    for k in spec:
        if k != verb and k not in allowed_extra:
            b.err(path + (k,), f"{k!r} does not go with {verb!r}", key=True)
    cond = b.expr(path + ("if",), spec["if"]) if "if" in spec else None
    target = spec[verb] if verb != "after" else ""
    amt: Expr | Dist | None = None
    ref = VERBS[verb].ref
    if ref == "state":
        state = list(b.d.get("state", {}))
        if target not in state:
            b.err(path + (verb,), f"no state quantity called {target!r}{suggest(target, state)}")
        elif "compute" in (b.d["state"][target] or {}):
            b.err(path + (verb,), f"{target} is computed ({b.d['state'][target]['compute']}): change the names it "
                  "reads instead")
        other = VERBS[verb].extra[0]
        if other not in spec:
            b.err(path, f"{verb!r} needs {other!r}")
            return None
        raw = spec[other]
        amt = (b.expr(path + (other,), raw) if isinstance(raw, str | int | float)
               else b.dist(path + (other,), raw, amount=True))
    elif ref is not None:
        b.ref(path + (verb,), ref, target)
        if verb == "mobilise":  # in both formats: a mobilise that can do nothing is an author's mistake
            _check_standby(b, path, target, int(spec.get("count", 0)))
    elif verb == "end":
        check_end_reason(b, path + (verb,), target)
    elif verb == "reveal":
        state = b.d.get("state") or {}
        if not b.needs_format(path + (verb,), "the `reveal` effect"):
            return None
        if target not in state:
            b.err(path + (verb,), f"no state quantity called {target!r}{suggest(target, list(state))}")
        elif "estimate" not in (state[target] or {}):
            b.err(path + (verb,), f"{target} has no `estimate`: its audience already sees its value, there is "
                  "nothing to reveal")
    elif verb == "after":
        if "do" not in spec:
            b.err(path, "'after' needs 'do'")
            return None
        return Effect("after", after=b.dist(path + ("after",), spec["after"]),
                      do=parse_effects(b, path + ("do",), spec["do"], at + ".do"), cond=cond, where=at)
    return Effect(verb, target=target, amount=amt, count=int(spec.get("count", 0)), cond=cond, where=at)


def _check_standby(b: Builder, path: PathKey, resource: str, count: int) -> None:
    """`mobilise` calls out standby units: refuse it on a resource that has none, or more than it has."""
    spec = (b.d.get("resources") or {}).get(resource)
    if not isinstance(spec, dict):
        return  # an unknown resource is reported by the reference check
    standby = int(spec.get("standby", 0))
    if standby == 0:
        b.err(path + ("mobilise",), f"{resource} has no standby units, so mobilise would do nothing: give the "
              f"resource `standby: N` (and a `mobilise` time) for units that start off duty, or send its ready "
              f"units with a task")
    elif count > standby:
        b.err(path + ("count",), f"count {count} is more than the {standby} standby units of {resource}")
