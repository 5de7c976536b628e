"""What the team knows versus the truth, computed quantities, drawn initial values and `since(id)`.

The engine always runs on the truth: conditions, rates, metrics and the instructor read the
name table. What a quantity's audience sees of it is computed here, in one place, for the
board (`view`), for the numbers an inject quotes (`seen_expr`) and for who may receive its
`state` events:

- a quantity with an `estimate` shows the estimate (a range, or "unknown") until it is
  revealed, by its `reveal` condition or a `{reveal: id}` effect; the reveal is an event for
  the quantity's audience. From then on its report delay applies as for any quantity;
- a computed quantity (`compute: expr`) is kept up to date in the table, with its history: at
  once when a state quantity it reads changes (`follow`, from `Simulation.set_quantity`) or a
  derived name it reads does (`State.follow`), so anything that reads it later in the same step
  (an effect's `if:`, a condition) sees the new value; its audience sees the expression of what that audience sees of each name it reads
  (delays and estimates included: a range is the smallest and largest value the expression
  takes at the ends of the ranges it reads);
- a drawn initial value is drawn at T0 from its own stream `("initial", id)`;
- `since(X)` reads `t - since:X`, where `since:X` is the minute X last happened (NaN before).
"""

from __future__ import annotations

import bisect
import itertools
import math
from typing import TYPE_CHECKING, Any

from .expr import SINCE, Expr
from .state import Quantity, bounded, computed_bases, computed_order
from .views import Estimate, QuantityView

if TYPE_CHECKING:
    from .model import Simulation
    from .scenario import Scenario
    from .state import Watcher

INSTRUCTOR = ("instructor",)
# An expression reading more ranges than this is shown as unknown (2**N corners to evaluate).
MAX_RANGES = 8

Seen = float | Estimate  # what a viewer sees of a name: its value, or an estimate instead


def seen_data(s: Seen) -> float | list[float] | None:
    """A seen value as an event carries it: a number, [low, high] for a range, None for unknown."""
    return s.as_data() if isinstance(s, Estimate) else s


def computed_delay(qs: dict[str, Quantity], qid: str) -> float:
    """The longest report delay behind a computed quantity: its audience's picture of it is that old."""
    return max((qs[n].report_delay for n in computed_bases(qs, qid) if n in qs), default=0.0)


def reported_computed(qs: dict[str, Quantity], qid: str, history: dict[str, list[tuple[float, float]]],
                      until: float) -> list[tuple[float, float]] | None:
    """When a computed quantity's audience saw it change, and to what, from the true histories of what it
    reads: [(minute, value)] from T0 to `until`; None when it reads a derived name (no history kept).

    The audience sees the expression of what it sees of each name (`_seen_computed`): a name with a
    report delay d as it stood d minutes before. So its picture can change only at a change of a
    name plus that name's delay, and can hold values the truth never held (names of different
    delays mixed). `history[name]`: (minute, value) pairs in order, the first at T0.
    """
    bases = computed_bases(qs, qid)
    if any(n not in qs for n in bases):
        return None
    delays = {n: qs[n].report_delay for n in bases}
    times = sorted({t + delays[n] for n in bases for t, _ in history[n] if t + delays[n] <= until} | {0.0})
    inner = _reads(qs, qid)
    order = [k for k in computed_order(qs) or [] if k == qid or k in inner]

    def at(n: str, t: float) -> float:
        hist = history[n]
        return hist[max(bisect.bisect_right(hist, (t, math.inf)) - 1, 0)][1]

    out: list[tuple[float, float]] = []
    for t in times:
        env = {n: at(n, t - delays[n]) for n in bases}
        for k in order:
            c = qs[k]
            assert c.compute is not None
            x = float(c.compute.fn(env))
            if not math.isfinite(x):
                x = out[-1][1] if k == qid and out else c.initial
            x = bounded(c, x)
            env[k] = float(round(x)) if c.integer else x
        value = env[qid]
        if not out or out[-1][1] != value:
            out.append((t, value))
    return out


def _range_within(q: Quantity, lo: float, hi: float) -> tuple[float, float]:
    """A range (low <= high) brought within the quantity's bounds, widened to whole numbers if it is whole."""
    if q.lo is not None:
        lo, hi = max(lo, q.lo), max(hi, q.lo)
    if q.hi is not None:
        lo, hi = min(lo, q.hi), min(hi, q.hi)
    if q.integer:
        lo, hi = float(math.floor(lo)), float(math.ceil(hi))
    return lo, hi


def _reads(qs: dict[str, Quantity], qid: str) -> set[str]:
    """The computed quantities `qid` reads, directly or through others."""
    out: set[str] = set()
    todo = [qid]
    while todo:
        c = qs[todo.pop()]
        for n in c.compute.names if c.compute is not None else ():
            if n in qs and qs[n].compute is not None and n not in out:
                out.add(n)
                todo.append(n)
    return out


