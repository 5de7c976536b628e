"""The after-action report as data (`debrief.json`): every value, rating, finding and corrective
action the report states, with its evidence, computed once; the HTML, PDF, charts' captions and
CSV/xlsx files are renderings of it.

Structure (keys in English; every text value is a `{"es": ..., "en": ...}` map):
`overview` (exercise name, dates, scope, mission areas, threat, organisations, point of
contact, core capabilities, objectives), `teams[]` (per journal: `summary`, `objectives[]`,
`capabilities[]`, `findings[]`, `decisions[]`, `log`, `expectations[]`), `improvement_plan[]`,
`plan_followup[]` (with `--plan`), `hotwash[]` (with `--notes`).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from simulator import NOT_APPLICABLE, InputError, Problem, tr
from simulator import __version__ as engine_version

from .measures import (
    LOG_RULES,
    DecisionRow,
    Finding,
    LogSummary,
    bilingual,
    decision_rows,
    expectations,
    findings,
    fmt_num,
    log_check,
    measure_text,
    ref_label,
    related,
    thresholds_text,
)
from .record import ExerciseRecord
from .text import capability_label, end_reason, t, tn

FORMAT = "sitroom-debrief"
VERSION = 1
RATING_ORDER = ("P", "S", "M", "U")  # best to worst
PLAN_DAYS = 90  # drafted completion date: this many days after the start (the evaluator edits it)
PLAN_COLUMNS = ("id", "scenario", "team", "capability", "objective", "finding", "area_es", "area_en",
                "action_es", "action_en", "organisation", "start", "completion", "status")


def capability_rating(ratings: list[str]) -> str:
    """A core capability's rating rolled up from its objectives: the worst applicable one; N/A if none applies."""
    rated = [r for r in ratings if r in RATING_ORDER]
    return max(rated, key=RATING_ORDER.index) if rated else NOT_APPLICABLE


@dataclass(frozen=True)
class HotwashNote:
    """A participant's comment or an evaluator's observation from the hot wash."""

    time: str  # as written: a clock time (HH:MM) or T+minutes
    who: str  # "participant" | "evaluator"
    text: str
    line: int


@dataclass
class Overview:
    """The HSEEP exercise overview: from the scenario's `exercise:` block, overridden on the command line."""

    organisations: list[str] = field(default_factory=list)
    point_of_contact: str | None = None

    def as_dict(self, records: list[ExerciseRecord]) -> dict[str, Any]:
        """The overview section of debrief.json."""
        scn = records[0].scenario
        ex = scn.exercise or {}
        caps = list(dict.fromkeys(o.capability for o in scn.objectives.values()))
        return {
            "name": scn.title,
            "scenario": {"id": scn.id, "version": scn.version, "sha256": scn.sha256},
            "dates": sorted({r.created[:10] for r in records if r.created}),
            "scope": ex.get("scope"),
            "mission_areas": list(ex.get("mission_areas") or []),
            "threat": ex.get("threat") or scn.summary,
            "sponsor": ex.get("sponsor"),
            "organisations": self.organisations or [tr(o, "es") if isinstance(o, dict) else str(o)
                                                    for o in ex.get("organisations") or []],
            "point_of_contact": self.point_of_contact or ex.get("point_of_contact"),
            "core_capabilities": [{"name": c, "label": bilingual(lambda L, c=c: capability_label(c, L))} for c in caps],
            "objectives": [{"id": o.id, "label": o.label, "capability": o.capability}
                           for o in scn.objectives.values()],
        }


def _objective_data(rec: ExerciseRecord, fs: list[Finding]) -> list[dict[str, Any]]:
    scn = rec.scenario
    out = []
    for r in rec.ratings:
        o = scn.objectives[r.id]
        m = scn.metrics[o.metric]
        f = next((x for x in fs if x.source == "objective" and x.ref == r.id), None)
        out.append({
            "id": r.id, "label": o.label, "capability": o.capability,
            "measure": {"id": m.id, "label": m.label, "kind": m.kind, "unit": m.unit, "better": m.better},
            "value": r.value, "reached": r.reached, "rating": r.rating, "rule": r.rule, "applicable": r.applicable,
            "value_text": bilingual(lambda L, r=r: measure_text(rec, r, L)),
            "thresholds": o.thresholds, "thresholds_text": bilingual(lambda L, o=o: thresholds_text(rec, o, L)),
            "if_missing": o.if_missing,
            "applies_when": o.applies_when.text if o.applies_when is not None else None,
            "evidence": list(f.evidence) if f else [],
        })
    return out


