"""Chart data: the series each debrief chart draws, computed from an exercise record.

Kept apart from the drawing (`analysis.charts`) so tests can check that each chart
is built from the right numbers without rendering anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from simulator import inject_text, params_text, tr
from simulator.text import quoted_text

from .measures import DecisionRow, decision_rows
from .record import ExerciseRecord

# Unit statuses as the engine names them, grouped for the resource chart.
UNIT_STATUSES = ("standby", "mobilising", "ready", "en_route", "on_scene", "returning")
BUSY_STATUSES = ("mobilising", "en_route", "on_scene", "returning")


@dataclass(frozen=True)
class Mark:
    t: float
    ref: str
    label: str
    detail: str = ""


@dataclass(frozen=True)
class Reveal:
    """A quantity the team knew only as an estimate, revealed: what it then saw, and what it had been told."""

    t: float
    ref: str
    label: str
    value: str
    before: str


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    status: str


@dataclass(frozen=True)
class Pause:
    t: float  # sim minute at which the clock stopped (a pause takes no sim time)
    wall_seconds: float | None  # how long it lasted on the wall clock, if it was resumed


@dataclass
class Timeline:
    """Swim-lane data for the master timeline chart."""

    end_time: float
    injects: list[Mark] = field(default_factory=list)
    contingencies: list[Mark] = field(default_factory=list)
    decisions: list[DecisionRow] = field(default_factory=list)
    orders: list[Mark] = field(default_factory=list)
    units: dict[str, list[Segment]] = field(default_factory=dict)  # unit id -> busy segments
    pauses: list[Pause] = field(default_factory=list)
    notes: list[Mark] = field(default_factory=list)
    unit_labels: dict[str, str] = field(default_factory=dict)  # unit id -> "CERT squad 2"
    reveals: list[Reveal] = field(default_factory=list)  # a quantity the team knew only as an estimate, revealed

    @property
    def messages(self) -> list[Mark]:
        """Every inject delivered, contingencies included, in time order (numbered M1, M2, ... in the report)."""
        return sorted(self.injects + self.contingencies, key=lambda m: m.t)

    @property
    def empty(self) -> bool:
        return not (self.injects or self.decisions or self.orders or self.units or self.notes or self.reveals)


def _wall(s: str) -> datetime | None:
    try:
        return datetime.fromisoformat(s)
    except (TypeError, ValueError):
        return None


def initial_unit_status(rec: ExerciseRecord) -> dict[str, tuple[str, str]]:
    """unit id -> (resource, status at T0), as the engine builds its units."""
    out = {}
    for r in rec.scenario.resources.values():
        for i in range(r.count):
            out[f"{r.id}_{i + 1}"] = (r.id, "standby" if i >= r.count - r.standby else "ready")
    return out


def unit_labels(rec: ExerciseRecord, lang: str) -> dict[str, str]:
    """unit id -> its resource's label and number ("Escuadra CERT 2"), as people name units."""
    out = {}
    for r in rec.scenario.resources.values():
        for i in range(r.count):
            out[f"{r.id}_{i + 1}"] = f"{tr(r.label, lang)} {i + 1}"
    return out


def unit_segments(rec: ExerciseRecord) -> dict[str, list[Segment]]:
    """Every unit's status intervals over the exercise (all statuses, contiguous)."""
    init = initial_unit_status(rec)
    current = {u: (0.0, st) for u, (_, st) in init.items()}
    segs: dict[str, list[Segment]] = {u: [] for u in init}
    for e in rec.events_of("unit"):
        u = e.ref
        start, st = current.get(u, (0.0, "ready"))
        new = e.data.get("status", st)
        if float(e.t) > start:
            segs.setdefault(u, []).append(Segment(start, float(e.t), st))
        current[u] = (float(e.t), new)
    for u, (start, st) in current.items():
        if rec.end_time > start:
            segs.setdefault(u, []).append(Segment(start, rec.end_time, st))
    return segs


