"""What the engine does not rate: a measure the run ended too soon to judge, and a point that never
opened, are "not rated" (N/A, with the rule that says why), never U blamed on the team; the debrief,
its latency chart and a plan's follow-up say the same."""

from __future__ import annotations

import pytest
from engine_fixtures import tiny_text

from simulator import ScenarioError, Simulation, load_scenario_text

BODY = """\
roles:
  team: {name: {es: Equipo, en: Team}}
state:
  alarm: {label: {es: Alarma, en: Alarm}, initial: 0}
  fire: {label: {es: Fuego, en: Fire}, initial: 1}
injects:
  out: {at: 40, channel: radio, text: {es: Apagado, en: Out}, effects: [{set: fire, to: 0}]}
decisions:
  LATE:
    title: {es: Tarde, en: Late}
    prompt: {es: "?", en: "?"}
    at: 50
    deadline: 30
    default: wait
    options: {act: {label: {es: Actuar, en: Act}}, wait: {label: {es: Esperar, en: Wait}}}
  NEVER:
    title: {es: Nunca, en: Never}
    prompt: {es: "?", en: "?"}
    when: "alarm >= 1"
    deadline: 5
    default: wait
    options: {act: {label: {es: Actuar, en: Act}}, wait: {label: {es: Esperar, en: Wait}}}
  EARLY:
    title: {es: Pronto, en: Early}
    prompt: {es: "?", en: "?"}
    at: 1
    deadline: 4
    default: wait
    options: {act: {label: {es: Actuar, en: Act}}, wait: {label: {es: Esperar, en: Wait}}}
metrics:
  ll: {label: {es: l, en: Late latency}, latency: LATE}
  ln: {label: {es: n, en: Never latency}, latency: NEVER}
  le: {label: {es: e, en: Early latency}, latency: EARLY}
  out: {label: {es: Apagado, en: Fire out}, first: "fire == 0"}
objectives:
  OL: {label: {es: L, en: L}, capability: "Operational Coordination", metric: ll, thresholds: {P: 5, S: 10, M: 20}}
  ON: {label: {es: N, en: N}, capability: "Situational Assessment", metric: ln, thresholds: {P: 5, S: 10, M: 20}}
  OE: {label: {es: E, en: E}, capability: "Operational Coordination", metric: le, thresholds: {P: 1, S: 2, M: 3}}
  OF: {label: {es: F, en: F}, capability: "Fire Management and Suppression", metric: out, thresholds: {P: 15, S: 25, M: 35}}
"""


def tiny(body: str, limit: float = 120):  # noqa: ANN201
    """A small scenario with `body`'s own objectives (the fixture's header has none)."""
    return load_scenario_text(tiny_text(body, limit).replace("objectives: {}\n", ""), "tiny.yaml")


def ratings(sim: Simulation) -> dict[str, tuple[str, str]]:
    return {r.id: (r.rating, r.rule) for r in sim.objective_ratings()}


def test_at_the_time_limit_a_point_still_in_time_is_not_rated_and_one_that_never_opened_neither():
    sim = Simulation(tiny(BODY, limit=60), 1)
    sim.run_to_end()
    assert sim.end_reason == "time_limit"
    got = ratings(sim)
    assert got["OL"] == ("N/A", "cut_short")  # open at T+50, still in time at T+60: it could still earn M
    assert got["ON"] == ("N/A", "not_opened")  # never opened: nothing to answer
    assert got["OE"] == ("U", "if_missing")  # defaulted at T+5: the team did not answer
    assert got["OF"][1] == "thresholds"  # reached at T+40 (> M 35): U by its value
    capabilities = {r.id for r in sim.objective_ratings() if r.applicable}
    assert capabilities == {"OE", "OF"}  # the unrated ones count in no capability's rating


def test_the_instructor_ending_early_leaves_a_time_unrated_while_it_could_still_be_met():
    sim = Simulation(tiny(BODY, limit=60), 1)
    sim.advance(9)
    sim.end()
    assert ratings(sim)["OF"] == ("N/A", "cut_short")  # not out by T+9, and P is 15 min
    sim = Simulation(tiny(BODY.replace("at: 40, channel", "at: 59, channel"), limit=60), 1)
    sim.advance(36)
    sim.end()
    assert ratings(sim)["OF"] == ("U", "if_missing")  # T+36 is past M (35): no later time could do better


