"""Metrics and objectives: what a run measures, and the HSEEP rating of each measure.

"Add a metric kind" is one class here: a subclass of `MetricKind` that says how it reads
its YAML (`parse`), which conditions it follows during the run (`watch`), and its value
(`value`); then list it in `KINDS`. `MetricBook.values` applies what every kind shares
(rounding, no value for NaN). A measure whose event never happened has no value (None),
never a placeholder; the objective says how that is rated (`if_missing`), and an objective
with `applies_when` is rated only if its condition held at some time (else N/A).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from .distributions import RUN_MAX, finite
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
    better: str
    until: Expr | None = None  # `between`: the second condition

    @property
    def can_miss(self) -> bool:
        """Whether the measure may never happen (its kind waits for an event): then it has no value."""
        return KINDS[self.kind].can_miss


@dataclass(frozen=True)
class Objective:
    """An exercise objective: an HSEEP capability rated by a metric against P/S/M thresholds."""

    id: str
    label: Text
    capability: str
    metric: str
    thresholds: dict[str, float]
    if_missing: str = "U"  # rating when the measure's event never happened
    applies_when: Expr | None = None  # rated only if this held at some time; else N/A


# How an objective's rating was reached: its value against the thresholds; the objective's
# `if_missing` rule because the measured event never happened; not applicable because its
# `applies_when` condition never held; not rated because the point it measures never opened
# (`not_opened`), or because the run ended while the measure could still have earned more than
# one rating (`cut_short`: a point still open before its deadline, a time not reached when the
# instructor ended the run early).
RATING_RULES = ("thresholds", "if_missing", "not_applicable", "not_opened", "cut_short")
NOT_APPLICABLE = "N/A"


@dataclass(frozen=True)
class ObjectiveRating:
    """An objective's HSEEP rating and what it rests on."""

    id: str
    metric: str
    value: float | None  # None: the measure was not reached (or the objective does not apply)
    rating: str  # P S M U, or N/A when it is not rated (the rule says why)
    rule: str = "thresholds"  # one of RATING_RULES
    applicable: bool = True
    reached: bool = True  # False: the measured event never happened


def rate(value: float | None, thresholds: dict[str, float], better: str) -> str:
    """HSEEP rating of a measured value against P/S/M thresholds."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "U"
    for r in ("P", "S", "M"):
        th = thresholds[r]
        if (value <= th) if better == "lower" else (value >= th):
            return r
    return "U"


def possible_ratings(low: float, high: float, thresholds: dict[str, float], better: str) -> set[str]:
    """Every rating a value in (low, high] would earn (`high` may be infinite)."""
    points = [high if math.isfinite(high) else max(low, *thresholds.values()) * 2 + 1e9]
    points.append(math.nextafter(low, math.inf) if low < high else high)
    for th in thresholds.values():  # each threshold inside the range, and the value just past it
        if low < th <= high:
            points += [th, math.nextafter(th, math.inf) if th < high else th]
    return {rate(x, thresholds, better) for x in points}


# --------------------------------------------------------------------------- kinds


class MetricKind:
    """One kind of metric: its YAML form and its run-time follower (one instance per metric)."""

    key: ClassVar[str]
    can_miss: ClassVar[bool] = False  # True for kinds that wait for an event that may never come

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

    def unmeasured(self) -> bool:
        """Could the measure not be taken at all in this run (a decision point that never opened)?"""
        return False

    def from_start(self) -> bool:
        """Did the measure already hold as the run was set up, before anything happened in it?"""
        return False

    def bounds(self, now: float, complete: bool) -> tuple[float, float] | None:
        """For a measure with no value at `now`: the range (low, high] its value could still have
        taken had the run gone on, or None when it can no longer have one. `complete`: the run
        reached an end of its own (the time limit, a scenario ending), not the instructor's or the
        budget's, so a time not reached by then never came."""
        return None

    def read(self, x: float, prev: float = math.nan, warn: bool = True) -> float:
        """A reading of the metric's expression as every run-time value is read: an infinite one
        within +-1e12, a NaN one (no value) as `prev`, the reading before it; `warn`: journal a
        warning the first time one had to be corrected (never from a mere look at the value)."""
        x = float(x)
        if -RUN_MAX <= x <= RUN_MAX:  # (every reading but a non-finite or huge one: no call)
            return x
        where = f"metrics.{self.m.id}"
        if x != x:
            y = prev
            text = {"es": f"{where}: la expresión no tenía valor (NaN); se mantuvo la lectura anterior",
                    "en": f"{where}: the expression had no value (NaN); the reading before it was kept"}
        else:
            y = finite(x)[0]
            text = {"es": f"{where}: la expresión valía {x:.9g}; se usó {y:.9g}",
                    "en": f"{where}: the expression was {x:.9g}; {y:.9g} was used"}
        if warn:
            self.sim.warn(where, "nonfinite", text)
        return y


