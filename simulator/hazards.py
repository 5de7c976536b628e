"""Hazards (the scenario's `processes`): stochastic occurrences at a rate that depends on the state.

Each occurrence happens after a unit-rate exponential amount of integrated rate, drawn
from the process's own stream. When the state changes the rate, the hazard accumulated so
far is kept and the firing is rescheduled, so a decision that slows escalation delays the
same random draw rather than re-rolling it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from simpy.events import Timeout

from .effects import Effect, apply
from .expr import SINCE, Expr, constant
from .text import Text

if TYPE_CHECKING:
    import numpy as np
    import simpy

    from .loading import Builder
    from .model import Simulation
    from .scenario import Scenario
    from .state import Watcher


@dataclass(frozen=True)
class Process:
    """A hazard: rate (events per hour, an expression), optional condition, limit and effects."""

    id: str
    label: Text
    rate: Expr  # events per hour
    when: Expr | None
    limit: int | None
    effects: tuple[Effect, ...]


def parse_processes(b: Builder) -> dict[str, Process]:
    """The scenario's `processes` section, checked."""
    out = {}
    for k, pr in (b.d.get("processes") or {}).items():
        p = ("processes", k)
        if "source" in pr:
            b.source_ref(p + ("source",), pr["source"])
        rate = b.expr(p + ("rate",), pr["rate"])
        out[k] = Process(k, pr.get("label") or {"es": k, "en": k}, rate or constant(0.0),
                         b.opt_expr(p, pr, "when"), pr.get("limit"),
                         b.effects(p + ("effects",), pr["effects"], f"process.{k}"))
    return out


# Rates in events per hour are clamped to this (a warning says so): beyond it a scenario
# is asking for more events than a run can hold.
MAX_RATE = 1e6

# 5-point Gauss-Lobatto nodes and weights on [-1, 1]: exact for polynomials of degree <= 7.
# Its nodes include both ends, so a piece that holds one jump of the rate sees both sides of it
# and adaptive halving (below) locates it; a narrow window between two nodes is another matter.
_R37 = math.sqrt(3 / 7)  # the inner nodes are at +-sqrt(3/7); weights 1/10 (ends), 49/90, 32/45 (middle)
_W1, _W0 = 49 / 90, 32 / 45
# Adaptive quadrature: halves that agree with their whole to this many expected events are
# taken; an interval is halved at most this many times (a jump is then located to 2**-40 min).
# Both ends of every piece are nodes, so a jump anywhere in a piece is seen.
_TOL = 1e-10
_DEPTH = 40
_PIECE = 1 / 16  # minutes: the widest piece whose halves are trusted to agree with it
_EVALS = 1200  # rate evaluations one integral may spend refining (then it takes what it has)


