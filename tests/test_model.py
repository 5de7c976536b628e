"""The incident model: determinism, randomness, decisions, contention, visibility, streams."""

import pytest
from engine_fixtures import P0, minimal

from simulator import (
    CommandRejected,
    Policy,
    PolicyDecision,
    Simulation,
    load_policy,
    load_scenario,
    result_json,
    run_headless,
)
from simulator.catalog import find_policy


@pytest.fixture(scope="module")
def p0():
    return load_scenario(P0)


def stream(sim):
    return [(e.seq, round(e.t, 9), e.kind, e.ref, e.audience, sorted(e.data.items())) for e in sim.events]


def test_same_seed_same_events(p0):
    pol = find_policy("doctrine", p0)
    a = run_headless(p0, 11, pol)
    b = run_headless(p0, 11, pol)
    assert stream(a) == stream(b)
    assert result_json(a) == result_json(b)


def test_different_seeds_give_different_outcomes(p0):
    outs = {result_json(run_headless(p0, s)) for s in range(8)}
    assert len(outs) == 8
    ends = {run_headless(p0, s, find_policy("doctrine", p0)).metric_values()["time_to_control"] for s in range(8)}
    assert len(ends) > 4


def test_advance_in_slices_equals_one_advance(p0):
    pol = find_policy("doctrine", p0)
    whole = Simulation(p0, 3, policy=pol)
    whole.advance(p0.limit)
    sliced = Simulation(p0, 3, policy=pol)
    t = 0.0
    while not sliced.ended:
        t += 0.7
        sliced.advance(t, max_steps=2)
    assert stream(whole) == stream(sliced)


def test_max_steps_returns_on_a_minute_boundary(p0):
    sim = Simulation(p0, 1, policy=find_policy("doctrine", p0))
    sim.advance(p0.limit, max_steps=1)
    nt = sim.next_time()
    assert nt is None or nt > sim.now


def test_deadline_applies_the_default_option():
    scn = minimal()
    sim = Simulation(scn, 1)
    sim.advance(14.99)
    assert sim.decisions["D1"].decided_at is None
    sim.advance(15)
    st = sim.decisions["D1"]
    assert (st.option, st.cause, st.decided_at) == ("ignore", "default", 15.0) and st.by is None
    ev = [e for e in sim.events if e.kind == "decision"][0]
    assert ev.data["latency"] is None and ev.t - st.opened_at == 10.0  # a default is no answer: no latency


def test_decision_applies_effects_and_cannot_be_taken_twice():
    scn = minimal()
    sim = Simulation(scn, 1)
    with pytest.raises(CommandRejected, match="not open"):
        sim.decide("D1", "calm")
    sim.advance(7)
    with pytest.raises(CommandRejected, match="no option"):
        sim.decide("D1", "panic")
    sim.decide("D1", "calm", by="Equipo 1")
    assert sim.v["calm"] == 1 and sim.v["D1.calm"] == 1
    with pytest.raises(CommandRejected, match="already decided"):
        sim.decide("D1", "ignore")


def test_policy_answers_after_its_delay():
    scn = minimal()
    sim = Simulation(scn, 1, policy=Policy("p", {"D1": PolicyDecision("calm", after=3.5)}))
    sim.run_to_end()
    st = sim.decisions["D1"]
    assert (st.option, st.decided_at, st.by) == ("calm", 8.5, "policy")


def test_a_decision_changes_the_rate_of_a_process():
    scn = minimal()
    calm = Simulation(scn, 4, policy=Policy("p", {"D1": PolicyDecision("calm")}))
    calm.run_to_end()
    wild = Simulation(scn, 4, policy=Policy("p", {"D1": PolicyDecision("ignore")}))
    wild.run_to_end()
    assert calm.v["level"] < wild.v["level"]
    # After the decision (t=5) the calm run's level never moves again.
    assert all(t <= 5 for t, _ in calm.history["level"])


def test_changing_a_decision_leaves_unrelated_draws_untouched():
    scn = minimal()
    a = Simulation(scn, 9, policy=Policy("p", {"D1": PolicyDecision("calm")}))
    a.run_to_end()
    b = Simulation(scn, 9, policy=Policy("p", {"D1": PolicyDecision("noop")}))
    b.run_to_end()
    # `noise` reads nothing the decision touches: identical path under both choices.
    assert a.history["secret"] == b.history["secret"]
    assert a.history["level"] != b.history["level"]


