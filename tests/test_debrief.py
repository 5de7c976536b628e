"""The after-action debrief: measures from journals of known runs, chart data, report files, bad input."""

from __future__ import annotations

import argparse
import csv
import io
import json
import shutil
from pathlib import Path

import pytest

from analysis import charts
from analysis.debrief import debrief, decisions_csv, percentile, run_debrief
from analysis.measures import compare, decision_rows, expectations, findings, log_check
from analysis.record import load_record, load_records
from analysis.series import Timeline, latencies, pack_rows, resources, situation, timeline
from analysis.sidecar import exercise_key
from simulator import Exercise, InputError, Policy, PolicyDecision, load_scenario_text, run_headless

SCENARIO = """\
sitroom: 1
id: dbf
version: "2.0"
title: {es: "Prueba de debrief", en: "Debrief test"}
summary: {es: "Escenario de prueba", en: "Test scenario"}
kind: prison
roles:
  team: {name: {es: "Equipo", en: "Team"}}
clock: {start: "2025-01-01T10:00:00-06:00", limit: 120, speed: 4}
state:
  level:
    label: {es: "Nivel", en: "Level"}
    initial: 2
    integer: true
  calm:
    label: {es: "Calma", en: "Calm"}
    initial: 0
  hidden_q:
    label: {es: "Oculto", en: "Hidden"}
    initial: 0
    chart: false
resources:
  squad:
    label: {es: "Escuadra", en: "Squad"}
    count: 2
    standby: 1
    mobilise: 10
    travel: 5
tasks:
  job:
    label: {es: "Trabajo", en: "Job"}
    resource: squad
    work: 20
    on_complete:
      - {add: level, by: -1}
injects:
  alarm:
    at: 2
    channel: radio
    text: {es: "Alarma", en: "Alarm"}
    expect: {any_of: [send], within: 10, contingency: urge}
  urge:
    channel: phone
    text: {es: "¡Apúrense!", en: "Hurry!"}
  brief:
    at: 3
    channel: phone
    text: {es: "Informe al director", en: "Brief the director"}
    expect: {any_of: [D1], within: 24}
  report:
    at: 30
    channel: radio
    text: {es: "Informe", en: "Report"}
    expect: {any_of: [D2], within: 5}
decisions:
  D1:
    title: {es: "Primera", en: "First"}
    prompt: {es: "¿Actuar?", en: "Act?"}
    at: 5
    deadline: 20
    default: wait
    expected: [act]
    force: true
    options:
      act:
        label: {es: "Actuar", en: "Act"}
        effects:
          - {set: calm, to: 1}
          - {mobilise: squad}
      wait:
        label: {es: "Esperar", en: "Wait"}
      other:
        label: {es: "Otra", en: "Other"}
  D2:
    title: {es: "Segunda", en: "Second"}
    prompt: {es: "¿Sí?", en: "Yes?"}
    at: 40
    deadline: 10
    default: "no"
    expected: ["yes"]
    options:
      "yes":
        label: {es: "Sí", en: "Yes"}
      "no":
        label: {es: "No", en: "No"}
orders:
  send:
    label: {es: "Enviar", en: "Send"}
    task: job
metrics:
  d1_latency:
    label: {es: "Latencia D1", en: "D1 latency"}
    latency: D1
  final_level:
    label: {es: "Nivel final", en: "Final level"}
    value: "level"
  calm_at:
    label: {es: "Tiempo hasta la calma", en: "Time to calm"}
    first: "calm == 1"
objectives:
  O1:
    label: {es: "Decidir pronto", en: "Decide early"}
    capability: "Situational Assessment"
    metric: d1_latency
    thresholds: {P: 5, S: 10, M: 15}
  O2:
    label: {es: "Calmar", en: "Calm down"}
    capability: "Operational Coordination"
    metric: calm_at
    thresholds: {P: 10, S: 20, M: 30}
"""

