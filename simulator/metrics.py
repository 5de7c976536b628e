"""Metrics and objectives: what a run measures, and the HSEEP rating of each measure.

"Add a metric kind" is one class here: a subclass of `MetricKind` that says how it reads
its YAML (`parse`), which conditions it follows during the run (`watch`), and its value
(`value`); then list it in `KINDS`. `MetricBook.values` applies what every kind shares
(`missing:` for a value that never came, rounding).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from .distributions import RUN_MAX
from .expr import Expr
from .text import Text

if TYPE_CHECKING:
    from .loading import Builder
    from .model import Simulation
    from .safeyaml import PathKey
    from .state import Watcher


@dataclass(frozen=True)
class Metric:
    """A measure over the run: its kind (a key of KINDS), expressions, and which way is better."""

    id: str
    label: Text
    unit: Text | None
    kind: str  # value | first | max | min | mean | latency | between
    expr: Expr | None
    decision: str | None
    missing: float | None
    better: str
    until: Expr | None = None  # `between`: the second condition


@dataclass(frozen=True)
class Objective:
    """An exercise objective: an HSEEP capability rated by a metric against P/S/M thresholds."""

    id: str
    label: Text
    capability: str
    metric: str
    thresholds: dict[str, float]


@dataclass(frozen=True)
class ObjectiveRating:
    """An objective's measured value and its rating (P, S, M or U)."""

    id: str
    metric: str
    value: float | None
    rating: str  # P S M U


def rate(value: float | None, thresholds: dict[str, float], better: str) -> str:
    """HSEEP rating of a measured value against P/S/M thresholds."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "U"
    for r in ("P", "S", "M"):
        th = thresholds[r]
        if (value <= th) if better == "lower" else (value >= th):
            return r
    return "U"


# --------------------------------------------------------------------------- kinds


class MetricKind:
    """One kind of metric: its YAML form and its run-time follower (one instance per metric)."""

    key: ClassVar[str]

    def __init__(self, sim: Simulation, m: Metric) -> None:
        self.sim = sim
        self.m = m

    @classmethod
    def parse(cls, b: Builder, p: PathKey, spec: dict[str, Any]) -> tuple[Expr | None, Expr | None, str | None]:
        """(expression, second condition, decision point) from the metric's YAML."""
        return b.expr(p + (cls.key,), spec[cls.key]), None, None

    def watch(self) -> None:
        """Register the watchers this metric needs (none by default)."""

    def finish(self, now: float) -> None:
        """The run ended at `now` (close any time integral)."""

    def value(self, now: float) -> float | None:
        """The metric's value now (None when it has none)."""
        raise NotImplementedError


class ValueMetric(MetricKind):
    """`value: expr`: the expression's value (at the end, once the run has ended)."""

    key = "value"

    def value(self, now: float) -> float | None:
        """The expression now."""
        assert self.m.expr is not None
        return float(self.m.expr(self.sim.v))


class FirstMetric(MetricKind):
    """`first: cond`: the minute the condition first held."""

    key = "first"

    def watch(self) -> None:
        """Follow the condition until it holds."""
        assert self.m.expr is not None
        self.at: float | None = 0.0 if self.m.expr(self.sim.v) else None
        self.sim.state.add_watcher(self.m.expr, self._check, final=True)

    def _check(self, w: Watcher) -> None:
        if w.expr.fn(self.sim.v) and self.at is None:
            self.at = self.sim.env.now
            w.active = False

    def value(self, now: float) -> float | None:
        """The minute, or None if it never held."""
        return self.at


class ExtremeMetric(MetricKind):
    """`max: expr` / `min: expr`: the largest (smallest) value the expression took."""

    key = "max"
    pick = staticmethod(max)

    def watch(self) -> None:
        """Follow every change of the expression."""
        assert self.m.expr is not None
        self.best = float(self.m.expr(self.sim.v))
        self.sim.state.add_watcher(self.m.expr, self._check, final=True)

    def _check(self, w: Watcher) -> None:
        self.best = self.pick(self.best, float(w.expr.fn(self.sim.v)))

    def value(self, now: float) -> float | None:
        """The extreme so far."""
        return self.best


class MinMetric(ExtremeMetric):
    """`min: expr`: the smallest value the expression took."""

    key = "min"
    pick = staticmethod(min)


class MeanMetric(MetricKind):
    """`mean: expr`: the time average of the expression over the run."""

    key = "mean"

    def watch(self) -> None:
        """Integrate the expression over time."""
        assert self.m.expr is not None
        self.integral, self.last, self.last_t = 0.0, float(self.m.expr(self.sim.v)), 0.0
        self.sim.state.add_watcher(self.m.expr, self._check, final=True)

    def _check(self, w: Watcher) -> None:
        now = self.sim.env.now
        self.integral += self.last * (now - self.last_t)
        self.last, self.last_t = float(w.expr.fn(self.sim.v)), now

    def finish(self, now: float) -> None:
        """Close the integral at the end."""
        self.integral += self.last * (now - self.last_t)
        self.last_t = now

    def value(self, now: float) -> float | None:
        """The average up to `now`."""
        integral = self.integral + self.last * (now - self.last_t)
        return integral / now if now > 0 else self.last


