"""Engine verdicts the debrief relies on: expectations met only by the options that count,
measures that never happened have no value, and objectives that apply only under a condition."""

from __future__ import annotations

import json

import pytest

from simulator import (
    Policy,
    PolicyDecision,
    ScenarioError,
    Simulation,
    load_scenario_text,
    result,
)

SCENARIO = """\
sitroom: 1
id: verdicts
title: {es: "Veredictos", en: "Verdicts"}
summary: {es: "Prueba", en: "Test"}
kind: prison
roles:
  team: {name: {es: "Equipo", en: "Team"}}
clock: {start: "2025-01-01T10:00:00-06:00", limit: 60, speed: 4}
state:
  sealed: {label: {es: "Aislado", en: "Sealed"}, initial: 0}
  hostages: {label: {es: "Rehenes", en: "Hostages"}, initial: 0}
  harmed: {label: {es: "Lesionados", en: "Harmed"}, initial: 0}
injects:
  refused:
    at: 0
    channel: radio
    text: {es: "Se niegan", en: "They refuse"}
    expect: {any_of: [{D1: seal}, lock], within: 10}
  released:
    at: 30
    channel: radio
    text: {es: "Liberados", en: "Released"}
    effects: [{set: hostages, to: 0}]
  plain:
    at: 0
    channel: radio
    text: {es: "Otro", en: "Other"}
    expect: {any_of: [D1], within: 10}
decisions:
  D1:
    title: {es: "Primera", en: "First"}
    prompt: {es: "¿Qué hacer?", en: "What now?"}
    at: 1
    deadline: 5
    default: wait
    expected: [seal]
    options:
      seal:
        label: {es: "Aislar", en: "Seal"}
        effects: [{set: sealed, to: 1}]
      storm:
        label: {es: "Entrar", en: "Storm"}
        effects: [{set: hostages, to: 2}]
      wait:
        label: {es: "Esperar", en: "Wait"}
orders:
  lock:
    label: {es: "Cerrar", en: "Lock"}
metrics:
  time_to_seal:
    label: {es: "Tiempo hasta aislar", en: "Time to seal"}
    first: "sealed == 1"
  d1_latency:
    label: {es: "Latencia", en: "Latency"}
    latency: D1
  harmed_n:
    label: {es: "Lesionados", en: "Harmed"}
    value: "harmed"
objectives:
  SEAL:
    label: {es: "Aislar pronto", en: "Seal early"}
    capability: "On-scene Security, Protection and Law Enforcement"
    metric: time_to_seal
    thresholds: {P: 5, S: 10, M: 20}
  DECIDE:
    label: {es: "Decidir pronto", en: "Decide early"}
    capability: "Operational Coordination"
    metric: d1_latency
    if_missing: M
    thresholds: {P: 2, S: 4, M: 5}
  NO_HARM:
    label: {es: "Sin lesionar rehenes", en: "No hostage harmed"}
    capability: "On-scene Security, Protection and Law Enforcement"
    metric: harmed_n
    applies_when: "hostages > 0"
    thresholds: {P: 0, S: 0, M: 1}
"""


def _run(option: str | None, *, after: float = 1.0, text: str = SCENARIO) -> Simulation:
    scn = load_scenario_text(text, "verdicts.yaml")
    decisions = {"D1": PolicyDecision(option, after=after)} if option else {}
    sim = Simulation(scn, 3, policy=Policy("p", decisions))
    sim.run_to_end()
    return sim


def _expectation(sim: Simulation, inject: str) -> dict:
    return next(e.data for e in sim.events if e.kind == "expectation" and e.ref == inject)


def _rating(sim: Simulation, oid: str):  # noqa: ANN202
    return next(r for r in sim.objective_ratings() if r.id == oid)


def test_expectation_naming_an_option_is_not_met_by_another_option():
    sim = _run("storm")
    assert sim.decisions["D1"].answered
    assert _expectation(sim, "refused") == {"met": False, "any_of": ["D1", "lock"], "met_by": None}


def test_expectation_naming_an_option_is_met_by_that_option_and_says_by_what():
    sim = _run("seal")
    assert _expectation(sim, "refused")["met"] is True
    assert _expectation(sim, "refused")["met_by"] == "D1"