FULL = {"information": "Reportan 40 internos", "threat_risk": "Dos custodios adentro",
        "powers_policy": "LNUF art. 4", "options_considered": ["act", "wait"], "why": "Proteger al personal"}


@pytest.fixture(scope="module")
def scenario():
    return load_scenario_text(SCENARIO, "dbf.yaml")


@pytest.fixture(scope="module")
def journals(tmp_path_factory, scenario):
    """Three journals: a policy answering D1 12 min after it opens, the same seed with defaults, and a
    live-style session with rationale, a pause, a note and an order."""
    d = tmp_path_factory.mktemp("journals")
    late = Policy("late", {"D1": PolicyDecision("act", after=12.0)})
    run_headless(scenario, 7, late, d / "late.db")
    run_headless(scenario, 7, None, d / "defaults.db")
    ex = Exercise.start(scenario, 7, d / "live.db", team="Rojo", honour_pauses=False)
    ex.advance(8)
    ex.record("pause", {})
    ex.note("El equipo discute sin registrar")
    ex.record("resume", {})
    ex.advance(10)
    ex.decide("D1", "act", rationale=FULL, force=2, check=False, role="team")
    ex.order("send")
    ex.advance(45)
    ex.decide("D2", "yes", rationale={"why": "porque sí"}, check=False)
    ex.advance(120)
    ex.close()
    return d


# ---------------------------------------------------------------- measures


def test_policy_answering_twelve_minutes_after_opening_shows_latency_twelve(journals):
    rec = load_record(journals / "late.db")
    rows = {r.point: r for r in decision_rows(rec)}
    assert rows["D1"].opened_at == 5
    assert rows["D1"].latency == pytest.approx(12.0)
    assert rows["D1"].by == "policy" and not rows["D1"].defaulted
    assert rows["D1"].allowed == 20
    assert rec.metrics["d1_latency"] == pytest.approx(12.0)
    assert {r.id: r.rating for r in rec.ratings}["O1"] == "M"  # 12 > S=10, <= M=15


def test_deadline_missed_applies_default_and_is_flagged(journals):
    rec = load_record(journals / "late.db")
    d2 = {r.point: r for r in decision_rows(rec)}["D2"]
    # The engine's latency: a default is not the team's answer, so it has none.
    assert d2.defaulted and d2.option == "no" and d2.latency is None and not d2.answered
    assert d2.decided_at - d2.opened_at == pytest.approx(10.0)
    texts = [f.text("en") for f in findings(rec, "en") if f.kind == "improvement"]
    assert any("D2" in x and "default" in x for x in texts)


def test_unmet_expectation_and_contingency_become_areas_for_improvement(journals):
    rec = load_record(journals / "late.db")
    exp = {e.inject: e for e in expectations(rec)}
    assert not exp["alarm"].met and exp["alarm"].checked_at == pytest.approx(12.0)
    tl = timeline(rec)
    assert [m.ref for m in tl.contingencies] == ["urge"]
    es = [f.text("es") for f in findings(rec, "es") if f.kind == "improvement"]
    assert any("Alarma" in x and "Enviar" in x for x in es)
    assert not any("alarm" in x for x in es)  # labels, not ids


def test_expectation_met_only_by_a_default_is_not_a_strength(journals):
    late, defaults = load_record(journals / "late.db"), load_record(journals / "defaults.db")
    assert not {e.inject: e.met for e in expectations(defaults)}["brief"]  # a default is inaction
    en = findings(defaults, "en")
    brief = "Brief the director"
    assert any(brief in f.text("en") for f in en if f.kind == "improvement")
    assert not any(brief in f.text("en") for f in en if f.kind == "strength")
    assert any(brief in f.text("en") and "in time" in f.text("en") for f in findings(late, "en")
               if f.kind == "strength")


