"""`sitroom debrief JOURNAL... --out DIR [--lang es|en]`: the after-action report.

Reads one or more journals of the same scenario, computes the measures
(`analysis.measures`, `analysis.series`), draws the charts (`analysis.charts`) and
writes into DIR: `report.html` (self-contained, charts inlined), `report.pdf`,
`charts/*.png` (and `.svg` with `--svg`), `decisions.csv` and `timeline.csv`. Everything is written to a
staging folder first; `report.html` is moved into place last, so a failure never
leaves a half-written report.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from simulator import InputError, Problem, tr
from simulator import __version__ as engine_version
from simulator.journal import data_json
from simulator.text import local_time

from . import charts as ch
from .aar import Overview, debrief_data, plan_csv, plan_xlsx, read_notes, read_plan
from .document import Cell, Chart, Document, Heading, Items, Para, Table, to_html, to_pdf
from .measures import (
    LOG_RULES,
    DecisionRow,
    LogSummary,
    compare,
    decision_rows,
    fmt_num,
    log_check,
    roman,
)
from .record import ExerciseRecord, load_records
from .series import latencies, resources, situation, timeline
from .sidecar import WhatIf, exercise_key, read_whatif, sidecar_path
from .text import capability_label, end_reason, t, tn


def percentile(values: list[float], q: float) -> float | None:
    """Linear-interpolation percentile (q in 0..100); None for no values."""
    if not values:
        return None
    xs = sorted(values)
    if len(xs) == 1:
        return xs[0]
    pos = (len(xs) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def _clock(start: datetime, t: float) -> str:
    """The local clock (HH:MM) of the time as this report prints it (`fmt_num`, one decimal), so the two
    agree: T+8.96 is printed "T+9.0 (13:09)", not "(13:08)"."""
    return local_time(start, round(t, 1))


def _tplus(v: float | None) -> str:
    return fmt_num(v, 1)


class _Builder:
    """Builds the document and collects chart files."""

    def __init__(self, records: list[ExerciseRecord], lang: str, data: dict[str, Any], svg: bool = False) -> None:
        self.records = records
        self.lang = lang
        self.data = data
        self.teams = {tm["label"]: tm for tm in data["teams"]}
        self.svg = svg
        self.files: dict[str, bytes] = {}  # relative path -> bytes
        scn = records[0].scenario
        self.doc = Document(f"{t('report_title', lang)} — {tr(scn.title, lang)}", lang, t("training_only", lang),
                            t("save_edited", lang))
        self.rows = {r.label: decision_rows(r, lang) for r in records}
        self.logs = {r.label: log_check(r, self.rows[r.label]) for r in records}

    def chart(self, name: str, make: Callable[[], Any], caption: str, no_data: str) -> None:
        fig = make()
        if fig is None:
            self.doc.add(Para(t("no_data", self.lang, what=no_data), "nodata"))
            return
        out = ch.save(fig, name, svg=self.svg)
        self.files[f"charts/{name}.png"] = out["png"]
        if "svg" in out:
            self.files[f"charts/{name}.svg"] = out["svg"]
        self.doc.add(Chart(name, caption, out["png"], out.get("rgb")))

    def team_heading(self, rec: ExerciseRecord) -> None:
        if len(self.records) > 1:
            self.doc.add(Heading(f"{t('team', self.lang)}: {rec.label}", 3))

    # ------------------------------------------------------------ sections
    def build(self) -> Document:
        L = self.lang
        self.cover()
        sections: list[tuple[str, Callable[[], None]]] = [
            ("s_summary", self.summary), ("s_overview", self.overview), ("s_capabilities", self.capabilities),
            ("s_objectives", self.objectives), ("s_findings", self.findings), ("s_plan", self.plan),
        ]
        if self.data.get("plan_followup") is not None:
            sections.append(("s_followup", self.followup))
        sections += [
            ("s_hotwash", self.hotwash), ("s_timeline", self.timelines), ("s_latency", self.latency),
            ("s_situation", self.situation), ("s_resources", self.resources), ("s_log", self.log),
        ]
        if len(self.records) > 1:
            sections.append(("s_compare", self.compare))
        whatifs = []
        for r in self.records:
            w = read_whatif(r.path, exercise_key(r.scenario.sha256, r.seed, r.inputs))
            if w is not None:
                whatifs.append((r, w))
            elif sidecar_path(r.path).is_file():
                print(f"{sidecar_path(r.path)}: {t('wi_stale', L, journal=r.path)}", file=sys.stderr)
        if whatifs:
            sections.append(("s_whatif", lambda: self.whatif(whatifs)))
        sections.append(("s_appendix", self.appendix))
        toc = [f"{i}. {t(key, L)}" for i, (key, _) in enumerate(sections, 2)]
        self.doc.add(Heading(t("contents", L), 3), Items(toc, links=[key for key, _ in sections]))
        for i, (key, fn) in enumerate(sections, 2):
            self.doc.add(Heading(f"{i}. {t(key, L)}", 2, key))
            fn()
        return self.doc

    def cover(self) -> None:
        L, recs = self.lang, self.records
        scn = recs[0].scenario
        self.doc.add(Heading(t("report_title", L), 1), Heading(tr(scn.title, L), 2))
        self.doc.add(Para(tr(scn.summary, L)))
        seeds = ", ".join(dict.fromkeys(str(r.seed) for r in recs))
        dates = ", ".join(dict.fromkeys(r.created[:10] for r in recs if r.created)) or "—"
        rows = [
            [Cell(t("cov_exercise", L)), Cell(tr(scn.title, L))],
            [Cell(t("cov_scenario", L)), Cell(f"{scn.id} — {t('cov_version', L)} {scn.version}")],
            [Cell(t("cov_seed", L)), Cell(seeds)],
            [Cell(t("cov_software", L)), Cell(f"sitroom {engine_version} "
                                               f"({t('cov_journal', L).lower()}: "
                                               f"{', '.join(dict.fromkeys(r.software_version for r in recs))})")],
            [Cell(t("cov_teams", L)), Cell(", ".join(r.label for r in recs))],
            [Cell(t("cov_date", L)), Cell(dates)],
            [Cell(t("cov_start", L)), Cell(scn.start_datetime().strftime("%Y-%m-%d %H:%M (UTC%z)"))],
            [Cell(t("cov_generated", L)), Cell(datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))],
        ]
        for r in recs:
            reason = end_reason(str(r.end_reason), scn.endings, L)
            end = (f"{reason}, T+{fmt_num(r.end_time)}" if r.ended
                   else t("end_running", L, t=fmt_num(r.end_time)))
            who = t("cov_policy_scripted", L, p=r.policy) if r.policy and not r.inputs_of("decision") \
                else t("cov_policy_live", L)
            prefix = f"{r.label}: " if len(recs) > 1 else ""
            rows.append([Cell(t("cov_end", L)), Cell(f"{prefix}{end}; {t('cov_policy', L).lower()}: {who}")])
            rows.append([Cell(t("cov_journal", L)), Cell(f"{prefix}{os.path.basename(r.path)}")])
        self.doc.add(Table(["", ""], rows), Para(t("training_only", L), "note"))

    def summary(self) -> None:
        L = self.lang
        for tm in self.data["teams"]:
            self.doc.add(Para(tm["summary"][L]))
        if self.data["same_seed"]:
            self.doc.add(Para(t("same_seed_note", L, seed=self.data["seeds"][0])))

    def overview(self) -> None:
        L = self.lang
        ov = self.data["overview"]
        unset = t("ov_unset", L)

        def text(v: Any) -> str:
            return tr(v, L) if isinstance(v, dict) else (str(v) if v else unset)
        rows = [
            [Cell(t("ov_name", L)), Cell(tr(ov["name"], L))],
            [Cell(t("ov_dates", L)), Cell(", ".join(ov["dates"]) or "—")],
            [Cell(t("ov_scope", L)), Cell(text(ov["scope"]))],
            [Cell(t("ov_mission", L)), Cell(", ".join(t(f"mission_{m}", L) for m in ov["mission_areas"]) or unset)],
            [Cell(t("ov_threat", L)), Cell(text(ov["threat"]))],
            [Cell(t("ov_sponsor", L)), Cell(text(ov["sponsor"]))],
            [Cell(t("ov_orgs", L)), Cell(", ".join(ov["organisations"]) or t("ov_unset_cli", L))],
            [Cell(t("ov_poc", L)), Cell(text(ov["point_of_contact"]) if ov["point_of_contact"]
                                        else t("ov_unset_cli", L))],
            [Cell(t("ov_caps", L)), Cell("; ".join(c["label"][L] for c in ov["core_capabilities"]))],
            [Cell(t("ov_objectives", L)), Cell("; ".join(f"{o['id']} {tr(o['label'], L)}" for o in ov["objectives"]))],
        ]
        self.doc.add(Table(["", ""], rows))

    def capabilities(self) -> None:
        L = self.lang
        self.doc.add(Para(t("cap_rule", L), "note"))
        for rec in self.records:
            self.team_heading(rec)
            tm = self.teams[rec.label]
            self.doc.add(Table([t("col_capability", L), t("col_rating", L), t("col_objectives", L)],
                               [[Cell(c["label"][L]), _rating_cell(c["rating"]), Cell(", ".join(c["objectives"]))]
                                for c in tm["capabilities"]]))

    def objectives(self) -> None:
        L = self.lang
        scn = self.records[0].scenario
        if not scn.objectives:
            self.doc.add(Para(t("no_data", L, what=t("no_objectives", L)), "nodata"))
            return
        objs = [(o.id, tr(o.label, L)) for o in scn.objectives.values()]
        by_team = {tm["label"]: {o["id"]: o for o in tm["objectives"]} for tm in self.data["teams"]}
        matrix = [[by_team[r.label][oid]["rating"] for r in self.records] for oid, _ in objs]
        self.chart("objectives", lambda: ch.objectives_chart(objs, [r.label for r in self.records], matrix, L),
                   t("ch_objectives", L), t("no_objectives", L))
        for rec in self.records:
            self.team_heading(rec)
            rows = []
            for o in self.teams[rec.label]["objectives"]:
                m = o["measure"]
                unit = tr(m["unit"], L)
                better = t("better_lower" if m["better"] == "lower" else "better_higher", L)
                rows.append([Cell(f"{o['id']} {tr(o['label'], L)}"), Cell(capability_label(o["capability"], L)),
                             Cell(f"{tr(m['label'], L)} ({unit})" if unit else tr(m["label"], L)),
                             Cell(o["value_text"][L], "num" if o["reached"] else ""),
                             Cell(f"{o['thresholds_text'][L]} ({better})"), _rating_cell(o["rating"]),
                             Cell(t(f"rrule_{o['rule']}", L, rating=o["rating"], condition=o["applies_when"] or "")),
                             Cell("", edit="rating"), Cell("", edit="note")])
            self.doc.add(Table([t(k, L) for k in ("col_objective", "col_capability", "col_measure", "col_value",
                                                  "col_thresholds", "col_rating", "col_rule", "col_override",
                                                  "col_note")], rows))
        self.doc.add(Items([t(f"rating_{k}", L) for k in ("P", "S", "M", "U", "NA")], "note"))

    def timelines(self) -> None:
        L = self.lang
        for i, rec in enumerate(self.records, 1):
            self.team_heading(rec)
            tl = timeline(rec, L)
            start = rec.scenario.start_datetime()
            title = t("ch_timeline", L, team=rec.label) + f"  ({start.strftime('%H:%M')} = T+0)"
            self.chart(f"timeline_{i}", lambda tl=tl, title=title: ch.timeline_chart(tl, L, title), title,
                       t("no_timeline", L))
            if tl.messages:
                self.doc.add(Heading(t("messages_title", L), 4), Items(
                    [f"M{k} — T+{fmt_num(m.t)} ({_clock(start, m.t)})"
                     f"{' [' + t('leg_contingency', L) + ']' if m.detail == 'contingency' else ''}: {m.label}"
                     for k, m in enumerate(tl.messages, 1)]))
            if tl.orders:
                self.doc.add(Heading(t("orders_title", L), 4), Items(
                    [f"T+{fmt_num(m.t)} ({_clock(start, m.t)}): {m.label}"
                     f"{' — ' + m.detail if m.detail else ''}" for m in tl.orders]))
            if tl.reveals:
                self.doc.add(Heading(t("reveals_title", L), 4), Items(
                    [t("reveal_item", L, t=fmt_num(m.t), clock=_clock(start, m.t),
                       label=m.label, value=m.value, before=m.before)
                     for m in tl.reveals]))
            if tl.notes:
                self.doc.add(Heading(t("notes_title", L), 4), Items(
                    [f"N{k} — T+{fmt_num(n.t)} ({_clock(start, n.t)}) "
                     f"{n.detail}: {n.label}" for k, n in enumerate(tl.notes, 1)]))
            if tl.pauses:
                items = []
                for p in tl.pauses:
                    wall = t("pause_unresumed", L) if p.wall_seconds is None else \
                        t("pause_wall", L, s=_duration(p.wall_seconds))
                    items.append(t("pause_item", L, t=fmt_num(p.t), wall=wall))
                self.doc.add(Heading(t("pauses_title", L), 4), Items(items))

    def latency(self) -> None:
        L = self.lang
        bars = latencies(self.records, L)
        self.chart("latency", lambda: ch.latency_chart(bars, L), t("ch_latency", L), t("no_decisions", L))
        for rec in self.records:
            rows = self.rows[rec.label]
            own = [r.latency for r in rows if r.latency is not None and not r.defaulted]
            self.doc.add(Para(t("lat_summary", L, team=rec.label, median=fmt_num(percentile(own, 50)),
                                p90=fmt_num(percentile(own, 90)), n_team=tn("team_decisions", len(own), L),
                                d=sum(1 for r in rows if r.defaulted))))
            if len(self.records) > 1:
                continue
            self.doc.add(self.decision_table(rows))

    def decision_table(self, rows: list[DecisionRow]) -> Table:
        L = self.lang
        out = []
        for r in rows:
            by = t("by_default", L) if r.defaulted else (t("by_policy", L) if r.cause == "policy" else (r.by or ""))
            in_time = None if r.decided_at is None else (not r.defaulted and (r.deadline_at is None
                                                                              or r.decided_at <= r.deadline_at))
            out.append([Cell(f"{r.point} {r.title}"), Cell(_tplus(r.opened_at), "num"),
                        Cell(fmt_num(r.allowed), "num"),
                        Cell(_tplus(r.decided_at) if r.decided_at is not None else t("never", L), "num"),
                        Cell(fmt_num(r.latency), "num"), Cell(r.option_label or "—"), Cell(by),
                        Cell("—" if in_time is None else t("yes" if in_time else "no", L),
                             "" if in_time is None else ("ok" if in_time else "bad"))])
        return Table([t(k, L) for k in ("col_point", "col_opened", "col_allowed", "col_decided", "col_latency",
                                        "col_option", "col_by", "col_in_time")], out)

    def situation(self) -> None:
        L = self.lang
        per = [(r.label, situation(r, L)) for r in self.records]
        end = max(r.end_time for r in self.records)
        self.chart("situation", lambda: ch.situation_chart(per, L, end), t("ch_situation", L), t("no_situation", L))

    def resources(self) -> None:
        L = self.lang
        for i, rec in enumerate(self.records, 1):
            self.team_heading(rec)
            title = t("ch_resources", L, team=rec.label)
            series = resources(rec, L)
            self.chart(f"resources_{i}", lambda s=series, title=title, e=rec.end_time: ch.resource_chart(s, L, title, e),
                       title, t("no_resources", L))

    def log(self) -> None:
        L = self.lang
        per: list[tuple[str, LogSummary]] = []
        for rec in self.records:
            self.team_heading(rec)
            summary = self.logs[rec.label]
            per.append((rec.label, summary))
            if summary.scripted or not summary.checks:
                self.doc.add(Para(t("log_scripted", L, team=rec.label)))
                self.doc.add(self.log_table(rec, self.rows[rec.label]))
                continue
            n = summary.points
            self.doc.add(Para(t("log_summary", L, team=rec.label, n=n, entries=summary.entries,
                                complete=summary.n_complete,
                                share=f"{100 * (summary.share_complete or 0):.0f} %",
                                breadth=fmt_num(summary.options_breadth, 1), none=len(summary.no_entry))))
            self.doc.add(self.log_table(rec, self.rows[rec.label]))
            out = []
            for c in summary.checks:
                if not c.entry:
                    note = t("log_no_entry", L, why=t(f"why_{c.why_none or 'open'}", L))
                else:
                    miss = ", ".join(tr_field(f, L) for f in c.missing_required)
                    note = t("missing", L, fields=miss) if miss else ""
                out.append([Cell(c.point)] +
                           [Cell("✓" if c.entry and c.rules[k] else "✗", "ok" if c.entry and c.rules[k] else "bad")
                            for k in LOG_RULES] +
                           [Cell(fmt_num(c.entry_delay), "num"), Cell(note)])
            self.doc.add(Table([t("col_point", L)] + [t(f"rule_{k}", L) for k in LOG_RULES] +
                               [t("col_entry_delay", L), ""], out))
        self.chart("log_quality", lambda: ch.log_quality_chart(per, L), t("ch_log", L),
                   t("log_scripted", L, team=", ".join(r.label for r in self.records)))

    def log_table(self, rec: ExerciseRecord, rows: list[DecisionRow]) -> Table:
        L = self.lang
        from simulator import FIELD_LABELS

        out = []
        for r in rows:
            if r.decided_at is None:
                continue
            rat = r.rationale or {}
            cells = [Cell(f"{r.point} {r.title}"), Cell(_tplus(r.decided_at), "num"),
                     Cell(r.option_label or "—"),
                     Cell(t("by_default", L) if r.defaulted else (t("by_policy", L) if r.cause == "policy" else
                                                                   (r.by or "") + (f" ({r.role})" if r.role else ""))),
                     Cell(roman(r.force) if r.force is not None else "—")]
            for f in FIELD_LABELS:
                v = rat.get(f)
                if f == "options_considered" and isinstance(v, list):
                    dp = rec.scenario.decisions.get(r.point)
                    v = "; ".join(tr(dp.options[o].label, L) if dp and o in dp.options else str(o) for o in v)
                cells.append(Cell(str(v) if v else "—"))
            out.append(cells)
        return Table([t("col_point", L), t("col_decision_time", L), t("col_option", L), t("col_by", L),
                      t("col_force", L)] + [tr_field(f, L) for f in FIELD_LABELS], out)

    def findings(self) -> None:
        L = self.lang
        self.doc.add(Para(t("findings_note", L), "note"))
        for rec in self.records:
            self.team_heading(rec)
            fs = self.teams[rec.label]["findings"]
            for kind, key in (("strength", "strengths"), ("improvement", "improvements"),
                              ("not_applicable", "not_applicable")):
                items = [_finding_text(f, L) for f in fs if f["kind"] == kind]
                if kind == "not_applicable" and not items:
                    continue
                self.doc.add(Heading(t(key, L), 4),
                             Items(items or [t("none_found", L)], kind, editable=True))

    def plan(self) -> None:
        L = self.lang
        plan = self.data["improvement_plan"]
        from .aar import PLAN_DAYS

        self.doc.add(Para(t("plan_note", L, days=PLAN_DAYS), "note"))
        if not plan:
            self.doc.add(Para(t("no_data", L, what=t("plan_none", L)), "nodata"))
            return
        multi = len(self.records) > 1
        rows = [[Cell(p["id"])] + ([Cell(p["team"])] if multi else []) +
                [Cell(capability_label(p["capability"], L), "cap", edit="note"), Cell(p["area"][L], "area"),
                 Cell(p["action"][L], "action", edit="note"), Cell(p["organisation"], "org", edit="note"),
                 Cell(p["start"], "date", edit="note"), Cell(p["completion"], "date", edit="note")] for p in plan]
        head = [t("col_id", L)] + ([t("team", L)] if multi else []) + [
            t(k, L) for k in ("col_capability", "col_area", "col_action", "col_org", "col_start", "col_completion")]
        self.doc.add(Table(head, rows, id="plan", download=t("plan_download", L)))

    def followup(self) -> None:
        L = self.lang
        fu = self.data["plan_followup"] or []
        self.doc.add(Para(t("fu_intro", L, file=self.data.get("plan_file", ""))))
        self.doc.add(Table([t("col_id", L), t("team", L), t("col_action", L), t("col_status", L), ""],
                           [[Cell(x["id"]), Cell(x["team"]), Cell(x["action"][L] or x["action"]["en"]),
                             Cell(t(f"status_{x['status']}", L),
                                  {"closed": "ok", "open": "bad"}.get(x["status"], "")),
                             Cell(x["why"][L])] for x in fu]))

    def hotwash(self) -> None:
        L = self.lang
        self.doc.add(Para(t("hw_intro", L), "note"))
        notes = self.data["hotwash"]
        items = [f"{n['time']} — {t('who_' + n['who'], L)}: {n['text']}" for n in notes]
        self.doc.add(Items(items or [t("hw_none", L)], "hotwash", editable=True))

    def compare(self) -> None:
        L = self.lang
        c = compare(self.records, L)
        self.doc.add(Para(t("cmp_same_seed", L, seed=c.seeds[0]) if c.same_seed
                          else t("cmp_diff_seed", L, seeds=", ".join(map(str, c.seeds)))))
        self.doc.add(Table([t("col_metric", L)] + c.teams,
                           [[Cell(lab)] + [Cell(fmt_num(v), "num") for v in vals] for _, lab, vals in c.metrics],
                           t("cmp_outcomes", L)))
        self.doc.add(Table([t("col_objective", L)] + c.teams,
                           [[Cell(f"{oid} {lab}")] + [_rating_cell(r) for r in rs] for oid, lab, rs in c.ratings],
                           t("cmp_ratings", L)))
        self.doc.add(Table([t("col_point", L)] + c.teams,
                           [[Cell(f"{p} {title}")] + [Cell(x) for x in opts] for p, title, opts in c.choices],
                           t("cmp_choices", L)))

    def whatif(self, items: list[tuple[ExerciseRecord, WhatIf]]) -> None:
        L = self.lang
        scn = self.records[0].scenario
        for k, (rec, wi) in enumerate(items, 1):
            self.team_heading(rec)
            self.doc.add(Para(t("wi_intro", L, team=rec.label, n=wi.n if wi.n is not None else "—",
                                file=os.path.basename(wi.path))))
            if wi.reproduces is False:  # the study is of the plan as re-run: say so before any of its figures
                self.doc.add(Para(t("wi_noreplay", L), "note"))
            rows = []
            for m in wi.measures:
                label = tr(scn.metrics[m].label, L) if m in scn.metrics else m
                actual = wi.actual.get(m)
                shown = fmt_num(actual) if actual is not None or m not in rec.metrics else (
                    t("not_reached", L, t=fmt_num(rec.end_time)))
                rows.append([Cell(label), Cell(shown, "num"),
                             Cell(fmt_num(wi.percentile.get(m), 0), "num"),
                             Cell(_with_share(wi.team_median.get(m), wi.team_reached.get(m), L), "num"),
                             Cell(_with_share(wi.doctrine_median.get(m), wi.doctrine_reached.get(m), L), "num")])
            if rows:
                self.doc.add(Table([t("col_metric", L), t("wi_actual", L), t("wi_percentile", L),
                                    t("wi_team_median", L), t("wi_doctrine_median", L)], rows))
            if wi.counterfactuals:
                out = []
                for cf in wi.counterfactuals[:8]:
                    dp = scn.decisions.get(cf.point)

                    def lab(o: str, dp: Any = dp) -> str:
                        return tr(dp.options[o].label, L) if dp is not None and o in dp.options else (o or "—")

                    def mlab(m: str) -> str:
                        return tr(scn.metrics[m].label, L) if m in scn.metrics else m
                    # Only the measures whose interval excludes zero: a clear difference, over the seeds
                    # where both arms have a value; how often a censored time was reached, apart.
                    parts = [t("wi_reached", L, m=mlab(m), team=f"{100 * b:.0f}", option=f"{100 * o:.0f}")
                             for m, (b, o) in cf.reached.items()]
                    parts += [f"{mlab(m)}: {mean:+.1f} [{lo:+.1f}, {hi:+.1f}]"
                              + (f" (n={cf.n[m]})" if m in cf.n and scn.metrics.get(m) is not None
                                 and scn.metrics[m].can_miss else "")
                              for m, (mean, lo, hi) in cf.diff.items() if lo > 0 or hi < 0]
                    found = "; ".join(parts) or t("wi_no_diff", L)
                    compared = cf.runs.get("compared")
                    if compared is not None and wi.n is not None and compared < wi.n:
                        # Seeds where this option (or the team's) was not on offer, or the point did not
                        # arise, are not in the difference: say on how many it stands.
                        found = t("wi_compared", L, k=compared, n=wi.n, off=cf.runs.get("not_offered", 0)
                                  + cf.runs.get("team_not_offered", 0)) + ": " + found
                    chosen = lab(cf.chosen) if cf.answered else t("wi_defaulted", L, option=lab(cf.chosen))
                    alt = lab(cf.option) if cf.answered else t("wi_taken_after", L, option=lab(cf.option),
                                                               after=fmt_num(cf.taken_after))
                    out.append([Cell(f"{cf.point} {tr(dp.title, L)}" if dp is not None else cf.point),
                                Cell(chosen), Cell(alt), Cell(found),
                                Cell(f"{cf.importance:.2f}", "num")])
                self.doc.add(Table([t("col_point", L), t("wi_chosen", L), t("wi_alternative", L), t("wi_diff", L),
                                    t("wi_importance", L)], out, t("wi_counterfactuals", L)))
                self.doc.add(Para(t("wi_censored", L), "note"))
            for name, path in wi.charts.items():
                try:
                    png = path.read_bytes()
                except OSError:
                    continue
                if not png.startswith(b"\x89PNG"):
                    continue
                stem = f"whatif_{k}_{_safe(name)}"
                self.files[f"charts/{stem}.png"] = png
                self.doc.add(Chart(stem, name, png))

    def appendix(self) -> None:
        L = self.lang
        self.doc.add(Para(t("ap_intro", L)), Items(t("ap_items", L).split("\n")))
        self.corrections()
        self.doc.add(Heading(t("files_title", L), 3), Para(t("files_list", L)))

    def corrections(self) -> None:
        """What the engine had to correct while it ran (warning events), so no figure hides it."""
        L = self.lang
        teams = [(rec, tm) for rec, tm in zip(self.records, self.data["teams"], strict=True) if tm["warnings"]]
        self.doc.add(Heading(t("ap_warn_title", L), 3))
        if not teams:
            self.doc.add(Para(t("ap_warn_none", L)))
            return
        self.doc.add(Para(t("ap_warn_intro", L)))
        for rec, tm in teams:
            self.team_heading(rec)
            # The text names the place in the scenario (path) itself.
            rows = [[Cell(_tplus(w["t"]), "num"),
                     Cell(((w["text"] or {}).get(L) or f"{w['where']}: {w['key']}") + f" (#{w['evidence'][0]})")]
                    for w in tm["warnings"]]
            self.doc.add(Table([t("col_at", L), t("col_what", L)], rows))


def _with_share(median: float | None, share: float | None, lang: str) -> str:
    """A median, and for a time that may never happen the share of runs that reached it (the median is of those)."""
    if share is None:
        return fmt_num(median)
    return t("wi_median_share", lang, median=fmt_num(median), share=f"{100 * share:.0f}")


def _rating_cell(rating: str) -> Cell:
    return Cell(rating, "NA" if rating == "N/A" else rating)


def _finding_text(f: dict[str, Any], lang: str) -> str:
    """A finding as one editable item: observation, then analysis, recommendation and evidence."""
    parts = [f["observation"][lang]]
    if f["kind"] != "not_applicable" or f["analysis"][lang]:
        parts.append(f"{t('f_analysis', lang)}: {f['analysis'][lang]}")
    parts.append(f"{t('f_recommendation', lang)}: {f['recommendation'][lang]}")
    if f["evidence"]:
        ev = ", ".join(f"#{s}" for s in f["evidence"][:12]) + (" …" if len(f["evidence"]) > 12 else "")
        parts.append(f"{t('f_evidence', lang)}: {ev}")
    return "\n".join(parts)


def tr_field(f: str, lang: str) -> str:
    from simulator import FIELD_LABELS

    return FIELD_LABELS.get(f, {}).get(lang, f)


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name)[:60] or "chart"


def _duration(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 60} min {s % 60:02d} s" if s >= 60 else f"{s} s"


# ---------------------------------------------------------------- CSV


def decisions_csv(records: list[ExerciseRecord], lang: str) -> str:
    from simulator import FIELD_LABELS

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["team", "point", "title", "opened_at", "deadline_at", "decided_at", "latency_min", "option",
                "option_label", "by", "cause", "defaulted", "as_expected", "force", "role", "entry_t", "entry_wall",
                *FIELD_LABELS, "log_complete"])
    for rec in records:
        checks = {c.point: c for c in log_check(rec).checks}
        for r in decision_rows(rec, lang):
            rat = r.rationale or {}
            c = checks.get(r.point)
            w.writerow([rec.label, r.point, r.title, _opt(r.opened_at), _opt(r.deadline_at), _opt(r.decided_at),
                        _opt(r.latency), r.option or "", r.option_label, r.by or "", r.cause or "", int(r.defaulted),
                        "" if r.as_expected is None else int(r.as_expected), _opt(r.force), r.role or "",
                        _opt(r.entry_t), r.entry_wall or "",
                        *[("|".join(map(str, rat.get(f) or [])) if f == "options_considered"
                           else str(rat.get(f) or "")) for f in FIELD_LABELS],
                        "" if c is None else int(c.complete)])
    return buf.getvalue()


def timeline_csv(records: list[ExerciseRecord]) -> str:
    """Events and inputs of every journal, in time order (inputs before events at the same time)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["team", "t", "clock", "source", "seq", "kind", "ref", "actor", "detail"])
    for rec in records:
        start = rec.scenario.start_datetime()
        rows: list[tuple[float, int, int, list[Any]]] = []
        for inp in rec.inputs:
            ref = str(inp.payload.get("point") or inp.payload.get("order") or inp.payload.get("inject") or "")
            rows.append((inp.t, 0, inp.seq, ["input", inp.seq, inp.kind, ref, inp.actor, data_json(inp.payload)]))
        for e in rec.events:
            rows.append((e.t, 1, e.seq, ["event", e.seq, e.kind, e.ref, "", data_json(e.data)]))
        rows.sort(key=lambda r: (r[0], r[1], r[2]))
        for tt, _, _, rest in rows:
            w.writerow([rec.label, round(tt, 6), local_time(start, tt, seconds=True), *rest])
    return buf.getvalue()