class ValueMetric(MetricKind):
    """`value: expr`: the expression's value (at the end, once the run has ended)."""

    key = "value"

    def finish(self, now: float) -> None:
        """Journal a warning if the final value is not a finite number."""
        assert self.m.expr is not None
        self.read(self.m.expr(self.sim.v))

    def value(self, now: float) -> float | None:
        """The expression now."""
        assert self.m.expr is not None
        return self.read(self.m.expr(self.sim.v), warn=False)  # (NaN: no value)


class FirstMetric(MetricKind):
    """`first: cond`: the minute the condition first held."""

    key = "first"
    can_miss = True

    def watch(self) -> None:
        """Follow the condition until it holds."""
        assert self.m.expr is not None
        self.at: float | None = 0.0 if self.m.expr(self.sim.v) else None
        self.held_at_setup = self.at is not None
        self.sim.state.add_watcher(self.m.expr, self._check, final=True)

    def _check(self, w: Watcher) -> None:
        if w.expr.fn(self.sim.v) and self.at is None:
            self.at = self.sim.env.now
            w.active = False

    def value(self, now: float) -> float | None:
        """The minute, or None if it never held."""
        return self.at

    def from_start(self) -> bool:
        """The condition held in the scenario's initial state."""
        return self.held_at_setup

    def bounds(self, now: float, complete: bool) -> tuple[float, float] | None:
        """Not held by `now`: any later minute, unless the run reached its own end."""
        return None if complete else (now, math.inf)


class ExtremeMetric(MetricKind):
    """`max: expr` / `min: expr`: the largest (smallest) value the expression took."""

    key = "max"
    pick = staticmethod(max)

    def watch(self) -> None:
        """Follow every change of the expression."""
        assert self.m.expr is not None
        self.best = self.read(self.m.expr(self.sim.v))
        self.sim.state.add_watcher(self.m.expr, self._check, final=True)

    def _check(self, w: Watcher) -> None:
        x = self.read(w.expr.fn(self.sim.v), self.best)
        self.best = x if self.best != self.best else self.pick(self.best, x)  # (no value yet: this one)

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
        self.integral, self.last, self.last_t = 0.0, self.read(self.m.expr(self.sim.v)), 0.0
        self.sim.state.add_watcher(self.m.expr, self._check, final=True)

    def _check(self, w: Watcher) -> None:
        now = self.sim.env.now
        self.integral += self.last * (now - self.last_t)
        self.last, self.last_t = self.read(w.expr.fn(self.sim.v), self.last), now

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
    can_miss = True

    @classmethod
    def parse(cls, b: Builder, p: PathKey, spec: dict[str, Any]) -> tuple[Expr | None, Expr | None, str | None]:
        """The decision point it names."""
        b.ref(p + ("latency",), "decisions", spec["latency"])
        return None, None, spec["latency"]

    def value(self, now: float) -> float | None:
        """`DecisionState.latency` (None when the team did not answer)."""
        st = self.sim.decisions.get(self.m.decision or "")
        return None if st is None else st.latency

    def unmeasured(self) -> bool:
        """The point never opened: there was nothing to answer."""
        return self.sim.decisions.get(self.m.decision or "") is None

    def bounds(self, now: float, complete: bool) -> tuple[float, float] | None:
        """Still open at `now`: any answer up to its deadline, or any later one when it has none
        (None: the default came)."""
        st = self.sim.decisions.get(self.m.decision or "")
        if st is None or not st.open_at(now):
            return None
        return (now - st.opened_at, math.inf if st.deadline_at is None else st.deadline_at - st.opened_at)


class BetweenMetric(MetricKind):
    """`between: [A, B]`: minutes from A first holding to B first holding after it."""

    key = "between"
    can_miss = True

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

    def bounds(self, now: float, complete: bool) -> tuple[float, float] | None:
        """B not followed by `now`: any longer span, unless the run reached its own end."""
        if complete:
            return None
        return (now - self.start if self.start is not None else 0.0, math.inf)


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
        out[k] = Metric(k, m["label"], m.get("unit"), kinds[0], ex, dec, m.get("better", "lower"), until)
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
        applies = b.expr(p + ("applies_when",), o["applies_when"]) if "applies_when" in o else None
        out[k] = Objective(k, o["label"], o["capability"], o["metric"], {x: float(th[x]) for x in "PSM"},
                           o.get("if_missing", "U"), applies)
    return out