def test_latency_series_per_point_and_team(journals):
    recs = load_records([str(journals / "late.db"), str(journals / "defaults.db")])
    bars = {(b.team, b.point): b for b in latencies(recs)}
    assert bars[("late", "D1")].latency == pytest.approx(12.0)
    assert bars[("defaults", "D1")].defaulted
    assert bars[("defaults", "D1")].latency is None  # a default has no latency of the team's
    assert bars[("defaults", "D1")].allowed == pytest.approx(20.0)


def test_situation_series_are_step_curves_of_charted_quantities(journals):
    rec = load_record(journals / "late.db")
    series = {s.id: s for s in situation(rec)}
    assert "hidden_q" not in series  # chart: false
    calm = series["calm"]
    assert calm.times == [0.0, 17.0, 120.0] and calm.values == [0.0, 1.0, 1.0]
    assert series["level"].values[0] == 2.0


def test_resource_series_count_units_by_status(journals):
    rec = load_record(journals / "late.db")
    (squad,) = resources(rec)
    assert squad.total == 2
    for i in range(len(squad.times)):
        assert sum(squad.counts[s][i] for s in squad.counts) == 2

    def at(t: float) -> dict[str, int]:
        i = max(k for k, tt in enumerate(squad.times) if tt <= t)
        return {s: c[i] for s, c in squad.counts.items() if c[i]}

    assert at(0) == {"ready": 1, "standby": 1}
    assert at(20) == {"ready": 1, "mobilising": 1}  # D1 "act" at 17 mobilises the standby unit for 10 min
    assert at(30) == {"ready": 2}


def test_decision_log_completeness_of_live_entries(journals):
    rec = load_record(journals / "live.db")
    summary = log_check(rec)
    checks = {c.point: c for c in summary.checks}
    assert checks["D1"].complete and checks["D1"].n_options == 2
    assert checks["D1"].entry_delay == 0
    d2 = checks["D2"]
    assert not d2.complete
    assert d2.rules == {"required": False, "options_considered": False, "force": True, "prompt": True}
    assert set(d2.missing_required) == {"information", "threat_risk", "powers_policy", "options_considered"}
    assert summary.share_complete == 0.5
    assert summary.no_entry == []


def test_scripted_runs_have_no_log_entries(journals):
    summary = log_check(load_record(journals / "late.db"))
    assert summary.scripted and summary.checks == [] and summary.share_complete is None


def test_timeline_has_notes_pauses_orders_and_unit_activity(journals):
    rec = load_record(journals / "live.db")
    tl = timeline(rec)
    assert [(n.t, n.label) for n in tl.notes] == [(8.0, "El equipo discute sin registrar")]
    assert len(tl.pauses) == 1 and tl.pauses[0].t == 8.0 and tl.pauses[0].wall_seconds is not None
    assert [(o.t, o.ref) for o in tl.orders] == [(10.0, "send")]
    assert [m.ref for m in tl.injects] == ["alarm", "brief", "report"]  # "send" at 10 met alarm's expectation
    assert {s.status for segs in tl.units.values() for s in segs} >= {"en_route", "on_scene"}
    assert [(d.point, d.decided_at) for d in tl.decisions] == [("D1", 10.0), ("D2", 45.0)]


def test_comparison_notes_same_seed(journals):
    recs = load_records([str(journals / "late.db"), str(journals / "live.db")])
    c = compare(recs, "en")
    assert c.same_seed and c.teams == ["late", "Rojo"]
    metrics = {m: vals for m, _, vals in c.metrics}
    assert metrics["d1_latency"] == [pytest.approx(12.0), pytest.approx(5.0)]
    choices = {p: opts for p, _, opts in c.choices}
    assert choices["D2"] == ["No *", "Yes"]


def test_percentile_interpolates():
    assert percentile([], 50) is None
    assert percentile([4.0], 90) == 4.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile([0.0, 10.0], 90) == pytest.approx(9.0)


def test_pack_rows_never_overlaps():
    assert pack_rows([(0, 5), (1, 3), (5, 8), (3.5, 9)]) == [0, 1, 0, 1]


