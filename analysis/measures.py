"""Debrief measures computed from an exercise record: decisions and their latency, the
decision-log completeness check, draft strengths and areas for improvement, and the
team comparison.

Every function here is pure (record in, dataclasses out) so tests can check each
number directly; the report only formats what these return.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from simulator import ObjectiveRating, completeness, inject_text, tr
from simulator.injects import FIELD2
from simulator.scenario import Effect, Objective, Scenario

from .record import ExerciseRecord
from .text import t

# JESIP asks for entries "at the first reasonable opportunity"; the course's log standard sets 5 minutes.
PROMPT_ENTRY_MIN = 5.0

LOG_RULES = ("required", "options_considered", "force", "prompt")


@dataclass(frozen=True)
class DecisionRow:
    """One decision point as it went in the exercise."""

    point: str
    title: str
    opened_at: float
    deadline_at: float | None
    decided_at: float | None
    option: str | None
    option_label: str
    by: str | None
    cause: str | None  # team, policy, default or instructor (who gave it is `by`)
    force: int | None
    over_level: bool
    expected: tuple[str, ...]
    rationale: dict[str, Any] | None  # the team's log entry, when a person decided
    role: str | None
    entry_t: float | None  # sim time the log entry was journaled
    entry_wall: str | None
    answered: bool = False  # the team (or its policy) took it: the engine's DecisionState.answered
    latency: float | None = None  # the engine's DecisionState.latency: None unless answered
    seq: int | None = None  # the decision event's sequence number (evidence)
    open_seq: int | None = None  # the decision_open event's
    # The options on the table when it was decided (or last, if never decided); None: every option
    # (the point has no conditional options). `expected` holds only doctrine options that were offered.
    offered: tuple[str, ...] | None = None

    @property
    def allowed(self) -> float | None:
        """Minutes the team had (deadline − opening)."""
        return None if self.deadline_at is None else self.deadline_at - self.opened_at

    @property
    def defaulted(self) -> bool:
        return self.cause == "default"

    @property
    def as_expected(self) -> bool | None:
        """Whether the team's own answer took a doctrinal option (None: no doctrine, or not the team's answer)."""
        if not self.expected or self.option is None or not self.answered:
            return None
        return self.option in self.expected


def decision_rows(rec: ExerciseRecord, lang: str = "en") -> list[DecisionRow]:
    """Every decision point that opened, in opening order, joined with its log entry."""
    scn = rec.scenario
    entries: dict[str, Any] = {}
    for inp in rec.inputs_of("decision"):
        point = inp.payload.get("point")
        if isinstance(point, str) and point not in entries:
            entries[point] = inp
    decided = {e.ref: e for e in rec.events_of("decision")}
    offered: dict[str, tuple[str, ...]] = {}  # the last list each point offered (format-2 points only)
    for e in rec.events_of("decision_open", "decision_offer", "decision"):
        if isinstance(e.data.get("offered"), list):
            offered[e.ref] = tuple(e.data["offered"])
    rows = []
    for ev in rec.events_of("decision_open"):
        point = ev.ref
        dp = scn.decisions.get(point)
        d = decided.get(point)
        data = d.data if d else {}
        inp = entries.get(point)
        option = data.get("option")
        opt = dp.options.get(option) if dp is not None and option else None
        deadline = ev.data.get("deadline")
        st = rec.decisions.get(point)
        rows.append(DecisionRow(
            point=point, title=tr(dp.title, lang) if dp else point, opened_at=float(ev.t),
            deadline_at=float(deadline) if deadline is not None else None,
            decided_at=float(d.t) if d else None, option=option,
            option_label=tr(opt.label, lang) if opt else (option or ""), by=data.get("by"),
            cause=data.get("cause"), force=data.get("force"), over_level=bool(data.get("over_level")),
            expected=tuple(o for o in dp.expected if point not in offered or o in offered[point]) if dp else (),
            rationale=dict(inp.payload.get("rationale") or {}) if inp else None,
            role=inp.payload.get("role") if inp else None,
            entry_t=float(inp.t) if inp else None, entry_wall=inp.wall if inp else None,
            answered=bool(st and st.answered), latency=st.latency if st else None,
            seq=int(d.seq) if d else None, open_seq=int(ev.seq), offered=offered.get(point),
        ))
    return rows


# ---------------------------------------------------------------- decision log


@dataclass(frozen=True)
class LogCheck:
    """How the decision log fares at one decision point that opened (the rules of the log standard).

    A point the team did not answer itself (left to its default, never decided, or decided by
    the instructor) has no entry: an entry missing, which fails every rule.
    """

    point: str
    option: str | None
    entry: bool  # the team wrote an entry for this point
    why_none: str | None  # no entry: "default", "open" (never decided) or "instructor"
    fields: dict[str, bool]  # NDM field -> present (engine's `completeness`)
    missing_required: tuple[str, ...]
    rules: dict[str, bool]  # LOG_RULES -> passed
    entry_delay: float | None  # minutes between decision and entry
    n_options: int  # options recorded, the chosen one included

    @property
    def complete(self) -> bool:
        return self.entry and all(self.rules.values())


@dataclass(frozen=True)
class LogSummary:
    """The log judged over every decision point that opened (empty when a policy made every decision)."""

    checks: list[LogCheck]
    scripted: bool = False  # decisions came from a policy: there is no log to judge

    @property
    def points(self) -> int:
        return len(self.checks)

    @property
    def entries(self) -> int:
        return sum(c.entry for c in self.checks)

    @property
    def no_entry(self) -> list[str]:
        return [c.point for c in self.checks if not c.entry]

    @property
    def n_complete(self) -> int:
        return sum(c.complete for c in self.checks)

    @property
    def share_complete(self) -> float | None:
        return None if not self.checks else self.n_complete / len(self.checks)

    def count_rule(self, rule: str) -> int:
        """Points whose entry meets `rule` (a missing entry meets none)."""
        return sum(c.entry and c.rules[rule] for c in self.checks)

    def share_rule(self, rule: str) -> float | None:
        return None if not self.checks else self.count_rule(rule) / len(self.checks)

    @property
    def options_breadth(self) -> float | None:
        """Mean number of options recorded per entry written (the chosen one included)."""
        written = [c for c in self.checks if c.entry]
        if not written:
            return None
        return sum(c.n_options for c in written) / len(written)


def log_check(rec: ExerciseRecord, rows: list[DecisionRow] | None = None) -> LogSummary:
    """Judge the log at every point that opened: an entry with the required fields, >= 2 options,
    force stated, made within 5 min; a point with no entry fails every rule."""
    rows = decision_rows(rec) if rows is None else rows
    if rec.scripted:
        return LogSummary([], scripted=True)
    checks = []
    for r in rows:
        dp = rec.scenario.decisions[r.point]
        if r.rationale is None or r.option is None:
            why = "open" if r.decided_at is None else ("default" if r.defaulted else "instructor")
            checks.append(LogCheck(r.point, r.option, False, why, {}, tuple(dp.required),
                                   {k: False for k in LOG_RULES}, None, 0))
            continue
        fields = completeness(dp, r.option, r.rationale)
        missing = tuple(f for f in dp.required if not fields.get(f, False))
        decided = r.decided_at if r.decided_at is not None else r.opened_at
        delay = max((r.entry_t if r.entry_t is not None else decided) - decided, 0.0)
        rules = {
            "required": not missing,
            "options_considered": fields["options_considered"],
            "force": (r.force is not None) if dp.force else True,
            "prompt": delay <= PROMPT_ENTRY_MIN,
        }
        n_opts = len(set(r.rationale.get("options_considered") or []) | {r.option})
        checks.append(LogCheck(r.point, r.option, True, None, fields, missing, rules, delay, n_opts))
    return LogSummary(checks)


# ---------------------------------------------------------------- injects and expectations


@dataclass(frozen=True)
class ExpectationResult:
    """An inject's expectation as the engine judged it (`expectation` event)."""

    inject: str
    delivered_at: float
    checked_at: float
    met: bool
    any_of: tuple[str, ...]
    met_by: str | None  # the order or point that met it
    seq: int  # the expectation event