def _opt(v: Any) -> Any:
    if v is None:
        return ""
    return round(v, 4) if isinstance(v, float) else v


# ---------------------------------------------------------------- writing


def build_report(records: list[ExerciseRecord], lang: str, *, pdf: bool = True,
                 data: dict[str, Any] | None = None, svg: bool = False) -> dict[str, bytes]:
    """Every output file, relative path -> bytes (nothing written yet): debrief.json first, the rest rendered from it."""
    data = debrief_data(records) if data is None else data
    files: dict[str, bytes] = {"debrief.json": (json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True)
                                                + "\n").encode("utf-8")}
    b = _Builder(records, lang, data, svg=svg)
    doc = b.build()
    files.update(b.files)
    files["decisions.csv"] = ("\ufeff" + decisions_csv(records, lang)).encode("utf-8")
    files["timeline.csv"] = ("\ufeff" + timeline_csv(records)).encode("utf-8")
    files["improvement_plan.csv"] = ("\ufeff" + plan_csv(data["improvement_plan"])).encode("utf-8")
    files["improvement_plan.xlsx"] = plan_xlsx(data["improvement_plan"], lang)
    if pdf:
        files["report.pdf"] = to_pdf(doc)
    files["report.html"] = to_html(doc).encode("utf-8")
    return files