def test_charts_with_no_data_return_none():
    assert charts.timeline_chart(Timeline(end_time=10.0), "es", "x") is None
    assert charts.latency_chart([], "es") is None
    assert charts.resource_chart([], "es", "x", 10.0) is None
    assert charts.situation_chart([("a", [])], "es", 10.0) is None
    assert charts.log_quality_chart([], "es") is None


def test_decisions_csv_holds_rationale(journals):
    recs = load_records([str(journals / "live.db")])
    rows = list(csv.DictReader(io.StringIO(decisions_csv(recs, "es"))))
    assert [r["point"] for r in rows] == ["D1", "D2"]
    assert rows[0]["why"] == "Proteger al personal" and rows[0]["options_considered"] == "act|wait"
    assert rows[0]["log_complete"] == "1" and rows[1]["log_complete"] == "0"
    # Who answered (by) and why (cause) apart: a team named "policy" is not a scripted policy.
    assert [r["cause"] for r in rows] == ["team", "team"]
    late = list(csv.DictReader(io.StringIO(decisions_csv(load_records([str(journals / "late.db")]), "en"))))
    assert [(r["point"], r["by"], r["cause"]) for r in late] == [("D1", "policy", "policy"),
                                                                  ("D2", "", "default")]


def test_a_message_with_no_sender_is_named_by_its_words():
    """Not "Message from the message (…)" / "Mensaje de el mensaje (…)"."""
    from types import SimpleNamespace

    from engine_fixtures import tiny

    from analysis.measures import ref_label

    scn = tiny("""\
injects:
  plain: {at: 1, channel: radio, text: {es: "Humo en la cocina", en: "Smoke in the kitchen"}}
  signed: {at: 1, channel: radio, from: {es: "Control", en: "Control"}, text: {es: "Humo", en: "Smoke"}}
""")
    rec = SimpleNamespace(scenario=scn, first_values={})  # (a stand-in record: no message delivered)
    assert ref_label(rec, "plain", "en") == "“Smoke in the kitchen”"
    assert ref_label(rec, "plain", "es") == "«Humo en la cocina»"
    assert ref_label(rec, "signed", "en") == "from Control (“Smoke”)"


# ---------------------------------------------------------------- the report files


def _args(journals: list[Path], out: Path, lang: str = "es") -> argparse.Namespace:
    return argparse.Namespace(journals=[str(j) for j in journals], out=str(out), lang=lang)