def test_a_busy_unit_cannot_be_in_two_places():
    scn = minimal()
    sim = Simulation(scn, 1)
    sim.order("send")
    assert sim.units["squad_1"].status == "en_route"
    with pytest.raises(CommandRejected, match="needs 1 free squad unit"):
        sim.order("send")
    sim.advance(10)
    assert sim.units["squad_1"].status == "on_scene"
    sim.advance(40)
    assert sim.v["done_jobs"] == 1 and sim.units["squad_1"].status == "returning"
    sim.advance(50)
    assert sim.units["squad_1"].status == "ready"
    sim.order("send")  # free again


def test_tasks_from_effects_queue_for_busy_units():
    scn = minimal(**{"      noop:\n        label: {es: \"Nada\", en: \"Nothing\"}":
                     "      noop:\n        label: {es: \"Nada\", en: \"Nothing\"}\n        effects:\n"
                     "          - {task: job}"})
    sim = Simulation(scn, 1)
    sim.order("send")  # the only squad leaves at t=0
    sim.advance(5)
    sim.decide("D1", "noop")  # wants the squad too: it must wait
    assert sim.v["job.queued"] == 1
    sim.advance(50)  # first job: 10 travel + 30 work + 10 back = 50
    sim.advance(120)
    assert sim.v["done_jobs"] == 2
    queued = [e for e in sim.events if e.kind == "task" and e.data["phase"] == "dispatched" and e.data["run"] == 2]
    assert queued[0].t == 50.0


def test_trainee_view_hides_instructor_quantities_and_lags_reports():
    scn = minimal()
    sim = Simulation(scn, 2)
    sim.advance(60)
    team = {q.id: q for q in sim.snapshot("team").quantities}
    truth = {q.id: q for q in sim.snapshot(None).quantities}
    assert "secret" not in team and "secret" in truth
    assert "press_only" not in team and "press_only" in {q.id for q in sim.snapshot("press").quantities}
    assert team["level"].as_of == 50
    assert team["level"].value == sim.value_at("level", 50)[0]
    assert truth["level"].value == sim.v["level"]
    team_events = sim.visible_events("team")
    assert "hidden" not in {e.ref for e in team_events if e.kind == "inject"}
    assert all("instructor" not in e.audience for e in team_events)
    assert any(e.ref == "hidden" for e in sim.visible_events(None))


def test_pause_points_halt_the_clock_only_when_honoured():
    scn = minimal(**{"    deadline: 10\n    default: ignore": "    deadline: 10\n    default: ignore\n    pause: true"})
    sim = Simulation(scn, 1, honour_pauses=True)
    sim.advance(100)
    assert sim.halted_for == "D1" and sim.now == 5
    assert sim.advance(100) == []
    sim.decide("D1", "calm")
    assert sim.halted_for is None
    sim.advance(100)
    assert sim.now == 100
    headless = Simulation(scn, 1)
    headless.advance(100)
    assert headless.now == 100


def test_manual_inject_and_instructor_end():
    scn = minimal()
    sim = Simulation(scn, 1)
    sim.advance(3)
    sim.fire_inject("manual_one")
    assert sim.events[-1].ref == "manual_one" and sim.events[-1].data["cause"] == "manual"
    sim.end()
    assert sim.ended and sim.end_reason == "instructor"
    with pytest.raises(CommandRejected):
        sim.order("send")


def test_objectives_are_rated_by_thresholds():
    from simulator import rate

    th = {"P": 10, "S": 20, "M": 40}
    assert [rate(v, th, "lower") for v in (0, 10, 15, 30, 41, None)] == ["P", "P", "S", "M", "U", "U"]
    th = {"P": 0.9, "S": 0.7, "M": 0.5}
    assert [rate(v, th, "higher") for v in (1, 0.8, 0.6, 0.1)] == ["P", "S", "M", "U"]


def test_contingency_inject_fires_when_the_expected_action_is_missing(p0):
    sim = run_headless(p0, 2)  # defaults only: nobody seals the block or answers DP1 in time
    fired = [e for e in sim.events if e.kind == "inject" and e.ref == "pressure_rising"]
    assert fired and fired[0].data["contingency_for"] == "count_refused" and fired[0].t == 10.0
    doc = run_headless(p0, 2, find_policy("doctrine", p0))
    assert not [e for e in doc.events if e.ref == "pressure_rising" and e.kind == "inject"]