def expectations(rec: ExerciseRecord) -> list[ExpectationResult]:
    """Every expectation the engine checked, in order."""
    delivered: dict[str, float] = {}
    for e in rec.events_of("inject"):
        delivered.setdefault(e.ref, float(e.t))
    out = []
    for e in rec.events_of("expectation"):
        out.append(ExpectationResult(e.ref, delivered.get(e.ref, float(e.t)), float(e.t),
                                     bool(e.data.get("met")), tuple(e.data.get("any_of") or ()),
                                     e.data.get("met_by"), int(e.seq)))
    return out


# ---------------------------------------------------------------- findings

LANGS = ("es", "en")
Text = dict[str, str]


def bilingual(make: Callable[[str], str]) -> Text:
    """A text in every language of the report, made by `make(lang)`."""
    return {lang: make(lang) for lang in LANGS}


def _cut_short(rec: ExerciseRecord, row: DecisionRow) -> bool:
    """Was the point still open, with time left before its deadline (or with no deadline), when the exercise ended?

    A point with no deadline sets no time to decide by: still open at the end, it is not held against
    the team here (a `latency` objective on it judges how long it stayed open).
    """
    st = rec.decisions.get(row.point)
    return st is not None and st.open_at(rec.end_time)


def _when(rec: ExerciseRecord, lang: str) -> str:
    """"when the exercise ended", or for an unfinished journal "where the journal ends"."""
    return t("when_ended" if rec.ended else "when_unfinished", lang)


