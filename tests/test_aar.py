"""The HSEEP after-action report and improvement plan: journals with known truths, and the verdicts
debrief.json gives them (strengths from what the team did, measures never reached, the log over every
point that opened, conditional objectives, the plan, its follow-up and the hot wash)."""

from __future__ import annotations

import argparse
import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest

from analysis import charts
from analysis.aar import (
    Overview,
    capability_rating,
    debrief_data,
    plan_csv,
    plan_xlsx,
    read_notes,
    read_plan,
)
from analysis.debrief import run_debrief
from analysis.measures import log_check
from analysis.record import load_record, load_records
from simulator import Exercise, InputError, load_scenario, load_scenario_text, resolve_scenario

RATIONALE = {"information": "40 internos se niegan al conteo", "threat_risk": "alto: dos custodios dentro",
             "powers_policy": "reglamento interior", "options_considered": ["retake_now", "withdraw_seal"],
             "why": "recuperar el control rápido"}


def p0_journal(path: Path, option: str, *, seed: int = 7, team: str = "Alfa", end: float = 84.8) -> Path:
    """A live P0 session: DP1 answered with `option` at T+5, every later point left to its default."""
    scn = load_scenario(resolve_scenario("P0-modulo-b"))
    ex = Exercise.start(scn, seed, str(path), team=team)
    ex.advance(5.0)
    ex.decide("DP1", option, rationale=RATIONALE, force=2)
    ex.advance(end)
    if not ex.sim.ended:
        ex.end()
    ex.close()
    return path