def write_report(files: dict[str, bytes], out: str | Path) -> None:
    """Write into `out` through a staging folder; report.html is moved in last."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".debrief-", dir=out))
    try:
        for rel, data in files.items():
            p = stage / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(data)
        for rel in sorted(files, key=lambda r: r == "report.html"):
            dest = out / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(stage / rel, dest)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def journal_paths(paths: list[str]) -> list[str]:
    """The journals named: a folder stands for every `*.sitroom` file in it (one per team of a class)."""
    out: list[str] = []
    problems: list[Problem] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            found = sorted(str(x) for x in path.glob("*.sitroom") if x.is_file())
            if not found:
                problems.append(Problem(p, 0, 0, "this folder holds no *.sitroom journal"))
            out.extend(found)
        else:
            out.append(p)
    if problems:
        raise InputError(problems)
    return out


def debrief(paths: list[str], out: str | Path, lang: str = "es", *, pdf: bool = True,
            overview: Overview | None = None, plan: str | None = None, notes: str | None = None,
            svg: bool = False) -> dict[str, bytes]:
    """Load journals (or folders of them) and write the report; raises InputError on bad input. Returns the files."""
    records = load_records(journal_paths(paths))
    plan_rows = read_plan(plan, records[0].scenario.id) if plan else None
    hot = read_notes(notes) if notes else None
    data = debrief_data(records, overview=overview, plan=plan_rows, notes=hot)
    if plan:
        data["plan_file"] = Path(plan).name
    files = build_report(records, lang, pdf=pdf, data=data, svg=svg)
    write_report(files, out)
    return files


def run_debrief(args: argparse.Namespace) -> int:
    """Entry point for `sitroom debrief`: 0 on success; 1 with `path: message` lines on bad input."""
    lang = getattr(args, "lang", "es") or "es"
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        print(f"{out}: is a file, not a folder for the report", file=sys.stderr)
        return 1
    overview = Overview(list(getattr(args, "org", None) or []), getattr(args, "poc", None))
    try:
        files = debrief(list(args.journals), out, lang, overview=overview, plan=getattr(args, "plan", None),
                        notes=getattr(args, "notes", None), svg=bool(getattr(args, "svg", False)))
    except InputError as exc:
        for p in exc.problems:
            print(str(p), file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"{exc.filename or out}: cannot write the report ({exc.strerror or exc})", file=sys.stderr)
        return 1
    n_charts = sum(1 for k in files if k.endswith(".png"))
    print(f"{out / 'report.html'} ({n_charts} charts, {len(files)} files)")
    return 0