def test_report_files_are_written_self_contained(journals, tmp_path, capsys):
    src = journals / "live.db"
    sidecar = Path(f"{src}.whatif.json")
    png = next(iter(charts.save(charts.objectives_chart([("O1", "x")], ["t"], [["P"]], "es"), "x",
                                svg=False).values()))
    (journals / "fan.png").write_bytes(png)
    rec = load_record(str(src))
    key = exercise_key(rec.scenario.sha256, rec.seed, rec.inputs)
    sidecar.write_text(json.dumps({
        "format": "sitroom-whatif", "version": 1, "n": 50, "measures": ["d1_latency", "nonsense"], "exercise": key,
        "team": {"actual": {"d1_latency": 5.0}, "percentile": {"d1_latency": 37.5},
                 "distribution": {"d1_latency": [4, 5, 6]}},
        "doctrine": {"distribution": {"d1_latency": [1, 2, "x", 3]}},
        "counterfactuals": [{"point": "D1", "chosen": "act", "option": "wait",
                             "diff": {"d1_latency": {"mean": 3.25, "ci_low": 1.0, "ci_high": 5.5}},
                             "importance": 0.8,
                             "runs": {"compared": 41, "not_offered": 6, "team_not_offered": 0, "did_not_arise": 3}},
                            "garbage"],
        "charts": {"fan": "fan.png", "missing": "nope.png"},
    }))
    try:
        out = tmp_path / "out"
        assert run_debrief(_args([src, journals / "late.db"], out, "es")) == 0
    finally:
        sidecar.unlink()
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "SOLO PARA FINES DE CAPACITACIÓN" in html and "Objetivos y calificaciones" in html
    assert 'src="http' not in html and html.count("data:image/png;base64,") >= 8
    assert "Comparación de equipos" in html and "misma semilla (7)" in html
    assert "37.5" not in html and ">38<" in html  # percentile, rounded
    assert "+3.2 [+1.0, +5.5]" in html or "+3.3 [+1.0, +5.5]" in html
    assert "comparada en 41 de 50 semillas (6 sin la opción en oferta" in html  # not on offer: left out, said
    assert "El equipo discute sin registrar" in html
    assert "no reproduce exactamente este diario" not in html  # the sidecar does not say so

    for name in ("objectives", "timeline_1", "timeline_2", "latency", "situation", "resources_1", "log_quality"):
        assert (out / "charts" / f"{name}.png").read_bytes().startswith(b"\x89PNG")
        assert not (out / "charts" / f"{name}.svg").exists()  # drawn once: PNG only unless --svg
    assert (out / "charts" / "whatif_1_fan.png").exists()
    assert (out / "report.pdf").read_bytes().startswith(b"%PDF-1.4")
    assert (out / "report.pdf").read_bytes().rstrip().endswith(b"%%EOF")
    timeline_rows = list(csv.DictReader(io.StringIO((out / "timeline.csv").read_text(encoding="utf-8-sig"))))
    assert {"note", "pause", "resume", "decision", "order"} <= {r["kind"] for r in timeline_rows}
    assert not [p for p in out.iterdir() if p.name.startswith(".debrief-")]
    assert "report.html" in capsys.readouterr().out


def test_a_study_whose_plan_did_not_reproduce_the_journal_says_so_in_the_report(journals, tmp_path):
    src = journals / "live.db"
    sidecar = Path(f"{src}.whatif.json")
    rec = load_record(str(src))
    sidecar.write_text(json.dumps({
        "format": "sitroom-whatif", "version": 1, "n": 50, "measures": ["d1_latency"],
        "exercise": exercise_key(rec.scenario.sha256, rec.seed, rec.inputs),
        "team": {"actual": {"d1_latency": 5.0}, "percentile": {"d1_latency": 0.0}, "reproduces_actual": False,
                 "distribution": {"d1_latency": [4, 5, 6]}}}))
    try:
        out = tmp_path / "out"
        assert run_debrief(_args([src], out, "en")) == 0
    finally:
        sidecar.unlink()
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "does not reproduce this journal exactly" in html


def test_report_in_english_says_when_a_chart_has_no_data(tmp_path, scenario):
    text = SCENARIO.replace("resources:\n  squad:", "unused_resources:\n  squad:")
    # a scenario without resources (its orders/tasks removed too)
    text = text.split("unused_resources:")[0] + "injects:" + text.split("\ninjects:")[1]
    text = text.replace("orders:\n  send:\n    label: {es: \"Enviar\", en: \"Send\"}\n    task: job\n", "")
    text = text.replace("any_of: [send]", "any_of: [D1]").replace("          - {mobilise: squad}\n", "")
    scn = load_scenario_text(text, "nores.yaml")
    run_headless(scn, 1, None, tmp_path / "j.db")
    files = debrief([str(tmp_path / "j.db")], tmp_path / "out", "en", pdf=False)
    html = files["report.html"].decode()
    assert "No data: the scenario has no resources." in html
    assert "Objectives and ratings" in html and "Appendix: how every number was computed" in html
    assert "s_whatif" not in html  # no sidecar, no what-if section