def _open_cut_text(rec: ExerciseRecord, row: DecisionRow, key: str, lang: str) -> str:
    """`key` (c_open_cut / f_open_cut) for a point still open at the end, worded for one with no deadline too."""
    point = ref_label(rec, row.point, lang)
    when = _when(rec, lang)
    if row.deadline_at is None:
        return t(key.replace("_cut", "_nodl"), lang, point=point, end=fmt_num(rec.end_time), when=when,
                 open=fmt_num(rec.end_time - row.opened_at))
    return t(key, lang, point=point, end=fmt_num(rec.end_time), deadline=fmt_num(row.deadline_at), when=when)


@dataclass(frozen=True)
class Finding:
    """A strength, an area for improvement, or an objective that does not apply; its words in es and en."""

    kind: str  # "strength" | "improvement" | "not_applicable"
    source: str  # "objective" | "decision" | "expectation" | "log"
    key: str  # the text key of this kind of finding (f_obj_s, f_default, ...)
    ref: str  # the objective, decision point or inject it is about ("" for a group)
    observation: Text
    analysis: Text
    recommendation: Text
    evidence: tuple[int, ...] = ()  # event sequence numbers in the journal
    objective: str = ""
    capability: str = ""
    rating: str = ""

    def text(self, lang: str) -> str:
        """The observation in `lang`."""
        return self.observation.get(lang) or self.observation["en"]


def ref_label(rec: ExerciseRecord, ref: str, lang: str) -> str:
    """«Title» of a decision point, order or inject, with its id."""
    s = rec.scenario
    if ref in s.decisions:
        return t("quoted", lang, id=ref, label=tr(s.decisions[ref].title, lang))
    if ref in s.orders:
        return t("quoted_label", lang, label=tr(s.orders[ref].label, lang))
    if ref in s.injects:
        inj = s.injects[ref]
        # Quoted as first delivered; a message never delivered shows "…" for what it would quote.
        vals = rec.first_values.get(ref)
        text = inject_text(inj, lang, vals) if vals is not None else FIELD2.sub("…", tr(inj.text, lang))
        words = text.split()
        gist = " ".join(words[:7]) + (" …" if len(words) > 7 else "")
        sender = tr(inj.sender, lang)  # a message with no `from` is named by its words alone
        return t("quoted_inject", lang, sender=sender, gist=gist) if sender else t("quoted_gist", lang, gist=gist)
    return ref


def option_label(rec: ExerciseRecord, point: str, option: str | None, lang: str) -> str:
    """An option's label in `lang` (its id when unknown)."""
    dp = rec.scenario.decisions.get(point)
    if option is None:
        return "—"
    return tr(dp.options[option].label, lang) if dp is not None and option in dp.options else option


def _touches(scn: Scenario, effects: tuple[Effect, ...], names: set[str], seen: frozenset[str] = frozenset()) -> bool:
    """Whether these effects (through the tasks they start and the injects they deliver) change one of `names`."""
    for e in effects:
        if e.target in names or _touches(scn, e.do, names, seen):
            return True
        key = f"{e.verb}:{e.target}"
        if key in seen:
            continue
        if e.verb == "task" and e.target in scn.tasks:
            task = scn.tasks[e.target]
            if _touches(scn, task.on_arrival + task.on_complete, names, seen | {key}):
                return True
        elif (e.verb == "inject" and e.target in scn.injects
              and _touches(scn, scn.injects[e.target].effects, names, seen | {key})):
            return True
    return False


def related(rec: ExerciseRecord, objective: Objective) -> tuple[list[str], list[str]]:
    """The decision points and orders whose effects change what an objective measures."""
    scn = rec.scenario
    m = scn.metrics[objective.metric]
    if m.kind == "latency":
        return [m.decision or ""], []
    names = set(m.expr.names if m.expr else ()) | set(m.until.names if m.until else ())
    points = [dp.id for dp in scn.decisions.values()
              if any(_touches(scn, o.effects, names) for o in dp.options.values())]
    orders = []
    for o in scn.orders.values():
        task = scn.tasks.get(o.task or "")
        if _touches(scn, o.effects, names) or (task is not None and _touches(scn, task.on_arrival + task.on_complete,
                                                                             names)):
            orders.append(o.id)
    return points, orders