def _capabilities(objectives: list[dict[str, Any]]) -> list[dict[str, Any]]:
    caps: dict[str, list[dict[str, Any]]] = {}
    for o in objectives:
        caps.setdefault(o["capability"], []).append(o)
    return [{"name": c, "label": bilingual(lambda L, c=c: capability_label(c, L)),
             "rating": capability_rating([o["rating"] for o in objs]), "objectives": [o["id"] for o in objs]}
            for c, objs in caps.items()]


def _finding_data(f: Finding) -> dict[str, Any]:
    return {"kind": f.kind, "source": f.source, "key": f.key, "ref": f.ref, "objective": f.objective or None,
            "capability": f.capability or None, "rating": f.rating or None, "observation": f.observation,
            "analysis": f.analysis, "recommendation": f.recommendation, "evidence": list(f.evidence)}


def _decision_data(rows: list[DecisionRow]) -> list[dict[str, Any]]:
    return [{"point": r.point, "opened_at": r.opened_at, "deadline_at": r.deadline_at, "decided_at": r.decided_at,
             "option": r.option, "cause": r.cause, "by": r.by, "answered": r.answered, "latency": r.latency,
             "as_expected": r.as_expected, "force": r.force, "evidence": [s for s in (r.open_seq, r.seq) if s],
             **({"offered": list(r.offered)} if r.offered is not None else {})}
            for r in rows]


def _log_data(log: LogSummary) -> dict[str, Any]:
    return {
        "judged": not log.scripted, "points": log.points, "entries": log.entries, "complete": log.n_complete,
        "rules": {k: log.count_rule(k) for k in LOG_RULES},
        "per_point": [{"point": c.point, "entry": c.entry, "why_none": c.why_none, "rules": c.rules,
                       "missing_required": list(c.missing_required), "entry_delay": c.entry_delay,
                       "complete": c.complete} for c in log.checks],
    }


def _summary(rec: ExerciseRecord, objectives: list[dict[str, Any]], fs: list[Finding], rows: list[DecisionRow],
             log: LogSummary) -> dict[str, str]:
    scn = rec.scenario

    def make(L: str) -> str:
        counts = {k: sum(o["rating"] == k for o in objectives) for k in (*RATING_ORDER, NOT_APPLICABLE)}
        ratings = ", ".join(f"{k} {n}" for k, n in counts.items() if n)
        reason = end_reason(rec.end_reason, scn.endings, L) if rec.end_reason \
            else t("end_running", L, t=fmt_num(rec.end_time))
        strengths = [f for f in fs if f.kind == "strength" and f.source == "objective"]
        gaps = [f for f in fs if f.kind == "improvement" and f.source == "objective"]
        answered = sum(r.answered for r in rows)
        defaulted = sum(r.defaulted for r in rows)
        who = t("scripted_team", L, policy=rec.policy) if rec.scripted and rec.team == "policy" else rec.label
        parts = [t("sum_intro" if rec.end_reason else "sum_intro_running", L, team=who, scenario=tr(scn.title, L), end=fmt_num(rec.end_time), reason=reason,
                   n=len(objectives), ratings=ratings or "—")]
        if strengths:
            parts.append(t("sum_strengths", L, items="; ".join(f"{tr(scn.objectives[f.ref].label, L)} ({f.rating})"
                                                               for f in strengths)))
        if gaps:
            parts.append(t("sum_gaps", L, items="; ".join(f"{tr(scn.objectives[f.ref].label, L)} ({f.rating})"
                                                         for f in gaps)))
        parts.append(t("sum_points_policy" if rec.scripted else "sum_points", L, opened=tn("points_opened", len(rows), L), answered=answered, defaulted=defaulted,
                       open=sum(r.decided_at is None for r in rows)))
        if not log.scripted and log.checks:
            parts.append(t("sum_log", L, entries=log.entries, complete=log.n_complete, n=log.points))
        return " ".join(parts)
    return bilingual(make)