def test_doctrine_beats_force_first_on_staff_injuries(p0):
    doc = find_policy("doctrine", p0)
    bad = find_policy("force-first", p0)
    n = 60
    d = sum(run_headless(p0, s, doc).metric_values()["staff_injured"] for s in range(n)) / n
    b = sum(run_headless(p0, s, bad).metric_values()["staff_injured"] for s in range(n)) / n
    assert b > d + 0.5


def test_bundled_policies_load(p0):
    from simulator.catalog import _policy_files

    for name, path in _policy_files(p0.id).items():
        assert load_policy(path, p0).decisions, name


def test_between_metric_measures_from_one_condition_to_the_next():
    extra = ("  d1_wait:\n    label: {es: \"Espera\", en: \"Wait\"}\n    between: [\"D1.open\", \"D1.decided\"]\n"
             "  job_after_calm:\n    label: {es: \"Trabajo\", en: \"Job\"}\n"
             "    between: [\"calm == 1\", \"done_jobs >= 1\"]\n")
    scn = minimal(**{"metrics:\n": "metrics:\n" + extra})
    sim = Simulation(scn, 1, policy=Policy("p", {"D1": PolicyDecision("calm", after=3.5)}))
    sim.run_to_end()
    vals = sim.metric_values()
    assert vals["d1_wait"] == 3.5
    assert vals["job_after_calm"] is None  # no job was ever sent: not reached, no value
    sim = Simulation(scn, 1, policy=Policy("p", {"D1": PolicyDecision("calm", after=1.0)}))
    sim.advance(6)
    sim.order("send")  # travel 10 + work 30: done at 46, calm since 6
    sim.run_to_end()
    assert sim.metric_values()["job_after_calm"] == 40.0


def test_inject_text_quotes_the_numbers_as_they_stood_at_delivery():
    from simulator import inject_text

    scn = minimal(**{'text: {es: "Oculto", en: "Hidden"}':
                     'text: {es: "Nivel {level}, trabajos {done_jobs}", en: "Level {level}, jobs {done_jobs}"}'})
    sim = Simulation(scn, 3)
    sim.advance(2)
    ev = next(e for e in sim.events if e.ref == "hidden")
    assert ev.data["values"] == {"done_jobs": 0.0, "level": sim.value_at("level", 2)[0]}
    text = inject_text(scn.injects["hidden"], "en", ev.data["values"])
    assert text == f"Level {int(sim.value_at('level', 2)[0])}, jobs 0"


def test_inject_text_names_must_exist():
    from simulator import ScenarioError

    with pytest.raises(ScenarioError, match=r"\{levl\}: unknown name \(did you mean 'level'\?\)"):
        minimal(**{'text: {es: "Oculto", en: "Hidden"}': 'text: {es: "Nivel {levl}", en: "Level {level}"}'})


def test_a_team_called_default_is_still_a_team():
    sim = Simulation(minimal(), 1)
    sim.advance(6)
    sim.decide("D1", "ignore", by="default")
    st = sim.decisions["D1"]
    assert st.cause == "team" and st.answered and st.latency == st.decided_at - st.opened_at
    ev = [e for e in sim.events if e.kind == "decision"][0]
    assert ev.data["by"] == "default" and ev.data["cause"] == "team"


def test_a_defaulted_point_has_no_latency():
    sim = Simulation(minimal(), 1)
    sim.advance(15)
    st = sim.decisions["D1"]
    assert st.cause == "default" and not st.answered and st.latency is None


def test_no_record_mode_gives_the_same_results(p0):
    from simulator import load_scenario
    from simulator.catalog import scenarios_dir

    c1 = load_scenario(scenarios_dir() / "C1-jueves-negro.yaml")
    for scn in (p0, c1):
        pol = find_policy("doctrine", scn)
        for seed in (1, 2):
            full = Simulation(scn, seed, policy=pol)
            full.run_to_end()
            lean = Simulation(scn, seed, policy=pol, record=False)
            lean.run_to_end()
            assert lean.events == [] and lean.n_events == len(full.events)
            assert lean.metric_values() == full.metric_values()
            assert (lean.end_reason, lean.end_time, lean.steps) == (full.end_reason, full.end_time, full.steps)
            assert {k: (s.option, s.decided_at) for k, s in lean.decisions.items()} == \
                {k: (s.option, s.decided_at) for k, s in full.decisions.items()}