def measure_text(rec: ExerciseRecord, r: ObjectiveRating, lang: str) -> str:
    """The measured value with its unit, or why there is none ("not reached before T+84.8")."""
    m = rec.scenario.metrics[r.metric]
    # An objective that does not apply (N/A) is not rated, but its measure still had a value: show it.
    value = r.value if r.value is not None else rec.metrics.get(r.metric)
    if value is not None:
        unit = tr(m.unit, lang)
        return f"{fmt_num(value)} {unit}".strip()
    if r.rule == "not_opened":
        return t("never_opened", lang)
    if m.kind == "latency":
        st = rec.decisions.get(m.decision or "")
        return t("not_decided_yet", lang, t=fmt_num(rec.end_time)) if st is not None and st.decided_at is None \
            else t("not_decided", lang)
    if not m.can_miss:
        return "—"
    return t("not_reached", lang, t=fmt_num(rec.end_time))


def thresholds_text(rec: ExerciseRecord, objective: Objective, lang: str) -> str:
    """P ≤ 12, S ≤ 20, M ≤ 40 min."""
    m = rec.scenario.metrics[objective.metric]
    op = "≤" if m.better == "lower" else "≥"
    unit = tr(m.unit, lang)
    return ", ".join(f"{k} {op} {fmt_num(objective.thresholds[k])}" for k in "PSM") + (f" {unit}" if unit else "")


@dataclass
class _Causes:
    """What the journal says about why an objective came out as it did."""

    lines: list[Callable[[str], str]] = field(default_factory=list)  # what went wrong
    good: list[Callable[[str], str]] = field(default_factory=list)  # what the team did that counts
    evidence: list[int] = field(default_factory=list)
    advice: Callable[[str], str] | None = None  # the recommendation for the first problem found