def timeline(rec: ExerciseRecord, lang: str = "en") -> Timeline:
    scn = rec.scenario
    tl = Timeline(end_time=rec.end_time)
    for e in rec.events_of("inject"):
        inj = scn.injects.get(e.ref)
        label = tr(inj.sender, lang) if inj is not None and inj.sender else ""
        text = inject_text(inj, lang, e.data.get("values")) if inj is not None else e.ref
        mark = Mark(float(e.t), e.ref, f"{label}: {text}" if label else text, e.data.get("cause", ""))
        (tl.contingencies if e.data.get("cause") == "contingency" else tl.injects).append(mark)
    for e in rec.events_of("reveal"):
        q = scn.state.get(e.ref)
        d = e.data
        tl.reveals.append(Reveal(float(e.t), e.ref, tr(q.label, lang) if q else e.ref,
                                 quoted_text(d.get("value"), lang), quoted_text(d.get("estimate"), lang)))
    tl.decisions = decision_rows(rec, lang)
    for e in rec.events_of("order"):
        o = scn.orders.get(e.ref)
        label = tr(o.label, lang) if o else e.ref
        chosen = params_text(scn, o, e.data.get("params")) if o else None
        if chosen:  # what was ordered: how many units, where
            label += f" ({tr(chosen, lang)})"
        tl.orders.append(Mark(float(e.t), e.ref, label, e.data.get("by", "")))
    tl.unit_labels = unit_labels(rec, lang)
    for u, segs in unit_segments(rec).items():
        busy = [s for s in segs if s.status in BUSY_STATUSES]
        if busy:
            tl.units[u] = busy
    open_pause: tuple[float, datetime | None] | None = None
    for inp in rec.inputs_of("pause", "resume", "note"):
        if inp.kind == "note":
            at = inp.payload.get("at")  # the minute the note is about (its dialog's), when earlier
            when = float(at) if isinstance(at, int | float) and not isinstance(at, bool) and 0 <= at <= inp.t else inp.t
            tl.notes.append(Mark(when, f"note{inp.seq}", str(inp.payload.get("text", "")), inp.actor))
        elif inp.kind == "pause":
            if open_pause is not None:
                tl.pauses.append(Pause(open_pause[0], None))
            open_pause = (inp.t, _wall(inp.wall))
        elif open_pause is not None:
            w0, w1 = open_pause[1], _wall(inp.wall)
            tl.pauses.append(Pause(open_pause[0], (w1 - w0).total_seconds() if w0 and w1 else None))
            open_pause = None
    if open_pause is not None:
        tl.pauses.append(Pause(open_pause[0], None))
    return tl


def pack_rows(intervals: list[tuple[float, float]], gap: float = 0.0) -> list[int]:
    """Greedy interval packing: a row index per interval so that none overlap in a row."""
    ends: list[float] = []
    rows = []
    for start, end in intervals:
        for i, e in enumerate(ends):
            if start >= e + gap:
                ends[i] = end
                rows.append(i)
                break
        else:
            ends.append(end)
            rows.append(len(ends) - 1)
    return rows


# ---------------------------------------------------------------- situation


@dataclass(frozen=True)
class StepSeries:
    id: str
    label: str
    times: list[float]
    values: list[float]  # value from times[i] until times[i+1]; last point = end of exercise


def situation(rec: ExerciseRecord, lang: str = "en") -> list[StepSeries]:
    """The key quantities (state with `chart: true`) as step curves from T0 to the end."""
    out = []
    changes: dict[str, list[tuple[float, float]]] = {}
    for e in rec.events_of("state"):
        changes.setdefault(e.ref, []).append((float(e.t), float(e.data["value"])))
    for q in rec.scenario.state.values():
        if not q.chart:
            continue
        times, values = [0.0], [q.initial]
        for tt, v in changes.get(q.id, []):
            if tt == times[-1]:
                values[-1] = v
            else:
                times.append(tt)
                values.append(v)
        if rec.end_time > times[-1]:
            times.append(rec.end_time)
            values.append(values[-1])
        out.append(StepSeries(q.id, tr(q.label, lang), times, values))
    return out


# ---------------------------------------------------------------- resources


@dataclass(frozen=True)
class ResourceSeries:
    id: str
    label: str
    total: int
    times: list[float]
    counts: dict[str, list[int]]  # status -> count from times[i] until times[i+1]


def resources(rec: ExerciseRecord, lang: str = "en") -> list[ResourceSeries]:
    """Units of each resource type by status over time (sums to the resource's count)."""
    init = initial_unit_status(rec)
    out = []
    for res in rec.scenario.resources.values():
        status = {u: st for u, (r, st) in init.items() if r == res.id}
        counts = {s: [sum(1 for v in status.values() if v == s)] for s in UNIT_STATUSES}
        times = [0.0]
        for e in rec.events_of("unit"):
            if e.ref not in status:
                continue
            status[e.ref] = e.data.get("status", status[e.ref])
            tt = float(e.t)
            now = {s: sum(1 for v in status.values() if v == s) for s in UNIT_STATUSES}
            if tt == times[-1]:
                for s in UNIT_STATUSES:
                    counts[s][-1] = now[s]
            else:
                times.append(tt)
                for s in UNIT_STATUSES:
                    counts[s].append(now[s])
        if rec.end_time > times[-1]:
            times.append(rec.end_time)
            for s in UNIT_STATUSES:
                counts[s].append(counts[s][-1])
        out.append(ResourceSeries(res.id, tr(res.label, lang), res.count, times, counts))
    return out


# ---------------------------------------------------------------- latency


@dataclass(frozen=True)
class LatencyBar:
    team: str
    point: str
    opened_at: float
    latency: float | None  # None: never decided
    allowed: float | None  # minutes to the deadline
    defaulted: bool
    open_for: float | None = None  # never decided: the minutes it was open when the exercise ended
    taken: float | None = None  # minutes from opening to its decision, whoever gave it (None: never decided)


def latencies(records: list[ExerciseRecord], lang: str = "en") -> list[LatencyBar]:
    """Time from each point opening to its decision, per point and team."""
    out = []
    for rec in records:
        for row in decision_rows(rec, lang):
            still = None if row.decided_at is not None else max(rec.end_time - row.opened_at, 0.0)
            taken = None if row.decided_at is None else row.decided_at - row.opened_at
            out.append(LatencyBar(rec.label, row.point, row.opened_at, row.latency, row.allowed, row.defaulted, still,
                                  taken))
    return out