@pytest.fixture(scope="module")
def journals(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("class")
    p0_journal(folder / "alfa.sitroom", "retake_now", team="Alfa")
    p0_journal(folder / "bravo.sitroom", "withdraw_seal", team="Bravo")
    return folder


@pytest.fixture(scope="module")
def wrong(journals: Path) -> dict:
    return debrief_data([load_record(journals / "alfa.sitroom")], today=date(2026, 1, 10))["teams"][0]


def test_a_team_that_takes_the_wrong_option_gets_no_strength_for_that_inject(wrong: dict) -> None:
    exp = {e["inject"]: e for e in wrong["expectations"]}
    assert exp["count_refused"]["met"] is False and exp["count_refused"]["met_by"] is None
    about = [f for f in wrong["findings"] if f["ref"] == "count_refused"]
    assert [f["kind"] for f in about] == ["improvement"]
    assert "Go in now with shift staff" in about[0]["analysis"]["en"]
    assert "Intervenir ya con el personal del turno" in about[0]["analysis"]["es"]
    assert not any(f["kind"] == "strength" and f["ref"] == "DP1" and f["source"] == "decision"
                   for f in wrong["findings"])


def test_a_measure_never_reached_is_not_reached_and_has_no_value(wrong: dict) -> None:
    obj1 = {o["id"]: o for o in wrong["objectives"]}["OBJ1"]
    assert (obj1["reached"], obj1["value"], obj1["rating"], obj1["rule"]) == (False, None, "U", "if_missing")
    assert obj1["value_text"]["en"] == "not reached before T+84.8"
    assert obj1["value_text"]["es"] == "no se alcanzó antes de T+84.8"
    finding = next(f for f in wrong["findings"] if f["objective"] == "OBJ1")
    assert finding["kind"] == "improvement" and "240" not in finding["observation"]["en"]
    assert "Withdraw the officers and seal the block" in finding["analysis"]["en"]  # the doctrine it missed


def test_a_defaulted_point_is_a_missing_log_entry_and_the_chart_counts_agree(journals: Path, wrong: dict) -> None:
    log = wrong["log"]
    per = {p["point"]: p for p in log["per_point"]}
    assert (log["points"], log["entries"], log["complete"]) == (4, 1, 1)
    assert per["DP2"]["entry"] is False and per["DP2"]["why_none"] == "default"
    assert all(n == 1 for n in log["rules"].values())
    assert not any(f["key"] == "f_log_ok" for f in wrong["findings"])
    missing = next(f for f in wrong["findings"] if f["key"] == "f_log_missing")
    assert "3 of the 4 points" in missing["observation"]["en"]
    rec = load_record(journals / "alfa.sitroom")
    fig = charts.log_quality_chart([(rec.label, log_check(rec))], "en")
    labels = {x.get_text() for x in fig.axes[0].texts}
    assert labels == {"1 / 4 (25 %)"}


def test_every_objective_appears_in_the_findings_with_its_rating(wrong: dict) -> None:
    by_obj = {f["objective"]: f for f in wrong["findings"] if f["source"] == "objective"}
    assert set(by_obj) == {o["id"] for o in wrong["objectives"]}
    for o in wrong["objectives"]:
        kind = {"P": "strength", "S": "strength", "M": "improvement", "U": "improvement",
                "N/A": "not_applicable"}[o["rating"]]
        assert by_obj[o["id"]]["kind"] == kind and by_obj[o["id"]]["rating"] == o["rating"]


def test_hostage_objective_applies_because_hostages_were_taken(wrong: dict) -> None:
    obj4 = {o["id"]: o for o in wrong["objectives"]}["OBJ4"]
    assert obj4["applicable"] and obj4["applies_when"] == "hostages > 0" and obj4["rating"] == "P"
    f = next(f for f in wrong["findings"] if f["objective"] == "OBJ4")
    assert "hostages > 0" in f["analysis"]["en"]


SMALL = """\
sitroom: 1
id: aar-small
title: {es: "Pequeño", en: "Small"}
summary: {es: "Prueba", en: "Test"}
kind: prison
roles:
  team: {name: {es: "Equipo", en: "Team"}}
clock: {start: "2025-01-01T10:00:00-06:00", limit: 60, speed: 4}
state:
  sealed: {label: {es: "Aislado", en: "Sealed"}, initial: 0}
  hostages: {label: {es: "Rehenes", en: "Hostages"}, initial: 0}
  harmed: {label: {es: "Lesionados", en: "Harmed"}, initial: 0}
decisions:
  D1:
    title: {es: "Aislar", en: "Seal"}
    prompt: {es: "¿Aislar?", en: "Seal?"}
    at: 1
    deadline: 30
    default: wait
    expected: [seal]
    options:
      seal: {label: {es: "Aislar", en: "Seal it"}, effects: [{set: sealed, to: 1}]}
      wait: {label: {es: "Esperar", en: "Wait"}}
metrics:
  time_to_seal: {label: {es: "Tiempo hasta aislar", en: "Time to seal"}, unit: {es: "min", en: "min"},
                 first: "sealed == 1"}
  harmed_n: {label: {es: "Lesionados", en: "Harmed"}, value: "harmed"}
objectives:
  SEAL:
    label: {es: "Aislar pronto", en: "Seal early"}
    capability: "Operational Coordination"
    metric: time_to_seal
    thresholds: {P: 10, S: 20, M: 30}
  SAFE:
    label: {es: "Sin lesionar rehenes", en: "No hostage harmed"}
    capability: "Operational Coordination"
    metric: harmed_n
    applies_when: "hostages > 0"
    thresholds: {P: 0, S: 0, M: 1}
"""

SMALL_RATIONALE = {"information": "x", "threat_risk": "y", "powers_policy": "z", "options_considered": ["seal", "wait"],
                   "why": "w"}


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> dict:
    scn = load_scenario_text(SMALL, "small.yaml")
    path = tmp_path_factory.mktemp("small") / "s.sitroom"
    ex = Exercise.start(scn, 1, str(path), team="Delta")
    ex.advance(16.0)
    ex.decide("D1", "seal", rationale=SMALL_RATIONALE)  # opened at 1, sealed at 16: S (P needs <= 10)
    ex.advance(60)
    ex.close()
    return debrief_data([load_record(path)])["teams"][0]


def test_an_s_objective_is_a_strength_that_says_what_kept_it_from_p(small: dict) -> None:
    seal = {o["id"]: o for o in small["objectives"]}["SEAL"]
    assert (seal["rating"], seal["value"]) == ("S", 16.0)
    f = next(f for f in small["findings"] if f["objective"] == "SEAL")
    assert f["kind"] == "strength"
    assert "6 min short of P" in f["observation"]["en"] and "le faltaron 6 min para P" in f["observation"]["es"]
    assert "Reached 6 min past the P threshold" in f["analysis"]["en"]


def test_an_objective_whose_condition_never_arose_is_not_applicable(small: dict) -> None:
    safe = {o["id"]: o for o in small["objectives"]}["SAFE"]
    assert (safe["rating"], safe["rule"], safe["applicable"]) == ("N/A", "not_applicable", False)
    f = next(f for f in small["findings"] if f["objective"] == "SAFE")
    assert f["kind"] == "not_applicable" and "never held" in f["observation"]["en"]
    cap = small["capabilities"][0]
    assert cap["rating"] == "S" and cap["objectives"] == ["SEAL", "SAFE"]  # N/A does not pull the roll-up


def test_capability_rating_is_the_worst_applicable_objective() -> None:
    assert capability_rating(["P", "S", "N/A"]) == "S"
    assert capability_rating(["P", "U", "M"]) == "U"
    assert capability_rating(["N/A", "N/A"]) == "N/A"


def test_capability_names_are_translated(wrong: dict) -> None:
    labels = {c["name"]: c["label"]["es"] for c in wrong["capabilities"]}
    assert labels["Operational Coordination"] == "Coordinación operativa"
    assert all(c["label"]["es"] != c["name"] for c in wrong["capabilities"])


# ---------------------------------------------------------------- improvement plan


def test_one_corrective_action_per_area_for_improvement(journals: Path) -> None:
    recs = [load_record(journals / "alfa.sitroom")]
    data = debrief_data(recs, overview=Overview(["Academia Estatal"], "Lic. Pérez"), today=date(2026, 1, 10))
    improvements = [f for f in data["teams"][0]["findings"] if f["kind"] == "improvement"]
    plan = data["improvement_plan"]
    assert len(plan) == len(improvements) > 0
    first = plan[0]
    assert (first["organisation"], first["start"], first["completion"]) == ("Academia Estatal", "2026-01-10",
                                                                          "2026-04-10")
    assert data["overview"]["point_of_contact"] == "Lic. Pérez"
    rows = list(csv.reader(io.StringIO(plan_csv(plan))))
    assert rows[0][:3] == ["id", "scenario", "team"] and len(rows) == len(plan) + 1


def test_plan_round_trips_through_csv_and_xlsx(tmp_path: Path, journals: Path) -> None:
    data = debrief_data([load_record(journals / "alfa.sitroom")])
    plan = data["improvement_plan"]
    (tmp_path / "p.csv").write_text(plan_csv(plan), encoding="utf-8")
    (tmp_path / "p.xlsx").write_bytes(plan_xlsx(plan, "es"))
    from_csv = read_plan(tmp_path / "p.csv", "P0-modulo-b")
    from_xlsx = read_plan(tmp_path / "p.xlsx", "P0-modulo-b")
    assert from_csv == from_xlsx and [r["id"] for r in from_csv] == [p["id"] for p in plan]
    with pytest.raises(InputError) as exc:
        read_plan(tmp_path / "p.csv", "P1-unidad-c")
    assert "is for scenario 'P0-modulo-b'" in str(exc.value.problems[0])


def test_a_later_debrief_says_which_corrective_actions_are_closed(tmp_path: Path, journals: Path) -> None:
    before = debrief_data([load_record(journals / "alfa.sitroom")])
    plan_file = tmp_path / "plan.csv"
    plan_file.write_text(plan_csv(before["improvement_plan"]), encoding="utf-8")
    # The class meets again; team Alfa now seals the block as doctrine says.
    again = p0_journal(tmp_path / "alfa.sitroom", "withdraw_seal", team="Alfa")
    after = debrief_data([load_record(again)], plan=read_plan(plan_file, "P0-modulo-b"))
    status = {(x["objective"], x["finding"]): x["status"] for x in after["plan_followup"]}
    assert status[("OBJ1", "f_obj_missing:OBJ1")] == "closed"
    assert status[(None, "f_unexpected:DP1")] == "closed"
    assert status[(None, "f_default:DP2")] == "open"
    assert status[(None, "f_exp_missed:count_refused")] == "closed"


# ---------------------------------------------------------------- hot wash and the command


def test_hotwash_notes_are_read_with_their_time_and_author(tmp_path: Path) -> None:
    f = tmp_path / "notes.txt"
    f.write_text("# hot wash\n14:05 participant: sellamos tarde\n\nT+35 evaluador: nadie llamó al CERT\n",
                 encoding="utf-8")
    notes = read_notes(f)
    assert [(n.time, n.who, n.text) for n in notes] == [("14:05", "participant", "sellamos tarde"),
                                                       ("T+35", "evaluator", "nadie llamó al CERT")]
    f.write_text("14:05 participant: bien\nsin hora ni autor\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        read_notes(f)
    assert str(exc.value.problems[0]).startswith(f"{f}:2:1: expected `TIME WHO: text`")


def _args(**kw: object) -> argparse.Namespace:
    base = {"lang": "en", "plan": None, "notes": None, "org": None, "poc": None}
    base.update(kw)
    return argparse.Namespace(**base)


def test_debrief_of_a_class_folder_states_the_shared_seed(tmp_path: Path, journals: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("14:05 evaluator: good comms\n", encoding="utf-8")
    out = tmp_path / "report"
    code = run_debrief(_args(journals=[str(journals)], out=str(out), notes=str(notes), org=["Academy"],
                             poc="J. Doe"))
    assert code == 0, capsys.readouterr().err
    data = json.loads((out / "debrief.json").read_text(encoding="utf-8"))
    assert [t["label"] for t in data["teams"]] == ["Alfa", "Bravo"] and data["same_seed"] is True
    assert data["hotwash"] == [{"time": "14:05", "who": "evaluator", "text": "good comms"}]
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "All teams played with the same seed (7)" in html and "good comms" in html and "J. Doe" in html
    for name in ("improvement_plan.csv", "improvement_plan.xlsx", "report.pdf", "decisions.csv"):
        assert (out / name).is_file()


def test_bad_plan_or_notes_is_a_clear_message_and_exit_1(tmp_path: Path, journals: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "plan.csv"
    bad.write_text("a,b,c\n", encoding="utf-8")
    code = run_debrief(_args(journals=[str(journals / "alfa.sitroom")], out=str(tmp_path / "o"), plan=str(bad)))
    err = capsys.readouterr().err
    assert code == 1 and err.startswith(f"{bad}:1:1: not an improvement plan") and "Traceback" not in err
    code = run_debrief(_args(journals=[str(tmp_path / "empty")], out=str(tmp_path / "o"),
                             notes=str(tmp_path / "none.txt")))
    assert code == 1
    (tmp_path / "empty").mkdir()
    code = run_debrief(_args(journals=[str(tmp_path / "empty")], out=str(tmp_path / "o")))
    assert code == 1 and "holds no *.sitroom journal" in capsys.readouterr().err


def test_debrief_json_keys_are_english_and_texts_bilingual(wrong: dict, journals: Path) -> None:
    recs = load_records([str(journals / "alfa.sitroom")])
    data = debrief_data(recs)
    for f in data["teams"][0]["findings"]:
        for k in ("observation", "analysis", "recommendation"):
            assert set(f[k]) == {"es", "en"} and all(f[k].values())
    assert "retake_now" not in json.dumps([f["observation"] for f in data["teams"][0]["findings"]])


def test_svg_charts_only_when_asked(tmp_path: Path, journals: Path) -> None:
    from analysis.debrief import debrief

    files = debrief([str(journals / "alfa.sitroom")], tmp_path / "a", "es", pdf=False)
    assert not any(k.endswith(".svg") for k in files) and "debrief.json" in files
    files = debrief([str(journals / "alfa.sitroom")], tmp_path / "b", "es", pdf=False, svg=True)
    assert files["charts/objectives.svg"].lstrip().startswith(b"<?xml")


def test_a_headless_run_is_named_by_its_policy_not_as_a_team_called_policy(tmp_path: Path) -> None:
    """`sitroom run --journal` writes team "policy": the summary says which policy played, with no team."""
    from simulator import find_policy, run_headless

    scn = load_scenario(resolve_scenario("P0-modulo-b"))
    path = tmp_path / "doctrine.sitroom"
    run_headless(scn, 3, find_policy("doctrine", scn), journal_path=path)
    summary = debrief_data([load_record(path)], today=date(2026, 1, 10))["teams"][0]["summary"]
    assert summary["es"].startswith("La política «doctrine» (corrida sin equipo) jugó")
    assert summary["en"].startswith("The policy “doctrine” (a run with no team) played")