def test_values_the_engine_corrected_are_listed_for_the_evaluator(tmp_path, scenario):
    """A parameter clamped at run time is in debrief.json and in the report's appendix, in both languages."""
    import json

    run_headless(scenario, 7, None, tmp_path / "clean.db")
    clean = debrief([str(tmp_path / "clean.db")], tmp_path / "c", "en", pdf=False)
    assert json.loads(clean["debrief.json"])["teams"][0]["warnings"] == []
    assert "None: the engine corrected no value and refused no policy answer" in clean["report.html"].decode()
    text = SCENARIO.replace("injects:\n", "injects:\n  odd:\n    at: 2\n    channel: radio\n"
                            "    text: {es: \"O\", en: \"O\"}\n"
                            "    effects: [{add: level, by: {dist: exponential, mean: \"level - 1000\"}}]\n", 1)
    scn = load_scenario_text(text, "odd.yaml")
    run_headless(scn, 7, None, tmp_path / "odd.db")
    for lang, words in (("en", "exponential parameter mean was"), ("es", "el parámetro mean de la distribución exponential")):
        files = debrief([str(tmp_path / "odd.db")], tmp_path / lang, lang, pdf=False)
        (w,) = json.loads(files["debrief.json"])["teams"][0]["warnings"]
        assert w["where"] == "injects.odd.effects.0.by" and w["t"] == 2.0
        assert words in files["report.html"].decode()


# ---------------------------------------------------------------- bad input


def test_garbage_and_empty_files_are_refused(tmp_path, capsys):
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"\x00\xffnot a journal at all" * 50)
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    assert run_debrief(_args([garbage, empty], tmp_path / "out")) == 1
    err = capsys.readouterr().err
    assert f"{garbage}: not a sitroom journal" in err and f"{empty}: not a sitroom journal" in err
    assert not (tmp_path / "out" / "report.html").exists()
    assert "Traceback" not in err


def test_other_sqlite_files_and_other_format_versions_are_refused(journals, tmp_path, capsys):
    import sqlite3

    other = tmp_path / "other.sqlite"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.close()
    v2 = tmp_path / "v2.db"
    shutil.copy(journals / "late.db", v2)
    con = sqlite3.connect(v2)
    con.execute("UPDATE meta SET value = '99' WHERE key = 'format_version'")
    con.commit()
    con.close()
    assert run_debrief(_args([other, v2, v2], tmp_path / "out")) == 1
    err = capsys.readouterr().err.splitlines()
    assert f"{other}: not a sitroom journal (tables missing)" in err
    assert any(line.startswith(f"{v2}: journal format version 99 is not supported") for line in err)
    assert f"{v2}: given twice; list each journal once" in err