def _causes(rec: ExerciseRecord, objective: Objective, r: ObjectiveRating, rows: list[DecisionRow]) -> _Causes:
    scn = rec.scenario
    out = _Causes()
    points, orders = related(rec, objective)
    by_point = {row.point: row for row in rows}
    names = set()
    m = scn.metrics[objective.metric]
    if m.expr is not None:
        names |= set(m.expr.names)
    if m.until is not None:
        names |= set(m.until.names)
    for p in points:
        row = by_point.get(p)
        dp = scn.decisions[p]
        # Doctrine as far as it was on the table: an option never offered is never held against the team.
        doctrine = [o for o in dp.expected] or [o for o, opt in dp.options.items()
                                                if _touches(scn, opt.effects, names)]
        if row is not None and row.offered is not None:
            doctrine = [o for o in doctrine if o in row.offered]

        def docs(lang: str, p: str = p, doctrine: list[str] = doctrine) -> str:
            return " / ".join(t("quoted_label", lang, label=option_label(rec, p, o, lang)) for o in doctrine) or "—"
        if row is None:
            continue
        out.evidence.append(row.seq if row.seq is not None else row.open_seq or 0)
        if row.decided_at is None and _cut_short(rec, row):
            # The exercise ended while the team still had time: nothing to hold against it here.
            out.lines.append(lambda L, row=row: _open_cut_text(rec, row, "c_open_cut", L))
        elif row.decided_at is None:
            out.lines.append(lambda L, p=p: t("c_open", L, point=ref_label(rec, p, L)))
            out.advice = out.advice or (lambda L, p=p: t("rec_deadline", L, point=ref_label(rec, p, L)))
        elif row.defaulted:
            out.lines.append(lambda L, p=p, row=row, docs=docs: t(
                "c_default", L, point=ref_label(rec, p, L), option=option_label(rec, p, row.option, L),
                allowed=fmt_num(row.allowed), doctrine=docs(L)))
            out.advice = out.advice or (lambda L, p=p, row=row: t("rec_deadline", L, point=ref_label(rec, p, L)))
        elif not row.answered:
            out.lines.append(lambda L, p=p, row=row: t(
                "c_instructor", L, point=ref_label(rec, p, L), option=option_label(rec, p, row.option, L),
                t=fmt_num(row.decided_at)))
        elif m.kind == "latency":  # what it measures is how soon the team answered, whichever option
            out.good.append(lambda L, p=p, row=row: t(
                "c_took", L, point=ref_label(rec, p, L), option=option_label(rec, p, row.option, L),
                t=fmt_num(row.decided_at), latency=fmt_num(row.latency)))
        elif doctrine and row.option not in doctrine:
            out.lines.append(lambda L, p=p, row=row, docs=docs: t(
                "c_other_option", L, point=ref_label(rec, p, L), option=option_label(rec, p, row.option, L),
                t=fmt_num(row.decided_at), doctrine=docs(L)))
            out.advice = out.advice or (lambda L, p=p, docs=docs: t("rec_option", L, point=ref_label(rec, p, L),
                                                                     doctrine=docs(L)))
        else:
            out.good.append(lambda L, p=p, row=row: t(
                "c_took", L, point=ref_label(rec, p, L), option=option_label(rec, p, row.option, L),
                t=fmt_num(row.decided_at), latency=fmt_num(row.latency)))
    given = {e.ref: e for e in rec.events_of("order") if e.data.get("cause") in ("team", "policy")}
    refused: dict[str, dict[str, Any]] = {}
    for e in rec.events_of("order_rejected"):
        refused.setdefault(e.ref, e)
    for o in orders:
        order = scn.orders[o]
        if o in given:
            e = given[o]
            out.evidence.append(int(e.seq))
            out.good.append(lambda L, o=o, e=e: t("c_order_given", L, order=ref_label(rec, o, L), t=fmt_num(e.t)))
        elif o in refused:
            e = refused[o]
            out.evidence.append(int(e.seq))
            task = scn.tasks.get(order.task or "")
            # The kind that was short, as the refusal says (a task may take units of several kinds).
            res = scn.resources.get(e.data.get("resource") or (task.resource if task is not None else ""))
            short = e.data.get("reason") == "units" and res is not None
            out.lines.append(lambda L, o=o, e=e, res=res, short=short: t(
                "c_order_short" if short else "c_order_refused", L, order=ref_label(rec, o, L), t=fmt_num(e.t),
                resource=tr(res.label, L) if res is not None else ""))
            if short:
                out.advice = out.advice or (lambda L, o=o, res=res: t("rec_resource", L, order=ref_label(rec, o, L),
                                                                       resource=tr(res.label, L)))
        else:
            out.lines.append(lambda L, o=o: t("c_order_never", L, order=ref_label(rec, o, L)))
            out.advice = out.advice or (lambda L, o=o: t("rec_order", L, order=ref_label(rec, o, L)))
    if r.value is not None and r.rating not in ("P", "N/A") and m.can_miss:  # a time that may not come
        gap = abs(r.value - objective.thresholds["P"])
        out.lines.append(lambda L, gap=gap: t("c_late", L, gap=fmt_num(gap), unit=tr(m.unit, L)))
    if r.value is not None and m.kind == "first":
        out.good.append(lambda L: t("c_reached", L, t=fmt_num(r.value)))
    if objective.id in rec.applied_at and objective.applies_when is not None:
        cond, since = objective.applies_when.text, rec.applied_at[objective.id]
        out.good.insert(0, lambda L: t("c_applied", L, condition=cond, t=fmt_num(since)))
    return out


