"""The quantity table: state quantities, the names derived from every other concept, and
the watchers that re-evaluate conditions when a name they read changes.

Every name an expression may read lives in one flat table `State.v` (name -> float):
the scenario's `state` quantities, `t`, and derived names such as `cert.ready` or
`DP1.decided`. Each concept module says which names it derives (`*_NAMES` there);
`derived_names` collects them, for the loader and for the run alike.

Integer quantities carry their fractional part: a quantity marked `integer` shows the
nearest whole number (round half to even) of its exact sum, so ten `add -0.5` from 5 reach
0 just as ten `add +0.5` reach 10.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .distributions import RUN_MAX, Dist
from .expr import SINCE, Expr
from .text import Text

if TYPE_CHECKING:
    from .loading import Builder

RESOURCE_NAMES = ("ready", "standby", "mobilising", "en_route", "on_scene", "returning", "busy", "total")
TASK_NAMES = ("active", "on_scene", "done", "queued")
DECISION_NAMES = ("open", "decided", "defaulted", "at", "opened_at")


def derived_names(d: dict[str, Any]) -> set[str]:
    """Every name an expression may read in the scenario data `d` (besides nothing else)."""
    names = {"t"}
    names.update(d.get("state") or {})
    for r in d.get("resources") or {}:
        names.update(f"{r}.{s}" for s in RESOURCE_NAMES)
    for t in d.get("tasks") or {}:
        names.update(f"{t}.{s}" for s in TASK_NAMES)
    for dp, spec in (d.get("decisions") or {}).items():
        names.update(f"{dp}.{s}" for s in DECISION_NAMES)
        names.update(f"{dp}.{o}" for o in ((spec or {}).get("options") or {}))
    for o in d.get("orders") or {}:
        names.add(f"{o}.count")
    for i in d.get("injects") or {}:
        names.add(f"{i}.fired")
    for p in d.get("processes") or {}:
        names.add(f"{p}.count")
    return names


def since_targets(d: dict[str, Any]) -> dict[str, str]:
    """The ids `since(id)` may name, each with the derived name whose change restarts it.

    An inject restarts it each time it is delivered, a process each time it occurs, a decision
    point when it is decided (once). An id used by more than one of these is left out.
    """
    found: dict[str, list[str]] = {}
    for section, suffix in (("injects", "fired"), ("decisions", "decided"), ("processes", "count")):
        for k in d.get(section) or {}:
            found.setdefault(k, []).append(f"{k}.{suffix}")
    return {k: v[0] for k, v in found.items() if len(v) == 1}


def name_audience(d: dict[str, Any], name: str) -> tuple[str, ...]:
    """Who may see the value of `name` in the scenario data `d` (its concept's audience)."""
    def aud(spec: Any) -> tuple[str, ...]:
        a = (spec or {}).get("audience") if isinstance(spec, dict) else None
        return ("all",) if a is None else (a,) if isinstance(a, str) else tuple(a)

    if name == "t":
        return ("all",)
    if name.startswith(SINCE):  # minutes since X: whoever sees X happen
        name = name[len(SINCE):] + "."
    if name in (d.get("state") or {}):
        return aud(d["state"][name])
    head = name.split(".", 1)[0]
    if head in (d.get("resources") or {}):
        return aud(d["resources"][head])
    if head in (d.get("tasks") or {}):
        res = (d["tasks"][head] or {}).get("resource")
        return aud((d.get("resources") or {}).get(res))
    for section in ("decisions", "orders", "injects"):
        if head in (d.get(section) or {}):
            return aud(d[section][head])
    return ("instructor",)  # process counts and anything else: the instructor's


def sees_all_of(d: dict[str, Any], reader: tuple[str, ...], quoted: tuple[str, ...]) -> bool:
    """Can everyone who sees `reader` also see `quoted`? (The instructor sees everything.)"""
    roles = set(d.get("roles") or {}) | {"*"}  # "*": a team when the scenario names no roles

    def viewers(a: tuple[str, ...]) -> set[str]:
        if "instructor" in a:
            return set()
        return set(roles) if "all" in a else set(a)

    return viewers(reader) <= viewers(quoted)


@dataclass(frozen=True)
class EstimateSpec:
    """What a quantity's audience is told until the quantity is revealed: a range, or unknown."""

    low: Expr | None = None  # both None: "unknown"
    high: Expr | None = None


@dataclass(frozen=True)
class Quantity:
    """A named state quantity: bounds, whether whole, who sees it, and its report delay.

    Format 2 adds: `estimate` (what the audience sees until `reveal` holds or a `{reveal: id}`
    effect runs), `compute` (a quantity that is an expression of other names, never set by an
    effect) and `draw` (an initial value drawn at T0 from its own stream; `initial` is then a
    placeholder that no viewer is shown).
    """

    id: str
    label: Text
    initial: float
    lo: float | None
    hi: float | None
    integer: bool
    audience: tuple[str, ...]
    report_delay: float
    chart: bool
    estimate: EstimateSpec | None = None
    reveal: Expr | None = None
    compute: Expr | None = None
    draw: Dist | None = None


def parse_state(b: Builder) -> dict[str, Quantity]:
    """The scenario's `state` section, checked."""
    out = {}
    for k, s in (b.d.get("state") or {}).items():
        p = ("state", k)
        lo, hi = s.get("min"), s.get("max")
        if lo is not None and hi is not None and lo > hi:
            b.err(p, f"min {lo} is above max {hi}")
        if "source" in s:
            b.source_ref(p + ("source",), s["source"])
        aud = b.audience(p + ("audience",), s.get("audience"))
        init = s.get("initial")
        compute = draw = None
        if "compute" in s:
            compute = _parse_compute(b, p, s)
        elif init is None:
            b.err(p, "a quantity needs `initial` (a number, or a distribution to draw it from) or `compute`", key=True)
        elif isinstance(init, dict):
            draw = _parse_draw(b, p, init)
        elif (lo is not None and init < lo) or (hi is not None and init > hi):
            b.err(p + ("initial",), f"initial {init} is outside [{lo}, {hi}]")
        placeholder = 0.0 if lo is None else max(0.0, float(lo))  # drawn or computed: 0 within the bounds
        placeholder = placeholder if hi is None else min(placeholder, float(hi))
        estimate, reveal = _parse_estimate(b, p, s, aud)
        out[k] = Quantity(k, s["label"], float(init) if isinstance(init, int | float) else placeholder, lo, hi,
                          bool(s.get("integer", False)), aud, float(s.get("report_delay", 0)),
                          bool(s.get("chart", True)), estimate, reveal, compute, draw)
    _check_computed(b, out)
    return out


def _parse_compute(b: Builder, p: tuple[str, ...], s: dict[str, Any]) -> Expr | None:
    if not b.needs_format(p + ("compute",), "a computed quantity (`compute`)"):
        return None
    for other in ("initial", "report_delay", "estimate", "reveal", "source"):
        if other in s:
            b.err(p + (other,), f"a computed quantity takes no `{other}`: it is the value of its expression "
                  "(what its audience sees follows from the names it reads)", key=True)
    ex = b.expr(p + ("compute",), s["compute"])
    if ex is not None and "t" in ex.names:
        b.err(p + ("compute",), "a computed quantity may not read the clock (t, or since()): its value would "
              "change every minute; read t or since() where the value is used (a condition, a rate, a metric)")
        return None
    return ex


def _parse_draw(b: Builder, p: tuple[str, ...], init: dict[str, Any]) -> Dist | None:
    if not b.needs_format(p + ("initial",), "an initial value drawn from a distribution"):
        return None
    dist = b.dist(p + ("initial",), init, amount=True)
    if dist is not None and dist.names:
        b.err(p + ("initial",), "the parameters of a drawn initial value must be numbers (it is drawn at T0, "
              f"before anything happens), not expressions of {', '.join(dist.names)}")
    return dist


def _parse_estimate(b: Builder, p: tuple[str, ...], s: dict[str, Any],
                    aud: tuple[str, ...]) -> tuple[EstimateSpec | None, Expr | None]:
    if "reveal" in s and "estimate" not in s:
        b.err(p + ("reveal",), "`reveal` goes with `estimate`: it says when the audience stops seeing the "
              "estimate and sees the value", key=True)
    if "estimate" not in s or not b.needs_format(p + ("estimate",), "an estimate (`estimate`)"):
        return None, None
    if "instructor" in aud:
        b.err(p + ("estimate",), "only the instructor sees this quantity, and the instructor always sees the "
              "truth: an estimate would be shown to no one", key=True)
    e = s["estimate"]
    spec = EstimateSpec()
    if isinstance(e, dict):
        lo, hi = b.expr(p + ("estimate", "low"), e["low"]), b.expr(p + ("estimate", "high"), e["high"])
        if lo is not None and hi is not None and lo.is_constant and hi.is_constant and lo({}) > hi({}):
            b.err(p + ("estimate",), f"the estimate's low {lo({}):g} is above its high {hi({}):g}")
        spec = EstimateSpec(lo, hi)
        for part, ex in (("low", lo), ("high", hi)):
            for n in ex.names if ex is not None else ():
                if not sees_all_of(b.d, aud, name_audience(b.d, n)):
                    b.err(p + ("estimate", part), f"reads {n}, which this quantity's audience may not see: an "
                          "estimate may read only what its audience may read")
    reveal = b.expr(p + ("reveal",), s["reveal"]) if "reveal" in s else None
    return spec, reveal


def _check_computed(b: Builder, qs: dict[str, Quantity]) -> None:
    """A computed quantity's audience is no wider than its names', and no quantity computes from itself."""
    for q in qs.values():
        if q.compute is None:
            continue
        for n in q.compute.names:
            quoted = name_audience(b.d, n)
            if not sees_all_of(b.d, q.audience, quoted):
                b.err(("state", q.id, "compute"), f"reads {n}, whose audience ({', '.join(quoted)}) is narrower "
                      f"than this quantity's ({', '.join(q.audience)}): give it an `audience` no wider than "
                      "that of every name it reads")
    order = computed_order(qs)
    if order is None:
        loop = [q.id for q in qs.values() if q.compute is not None and q.id not in _acyclic(qs)]
        b.err(("state", loop[0], "compute"), f"computed quantities read each other in a loop ({', '.join(loop)})")


def _acyclic(qs: dict[str, Quantity]) -> list[str]:
    """The computed quantities in an order where each comes after those it reads (the others left out)."""
    done: list[str] = []
    placed: set[str] = set()
    pending = [q for q in qs.values() if q.compute is not None]
    progress = True
    while pending and progress:
        progress = False
        for q in list(pending):
            assert q.compute is not None
            if all(n not in qs or qs[n].compute is None or n in placed for n in q.compute.names):
                done.append(q.id)
                placed.add(q.id)
                pending.remove(q)
                progress = True
    return done


def computed_order(qs: dict[str, Quantity]) -> list[str] | None:
    """The computed quantities, each after those it reads; None when some read each other in a loop."""
    order = _acyclic(qs)
    return order if len(order) == sum(q.compute is not None for q in qs.values()) else None


def computed_bases(qs: dict[str, Quantity], qid: str) -> list[str]:
    """The non-computed names `qid` is computed from, through other computed ones (sorted); [qid] if not computed."""
    q = qs.get(qid)
    if q is None or q.compute is None:
        return [qid]
    out: set[str] = set()
    todo = list(q.compute.names)
    seen: set[str] = {qid}
    while todo:
        n = todo.pop()
        if n in seen:
            continue
        seen.add(n)
        sub = qs.get(n)
        if sub is not None and sub.compute is not None:
            todo.extend(sub.compute.names)
        else:
            out.add(n)
    return sorted(out)


def bounded(q: Quantity, value: float) -> float:
    """`value` (not NaN) within the quantity's `min`/`max` and the run's numeric range."""
    if q.lo is not None and value < q.lo:
        value = q.lo
    if q.hi is not None and value > q.hi:
        value = q.hi
    return min(max(value, -RUN_MAX), RUN_MAX)


class Watcher:
    """A condition or rate that must be looked at again when a name it reads changes.

    Setting `active = False` retires it for the rest of the run (it is never looked at again).
    """

    __slots__ = ("index", "expr", "check", "_active", "final", "settled", "_state")

    def __init__(self, index: int, expr: Expr, check: Callable[[Watcher], None], final: bool = False,
                 settled: bool = False, state: State | None = None) -> None:
        self.index = index
        self.expr = expr
        self.check = check
        self._active = True
        self.final = final  # still looked at in the step that ends the run (metrics)
        self.settled = settled  # up to date when the run starts: not looked at then (hazard rates)
        self._state = state  # the table it watches (its bit in `State.active` follows `active`)

    @property
    def active(self) -> bool:
        """Whether it is still looked at when a name it reads changes."""
        return self._active

    @active.setter
    def active(self, value: bool) -> None:
        """Switch the watcher on or off (its bit in the run's active mask follows)."""
        self._active = value
        st = self._state
        if st is not None:
            bit = 1 << self.index
            st.active = st.active | bit if value else st.active & ~bit


class LoopError(Exception):
    """Conditions keep re-triggering each other (a loop in the scenario's effects)."""


class State:
    """The name -> value table of one run, with the history of each quantity and its watchers.

    Watchers are bits: watcher i is bit i of `dirty` (due to be looked at) and of `active`.
    `masks[name]` has the bits of every watcher that reads `name`, so a change marks its
    watchers due with one `or`, and propagation takes due watchers in registration order by
    taking the lowest bit first. The wiring (`masks`, which watchers start due) is the same
    in every run of a scenario that registers the same watchers in the same order: pass a
    `wiring` dict kept with the scenario (`Scenario.cache`) and it is built once, then shared.
    """

    __slots__ = ("v", "history", "exact", "quantities", "watchers", "dirty", "active", "masks", "_sig", "_wiring",
                 "_shared", "_unsettled", "_follow")

    def __init__(self, quantities: dict[str, Quantity], v: dict[str, float] | None = None, *,
                 wiring: dict[str, Any] | None = None) -> None:
        self.v: dict[str, float] = {"t": 0.0} if v is None else v
        self.exact: dict[str, float] = {}  # integer quantities: the unrounded sum
        self.quantities = quantities
        self.watchers: list[Watcher] = []
        self.dirty = 0  # bit i set: watcher i is due
        self.active = 0  # bit i set: watcher i is still active
        self.masks: dict[str, int] | None = None  # name -> bits of its watchers; None until wired
        self._sig: list[tuple[tuple[str, ...], bool]] = []  # (names, settled) of each watcher, in order
        self._wiring = wiring
        self._shared = False  # masks belong to the scenario's template: copy before changing
        self._unsettled = 0
        self._follow: dict[str, Callable[[], None]] | None = None  # name -> what must follow it at once
        v0 = self.v
        for q in quantities.values():
            v0.setdefault(q.id, q.initial)
        self.history: dict[str, list[tuple[float, float]]] = {q.id: [(0.0, q.initial)] for q in quantities.values()}

    def add_watcher(self, expr: Expr, check: Callable[[Watcher], None], extra: tuple[str, ...] = (), *,
                    final: bool = False, settled: bool = False) -> Watcher:
        """Register `check` to run when any name `expr` (or `extra`) reads changes."""
        i = len(self.watchers)
        w = Watcher(i, expr, check, final, settled, self)
        self.watchers.append(w)
        names = expr.names + extra if extra else expr.names
        self.active |= 1 << i
        if self.masks is None:  # still setting up: wired all at once (see `_wire`)
            self._sig.append((names, settled))
            return w
        if self._shared:
            self.masks = dict(self.masks)
            self._shared = False
        masks = self.masks
        bit = 1 << i
        for n in names:
            masks[n] = masks.get(n, 0) | bit
        if not settled:
            self._unsettled |= bit
        return w

    def _wire(self) -> dict[str, int]:
        """The name -> watcher bits table: the scenario's if the same watchers were registered, else built."""
        tpl = self._wiring.get("watchers") if self._wiring is not None else None
        sig = self._sig
        if tpl is not None and tpl[0] == sig:
            _, masks, unsettled = tpl
            self._shared = True
        else:
            masks = {}
            unsettled = 0
            for i, (names, settled) in enumerate(sig):
                bit = 1 << i
                for n in names:
                    masks[n] = masks.get(n, 0) | bit
                if not settled:
                    unsettled |= bit
            if self._wiring is not None and tpl is None:
                self._wiring["watchers"] = (list(sig), masks, unsettled)
                self._shared = True
        self.masks = masks
        self._unsettled = unsettled
        return masks

    def reads_t(self) -> bool:
        """Does any watcher read the clock `t`?"""
        masks = self.masks if self.masks is not None else self._wire()
        return bool(masks.get("t"))

    def set(self, name: str, value: float) -> None:
        """Set a name; the watchers that read it become due, and what follows it (`follow`) runs now."""
        v = self.v
        if value == v[name]:
            return
        v[name] = value
        masks = self.masks
        if masks is None:
            masks = self._wire()
        m = masks.get(name)
        if m:
            self.dirty |= m & self.active
        follow = self._follow
        if follow is not None:
            fn = follow.get(name)
            if fn is not None:
                fn()

    def follow(self, name: str, fn: Callable[[], None]) -> None:
        """Call `fn` at once whenever `name` changes (computed quantities that read a derived name).

        A watcher would bring them up to date only after the step; an `if:` evaluated later in the
        same step (a task's arrival effects, say) would read the value from before the change.
        """
        if self._follow is None:
            self._follow = {}
        if name in self._follow:
            raise ValueError(f"{name!r} already has what follows it")
        self._follow[name] = fn

    def touch(self, name: str) -> None:
        """Mark the watchers of `name` due without changing it (the clock `t`)."""
        masks = self.masks if self.masks is not None else self._wire()
        m = masks.get(name)
        if m:
            self.dirty |= m & self.active

    def clamp(self, qid: str, value: float) -> tuple[float, bool]:
        """`value` within the quantity's bounds (NaN keeps the old value); whether it was non-finite."""
        bad = not math.isfinite(value)
        return bounded(self.quantities[qid], self.v[qid] if value != value else value), bad

    def check_all(self) -> None:
        """Mark every watcher due (at the start of a run), but those already up to date."""
        if self.masks is None:
            self._wire()
        self.dirty |= self._unsettled & self.active

    def propagate(self, run: Any) -> None:
        """Run due watchers, in registration order, until none is due (or `run.ended`)."""
        rounds = 0
        watchers = self.watchers
        while self.dirty:
            rounds += 1
            if rounds > 1000:
                raise LoopError("conditions keep re-triggering each other (a loop in the scenario's effects)")
            due = self.dirty
            self.dirty = 0
            while due:
                low = due & -due  # the lowest due bit: the earliest registered watcher
                due ^= low
                if self.active & low:  # (a check before it in this round may have retired it)
                    w = watchers[low.bit_length() - 1]
                    if w.final or not run.ended:
                        w.check(w)