def team_data(rec: ExerciseRecord) -> dict[str, Any]:
    """Everything the report says about one journal."""
    rows = decision_rows(rec, "en")
    log = log_check(rec, rows)
    fs = findings(rec, "en", rows, log)
    objectives = _objective_data(rec, fs)
    return {
        "label": rec.label, "team": rec.team, "journal": Path(rec.path).name, "seed": rec.seed, "policy": rec.policy,
        "scripted": rec.scripted, "end_time": rec.end_time, "end_reason": rec.end_reason, "ended": rec.ended,
        "summary": _summary(rec, objectives, fs, rows, log),
        "objectives": objectives,
        "capabilities": _capabilities(objectives),
        "findings": [_finding_data(f) for f in fs],
        "decisions": _decision_data(rows),
        # Every order given, with what it chose (how many units, which site) when it takes parameters.
        "orders": [{"order": e.ref, "t": e.t, "by": e.data.get("by"), "cause": e.data.get("cause"),
                    "params": e.data.get("params"), "evidence": [e.seq]} for e in rec.events_of("order")],
        "log": _log_data(log),
        "expectations": [{"inject": e.inject, "delivered_at": e.delivered_at, "checked_at": e.checked_at,
                          "met": e.met, "any_of": list(e.any_of), "met_by": e.met_by, "evidence": [e.seq]}
                         for e in expectations(rec)],
        # Run-time values the engine had to correct: the figures above rest on the corrected ones.
        "warnings": [{"t": e.t, "where": e.ref, "key": e.data.get("key"), "text": e.data.get("text"),
                      "evidence": [e.seq]} for e in rec.events_of("warning")],
    }


# ---------------------------------------------------------------- improvement plan


def _capability_for(rec: ExerciseRecord, f: dict[str, Any]) -> str:
    """The core capability of the objective a finding bears on ("" when none does: the evaluator says)."""
    if f["capability"]:
        return str(f["capability"])
    scn = rec.scenario
    refs = [f["ref"]] if f["ref"] else []
    inj = scn.injects.get(f["ref"] or "")
    if inj is not None and inj.expect is not None:
        refs = list(inj.expect.any_of)
    for o in scn.objectives.values():
        points, orders = related(rec, o)
        if any(r in points or r in orders for r in refs):
            return o.capability
    return ""


def draft_plan(records: list[ExerciseRecord], teams: list[dict[str, Any]], overview: dict[str, Any],
               start: date) -> list[dict[str, Any]]:
    """One corrective action per area for improvement, drafted from the findings (the evaluator edits them)."""
    org = (overview.get("organisations") or [""])[0]
    out = []
    for rec, team in zip(records, teams, strict=True):
        for f in team["findings"]:
            if f["kind"] != "improvement":
                continue
            out.append({
                "id": f"IP-{len(out) + 1}", "scenario": rec.scenario.id, "team": team["label"],
                "capability": _capability_for(rec, f), "objective": f["objective"] or "",
                "finding": f"{f['key']}:{f['ref']}", "area": f["observation"], "action": f["recommendation"],
                "organisation": org, "start": start.isoformat(),
                "completion": (start + timedelta(days=PLAN_DAYS)).isoformat(), "status": "open",
            })
    return out