def objective_finding(rec: ExerciseRecord, r: ObjectiveRating, rows: list[DecisionRow]) -> Finding:
    """The finding for one objective: P and S are strengths (S with its gap to P), M and U areas for
    improvement, and an objective whose condition never arose is not applicable."""
    scn = rec.scenario
    obj = scn.objectives[r.id]
    m = scn.metrics[obj.metric]
    causes = _causes(rec, obj, r, rows)

    def analysis(L: str) -> str:
        # A strength says what the team did (and, for S, what kept it from P); an area for
        # improvement says what went wrong first, then what went right.
        lines = causes.good + causes.lines if r.rating in ("P", "S") else causes.lines + causes.good
        if r.rating == "P":
            lines = causes.good
        return " ".join(line(L) for line in lines) or t("c_none", L)

    def base(key: str, L: str, **kw: Any) -> str:
        return t(key, L, id=r.id, label=tr(obj.label, L), value=measure_text(rec, r, L),
                 thresholds=thresholds_text(rec, obj, L), rating=r.rating, **kw)
    if r.rule == "not_opened":
        return Finding("not_applicable", "objective", "f_obj_not_opened", r.id,
                       bilingual(lambda L: base("f_obj_not_opened", L, point=ref_label(rec, m.decision or "", L))),
                       bilingual(lambda L: t("an_not_opened", L, t=fmt_num(rec.end_time))),
                       bilingual(lambda L: t("rec_not_opened", L)), (), r.id, obj.capability, r.rating)
    if r.rule == "cut_short":
        why = ("cut_open" if m.kind == "latency" and rec.ended else "cut_unfinished" if not rec.ended
               else f"cut_{rec.end_reason}")
        return Finding("not_applicable", "objective", "f_obj_cut", r.id,
                       bilingual(lambda L: base("f_obj_cut", L, when=_when(rec, L))),
                       bilingual(lambda L: t("an_cut", L, why=t(why, L))),
                       bilingual(lambda L: t("rec_cut", L)), (), r.id, obj.capability, r.rating)
    if not r.applicable:
        cond = obj.applies_when.text if obj.applies_when is not None else ""
        return Finding("not_applicable", "objective", "f_obj_na", r.id,
                       bilingual(lambda L: base("f_obj_na", L, condition=cond)),
                       bilingual(lambda L: t("an_na", L, condition=cond, t=fmt_num(rec.end_time))),
                       bilingual(lambda L: t("rec_na", L)), (), r.id, obj.capability, r.rating)
    if r.rating in ("P", "S") and obj.metric in rec.from_start:
        # True before anything happened in the exercise: the rating stands, but it is nobody's strength.
        return Finding("not_applicable", "objective", "f_obj_start", r.id,
                       bilingual(lambda L: base("f_obj_start", L)), bilingual(lambda L: t("an_start", L)),
                       bilingual(lambda L: t("rec_start", L)), tuple(causes.evidence), r.id, obj.capability,
                       r.rating)
    kind = "strength" if r.rating in ("P", "S") else "improvement"
    if r.rule == "if_missing":
        key = "f_obj_missing"
    elif r.rating == "P":
        key = "f_obj_p"
    elif r.rating == "S":
        key = "f_obj_s"
    else:
        key = "f_obj_mu"
    gap = abs((r.value or 0.0) - obj.thresholds["P"])
    obs = bilingual(lambda L: base(key, L, gap=fmt_num(gap), unit=tr(m.unit, L)))
    if kind == "strength" and r.rating == "P":
        rec_text = bilingual(lambda L: t("rec_sustain", L, label=tr(obj.label, L)))
    elif causes.advice is not None:
        advice = causes.advice
        rec_text = bilingual(lambda L: advice(L))
    else:
        rec_text = bilingual(lambda L: t("rec_review", L, label=tr(obj.label, L)))
    return Finding(kind, "objective", key, r.id, obs, bilingual(analysis), rec_text, tuple(causes.evidence),
                   r.id, obj.capability, r.rating)


