"""Debrief measures computed from an exercise record: decisions and their latency, the
decision-log completeness check, draft strengths and areas for improvement, and the
team comparison.

Every function here is pure (record in, dataclasses out) so tests can check each
number directly; the report only formats what these return.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from simulator import completeness, tr

from .record import ExerciseRecord
from .text import t

# JESIP asks for entries "at the first reasonable opportunity"; BRIEF §7 sets 5 minutes.
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

    @property
    def latency(self) -> float | None:
        return None if self.decided_at is None else self.decided_at - self.opened_at

    @property
    def allowed(self) -> float | None:
        """Minutes the team had (deadline − opening)."""
        return None if self.deadline_at is None else self.deadline_at - self.opened_at

    @property
    def defaulted(self) -> bool:
        return self.cause == "default"

    @property
    def as_expected(self) -> bool | None:
        if not self.expected or self.option is None:
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
    decided = {e["ref"]: e for e in rec.events_of("decision")}
    rows = []
    for ev in rec.events_of("decision_open"):
        point = ev["ref"]
        dp = scn.decisions.get(point)
        d = decided.get(point)
        data = d["data"] if d else {}
        inp = entries.get(point)
        option = data.get("option")
        opt = dp.options.get(option) if dp is not None and option else None
        deadline = ev["data"].get("deadline")
        rows.append(DecisionRow(
            point=point, title=tr(dp.title, lang) if dp else point, opened_at=float(ev["t"]),
            deadline_at=float(deadline) if deadline is not None else None,
            decided_at=float(d["t"]) if d else None, option=option,
            option_label=tr(opt.label, lang) if opt else (option or ""), by=data.get("by"),
            cause=data.get("cause"), force=data.get("force"), over_level=bool(data.get("over_level")),
            expected=dp.expected if dp else (),
            rationale=dict(inp.payload.get("rationale") or {}) if inp else None,
            role=inp.payload.get("role") if inp else None,
            entry_t=float(inp.t) if inp else None, entry_wall=inp.wall if inp else None,
        ))
    return rows


# ---------------------------------------------------------------- decision log


@dataclass(frozen=True)
class LogCheck:
    """How one decision-log entry fares against the BRIEF §7 rules."""

    point: str
    option: str
    fields: dict[str, bool]  # NDM field -> present (engine's `completeness`)
    missing_required: tuple[str, ...]
    rules: dict[str, bool]  # LOG_RULES -> passed
    entry_delay: float  # minutes between decision and entry
    n_options: int  # options recorded, the chosen one included

    @property
    def complete(self) -> bool:
        return all(self.rules.values())


@dataclass(frozen=True)
class LogSummary:
    checks: list[LogCheck]
    no_entry: list[str]  # decided points with no log entry (default or scripted)

    @property
    def share_complete(self) -> float | None:
        return None if not self.checks else sum(c.complete for c in self.checks) / len(self.checks)

    def share_rule(self, rule: str) -> float | None:
        return None if not self.checks else sum(c.rules[rule] for c in self.checks) / len(self.checks)

    @property
    def options_breadth(self) -> float | None:
        """Mean number of options recorded per entry (the chosen one included)."""
        if not self.checks:
            return None
        return sum(c.n_options for c in self.checks) / len(self.checks)


def log_check(rec: ExerciseRecord, rows: list[DecisionRow] | None = None) -> LogSummary:
    """Check each log entry: required fields, >= 2 options, force stated, made within 5 min."""
    rows = decision_rows(rec) if rows is None else rows
    checks = []
    no_entry = []
    for r in rows:
        if r.decided_at is None:
            continue
        if r.rationale is None or r.option is None:
            no_entry.append(r.point)
            continue
        dp = rec.scenario.decisions[r.point]
        fields = completeness(dp, r.option, r.rationale)
        missing = tuple(f for f in dp.required if not fields.get(f, False))
        delay = max((r.entry_t if r.entry_t is not None else r.decided_at) - r.decided_at, 0.0)
        rules = {
            "required": not missing,
            "options_considered": fields["options_considered"],
            "force": (r.force is not None) if dp.force else True,
            "prompt": delay <= PROMPT_ENTRY_MIN,
        }
        n_opts = len(set(r.rationale.get("options_considered") or []) | {r.option})
        checks.append(LogCheck(r.point, r.option, fields, missing, rules, delay, n_opts))
    return LogSummary(checks, no_entry)


# ---------------------------------------------------------------- injects and expectations


@dataclass(frozen=True)
class ExpectationResult:
    inject: str
    delivered_at: float
    checked_at: float
    met: bool
    any_of: tuple[str, ...]


def expectations(rec: ExerciseRecord) -> list[ExpectationResult]:
    delivered: dict[str, float] = {}
    for e in rec.events_of("inject"):
        delivered.setdefault(e["ref"], float(e["t"]))
    out = []
    for e in rec.events_of("expectation"):
        out.append(ExpectationResult(e["ref"], delivered.get(e["ref"], float(e["t"])), float(e["t"]),
                                     bool(e["data"].get("met")), tuple(e["data"].get("any_of") or ())))
    return out


# ---------------------------------------------------------------- findings


@dataclass(frozen=True)
class Finding:
    kind: str  # "strength" | "improvement"
    text: str
    source: str  # what it comes from: "objective", "expectation", "log" or the text key
    ref: str = ""  # the decision point, for findings about one point


def _name(rec: ExerciseRecord, ref: str, lang: str) -> str:
    s = rec.scenario
    for table in (s.decisions, s.orders, s.injects):
        obj = table.get(ref)
        if obj is not None:
            label = getattr(obj, "title", None) or getattr(obj, "label", None)
            if label:
                return f"{ref} ({tr(label, lang)})"
    return ref


def findings(rec: ExerciseRecord, lang: str = "en", rows: list[DecisionRow] | None = None,
             log: LogSummary | None = None) -> list[Finding]:
    """Draft strengths and areas for improvement, derived from the measures (for the evaluator to edit)."""
    rows = decision_rows(rec, lang) if rows is None else rows
    log = log_check(rec, rows) if log is None else log
    scn = rec.scenario
    out: list[Finding] = []
    for r in rec.ratings:
        obj = scn.objectives[r.id]
        label = tr(obj.label, lang)
        value = fmt_num(r.value)
        if r.rating == "P":
            out.append(Finding("strength", t("f_obj_p", lang, id=r.id, label=label, value=value), "objective"))
        elif r.rating in ("M", "U"):
            out.append(Finding("improvement", t("f_obj_mu", lang, id=r.id, label=label, value=value,
                                                rating=r.rating), "objective"))
    for row in rows:
        name = _name(rec, row.point, lang)
        if row.decided_at is None:
            out.append(Finding("improvement", t("f_open", lang, point=name), "f_open", row.point))
            continue
        if row.defaulted:
            out.append(Finding("improvement", t("f_default", lang, point=name, option=row.option_label,
                                                allowed=fmt_num(row.allowed)), "f_default", row.point))
        elif row.as_expected is True:
            out.append(Finding("strength", t("f_expected", lang, point=name, option=row.option_label,
                                             latency=fmt_num(row.latency)), "f_expected", row.point))
        elif row.as_expected is False:
            exp = ", ".join(tr(scn.decisions[row.point].options[o].label, lang) for o in row.expected)
            out.append(Finding("improvement", t("f_unexpected", lang, point=name, option=row.option_label,
                                                expected=exp), "f_unexpected", row.point))
        if row.over_level:
            out.append(Finding("improvement", t("f_over_level", lang, point=name, force=roman(row.force)),
                               "decision"))
    for ex in expectations(rec):
        what = " / ".join(_name(rec, a, lang) for a in ex.any_of)
        inj = _name(rec, ex.inject, lang)
        if ex.met:
            out.append(Finding("strength", t("f_exp_met", lang, inject=inj, what=what), "expectation"))
        else:
            out.append(Finding("improvement", t("f_exp_missed", lang, inject=inj, what=what,
                                                within=fmt_num(ex.checked_at - ex.delivered_at)), "expectation"))
    for c in log.checks:
        if not c.complete:
            failed = ", ".join(t(f"rule_{k}", lang) for k, ok in c.rules.items() if not ok)
            out.append(Finding("improvement", t("f_log", lang, point=_name(rec, c.point, lang), failed=failed),
                               "f_log", c.point))
    if log.checks and log.share_complete == 1.0:
        out.append(Finding("strength", t("f_log_ok", lang, n=len(log.checks)), "log"))
    return _grouped(out, lang)


GROUP_OVER = 8  # more findings of one kind than this become one summary item


def _grouped(items: list[Finding], lang: str) -> list[Finding]:
    """Summarise long runs of one kind of finding (a 200-decision exercise must stay readable)."""
    counts: dict[str, int] = {}
    for f in items:
        if f.ref:
            counts[f.source] = counts.get(f.source, 0) + 1
    out: list[Finding] = []
    done: set[str] = set()
    for f in items:
        if not f.ref or counts[f.source] <= GROUP_OVER:
            out.append(f)
        elif f.source not in done:
            done.add(f.source)
            refs = [x.ref for x in items if x.source == f.source]
            shown = ", ".join(refs[:12]) + (", …" if len(refs) > 12 else "")
            out.append(Finding(f.kind, t(f"{f.source}_many", lang, n=len(refs), points=shown), f.source, ""))
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