def plan_csv(plan: list[dict[str, Any]]) -> str:
    """The improvement plan as CSV (UTF-8; both languages in their own columns), for tracking after the class."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(PLAN_COLUMNS)
    for p in plan:
        w.writerow(_plan_row(p))
    return buf.getvalue()


def _plan_row(p: dict[str, Any]) -> list[str]:
    return [p["id"], p["scenario"], p["team"], p["capability"], p["objective"], p["finding"], p["area"]["es"],
            p["area"]["en"], p["action"]["es"], p["action"]["en"], p["organisation"], p["start"], p["completion"],
            p["status"]]


def plan_xlsx(plan: list[dict[str, Any]], lang: str) -> bytes:
    """The improvement plan as an Excel workbook (one sheet, header row frozen, columns sized to fit)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    ws = wb.active
    ws.title = t("s_plan_sheet", lang)
    ws.append(list(PLAN_COLUMNS))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for p in plan:
        ws.append(_plan_row(p))
    ws.freeze_panes = "A2"
    widths = {"area_es": 60, "area_en": 60, "action_es": 60, "action_en": 60, "capability": 34}
    for i, col in enumerate(PLAN_COLUMNS, 1):
        letter = ws.cell(row=1, column=i).column_letter
        ws.column_dimensions[letter].width = widths.get(col, 14)
        for row in ws.iter_rows(min_row=2, min_col=i, max_col=i):
            row[0].alignment = Alignment(wrap_text=True, vertical="top")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def read_plan(path: str | Path, scenario_id: str) -> list[dict[str, str]]:
    """A previous improvement plan (`improvement_plan.csv` or `.xlsx` written by `sitroom debrief`)."""
    p = Path(path)
    try:
        if p.suffix.lower() == ".xlsx":
            from openpyxl import load_workbook

            try:
                wb = load_workbook(p, read_only=True, data_only=True)
            except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds on a bad file
                raise InputError([Problem(str(p), 0, 0, f"not an improvement plan workbook ({exc})")]) from None
            rows = [["" if v is None else str(v) for v in r] for r in wb.active.iter_rows(values_only=True)]
        else:
            text = p.read_text(encoding="utf-8-sig")
            rows = list(csv.reader(io.StringIO(text)))
    except OSError as exc:
        raise InputError([Problem(str(p), 0, 0, f"cannot read the plan ({exc.strerror or exc})")]) from None
    except UnicodeDecodeError:
        raise InputError([Problem(str(p), 0, 0, "not a UTF-8 CSV file")]) from None
    if not rows or [c.strip() for c in rows[0][:len(PLAN_COLUMNS)]] != list(PLAN_COLUMNS):
        raise InputError([Problem(str(p), 1, 1, "not an improvement plan written by sitroom debrief: the first row "
                                  f"must be the columns {', '.join(PLAN_COLUMNS)}")])
    out = []
    for i, r in enumerate(rows[1:], 2):
        if not any(c.strip() for c in r):
            continue
        if len(r) < len(PLAN_COLUMNS):
            raise InputError([Problem(str(p), i, 1, f"row has {len(r)} columns, {len(PLAN_COLUMNS)} expected")])
        row = dict(zip(PLAN_COLUMNS, (c.strip() for c in r), strict=False))
        if row["scenario"] != scenario_id:
            raise InputError([Problem(str(p), i, 2, f"this corrective action is for scenario {row['scenario']!r}; "
                                      f"the journals are of {scenario_id!r}")])
        out.append(row)
    return out