class LatencyMetric(MetricKind):
    """`latency: DP`: minutes from a decision point opening to the team's answer."""

    key = "latency"

    @classmethod
    def parse(cls, b: Builder, p: PathKey, spec: dict[str, Any]) -> tuple[Expr | None, Expr | None, str | None]:
        """The decision point it names."""
        b.ref(p + ("latency",), "decisions", spec["latency"])
        return None, None, spec["latency"]

    def value(self, now: float) -> float | None:
        """`DecisionState.latency` (None when the team did not answer)."""
        st = self.sim.decisions.get(self.m.decision or "")
        return None if st is None else st.latency


class BetweenMetric(MetricKind):
    """`between: [A, B]`: minutes from A first holding to B first holding after it."""

    key = "between"

    @classmethod
    def parse(cls, b: Builder, p: PathKey, spec: dict[str, Any]) -> tuple[Expr | None, Expr | None, str | None]:
        """The two conditions."""
        return b.expr(p + ("between", 0), spec["between"][0]), b.expr(p + ("between", 1), spec["between"][1]), None

    def watch(self) -> None:
        """Follow A until it holds, then B."""
        assert self.m.expr is not None and self.m.until is not None
        self.start: float | None = None
        self.span: float | None = None
        st = self.sim.state
        st.add_watcher(self.m.expr, self._from, final=True)
        st.add_watcher(self.m.until, self._to, final=True)

    def _from(self, w: Watcher) -> None:
        if self.start is None and w.expr.fn(self.sim.v):
            self.start = self.sim.env.now
            w.active = False
        self._to(w)

    def _to(self, w: Watcher) -> None:
        assert self.m.until is not None
        if self.start is not None and self.span is None and self.m.until(self.sim.v):
            self.span = self.sim.env.now - self.start

    def value(self, now: float) -> float | None:
        """The span, or None if B never followed A."""
        return self.span


KINDS: dict[str, type[MetricKind]] = {k.key: k for k in (ValueMetric, FirstMetric, ExtremeMetric, MinMetric,
                                                          MeanMetric, LatencyMetric, BetweenMetric)}


def parse_metrics(b: Builder) -> dict[str, Metric]:
    """The scenario's `metrics` section, checked."""
    out = {}
    for k, m in (b.d.get("metrics") or {}).items():
        p = ("metrics", k)
        kinds = [x for x in KINDS if x in m]
        if len(kinds) != 1:
            b.err(p, f"a metric needs exactly one of {', '.join(KINDS)}")
            continue
        ex, until, dec = KINDS[kinds[0]].parse(b, p, m)
        out[k] = Metric(k, m["label"], m.get("unit"), kinds[0], ex, dec, m.get("missing"),
                        m.get("better", "lower"), until)
    return out


def parse_objectives(b: Builder) -> dict[str, Objective]:
    """The scenario's `objectives` section, checked."""
    d = b.d
    out = {}
    for k, o in (d.get("objectives") or {}).items():
        p = ("objectives", k)
        b.ref(p + ("metric",), "metrics", o["metric"])
        th = o["thresholds"]
        better = (d.get("metrics") or {}).get(o["metric"], {}).get("better", "lower")
        ordered = th["P"] <= th["S"] <= th["M"] if better == "lower" else th["P"] >= th["S"] >= th["M"]
        if not ordered:
            rel = "<=" if better == "lower" else ">="
            b.err(p + ("thresholds",), f"thresholds must run P {rel} S {rel} M for a metric where {better} is better")
        out[k] = Objective(k, o["label"], o["capability"], o["metric"], {x: float(th[x]) for x in "PSM"})
    return out


class MetricBook:
    """The metric followers of one run."""

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.trackers = {m.id: KINDS[m.kind](sim, m) for m in sim.scn.metrics.values()}

    def watch(self) -> None:
        """Register every metric's watchers (in the scenario's order)."""
        for t in self.trackers.values():
            t.watch()

    def finish(self, now: float) -> None:
        """The run ended."""
        for t in self.trackers.values():
            t.finish(now)

    def values(self, now: float) -> dict[str, float | None]:
        """Every metric's value at `now` (`missing:` stands in for a value that never came)."""
        out: dict[str, float | None] = {}
        for mid, t in self.trackers.items():
            val = t.value(now)
            m = t.m
            if val is not None and val != val:  # NaN: no value
                val = None
            if val is None and m.missing is not None:
                val = m.missing
            out[mid] = None if val is None else round(min(max(float(val), -RUN_MAX), RUN_MAX), 6)
        return out

    def ratings(self, metrics: dict[str, float | None]) -> list[ObjectiveRating]:
        """Each objective's rating from metric values."""
        scn = self.sim.scn
        return [ObjectiveRating(o.id, o.metric, metrics.get(o.metric),
                                rate(metrics.get(o.metric), o.thresholds, scn.metrics[o.metric].better))
                for o in scn.objectives.values()]