def test_truncated_journal_is_refused(journals, tmp_path, capsys):
    data = (journals / "late.db").read_bytes()
    cut = tmp_path / "cut.db"
    cut.write_bytes(data[: len(data) // 2])
    assert run_debrief(_args([cut], tmp_path / "out")) == 1
    err = capsys.readouterr().err
    assert str(cut) in err and ("truncated" in err or "damaged" in err)


def test_journals_of_two_scenarios_are_refused(journals, tmp_path, capsys):
    other = load_scenario_text(SCENARIO.replace("id: dbf", "id: other"), "other.yaml")
    run_headless(other, 7, None, tmp_path / "other.db")
    assert run_debrief(_args([journals / "late.db", tmp_path / "other.db"], tmp_path / "out")) == 1
    err = capsys.readouterr().err
    assert f"{tmp_path / 'other.db'}: mixes scenarios" in err
    with pytest.raises(InputError):
        load_records([str(journals / "late.db"), str(tmp_path / "other.db")])


def test_a_failed_debrief_leaves_the_previous_report_untouched(journals, tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.html").write_text("previous")

    def boom(*a, **k):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("analysis.debrief.to_html", boom)
    with pytest.raises(RuntimeError):
        debrief([str(journals / "late.db")], out, "es", pdf=False)
    assert (out / "report.html").read_text() == "previous"
    assert sorted(p.name for p in out.iterdir()) == ["report.html"]


def test_out_path_that_is_a_file_is_refused(journals, tmp_path, capsys):
    f = tmp_path / "file"
    f.write_text("x")
    assert run_debrief(_args([journals / "late.db"], f)) == 1
    assert f"{f}: is a file" in capsys.readouterr().err


def test_missing_journal_is_refused(tmp_path, capsys):
    assert run_debrief(_args([tmp_path / "nope.db"], tmp_path / "out")) == 1
    assert "nope.db: no such file" in capsys.readouterr().err


def test_copy_of_journal_elsewhere_still_debriefs(journals, tmp_path):
    # A journal is self-contained: the scenario travels inside it.
    shutil.copy(journals / "late.db", tmp_path / "copy.db")
    assert load_record(tmp_path / "copy.db").metrics["d1_latency"] == pytest.approx(12.0)


def test_importing_the_debrief_does_not_import_matplotlib():
    import subprocess
    import sys

    code = "import sys, analysis.debrief; print('matplotlib' in sys.modules, 'textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_unfinished_exercise_is_debriefed_up_to_where_the_journal_stops(scenario, tmp_path):
    ex = Exercise.start(scenario, 7, tmp_path / "crash.db", team="Azul", honour_pauses=False)
    ex.advance(30)
    ex.close()  # no end: as after a crash
    rec = load_record(tmp_path / "crash.db")
    assert not rec.ended and rec.end_time == 30
    assert situation(rec)[0].times[-1] == 30
    files = debrief([str(tmp_path / "crash.db")], tmp_path / "out", "en", pdf=False)
    assert "not ended (the journal reaches T+30 min)" in files["report.html"].decode()


def test_comparison_of_different_seeds_warns_about_chance(journals, scenario, tmp_path):
    run_headless(scenario, 8, None, tmp_path / "seed8.db")
    c = compare(load_records([str(journals / "defaults.db"), str(tmp_path / "seed8.db")]), "es")
    assert not c.same_seed and c.seeds == [7, 8]


def test_long_runs_of_one_finding_become_one_summary_item():
    from analysis.measures import Finding, _grouped

    def words(x: str) -> dict[str, str]:
        return {"es": x, "en": x}
    many = [Finding("improvement", "decision", "f_default", f"P{i}", words(f"P{i} default"), words(""), words(""),
                    (i,)) for i in range(20)]
    obj = Finding("strength", "objective", "f_obj_p", "O1", words("O1 P"), words(""), words(""))
    out = _grouped([obj] + many)
    assert [f.text("en") for f in out][0] == "O1 P"
    assert len(out) == 2 and out[1].text("en").startswith("At 20 points the deadline passed")
    assert "P11, …" in out[1].text("en") and out[1].evidence == tuple(range(20))


@pytest.mark.parametrize("lang", ["es", "en"])
def test_a_run_ended_by_the_scenarios_own_ending_gets_its_report(tmp_path, lang):
    """C1 run on doctrine ends early, by its `recovered` ending: the report names that ending in words
    (its message), where it once stopped with KeyError 'end_recovered'."""
    from simulator import find_policy, load_scenario, resolve_scenario

    scn = load_scenario(resolve_scenario("C1-jueves-negro"))
    run_headless(scn, 7, find_policy("doctrine", scn), tmp_path / "c1.sitroom")
    html = debrief([str(tmp_path / "c1.sitroom")], tmp_path / "out", lang, pdf=False)["report.html"].decode()
    [ending] = [e for e in scn.endings if e.reason == "recovered"]
    assert ending.message is not None
    assert ending.message[lang].rstrip(".") in html


def test_a_what_if_study_of_another_exercise_at_the_same_path_is_not_used(journals, tmp_path, capsys):
    """A journal written again at the path of an earlier one (another seed, other decisions) keeps the
    old study's sidecar beside it: the report must not show that study as this exercise's."""
    src = journals / "live.db"
    sidecar = Path(f"{src}.whatif.json")
    sidecar.write_text(json.dumps({
        "format": "sitroom-whatif", "version": 1, "n": 50, "measures": ["d1_latency"], "exercise": "0" * 64,
        "team": {"actual": {"d1_latency": 5.0}, "percentile": {"d1_latency": 37.5},
                 "distribution": {"d1_latency": [4, 5, 6]}},
        "counterfactuals": [], "charts": {},
    }))
    try:
        assert run_debrief(_args([src], tmp_path / "out", "en")) == 0
    finally:
        sidecar.unlink()
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "s_whatif" not in html
    err = capsys.readouterr().err
    assert "a study of another exercise" in err and "sitroom whatif" in err


CUT = """\
sitroom: 1
id: cut-short
title: {es: "Corto", en: "Short"}
summary: {es: "Termina antes del plazo", en: "Ends before the deadline"}
kind: prison
clock: {start: "2025-01-01T00:00:00-06:00", limit: 60}
state:
  calm: {label: {es: "Calma", en: "Calm"}, initial: 0}
decisions:
  D1:
    title: {es: "Decidir", en: "Decide"}
    prompt: {es: "¿Qué hace?", en: "What now?"}
    at: 0
    deadline: 10
    default: wait
    expected: [act]
    options:
      wait: {label: {es: "Esperar", en: "Wait"}}
      act: {label: {es: "Actuar", en: "Act"}, effects: [{set: calm, to: 1}]}
metrics:
  calm_end: {label: {es: "Calma", en: "Calm"}, value: "calm", better: higher}
objectives:
  O1:
    label: {es: "Calmar", en: "Calm down"}
    capability: "Operational Coordination"
    metric: calm_end
    thresholds: {P: 1, S: 1, M: 1}
"""


def test_a_point_still_in_its_deadline_when_the_exercise_ended_is_not_held_against_the_team(tmp_path):
    """The instructor ends the exercise at T+2, D1's deadline is T+10: the report must not say the team
    failed to decide within its deadline, nor plan to train it."""
    scn = load_scenario_text(CUT, "cut.yaml")
    path = tmp_path / "cut.sitroom"
    ex = Exercise.start(scn, 1, path, honour_pauses=False, team="Alfa")
    ex.advance(2)
    ex.end()
    ex.close()
    files = debrief([str(path)], tmp_path / "out", "en", pdf=False)
    html = files["report.html"].decode()
    data = json.loads(files["debrief.json"])
    assert "within its deadline" not in html
    assert "still open when the exercise ended (T+2), before its deadline (T+10)" in html
    d1 = [f for team in data["teams"] for f in team["findings"] if f["ref"] == "D1"]
    assert d1 and all(f["kind"] == "not_applicable" for f in d1)


def test_an_objective_that_does_not_apply_shows_its_measures_value_not_a_time(tmp_path):
    """P0 on doctrine, seed 7: no hostage is taken, so OBJ4 (hostages injured) is N/A; its measure is a
    count that stood at 0, which the report once called "not reached before T+140.8"."""
    from analysis.measures import measure_text
    from simulator import find_policy, load_scenario, resolve_scenario

    scn = load_scenario(resolve_scenario("P0-modulo-b"))
    run_headless(scn, 7, find_policy("doctrine", scn), tmp_path / "p0.sitroom")
    rec = load_record(str(tmp_path / "p0.sitroom"))
    [obj4] = [r for r in rec.ratings if r.id == "OBJ4"]
    assert obj4.rating == "N/A" and not scn.metrics[obj4.metric].can_miss
    assert measure_text(rec, obj4, "en") == "0" and "not reached" not in measure_text(rec, obj4, "es")


def test_headless_runs_are_named_by_their_policy_not_the_word_policy(journals, tmp_path):
    """Two headless runs of one policy: each is named by the policy, made unique; none 'policy'."""
    import shutil

    again = tmp_path / "late2.db"
    shutil.copy(journals / "late.db", again)
    recs = load_records([str(journals / "late.db"), str(again), str(journals / "defaults.db")])
    assert [r.label for r in recs] == ["late (1)", "late (2)", "defaults"]