class Hazard:
    """The run-time state of one process: its target, accumulated hazard and current rate.

    A rate that reads the clock `t` changes between events: its integral over each minute is
    computed by adaptive Gauss-Lobatto quadrature (exact for polynomials in `t` up to degree 7,
    and to `_TOL` expected events for a rate that jumps) and the firing time found by regula falsi
    with bisection, so `rate: 6*t` and `6000 if 3.3 < t < 3.6 else 0` fire when they should.

    The target of a cycle is drawn when the cycle is first scheduled with a positive rate,
    not when it begins: a process whose rate stays 0 never creates its stream. The values are
    the same (its stream is its own, read in the same order), the work is not.
    """

    __slots__ = ("sim", "p", "rng", "target", "acc", "since", "rate", "token", "count", "alive", "timed", "_env", "_on",
                 "_count_name", "_simenv", "_v", "_when", "_rate_fn", "_fire_cb", "_cause", "_left", "_memo")

    def __init__(self, sim: Simulation, p: Process) -> None:
        self.sim = sim
        self.p = p
        self.rng: np.random.Generator | None = None  # its stream, created at its first draw
        self.target: float | None = None  # None: this cycle's target is not drawn yet
        self.acc = self.since = self.rate = 0.0
        self.token = 0
        self.count = 0
        self.alive = True
        self.timed = "t" in p.rate.names
        self._env: dict[str, float] = {}  # timed rates: the state since `since` (all but `t`)
        self._on = False  # timed rates: whether the condition held since `since`
        self._count_name = f"{p.id}.count"
        self._simenv = sim.env
        self._v = sim.v  # the run's name table (the same dict all run long)
        self._when = p.when.fn if p.when is not None else None
        self._rate_fn = p.rate.fn
        self._fire_cb = self._fire  # one bound method for every timeout it schedules
        self._cause = f"process.{p.id}"
        self._left = 0  # timed rates: evaluations left to the integral being computed
        self._memo: tuple[float, float, float] = (0.0, -1.0, 0.0)  # timed: (a, b, integral) last scheduled

    def _draw(self) -> float:
        """This cycle's target: the next unit-rate exponential of the process's stream."""
        rng = self.rng
        if rng is None:
            rng = self.rng = self.sim.streams.get("process", self.p.id)
        target = self.target = float(rng.standard_exponential())
        return target

    def _snap(self) -> None:
        self._env = dict(self.sim.v)
        self._on = self.p.when is None or bool(self.p.when(self.sim.v))

    def _rate_at(self, s: float) -> float:
        """The rate per minute at time `s`, the rest of the state as it is now."""
        self._left -= 1
        env = self._env
        env["t"] = s
        r = float(self._rate_fn(env))
        r = r if r > 0 else 0.0
        return (r if r < MAX_RATE else MAX_RATE) / 60.0

    def _lobatto(self, a: float, b: float, fa: float, fm: float, fb: float) -> float:
        """5-point Gauss-Lobatto over [a, b], given the rate at a, the middle and b (two new evaluations)."""
        h = (b - a) / 2
        c = a + h
        return h * (0.1 * (fa + fb) + _W1 * (self._rate_at(c - h * _R37) + self._rate_at(c + h * _R37))
                    + _W0 * fm)

    def _integral(self, a: float, b: float) -> float:
        """The hazard the rate accumulates from `a` to `b` (expected events).

        The interval is cut into pieces of at most `_PIECE` minutes, and a piece whose two halves
        disagree with the whole is halved again, so a rate that jumps inside a minute
        (`6000 if 3.3 < t < 3.6 else 0`) is integrated as closely as a smooth one. A window of
        rate that falls between every node of its piece (under about half a second) can be
        missed; `_EVALS` bounds the work of one integral (a rate that jumps thousands of times
        a minute is then integrated approximately, never for ever).
        """
        if b <= a:
            return 0.0
        n = min(max(1, math.ceil((b - a) / _PIECE)), 4096)
        step = (b - a) / n
        self._left = _EVALS
        total = 0.0
        lo, f_lo = a, self._rate_at(a)
        for i in range(n):
            hi = b if i == n - 1 else a + (i + 1) * step
            mid = (lo + hi) / 2
            f_mid, f_hi = self._rate_at(mid), self._rate_at(hi)
            total += self._adapt(lo, hi, f_lo, f_mid, f_hi, self._lobatto(lo, hi, f_lo, f_mid, f_hi), 0)
            lo, f_lo = hi, f_hi
        return total

    def _adapt(self, a: float, b: float, fa: float, fm: float, fb: float, whole: float, depth: int) -> float:
        m = (a + b) / 2
        lm, rm = (a + m) / 2, (m + b) / 2
        f_lm, f_rm = self._rate_at(lm), self._rate_at(rm)
        left, right = self._lobatto(a, m, fa, f_lm, fm), self._lobatto(m, b, fm, f_rm, fb)
        if depth >= _DEPTH or self._left <= 0 or abs(left + right - whole) <= _TOL:
            return left + right
        return (self._adapt(a, m, fa, f_lm, fm, left, depth + 1)
                + self._adapt(m, b, fm, f_rm, fb, right, depth + 1))

    def _warn_rate(self, raw: float) -> float:
        p = self.p
        if raw != raw and any(self._v[n] != self._v[n] for n in p.rate.names if n.startswith(SINCE)):
            return 0.0  # a since() before its event has no value: not a fault, "not yet"
        used = 0.0 if raw != raw else MAX_RATE
        self.sim.warn(f"processes.{p.id}.rate", "rate", {
            "es": f"processes.{p.id}.rate: la tasa valía {raw:g} por hora; se usó {used:g}",
            "en": f"processes.{p.id}.rate: the rate was {raw:g} per hour; {used:g} was used",
        })
        return used

    def current_rate(self) -> float:
        """The rate now, per minute (0 when its condition is false or the rate is not positive)."""
        v = self._v
        when = self._when
        if when is not None and not when(v):
            return 0.0
        raw = float(self._rate_fn(v))
        if not raw < MAX_RATE and raw != MAX_RATE:  # above the cap, or NaN
            raw = self._warn_rate(raw)
        r = raw / 60.0
        return r if r > 0 else 0.0  # negative or NaN rates mean "not now"

    def cycle(self) -> None:
        """Begin the next cycle (its target drawn once it is scheduled) and schedule the firing."""
        self.target = None
        self.acc = 0.0
        self.since = self._simenv._now
        self.rate = self.current_rate()
        if self.timed:
            self._snap()
        self._schedule()

    def _schedule(self) -> None:
        self.token += 1
        if self.timed:
            self._schedule_timed()
            return
        rate = self.rate
        if rate <= 0:
            return
        target = self.target
        if target is None:
            target = self._draw()
        if rate == math.inf:
            delay = 0.0
        else:
            delay = (target - self.acc) / rate
            delay = 0.0 if delay < 0.0 else delay  # max(delay, 0.0), without the call
        Timeout(self._simenv, delay, self.token).callbacks.append(self._fire_cb)

    def _schedule_timed(self) -> None:
        # Look as far as the next whole minute: the clock's tick re-examines the rate there.
        if not self._on:
            return
        now = self.sim.env.now
        end = math.floor(now) + 1.0
        target = self.target
        if target is None:
            target = self._draw()
        need = target - self.acc
        total = self._integral(now, end)
        self._memo = (now, end, total)  # the tick at `end` asks for this very integral again
        if total < need:
            return
        # The firing time solves H(x) = need, H the hazard from `now` (non-decreasing): a bracket
        # [lo, hi] with H(lo) < need <= H(hi), narrowed by regula falsi (Illinois: the end that
        # stays has its value halved) with a bisection when a step gains little, integrating
        # only [lo, x] each time. A smooth rate takes a few steps; a jump is found by bisection.
        lo, hi, h_lo, h_hi = now, end, 0.0, total
        f_lo, f_hi = -need, total - need  # H - need at the ends, as the interpolation uses them
        side = 0
        while hi - lo > 1e-12 * (1.0 + abs(hi)):
            width = hi - lo
            x = hi - f_hi * width / (f_hi - f_lo) if f_hi != f_lo else (lo + hi) / 2
            if not lo < x < hi:
                x = (lo + hi) / 2
            h_x = h_lo + self._integral(lo, x)
            if h_x < need:
                lo, h_lo, f_lo = x, h_x, h_x - need
                f_hi = f_hi / 2 if side == -1 else h_hi - need
                side = -1
            else:
                hi, h_hi, f_hi = x, h_x, h_x - need
                f_lo = f_lo / 2 if side == 1 else h_lo - need
                side = 1
            if hi - lo > width / 2:  # less than a bisection's gain: bisect once
                mid = (lo + hi) / 2
                if not lo < mid < hi:
                    break
                h_m = h_lo + self._integral(lo, mid)
                if h_m < need:
                    lo, h_lo = mid, h_m
                else:
                    hi, h_hi = mid, h_m
                f_lo, f_hi, side = h_lo - need, h_hi - need, 0
        ev = self.sim.env.timeout(hi - now, self.token)
        ev.callbacks.append(self._fire_cb)

    def recheck(self, w: Watcher | None = None) -> None:
        """The state changed: keep the hazard accumulated so far and reschedule at the new rate."""
        if not self.alive:
            return
        if self.timed:
            now = self._simenv._now
            if self._on:
                a, b, known = self._memo
                # The same interval over the same state (the snapshot taken at `since`): the same number.
                self.acc += known if (a, b) == (self.since, now) else self._integral(self.since, now)
            self.since = now
            self.rate = self.current_rate()
            self._snap()
            self._schedule()
            return
        # current_rate(), inline: this runs after every change of a name the rate reads
        v = self._v
        when = self._when
        if when is not None and not when(v):
            new = 0.0
        else:
            raw = float(self._rate_fn(v))
            if not raw < MAX_RATE and raw != MAX_RATE:  # above the cap, or NaN
                raw = self._warn_rate(raw)
            new = raw / 60.0
            if not new > 0:
                new = 0.0
        rate = self.rate
        if new == rate:
            return
        now = self._simenv._now
        if rate != math.inf:
            self.acc += rate * (now - self.since)
        self.since = now
        self.rate = new
        self._schedule()

    def _fire(self, ev: simpy.Event) -> None:
        sim = self.sim
        if ev._value != self.token or not self.alive or sim.ended:
            return  # superseded by a reschedule
        count = self.count = self.count + 1
        p = self.p
        sim.state.set(self._count_name, float(count))
        if sim.record:
            sim.emit("process", p.id, ("instructor",), {"n": count})
        else:
            sim.n_events += 1  # counted as if recorded (budgets, sequence numbers)
        if p.limit is not None and count >= p.limit:
            self.alive = False
        else:
            self.cycle()
        # If the effects change what the rate reads, the watchers reschedule it after this step.
        apply(sim, p.effects, self._cause)


class Hazards:
    """Every hazard of one run."""

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.by_id: dict[str, Hazard] = {}

    @staticmethod
    def init_names(scn: Scenario, v: dict[str, float]) -> None:
        """The names processes derive, at T0."""
        for p in scn.processes:
            v[f"{p}.count"] = 0.0

    def watch(self) -> None:
        """Register each rate (and its condition) as a watcher."""
        st = self.sim.state
        for p in self.sim.scn.processes.values():
            h = Hazard(self.sim, p)
            self.by_id[p.id] = h
            # Each rate is computed when its hazard starts, just before the run's first look.
            st.add_watcher(p.rate, h.recheck, p.when.names if p.when is not None else (), settled=True)

    def start(self) -> None:
        """Draw every hazard's first target."""
        for h in self.by_id.values():
            h.cycle()