class MetricBook:
    """The metric followers of one run."""

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.trackers = {m.id: KINDS[m.kind](sim, m) for m in sim.scn.metrics.values()}
        self.applied_at: dict[str, float] = {}  # objective id -> first time its applies_when held

    def watch(self) -> None:
        """Register every metric's watchers (in the scenario's order), then objectives' conditions."""
        for t in self.trackers.values():
            t.watch()
        for o in self.sim.scn.objectives.values():
            if o.applies_when is not None:
                if o.applies_when(self.sim.v):
                    self.applied_at[o.id] = 0.0
                else:
                    self.sim.state.add_watcher(o.applies_when, lambda w, o=o: self._applies(w, o), final=True)

    def _applies(self, w: Watcher, o: Objective) -> None:
        if o.id not in self.applied_at and w.expr.fn(self.sim.v):
            self.applied_at[o.id] = self.sim.env.now
            w.active = False

    def finish(self, now: float) -> None:
        """The run ended."""
        for t in self.trackers.values():
            t.finish(now)

    def from_start(self) -> set[str]:
        """The metrics that already held as the run was set up (a `first` condition true at T0)."""
        return {mid for mid, t in self.trackers.items() if t.from_start()}

    def values(self, now: float) -> dict[str, float | None]:
        """Every metric's value at `now` (None: its event never happened)."""
        out: dict[str, float | None] = {}
        for mid, t in self.trackers.items():
            val = t.value(now)
            if val is not None and val != val:  # NaN: no value
                val = None
            out[mid] = None if val is None else round(min(max(float(val), -RUN_MAX), RUN_MAX), 6)
        return out

    def ratings(self, metrics: dict[str, float | None]) -> list[ObjectiveRating]:
        """Each objective's rating from metric values, with the rule it rests on."""
        sim = self.sim
        scn = sim.scn
        now = sim.end_time if sim.end_time is not None else sim.env.now
        complete = sim.ended and sim.end_reason not in ("instructor", "budget")
        out = []
        for o in scn.objectives.values():
            value = metrics.get(o.metric)
            reached = value is not None
            tracker = self.trackers[o.metric]
            if o.applies_when is not None and o.id not in self.applied_at:
                out.append(ObjectiveRating(o.id, o.metric, None, NOT_APPLICABLE, "not_applicable", False, reached))
            elif not reached and tracker.unmeasured():
                out.append(ObjectiveRating(o.id, o.metric, None, NOT_APPLICABLE, "not_opened", False, False))
            elif not reached:
                span = tracker.bounds(now, complete)
                could = {o.if_missing} if span is None else \
                    possible_ratings(*span, o.thresholds, scn.metrics[o.metric].better) | {o.if_missing}
                if len(could) > 1:  # the run ended while the measure could still have earned another rating
                    out.append(ObjectiveRating(o.id, o.metric, None, NOT_APPLICABLE, "cut_short", False, False))
                else:
                    out.append(ObjectiveRating(o.id, o.metric, None, o.if_missing, "if_missing", True, False))
            else:
                out.append(ObjectiveRating(o.id, o.metric, value, rate(value, o.thresholds,
                                                                       scn.metrics[o.metric].better)))
        return out


# FEMA's National Preparedness Goal core capabilities (the names the scenario format uses), in
# the Spanish of FEMA's own translations where one exists.
CAPABILITY_LABELS: dict[str, dict[str, str]] = {
    "Operational Coordination": {"es": "Coordinación operativa", "en": "Operational Coordination"},
    "Situational Assessment": {"es": "Evaluación situacional", "en": "Situational Assessment"},
    "On-scene Security, Protection and Law Enforcement": {
        "es": "Seguridad, protección y aplicación de la ley en el lugar",
        "en": "On-scene Security, Protection and Law Enforcement"},
    "Operational Communications": {"es": "Comunicaciones operativas", "en": "Operational Communications"},
    "Public Information and Warning": {"es": "Información y alerta al público", "en": "Public Information and Warning"},
    "Mass Search and Rescue": {"es": "Operaciones masivas de búsqueda y rescate", "en": "Mass Search and Rescue"},
    "Public Health, Healthcare and EMS": {"es": "Salud pública, atención médica y servicios médicos de emergencia",
                                          "en": "Public Health, Healthcare and EMS"},
    "Fire Management and Suppression": {"es": "Manejo y extinción de incendios", "en": "Fire Management and Suppression"},
    "Critical Transportation": {"es": "Transporte crítico", "en": "Critical Transportation"},
    "Interdiction and Disruption": {"es": "Interdicción y desarticulación", "en": "Interdiction and Disruption"},
    "Intelligence and Information Sharing": {"es": "Inteligencia e intercambio de información",
                                             "en": "Intelligence and Information Sharing"},
}


def capability_label(name: str, lang: str) -> str:
    """A core capability's name in `lang` (the English name when unknown)."""
    return CAPABILITY_LABELS.get(name, {}).get(lang, name)