def findings(rec: ExerciseRecord, lang: str = "en", rows: list[DecisionRow] | None = None,
             log: LogSummary | None = None) -> list[Finding]:
    """Every objective's finding, then what the team did at each point, each inject's expectation and the log
    (a draft for the evaluator to edit)."""
    rows = decision_rows(rec, lang) if rows is None else rows
    log = log_check(rec, rows) if log is None else log
    scn = rec.scenario
    out: list[Finding] = [objective_finding(rec, r, rows) for r in rec.ratings]
    for row in rows:
        p = row.point
        ev = (row.seq if row.seq is not None else row.open_seq or 0,)
        exp = bilingual(lambda L, row=row: " / ".join(t("quoted_label", L, label=option_label(rec, row.point, o, L)) for o in row.expected))
        if row.decided_at is None and _cut_short(rec, row):
            out.append(Finding("not_applicable", "decision", "f_open_cut", p,
                               bilingual(lambda L, row=row: _open_cut_text(rec, row, "f_open_cut", L)),
                               bilingual(lambda L, row=row: t("an_open_cut" if row.deadline_at is not None
                                                              else "an_open_nodl", L)),
                               bilingual(lambda L: t("rec_none", L)), ev))
            continue
        if row.decided_at is None:
            out.append(Finding("improvement", "decision", "f_open", p,
                               bilingual(lambda L, p=p: t("f_open", L, point=ref_label(rec, p, L))),
                               bilingual(lambda L: t("an_open", L, t=fmt_num(rec.end_time))),
                               bilingual(lambda L, p=p: t("rec_deadline", L, point=ref_label(rec, p, L))), ev))
            continue
        if row.defaulted:
            out.append(Finding("improvement", "decision", "f_default", p,
                               bilingual(lambda L, p=p, row=row: t("f_default", L, point=ref_label(rec, p, L),
                                                                   option=option_label(rec, p, row.option, L),
                                                                   allowed=fmt_num(row.allowed))),
                               bilingual(lambda L, exp=exp: t("an_default", L, doctrine=exp[L] or "—")),
                               bilingual(lambda L, p=p: t("rec_deadline", L, point=ref_label(rec, p, L))), ev))
        elif row.as_expected is True:
            out.append(Finding("strength", "decision", "f_expected", p,
                               bilingual(lambda L, p=p, row=row: t("f_expected", L, point=ref_label(rec, p, L),
                                                                   option=option_label(rec, p, row.option, L),
                                                                   latency=fmt_num(row.latency))),
                               bilingual(lambda L: t("an_expected", L)),
                               bilingual(lambda L: t("rec_sustain_decision", L)), ev))
        elif row.as_expected is False:
            out.append(Finding("improvement", "decision", "f_unexpected", p,
                               bilingual(lambda L, p=p, row=row, exp=exp: t(
                                   "f_unexpected", L, point=ref_label(rec, p, L),
                                   option=option_label(rec, p, row.option, L), expected=exp[L])),
                               bilingual(lambda L: t("an_unexpected", L)),
                               bilingual(lambda L, p=p, exp=exp: t("rec_option", L, point=ref_label(rec, p, L),
                                                                   doctrine=exp[L])), ev))
        if row.over_level:
            out.append(Finding("improvement", "decision", "f_over_level", p,
                               bilingual(lambda L, p=p, row=row: t("f_over_level", L, point=ref_label(rec, p, L),
                                                                   force=roman(row.force))),
                               bilingual(lambda L: t("an_over_level", L)),
                               bilingual(lambda L: t("rec_force", L)), ev))
    for ex in expectations(rec):
        inj = scn.injects.get(ex.inject)
        opts = inj.expect.options if inj is not None and inj.expect is not None else {}

        def what(L: str, ex: ExpectationResult = ex, opts: dict[str, tuple[str, ...]] = opts) -> str:
            parts = []
            for a in ex.any_of:
                if a in opts:
                    parts.append(ref_label(rec, a, L) + ": " + " / ".join(t("quoted_label", L, label=option_label(rec, a, o, L))
                                                                       for o in opts[a]))
                else:
                    parts.append(ref_label(rec, a, L))
            return t("or_join", L).join(parts)
        if ex.met:
            out.append(Finding("strength", "expectation", "f_exp_met", ex.inject,
                               bilingual(lambda L, ex=ex: t("f_exp_met", L, inject=ref_label(rec, ex.inject, L),
                                                            by=ref_label(rec, ex.met_by or "", L))),
                               bilingual(lambda L, what=what: t("an_exp", L, what=what(L))),
                               bilingual(lambda L: t("rec_sustain_decision", L)), (ex.seq,)))
        else:
            out.append(Finding("improvement", "expectation", "f_exp_missed", ex.inject,
                               bilingual(lambda L, ex=ex, what=what: t(
                                   "f_exp_missed", L, inject=ref_label(rec, ex.inject, L), what=what(L),
                                   within=fmt_num(ex.checked_at - ex.delivered_at))),
                               bilingual(lambda L, ex=ex: _exp_analysis(rec, ex, rows, L)),
                               bilingual(lambda L, ex=ex, what=what: t(
                                   "rec_expectation", L, inject=ref_label(rec, ex.inject, L), what=what(L),
                                   within=fmt_num(ex.checked_at - ex.delivered_at))), (ex.seq,)))
    out.extend(_log_findings(rec, log))
    return _grouped(out)


def _exp_analysis(rec: ExerciseRecord, ex: ExpectationResult, rows: list[DecisionRow], lang: str) -> str:
    by_point = {r.point: r for r in rows}
    parts = []
    for a in ex.any_of:
        row = by_point.get(a)
        if a in rec.scenario.decisions:
            if row is None or row.decided_at is None or row.decided_at > ex.checked_at:
                parts.append(t("ea_point_open", lang, point=ref_label(rec, a, lang)))
            elif row.defaulted:
                parts.append(t("ea_point_default", lang, point=ref_label(rec, a, lang),
                               option=option_label(rec, a, row.option, lang)))
            else:
                parts.append(t("ea_point_other", lang, point=ref_label(rec, a, lang),
                               option=option_label(rec, a, row.option, lang), t=fmt_num(row.decided_at)))
        else:
            parts.append(t("ea_order_not", lang, order=ref_label(rec, a, lang)))
    return " ".join(parts)


