"""Words of the debrief and the command line that must match what happened."""

from __future__ import annotations

import pytest
from engine_fixtures import tiny_text

from simulator import CommandRejected, Simulation, load_scenario_text

BODY = """\
state:
  crowd: {label: {es: Multitud, en: Crowd}, initial: 40}
injects:
  call:
    at: 2
    channel: radio
    text: {es: "Hay {crowd} internos en el patio", en: "There are {crowd} inmates in the yard"}
    expect: {any_of: [OPEN], within: 5}
decisions:
  OPEN:
    title: {es: Abierto, en: Open}
    prompt: {es: "?", en: "?"}
    at: 1
    default: wait
    options: {go: {label: {es: Ir, en: Go}}, wait: {label: {es: Esperar, en: Wait}}}
"""


def _record(tmp_path):  # noqa: ANN202
    from analysis.record import load_records

    scn = load_scenario_text(tiny_text(BODY, 30), "w.yaml")
    path = tmp_path / "w.sitroom"
    from simulator.exercise import Exercise

    ex = Exercise.start(scn, 1, path)
    ex.advance(30)
    ex.close()
    return load_records([str(path)])[0]


def test_a_message_is_named_with_the_values_it_quoted_never_its_placeholders(tmp_path):
    from analysis.aar import team_data

    rec = _record(tmp_path)
    words = " ".join(f["observation"]["en"] + f["observation"]["es"] for f in team_data(rec)["findings"])
    assert "{crowd}" not in words and "There are 40 inmates" in words and "Hay 40 internos" in words


def test_a_point_with_no_deadline_is_not_told_to_be_decided_within_one(tmp_path):
    from analysis.aar import team_data

    rec = _record(tmp_path)
    (f,) = [f for f in team_data(rec)["findings"] if f["ref"] == "OPEN"]
    assert "within its deadline" not in f["recommendation"]["en"]
    assert f["kind"] == "not_applicable" and "(the point has no deadline)" in f["observation"]["en"]
    assert "29 min after it opened" in f["observation"]["en"] and "no tiene plazo" in f["observation"]["es"]


def test_an_already_decided_point_says_how_it_was_decided():
    scn = load_scenario_text(tiny_text(BODY.replace("    default: wait\n", "    deadline: 3\n    default: wait\n"), 30))
    sim = Simulation(scn, 1)
    sim.advance(10)
    with pytest.raises(CommandRejected) as exc:
        sim.decide("OPEN", "go")
    assert "already decided at T+4.0: wait, its default, at the deadline" in str(exc.value) and "None" not in str(exc.value)


def test_every_command_takes_its_language_from_sitroom_lang(monkeypatch, tmp_path):
    from sitroom.cli import build_parser

    monkeypatch.setenv("SITROOM_LANG", "en")
    parser = build_parser()
    assert parser.parse_args(["debrief", "j.sitroom", "--out", str(tmp_path)]).lang == "en"
    assert parser.parse_args(["scenarios"]).lang == "en"
    monkeypatch.setenv("SITROOM_LANG", "fr")
    assert build_parser().parse_args(["debrief", "j.sitroom", "--out", str(tmp_path)]).lang == "es"


def test_an_unfinished_journal_is_reported_as_provisional(tmp_path):
    from analysis.aar import team_data
    from analysis.record import load_records
    from simulator.exercise import Exercise

    scn = load_scenario_text(tiny_text(BODY, 30), "w.yaml")
    path = tmp_path / "open.sitroom"
    ex = Exercise.start(scn, 1, path)
    ex.advance(12)
    ex.close()  # saved mid-exercise: not ended
    summary = team_data(load_records([str(path)])[0])["summary"]
    assert "the exercise has not ended: the journal reaches T+12" in summary["en"] and "provisional" in summary["en"]
    assert "provisional" in summary["es"] and "ended at" not in summary["en"]
    words = " ".join(f["observation"]["en"] for f in team_data(load_records([str(path)])[0])["findings"])
    assert "where the journal ends (the exercise has not ended)" in words and "when the exercise ended" not in words


def test_a_goal_that_held_from_the_start_is_no_strength_of_the_team(tmp_path):
    from analysis.aar import team_data
    from analysis.record import load_records
    from simulator import run_headless

    body = BODY + """\
metrics:
  calm: {label: {es: Calma, en: Calm}, first: "crowd < 50"}
"""
    text = tiny_text(body, 30).replace("objectives: {}\n", """\
objectives:
  OC: {label: {es: Calma, en: Calm}, capability: "Operational Coordination", metric: calm, thresholds: {P: 5, S: 10, M: 20}}
""")
    scn = load_scenario_text(text, "s.yaml")
    path = tmp_path / "s.sitroom"
    run_headless(scn, 1, None, path)
    rec = load_records([str(path)])[0]
    assert rec.from_start == {"calm"}
    data = team_data(rec)
    (f,) = [f for f in data["findings"] if f["ref"] == "OC"]
    assert f["kind"] == "not_applicable" and "already held at the start (T+0)" in f["observation"]["en"]
    assert "ya se cumplía al empezar" in f["observation"]["es"]
    assert "Strengths" not in data["summary"]["en"]  # the P stands in the table, but is credited to no one
    assert next(o for o in data["objectives"] if o["id"] == "OC")["rating"] == "P"
    from analysis.aar import debrief_data

    plan = [{"id": "IP-1", "team": "", "objective": "OC", "finding": "f_obj_missing:OC", "action_es": "a",
             "action_en": "a"}]
    (row,) = debrief_data([rec], plan=plan)["plan_followup"]
    assert row["status"] == "not_assessed" and "already held as this exercise began" in row["why"]["en"]


def test_long_team_names_are_shortened_in_charts_but_stay_told_apart():
    from analysis.charts import objectives_chart, short_label

    a, b = "Equipo de respuesta inmediata Norte", "Equipo de respuesta inmediata Sur"
    assert short_label("Alfa") == "Alfa" and len(short_label(a)) <= 22 and short_label(a) != short_label(b)
    assert short_label(a).endswith("Norte") and "…" in short_label(a)
    fig = objectives_chart([("O1", "Objetivo")], [a, b], [["P", "U"]], "es")
    heads = [x.get_text() for x in fig.axes[0].get_xticklabels()]
    assert heads == [short_label(a, 14), short_label(b, 14)] and heads[0] != heads[1]


def test_a_team_name_the_chart_font_lacks_prints_no_warning(recwarn):
    from analysis.charts import objectives_chart, save

    save(objectives_chart([("O1", "x")], ["Equipo 团队"], [["P"]], "es"), "x", svg=False)
    assert not [w for w in recwarn if "missing from" in str(w.message)]