def follow_up(plan: list[dict[str, str]], records: list[ExerciseRecord], teams: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Which corrective actions of a previous plan this exercise shows as closed.

    An action about an objective is closed when the objective is now rated P or S, still open at M
    or U, not assessed when it does not apply; an action about a decision point, inject or the log is
    closed when that finding no longer appears (and the point or inject came up), open when it does.
    A plan row of a team is judged on the journal of the same team when there is one, else on each.
    """
    out = []
    by_label = {tm["label"]: (rec, tm) for rec, tm in zip(records, teams, strict=True)}
    for row in plan:
        targets = [by_label[row["team"]]] if row["team"] in by_label else list(by_label.values())
        for rec, tm in targets:
            status, why = _status(row, rec, tm)
            out.append({"id": row["id"], "team": tm["label"], "objective": row["objective"] or None,
                        "finding": row["finding"], "action": {"es": row["action_es"], "en": row["action_en"]},
                        "status": status, "why": why})
    return out


def _status(row: dict[str, str], rec: ExerciseRecord, tm: dict[str, Any]) -> tuple[str, dict[str, str]]:
    oid = row["objective"]
    if oid:
        o = next((x for x in tm["objectives"] if x["id"] == oid), None)
        if o is None:
            return "not_assessed", bilingual(lambda L: t("fu_unknown", L, id=oid))
        if not o["applicable"]:
            return "not_assessed", bilingual(lambda L: t({"cut_short": "fu_cut", "not_opened": "fu_not_opened"}
                                                         .get(o["rule"], "fu_na"), L, id=oid))
        if any(f["key"] == "f_obj_start" and f["ref"] == oid for f in tm["findings"]):  # held before anything happened
            return "not_assessed", bilingual(lambda L: t("fu_start", L, id=oid))
        status = "closed" if o["rating"] in ("P", "S") else "open"
        return status, bilingual(lambda L: t(f"fu_{status}_obj", L, id=oid, rating=o["rating"]))
    key, _, ref = row["finding"].partition(":")
    present = any(f["key"] == key and (f["ref"] == ref or (not ref and not f["ref"])) for f in tm["findings"])
    came_up = (not ref or any(d["point"] == ref for d in tm["decisions"])
               or any(e["inject"] == ref for e in tm["expectations"]))

    def what(L: str) -> str:
        if ref in rec.scenario.injects:
            return t("fu_message", L, ref=ref_label(rec, ref, L))
        return ref_label(rec, ref, L) if ref else t("fu_log" if key.startswith("f_log") else "fu_points", L)
    if present:
        return "open", bilingual(lambda L: t("fu_open", L, ref=what(L)))
    if ref and any(f["key"] == "f_open_cut" and f["ref"] == ref for f in tm["findings"]):  # still in time at the end
        return "not_assessed", bilingual(lambda L: t("fu_cut_point", L, ref=what(L)))
    if not came_up:
        return "not_assessed", bilingual(lambda L: t("fu_not_up", L, ref=what(L)))
    return "closed", bilingual(lambda L: t("fu_closed", L, ref=what(L)))


# ---------------------------------------------------------------- hot wash

MAX_NOTE_PROBLEMS = 5
_NOTE = re.compile(r"^\s*(?P<time>(?:\d{1,2}:\d{2})|(?:T\+\d+(?:\.\d+)?))\s+(?P<who>[^\s:]+)\s*:\s*(?P<text>.+?)\s*$")
_WHO = {"participant": "participant", "participante": "participant", "evaluator": "evaluator",
        "evaluador": "evaluator", "evaluadora": "evaluator"}


def read_notes(path: str | Path) -> list[HotwashNote]:
    """Hot-wash notes, one a line: `TIME WHO: text`, TIME as HH:MM or T+minutes, WHO participant or
    evaluator (participante, evaluador); blank lines and lines starting with # are skipped."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError([Problem(str(p), 0, 0, f"cannot read the notes ({exc.strerror or exc})")]) from None
    except UnicodeDecodeError:
        raise InputError([Problem(str(p), 0, 0, "not a UTF-8 text file")]) from None
    notes, problems = [], []
    for i, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        m = _NOTE.match(line)
        who = _WHO.get(m.group("who").lower()) if m else None
        if m is None or who is None:
            problems.append(Problem(str(p), i, 1, "expected `TIME WHO: text`, e.g. `14:05 participant: we sealed "
                                    "too late` or `T+35 evaluator: ...` (WHO: participant or evaluator)"))
            continue
        notes.append(HotwashNote(m.group("time"), who, m.group("text"), i))
    if problems:
        shown = problems[:MAX_NOTE_PROBLEMS]
        if len(problems) > len(shown):  # a wrong file given as notes: say so once, not per line
            shown.append(Problem(str(p), problems[len(shown)].line, 1,
                                 f"... and {len(problems) - len(shown)} more lines like these: is this the notes file?"))
        raise InputError(shown)
    return notes


# ---------------------------------------------------------------- the whole report


def debrief_data(records: list[ExerciseRecord], *, overview: Overview | None = None,
                 plan: list[dict[str, str]] | None = None, notes: list[HotwashNote] | None = None,
                 today: date | None = None) -> dict[str, Any]:
    """debrief.json: the whole report as data."""
    ov = (overview or Overview()).as_dict(records)
    teams = [team_data(r) for r in records]
    seeds = [r.seed for r in records]
    start = today or datetime.now(UTC).date()
    return {
        "format": FORMAT, "version": VERSION, "software": f"sitroom {engine_version}",
        "generated": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "overview": ov,
        "same_seed": len(records) > 1 and len(set(seeds)) == 1, "seeds": seeds,
        "teams": teams,
        "improvement_plan": draft_plan(records, teams, ov, start),
        "plan_followup": follow_up(plan, records, teams) if plan is not None else None,
        "hotwash": [{"time": n.time, "who": n.who, "text": n.text} for n in notes or []],
    }