def _log_findings(rec: ExerciseRecord, log: LogSummary) -> list[Finding]:
    if log.scripted or not log.checks:
        return []
    out = []
    missing = [c for c in log.checks if not c.entry]
    if missing:
        def obs(L: str) -> str:
            pts = ", ".join(f"{c.point} ({t('why_' + (c.why_none or 'open'), L)})" for c in missing)
            return t("f_log_missing", L, n=len(missing), total=log.points, points=pts)
        out.append(Finding("improvement", "log", "f_log_missing", "", bilingual(obs),
                           bilingual(lambda L: t("an_log_missing", L)), bilingual(lambda L: t("rec_log", L)),
                           tuple(rec_seq for c in missing for rec_seq in _point_seqs(rec, c.point))))
    for c in log.checks:
        if c.entry and not c.complete:
            out.append(Finding("improvement", "log", "f_log", c.point,
                               bilingual(lambda L, c=c: t("f_log", L, point=ref_label(rec, c.point, L), failed=", ".join(
                                   t(f"rule_{k}", L) for k, ok in c.rules.items() if not ok))),
                               bilingual(lambda L: t("an_log", L)), bilingual(lambda L: t("rec_log", L)),
                               tuple(_point_seqs(rec, c.point))))
    if log.share_complete == 1.0:
        out.append(Finding("strength", "log", "f_log_ok", "",
                           bilingual(lambda L: t("f_log_ok", L, n=log.points)),
                           bilingual(lambda L: t("an_log_ok", L)), bilingual(lambda L: t("rec_sustain_log", L))))
    return out


def _point_seqs(rec: ExerciseRecord, point: str) -> list[int]:
    return [int(e.seq) for e in rec.events_of("decision") if e.ref == point][:1]


GROUP_OVER = 8  # more findings of one kind than this become one summary item


def _grouped(items: list[Finding]) -> list[Finding]:
    """Summarise long runs of one kind of per-point finding (a 200-decision exercise must stay readable)."""
    counts: dict[str, int] = {}
    for f in items:
        if f.ref and f.source != "objective":
            counts[f.key] = counts.get(f.key, 0) + 1
    out: list[Finding] = []
    done: set[str] = set()
    for f in items:
        if not f.ref or f.source == "objective" or counts[f.key] <= GROUP_OVER:
            out.append(f)
        elif f.key not in done:
            done.add(f.key)
            same = [x for x in items if x.key == f.key and x.source != "objective"]
            refs = [x.ref for x in same]
            shown = ", ".join(refs[:12]) + (", …" if len(refs) > 12 else "")
            out.append(Finding(f.kind, f.source, f.key, "",
                               bilingual(lambda L, key=f.key, refs=refs, shown=shown: t(
                                   f"{key}_many", L, n=len(refs), points=shown)),
                               f.analysis, f.recommendation, tuple(s for x in same for s in x.evidence)))
    return out


# ---------------------------------------------------------------- comparison


@dataclass(frozen=True)
class Comparison:
    teams: list[str]
    metrics: list[tuple[str, str, list[float | None]]]  # (metric id, label, value per team)
    ratings: list[tuple[str, str, list[str]]]  # (objective id, label, rating per team)
    choices: list[tuple[str, str, list[str]]]  # (point, title, option label per team, "" if never)
    same_seed: bool
    seeds: list[int] = field(default_factory=list)


def compare(records: list[ExerciseRecord], lang: str = "en") -> Comparison:
    scn = records[0].scenario
    metrics = [(m.id, tr(m.label, lang), [r.metrics.get(m.id) for r in records]) for m in scn.metrics.values()]
    ratings = []
    for o in scn.objectives.values():
        per = []
        for r in records:
            got = next((x.rating for x in r.ratings if x.id == o.id), "U")
            per.append(got)
        ratings.append((o.id, tr(o.label, lang), per))
    rows_by_team = [{row.point: row for row in decision_rows(r, lang)} for r in records]
    choices = []
    for dp in scn.decisions.values():
        per = []
        for rows in rows_by_team:
            row = rows.get(dp.id)
            if row is None:
                per.append("")
            elif row.decided_at is None:
                per.append("—")
            else:
                per.append(row.option_label + (" *" if row.defaulted else ""))
        if any(per):
            choices.append((dp.id, tr(dp.title, lang), per))
    seeds = [r.seed for r in records]
    return Comparison([r.label for r in records], metrics, ratings, choices,
                      len(records) > 1 and len(set(seeds)) == 1, seeds)


# ---------------------------------------------------------------- formatting helpers


def fmt_num(v: float | None, digits: int = 1) -> str:
    if v is None:
        return "—"
    if abs(v - round(v)) < 1e-9:
        return str(int(round(v)))
    return f"{v:.{digits}f}"


def roman(level: int | None) -> str:
    if level is None:
        return "—"
    return ("I", "II", "III", "IV", "V")[level - 1] if 1 <= level <= 5 else str(level)