class Knowledge:
    """The team's knowledge in one run: what is still unrevealed, and what each name looks like to it."""

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        qs = sim.scn.state
        self.order: list[Quantity] = [qs[k] for k in computed_order(qs) or []]
        self.bases = {q.id: computed_bases(qs, q.id) for q in self.order}
        # The longest report delay behind a computed quantity (its audience's picture is that old).
        self.delay = {q.id: computed_delay(qs, q.id) for q in self.order}
        # State quantity -> the computed quantities that read it (through others too), each after
        # those it reads: `set_quantity` brings them up to date at once (`follow`).
        self.dependents: dict[str, list[Quantity]] = {}
        for q in self.order:
            for n in self.bases[q.id]:
                if n in qs:
                    self.dependents.setdefault(n, []).append(q)
        self.unrevealed: set[str] = set()  # estimated quantities not yet revealed
        self.hidden: set[str] = set()  # those, and the computed quantities that read one of them
        self.revealed_at: dict[str, float] = {}

    @staticmethod
    def init_names(scn: Scenario, v: dict[str, float]) -> None:
        """The `since:X` names, at T0: no value (NaN) until X happens."""
        for ident in scn.since:
            v[SINCE + ident] = math.nan

    # ------------------------------------------------------------------ set-up
    def setup(self) -> None:
        """At T0, before any other watcher: draw initial values, compute the computed ones, watch."""
        sim = self.sim
        st = sim.state
        v = sim.v
        for q in sim.scn.state.values():
            if q.draw is not None:
                x, _ = st.clamp(q.id, sim.draw(q.draw, "initial", q.id))
                if q.integer:
                    st.exact[q.id] = x
                    x = float(round(x))
                v[q.id] = x
                sim.history[q.id] = [(0.0, x)]
        for q in self.order:
            x = self._computed(q)
            x = q.initial if x is None else x
            v[q.id] = x
            sim.history[q.id] = [(0.0, x)]
        self.unrevealed = {q.id for q in sim.scn.state.values() if q.estimate is not None}
        self._update_hidden()
        for ident, name in sim.scn.since.items():
            st.add_watcher(Expr(name, lambda e, n=name: e[n], (name,)),
                           lambda w, k=SINCE + ident: st.set(k, sim.env.now), final=True, settled=True)
        for q in self.order:
            assert q.compute is not None
            extra = tuple(n for n in self.bases[q.id] if n not in q.compute.names)
            st.add_watcher(q.compute, lambda w, q=q: self._recompute(q), extra, final=True, settled=True)
        # A derived name (a unit count, a decision's flag...) that a computed quantity reads brings it up
        # to date the moment it changes, as a state quantity does through `set_quantity`.
        qs = sim.scn.state
        derived: dict[str, list[Quantity]] = {}
        for q in self.order:
            for n in self.bases[q.id]:
                if n not in qs:
                    derived.setdefault(n, []).append(q)
        for n, deps in derived.items():
            st.follow(n, lambda deps=deps: self.follow(deps))
        for q in sim.scn.state.values():
            if q.reveal is not None:
                st.add_watcher(q.reveal, lambda w, q=q: self._reveal_when(w, q))

    def start(self) -> None:
        """Just after the start event: the drawn and computed T0 values, as `state` events (cause `initial`)."""
        sim = self.sim
        for q in sim.scn.state.values():
            if q.draw is not None or q.compute is not None:
                value = sim.v[q.id]
                sim.emit("state", q.id, self.audience(q), {"value": value, "delta": 0.0, "cause": "initial"})

    def audience(self, q: Quantity) -> tuple[str, ...]:
        """Who may receive the quantity's `state` events now (the instructor alone while it is unrevealed)."""
        return INSTRUCTOR if q.id in self.hidden else q.audience

    # ------------------------------------------------------------------ computed quantities
    def _computed(self, q: Quantity) -> float | None:
        """The computed quantity's value from the table, clamped and rounded; None when it has no value."""
        assert q.compute is not None
        x = float(q.compute.fn(self.sim.v))
        if x != x:  # no value (a since() before its event): it keeps the value it had
            return None
        x, _ = self.sim.state.clamp(q.id, x) if math.isfinite(x) else (x, True)
        return float(round(x)) if q.integer and math.isfinite(x) else x

    def _recompute(self, q: Quantity) -> None:
        x = self._computed(q)
        if x is not None:
            self.sim.set_quantity(q.id, x, "computed")

    def follow(self, deps: list[Quantity]) -> None:
        """A state quantity changed: recompute what is computed from it now, in order, so that
        every condition looked at afterwards sees them agree."""
        for q in deps:
            self._recompute(q)

    # ------------------------------------------------------------------ reveals
    def _update_hidden(self) -> None:
        hidden = set(self.unrevealed)
        for q in self.order:
            if any(n in self.unrevealed for n in self.bases[q.id]):
                hidden.add(q.id)
        self.hidden = hidden

    def _reveal_when(self, w: Watcher, q: Quantity) -> None:
        if w.expr.fn(self.sim.v):
            w.active = False
            self.reveal(q.id, "condition")

    def reveal(self, qid: str, cause: str) -> None:
        """Reveal a quantity now: its audience sees its value (with its report delay) from here on."""
        if qid not in self.unrevealed:
            return  # revealed already
        sim = self.sim
        q = sim.scn.state[qid]
        before = self.estimate(q)
        self.unrevealed.discard(qid)
        self._update_hidden()
        self.revealed_at[qid] = sim.env.now
        data: dict[str, Any] = {"value": seen_data(self.seen(qid)), "estimate": before.as_data(), "cause": cause}
        if q.report_delay > 0:
            data["as_of"] = sim.env.now - q.report_delay
        sim.emit("reveal", qid, q.audience, data)

    # ------------------------------------------------------------------ what the audience sees
    def estimate(self, q: Quantity) -> Estimate:
        """The quantity's estimate now (its range evaluated, within its bounds; whole for integers)."""
        spec = q.estimate
        if spec is None or spec.low is None or spec.high is None:
            return Estimate()
        v = self.sim.v
        # What the audience sees of each name; the quantity itself and other unknowns at their truth
        # (the author's choice, documented as revealing).
        names = set(spec.low.names) | set(spec.high.names)
        env = {n: v[n] if n == q.id or n in self.hidden else self.seen(n) for n in sorted(names)}
        lo, hi = float(spec.low.fn(env)), float(spec.high.fn(env))
        if not (math.isfinite(lo) and math.isfinite(hi)):
            return Estimate()
        return Estimate(*_range_within(q, min(lo, hi), max(lo, hi)))

    def seen(self, name: str) -> Seen:
        """What a quantity's audience sees of `name` now (a non-instructor viewer; every name but
        the state quantities is seen as it is)."""
        sim = self.sim
        q = sim.scn.state.get(name)
        if q is None:
            return sim.v[name]
        if q.compute is not None:
            return self._seen_computed(q)
        if name in self.unrevealed:
            return self.estimate(q)
        if q.report_delay > 0:
            return sim.value_at(name, sim.env.now - q.report_delay)[0]
        return sim.v[name]

    def seen_expr(self, ex: Expr) -> Seen:
        """An expression of what the audience sees (a range when it reads ranges: see the module doc)."""
        env: dict[str, float] = {}
        ranges: list[tuple[str, Estimate]] = []
        for n in ex.names:
            s = self.seen(n)
            if isinstance(s, Estimate):
                if s.unknown:
                    return Estimate()
                ranges.append((n, s))
            else:
                env[n] = s
        if not ranges:
            return float(ex.fn(env))
        if len(ranges) > MAX_RANGES:
            return Estimate()
        found = []
        for corner in itertools.product(*((r.low, r.high) for _, r in ranges)):
            env.update({n: float(x) for (n, _), x in zip(ranges, corner, strict=True)})  # type: ignore[arg-type]
            x = float(ex.fn(env))
            if math.isfinite(x):
                found.append(x)
        if not found:
            return Estimate()
        lo, hi = min(found), max(found)
        return lo if lo == hi else Estimate(lo, hi)

    def _seen_computed(self, q: Quantity) -> Seen:
        assert q.compute is not None
        s = self.seen_expr(q.compute)
        if isinstance(s, Estimate):
            if s.unknown or s.low is None or s.high is None:
                return s
            lo, hi = _range_within(q, s.low, s.high)
            return lo if lo == hi else Estimate(lo, hi)
        if s != s or not math.isfinite(s):
            return self.sim.v[q.id]  # as the table keeps it (no value: its last one)
        s, _ = self.sim.state.clamp(q.id, s)
        return float(round(s)) if q.integer else s

    def view(self, q: Quantity, role: str | None) -> QuantityView:
        """The quantity as `role` sees it now (None: the instructor, with the audience's estimate beside)."""
        sim = self.sim
        now = sim.env.now
        if role is None:
            value, prev, changed = sim.value_at(q.id, now)
            est = self.seen(q.id) if q.id in self.hidden else None
            return QuantityView(q.id, value, prev, changed, now, est if isinstance(est, Estimate) else None)
        if q.id in self.hidden:
            s = self.seen(q.id)
            if isinstance(s, Estimate):
                return QuantityView(q.id, None, None, None, now, s)
            return QuantityView(q.id, s, None, None, now)
        if q.compute is not None and self.delay[q.id] > 0:
            s = self._seen_computed(q)
            assert not isinstance(s, Estimate)
            return QuantityView(q.id, s, None, None, now - self.delay[q.id])
        as_of = now - q.report_delay
        value, prev, changed = sim.value_at(q.id, as_of)
        r = self.revealed_at.get(q.id)
        if r is None and q.compute is not None and self.revealed_at:
            r = max((self.revealed_at.get(n, -math.inf) for n in self.bases[q.id]), default=None)
        if r is not None and changed is not None and changed < r:
            prev, changed = None, None  # a change made before the audience knew the value: not seen as one
        return QuantityView(q.id, value, prev, changed, as_of)