def test_a_time_not_reached_by_the_limit_keeps_the_scenario_rule():
    # The exercise ran as designed: an event that never came is rated by `if_missing`, as before.
    never_out = BODY.replace("effects: [{set: fire, to: 0}]", "effects: [{set: alarm, to: 0}]")
    sim = Simulation(tiny(never_out, limit=60), 1)
    sim.run_to_end()
    assert ratings(sim)["OF"] == ("U", "if_missing")


def test_a_point_still_open_with_only_one_rating_left_is_rated_so():
    # LATE opened at 50 with thresholds up to 20 min: ended at T+75 by the instructor, any answer
    # would have come after 25 min: U whatever happened next.
    sim = Simulation(tiny(BODY, limit=120), 1)
    sim.advance(75)
    sim.end()
    assert ratings(sim)["OL"] == ("U", "if_missing")


@pytest.mark.parametrize("reason", ["budget", "instructor", "time_limit"])
def test_a_scenario_ending_may_not_take_a_reason_the_engine_gives(reason: str):
    with pytest.raises(ScenarioError) as exc:
        tiny(BODY.replace("effects: [{set: fire, to: 0}]", f"effects: [{{end: {reason}}}]"))
    assert f"'{reason}' is how sitroom itself says why a run ended" in str(exc.value)
    with pytest.raises(ScenarioError) as exc:
        tiny(BODY + f"end:\n  - {{when: \"fire == 0\", reason: {reason}}}\n")
    assert "end.0.reason" in str(exc.value)


def test_the_debrief_says_not_rated_and_draws_no_decision_that_never_happened(tmp_path):
    from analysis.aar import debrief_data
    from analysis.record import load_records
    from analysis.series import latencies
    from simulator import run_headless

    path = tmp_path / "u.sitroom"
    run_headless(tiny(BODY, limit=60), 1, None, path)
    records = load_records([str(path)])
    team = debrief_data(records)["teams"][0]
    by_id = {o["id"]: o for o in team["objectives"]}
    assert by_id["OL"]["rating"] == "N/A" and by_id["OL"]["value_text"]["en"] == "still undecided at T+60"
    assert by_id["ON"]["value_text"]["es"] == "el punto no se abrió"
    found = {f["ref"]: f for f in team["findings"] if f["source"] == "objective"}
    assert found["OL"]["kind"] == "not_applicable" and "not rated" in found["OL"]["observation"]["en"]
    assert found["ON"]["kind"] == "not_applicable" and "never opened" in found["ON"]["observation"]["en"]
    assert "sin calificar" in found["OL"]["observation"]["es"]
    bars = {b.point: b for b in latencies(records)}
    assert bars["LATE"].latency is None and bars["LATE"].open_for == pytest.approx(10.0)  # open 10 min, not 30
    assert bars["EARLY"].defaulted and bars["EARLY"].taken == pytest.approx(4.0)


def test_a_plan_follow_up_does_not_close_what_this_exercise_could_not_judge(tmp_path):
    from analysis.aar import debrief_data
    from analysis.record import load_records
    from simulator import run_headless

    path = tmp_path / "u.sitroom"
    run_headless(tiny(BODY, limit=60), 1, None, path)
    plan = [{"id": "IP-1", "team": "", "objective": "", "finding": "f_default:LATE", "action_es": "a", "action_en": "a"},
            {"id": "IP-2", "team": "", "objective": "ON", "finding": "f_obj_mu:ON", "action_es": "b", "action_en": "b"},
            {"id": "IP-3", "team": "", "objective": "OL", "finding": "f_obj_mu:OL", "action_es": "c", "action_en": "c"}]
    rows = {r["id"]: r for r in debrief_data(load_records([str(path)]), plan=plan)["plan_followup"]}
    assert rows["IP-1"]["status"] == "not_assessed" and "still open, within its deadline" in rows["IP-1"]["why"]["en"]
    assert rows["IP-2"]["status"] == "not_assessed" and "did not open" in rows["IP-2"]["why"]["en"]
    assert rows["IP-3"]["status"] == "not_assessed" and "not rated" in rows["IP-3"]["why"]["en"]


def test_a_point_with_no_deadline_is_rated_only_once_no_answer_could_do_better():
    def run(at: int):  # noqa: ANN202
        body = BODY.replace("    at: 50\n    deadline: 30\n", f"    at: {at}\n")
        sim = Simulation(tiny(body, limit=60), 1)
        sim.run_to_end()
        return ratings(sim)["OL"]
    assert run(58) == ("N/A", "cut_short")  # 2 minutes open at the limit: P was still possible
    assert run(30) == ("U", "if_missing")  # 30 minutes open, past M (20): U whatever came next