def test_bare_point_in_an_expectation_counts_only_its_expected_options():
    assert _expectation(_run("storm"), "plain")["met"] is False
    assert _expectation(_run("seal"), "plain")["met"] is True


def test_a_default_never_meets_an_expectation():
    sim = _run(None)
    assert sim.decisions["D1"].cause == "default" and sim.decisions["D1"].option == "wait"
    assert _expectation(sim, "plain")["met"] is False


def test_unknown_option_in_an_expectation_is_a_load_error():
    with pytest.raises(ScenarioError) as exc:
        load_scenario_text(SCENARIO.replace("{D1: seal}", "{D1: sael}"), "bad.yaml")
    assert any("D1 has no option 'sael'" in p.message and "seal" in p.message for p in exc.value.problems)


def test_option_named_on_an_order_is_a_load_error():
    with pytest.raises(ScenarioError) as exc:
        load_scenario_text(SCENARIO.replace("{D1: seal}, lock", "D1, {lock: now}"), "bad.yaml")
    assert any("lock is an order" in p.message for p in exc.value.problems)


def test_first_metric_never_reached_has_no_value_and_is_rated_by_the_missing_rule():
    sim = _run("storm")
    assert sim.metric_values()["time_to_seal"] is None
    r = _rating(sim, "SEAL")
    assert (r.value, r.reached, r.rating, r.rule, r.applicable) == (None, False, "U", "if_missing", True)


def test_reached_first_metric_is_rated_against_the_thresholds():
    r = _rating(_run("seal", after=2.0), "SEAL")
    assert (r.value, r.reached, r.rating, r.rule) == (3.0, True, "P", "thresholds")


def test_latency_of_a_defaulted_point_is_not_reached_and_follows_if_missing():
    sim = _run(None)
    assert sim.metric_values()["d1_latency"] is None
    r = _rating(sim, "DECIDE")
    assert (r.value, r.reached, r.rating, r.rule) == (None, False, "M", "if_missing")


def test_objective_whose_condition_never_held_is_not_applicable():
    r = _rating(_run("seal"), "NO_HARM")
    assert (r.rating, r.rule, r.applicable, r.value) == ("N/A", "not_applicable", False, None)


def test_objective_applies_when_its_condition_held_at_any_time():
    sim = _run("storm")  # hostages held from T+2 to T+30, none at the end
    assert sim.v["hostages"] == 0
    r = _rating(sim, "NO_HARM")
    assert (r.rating, r.rule, r.applicable, r.value) == ("P", "thresholds", True, 0.0)


def test_run_json_carries_rule_reached_and_applicable():
    out = json.loads(json.dumps(result(_run("seal"))))
    by_id = {o["id"]: o for o in out["objectives"]}
    assert by_id["NO_HARM"] == {"id": "NO_HARM", "metric": "harmed_n", "value": None, "rating": "N/A",
                                "rule": "not_applicable", "applicable": False, "reached": True}
    assert by_id["SEAL"]["rule"] == "thresholds"


def test_metric_missing_placeholder_is_no_longer_accepted():
    text = SCENARIO.replace('    first: "sealed == 1"\n', '    first: "sealed == 1"\n    missing: 60\n')
    with pytest.raises(ScenarioError) as exc:
        load_scenario_text(text, "bad.yaml")
    assert any("missing" in p.message for p in exc.value.problems)


def test_if_missing_must_be_a_rating():
    with pytest.raises(ScenarioError):
        load_scenario_text(SCENARIO.replace("if_missing: M", "if_missing: X"), "bad.yaml")


def test_scenario_may_carry_an_hseep_exercise_overview():
    text = SCENARIO.replace("kind: prison\n", "kind: prison\nexercise:\n  mission_areas: [Response]\n"
                            "  organisations: [\"Academia\"]\n  point_of_contact: \"Lic. Pérez\"\n"
                            "  scope: {es: \"Gabinete\", en: \"Tabletop\"}\n")
    scn = load_scenario_text(text, "ov.yaml")
    assert scn.exercise["mission_areas"] == ["Response"] and scn.exercise["point_of_contact"] == "Lic. Pérez"
    assert load_scenario_text(SCENARIO, "plain.yaml").exercise == {}
    with pytest.raises(ScenarioError):
        load_scenario_text(text.replace("[Response]", "[Fighting]"), "bad.yaml")
