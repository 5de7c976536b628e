"""The engine bugs of issue 11, each as a minimal scenario that once went wrong."""

import pytest
from engine_fixtures import tiny

from simulator import Simulation

SQUAD = """\
state:
  arrived: {label: {es: Llegadas, en: Arrivals}, initial: 0}
resources:
  squad: {label: {es: Escuadra, en: Squad}, count: 2, travel: 10}
"""


def kinds(sim, kind, ref=None):
    return [e for e in sim.events if e.kind == kind and (ref is None or e.ref == ref)]


def test_two_tasks_needing_all_units_do_not_deadlock():
    scn = tiny(SQUAD + """\
tasks:
  a: {label: {es: A, en: A}, resource: squad, units: 2, work: 5, on_complete: [{add: arrived, by: 1}]}
  b: {label: {es: B, en: B}, resource: squad, units: 2, work: 5, on_complete: [{add: arrived, by: 1}]}
injects:
  go:
    at: 1
    channel: radio
    text: {es: Vayan, en: Go}
    effects: [{task: a}, {task: b}]
""")
    sim = Simulation(scn, 1)
    sim.run_to_end()
    phases = [(e.ref, e.data["phase"]) for e in kinds(sim, "task")]
    # a takes both units at once; b waits for both, then runs: both complete.
    assert phases[:2] == [("a", "dispatched"), ("b", "queued")]
    assert ("a", "complete") in phases and ("b", "complete") in phases
    assert sim.v["arrived"] == 2
    assert phases.index(("b", "dispatched")) > phases.index(("a", "complete"))


def test_release_en_route_turns_units_back_without_arriving():
    scn = tiny(SQUAD + """\
tasks:
  go: {label: {es: Ir, en: Go}, resource: squad, units: 1, work: 30, on_arrival: [{add: arrived, by: 1}]}
injects:
  send: {at: 0, channel: radio, text: {es: Ve, en: Go}, effects: [{task: go}]}
  recall: {at: 4, channel: radio, text: {es: Vuelve, en: Back}, effects: [{release: go}]}
""")
    sim = Simulation(scn, 1)
    sim.advance(4.5)
    u = sim.units["squad_1"]
    assert u.status == "returning" and u.eta == 8.0  # four minutes out, four minutes back
    sim.run_to_end()
    assert sim.v["arrived"] == 0
    assert [e.data["phase"] for e in kinds(sim, "task", "go")] == ["dispatched", "released"]
    assert sim.units["squad_1"].status == "ready"


def test_release_on_scene_ends_the_work_now():
    scn = tiny(SQUAD + """\
tasks:
  go: {label: {es: Ir, en: Go}, resource: squad, units: 1, work: 30, on_complete: [{add: arrived, by: 1}]}
injects:
  send: {at: 0, channel: radio, text: {es: Ve, en: Go}, effects: [{task: go}]}
  recall: {at: 15, channel: radio, text: {es: Vuelve, en: Back}, effects: [{release: go}]}
""")
    sim = Simulation(scn, 1)
    sim.advance(15)
    released = kinds(sim, "task", "go")[-1]
    assert released.data["phase"] == "released" and released.t == 15
    assert sim.units["squad_1"].status == "returning"
    sim.run_to_end()
    assert sim.v["arrived"] == 0


def test_release_while_queued_withdraws_the_request():
    scn = tiny(SQUAD + """\
tasks:
  long: {label: {es: L, en: L}, resource: squad, units: 2, work: 50}
  wait: {label: {es: W, en: W}, resource: squad, units: 1, work: 5, on_arrival: [{add: arrived, by: 1}]}
injects:
  send: {at: 0, channel: radio, text: {es: Ve, en: Go}, effects: [{task: long}, {task: wait}]}
  recall: {at: 5, channel: radio, text: {es: Alto, en: Stop}, effects: [{release: wait}]}
""")
    sim = Simulation(scn, 1)
    sim.advance(5)
    assert sim.v["wait.queued"] == 0 and sim.v["wait.active"] == 0
    sim.run_to_end()
    assert sim.v["arrived"] == 0


def test_state_dependent_distribution_parameters_are_clamped_with_a_warning():
    scn = tiny("""\
state:
  crowd: {label: {es: Multitud, en: Crowd}, initial: 40}
  x: {label: {es: X, en: X}, initial: 0}
  huge: {label: {es: H, en: H}, initial: 0}
injects:
  a:
    at: 1
    channel: radio
    text: {es: A, en: A}
    effects:
      - {set: x, to: {dist: triangular, low: 0, mode: "crowd/2", high: 10}}
      - {set: huge, to: {dist: poisson, mean: "exp(crowd * 25)"}}
      - {add: x, by: {dist: binomial, n: 3, p: "log(crowd - 40) - log(crowd - 40)"}}
""")
    sim = Simulation(scn, 3)
    sim.run_to_end()
    assert 0 <= sim.v["x"] <= 13
    warnings = kinds(sim, "warning")
    keys = sorted(e.data["key"] for e in warnings)
    assert keys == ["param:mean", "param:mode", "param:p"]
    assert all(e.audience == ("instructor",) and e.data["text"]["es"] and e.data["text"]["en"] for e in warnings)
    mode = next(e for e in warnings if e.data["key"] == "param:mode")
    assert "mode was 20; 10 was used" in mode.data["text"]["en"]


def test_integer_quantities_carry_their_fraction_both_ways():
    body = """\
state:
  up: {label: {es: U, en: U}, initial: 5, integer: true}
  down: {label: {es: D, en: D}, initial: 5, integer: true}
injects:
  tick:
    at: 1
    channel: radio
    text: {es: T, en: T}
    effects: [EFFECTS]
"""
    effects = ", ".join(["{add: up, by: 0.5}", "{add: down, by: -0.5}"] * 10)
    sim = Simulation(tiny(body.replace("EFFECTS", effects)), 1)
    sim.run_to_end()
    assert sim.v["up"] == 10 and sim.v["down"] == 0


def test_an_end_effect_keeps_the_metrics_of_its_own_step():
    scn = tiny("""\
state:
  escaped: {label: {es: Fugas, en: Escapes}, initial: 0}
injects:
  run:
    at: 7
    channel: radio
    text: {es: Fuga, en: Escape}
    effects: [{set: escaped, to: 1}, {end: escape}]
metrics:
  time_to_escape: {label: {es: T, en: T}, first: "escaped > 0"}
  max_escaped: {label: {es: M, en: M}, max: escaped}
  mean_escaped: {label: {es: P, en: P}, mean: escaped}
""")
    sim = Simulation(scn, 1)
    sim.run_to_end()
    assert sim.end_reason == "escape"
    assert sim.metric_values() == {"time_to_escape": 7.0, "max_escaped": 1.0, "mean_escaped": 0.0}


def test_a_policy_answer_at_the_deadline_is_taken_and_a_late_one_warned():
    from simulator import Policy, PolicyDecision, load_policy_text

    scn = tiny("""\
decisions:
  D:
    title: {es: D, en: D}
    prompt: {es: "¿?", en: "?"}
    at: 5
    deadline: 10
    default: wait
    options:
      act: {label: {es: Actuar, en: Act}}
      wait: {label: {es: Esperar, en: Wait}}
""")
    sim = Simulation(scn, 1, policy=Policy("p", {"D": PolicyDecision("act", 10.0)}))
    sim.run_to_end()
    st = sim.decisions["D"]
    assert (st.option, st.cause, st.decided_at) == ("act", "policy", 15.0)
    late = load_policy_text("policy: late\ndecisions: {D: {option: act, after: 11}}\n", scn)
    assert late.warnings and "past the point's deadline" in late.warnings[0]
    sim = Simulation(scn, 1, policy=late)
    sim.run_to_end()
    assert sim.decisions["D"].cause == "default"
    assert [e.ref for e in kinds(sim, "warning")] == ["policy.D"]


def test_a_rate_that_reads_t_fires_at_the_exact_time():
    from simulator.streams import Streams

    scn = tiny("""\
state:
  n: {label: {es: N, en: N}, initial: 0}
processes:
  grow: {rate: "6*t", limit: 1, effects: [{add: n, by: 1}]}
""")
    for seed in range(5):
        sim = Simulation(scn, seed)
        sim.run_to_end()
        fired = kinds(sim, "process", "grow")[0].t
        # integrated rate: t^2/20 per minute, so the first event comes at sqrt(20 E).
        target = Streams(seed).get("process", "grow").standard_exponential()
        assert abs(fired - (20 * target) ** 0.5) < 1e-6


@pytest.mark.parametrize(("lo", "hi"), [(3.3, 3.6), (3.6, 3.7), (3.2, 3.25)])
def test_a_rate_that_jumps_inside_a_minute_fires_at_the_exact_time(lo, hi):
    """`6000 if LO < t < HI else 0`: 100 events a minute between T+LO and T+HI, none outside,
    however narrow the window and wherever it lies in its minute."""
    from simulator.streams import Streams

    scn = tiny(f"""\
state:
  n: {{label: {{es: N, en: N}}, initial: 0}}
processes:
  burst: {{rate: "6000 if {lo} < t < {hi} else 0", effects: [{{add: n, by: 1}}]}}
""")
    for seed in range(20):
        sim = Simulation(scn, seed)
        sim.run_to_end()
        fired = [e.t for e in kinds(sim, "process", "burst")]
        # The k-th event comes when the integrated rate (100 a minute from T+3.3) reaches the sum
        # of the first k unit exponentials of the process's stream, while that is below 30.
        rng = Streams(seed).get("process", "burst")
        want, acc = [], 0.0
        while (acc := acc + rng.standard_exponential()) < 100 * (hi - lo):
            want.append(lo + acc / 100)
        assert len(fired) == len(want)
        assert max((abs(a - b) for a, b in zip(fired, want, strict=True)), default=0.0) < 1e-9


def test_a_rate_that_jumps_thousands_of_times_a_minute_still_ends():
    """The work of one integral is bounded: such a rate is integrated approximately, never for ever."""
    scn = tiny("""\
state:
  n: {label: {es: N, en: N}, initial: 0}
processes:
  flicker: {rate: "600 if floor(t * 1000) % 2 == 0 else 0", effects: [{add: n, by: 1}]}
""", limit=2)
    sim = Simulation(scn, 1)
    sim.run_to_end()
    assert sim.end_reason == "time_limit" and 0 < sim.v["n"] < 40  # about 10 expected
VISIBILITY = """\
roles:
  team: {name: {es: Equipo, en: Team}}
  press: {name: {es: Prensa, en: Press}}
state:
  secret: {label: {es: S, en: S}, initial: 5, audience: instructor}
  press_only: {label: {es: P, en: P}, initial: 1, audience: [press]}
  crowd: {label: {es: M, en: C}, initial: 10, report_delay: 5}
processes:
  grow: {rate: 60, limit: 1, effects: [{add: crowd, by: 20}]}
injects:
  a: {at: 3, channel: radio, audience: AUD, text: {es: "Hay {NAME}", en: "There are {NAME}"}}
"""


def test_validate_refuses_a_text_quoting_what_its_audience_may_not_see():
    from simulator import ScenarioError

    for aud, name in (("all", "secret"), ("all", "press_only"), ("[team]", "press_only")):
        with pytest.raises(ScenarioError) as exc:
            tiny(VISIBILITY.replace("AUD", aud).replace("NAME", name))
        probs = exc.value.problems
        assert {p.message.split(":")[0] for p in probs} == {"injects.a.text.es", "injects.a.text.en"}
        assert all(f"may not see {name}" in p.message and p.line == 18 for p in probs)
    for aud, name in (("instructor", "secret"), ("[press]", "press_only"), ("all", "crowd")):
        tiny(VISIBILITY.replace("AUD", aud).replace("NAME", name))


def test_a_quoted_value_is_the_value_its_audience_sees():
    from simulator import inject_text

    def delivered(aud):
        sim = Simulation(tiny(VISIBILITY.replace("AUD", aud).replace("NAME", "crowd")), 4)
        sim.advance(3)
        grew = [e.t for e in sim.events if e.kind == "state"]
        assert grew and grew[0] < 3 - 0 and grew[0] > 3 - 5  # it grew within the report delay
        ev = kinds(sim, "inject", "a")[0]
        return inject_text(sim.scn.injects["a"], "en", ev.data["values"])

    assert delivered("all") == "There are 10"  # the team's picture lags five minutes
    assert delivered("instructor") == "There are 30"


def test_orders_may_be_irreversible_and_the_clock_has_an_alert_speed():
    body = """\
orders:
  seal: {label: {es: Sellar, en: Seal}, irreversible: true}
  ask: {label: {es: Pedir, en: Ask}}
"""
    scn = tiny(body)
    assert scn.orders["seal"].irreversible and not scn.orders["ask"].irreversible
    assert scn.alert_speed == 60
    from engine_fixtures import TINY_HEAD, tiny_text

    from simulator import ScenarioError, load_scenario_text
    fast = tiny_text(body).replace("limit: 120}", "limit: 120, alert_speed: 30}")
    assert TINY_HEAD.split("clock:")[0] in fast
    assert load_scenario_text(fast, "t.yaml").alert_speed == 30
    with pytest.raises(ScenarioError, match="alert_speed"):
        load_scenario_text(fast.replace("alert_speed: 30", "alert_speed: 0"), "t.yaml")
    with pytest.raises(ScenarioError, match="irreversible"):
        tiny(body.replace("irreversible: true", "irreversible: sure"))


@pytest.mark.parametrize("sid", ["P0-modulo-b", "C1-jueves-negro", "P2-noche-penal"])
def test_live_sessions_with_orders_and_pauses_replay_exactly(sid, tmp_path):
    """The one-shot waits are timed callbacks now: a session's commands still land at their step."""
    import random

    from simulator import Exercise, load_scenario, replay
    from simulator.catalog import scenarios_dir

    scn = load_scenario(scenarios_dir() / f"{sid}.yaml")
    rng = random.Random(sid)
    path = tmp_path / "s.sitroom"
    ex = Exercise.start(scn, 5, path, honour_pauses=True)
    t = 0.0
    while not ex.sim.ended and t < scn.limit:
        t += rng.choice([0.5, 1.5, 4.0])
        ex.advance(t, max_steps=rng.choice([1, 3, 50]))
        for point in ex.sim.open_decisions():
            if rng.random() < 0.5:
                option = rng.choice(list(scn.decisions[point].options))
                force = 2 if scn.decisions[point].force else None
                ex.decide(point, option, check=False, force=force, rationale={"why": "prueba"})
        if rng.random() < 0.3:
            oid = rng.choice(list(scn.orders))
            if ex.sim.order_check(oid).ok:
                ex.order(oid)
    ex.close()
    report = replay(path)
    assert report.events == len(ex.sim.events) and report.inputs >= 3


def test_a_timed_inject_draws_its_delay_when_due_from_the_state_then():
    """`at: 2` with a delay of `crowd` minutes: the crowd as it is at T+2 (5), not at T0 (30)."""
    scn = tiny("""\
state:
  crowd: {label: {es: Multitud, en: Crowd}, initial: 30}
injects:
  change: {at: 1, channel: radio, text: {es: C, en: C}, effects: [{set: crowd, to: 5}]}
  late: {at: 2, delay: {dist: uniform, low: "crowd", high: "crowd"}, channel: radio, text: {es: L, en: L}}
  plain: {at: 3, delay: 4, channel: radio, text: {es: P, en: P}}
""")
    sim = Simulation(scn, 1)
    sim.run_to_end()
    assert [(e.ref, e.t) for e in kinds(sim, "inject")] == [("change", 1.0), ("late", 7.0), ("plain", 7.0)]


def test_every_out_of_range_parameter_is_corrected_with_one_true_warning():
    """Negative means and medians, a fractional n, an infinite poisson mean: each warned once, as used."""
    scn = tiny("""\
state:
  crowd: {label: {es: Multitud, en: Crowd}, initial: 100}
  a: {label: {es: A, en: A}, initial: 0}
  b: {label: {es: B, en: B}, initial: 0}
  c: {label: {es: C, en: C}, initial: 0}
  d: {label: {es: D, en: D}, initial: 0}
  e: {label: {es: E, en: E}, initial: 0}
injects:
  go:
    at: 1
    channel: radio
    text: {es: G, en: G}
    effects:
      - {set: a, to: {dist: exponential, mean: "-crowd"}}
      - {set: b, to: {dist: poisson, mean: "exp(crowd * 10)"}}
      - {set: c, to: {dist: lognormal, median: "-crowd", sigma: 1}}
      - {set: d, to: {dist: binomial, n: "crowd / 40", p: 0.5}}
      - {add: e, by: {dist: normal, mean: -5, sd: 1}}
""")
    sim = Simulation(scn, 2)
    sim.run_to_end()
    texts = {e.ref.split(".")[-2]: e.data["text"]["en"] for e in kinds(sim, "warning")}
    assert set(texts) == {"0", "1", "2", "3"}  # a negative normal mean is a valid amount: no warning
    assert "mean was -100; 0 was used" in texts["0"]
    assert "mean was inf; 1e+09 was used" in texts["1"]  # the value used in the end, in one line
    assert "median was -100; 0 was used" in texts["2"]
    assert "n was 2.5; 2 was used" in texts["3"]
    assert sim.v["a"] == 0 and sim.v["c"] == 0 and 0 <= sim.v["d"] <= 2 and sim.v["e"] < 0


def test_a_normal_amount_may_have_a_negative_mean_but_a_time_may_not():
    from simulator import ScenarioError

    amount = """\
state:
  x: {label: {es: X, en: X}, initial: 0}
injects:
  go: {at: 1, channel: radio, text: {es: G, en: G}, effects: [{add: x, by: {dist: normal, mean: -5, sd: 1}}]}
"""
    tiny(amount)
    with pytest.raises(ScenarioError) as exc:
        tiny(amount.replace("at: 1,", "at: 1, delay: {dist: normal, mean: -5, sd: 1},"))
    assert [p.message for p in exc.value.problems] == [
        "injects.go.delay.mean: mean cannot be negative in a time (it may be in an amount: an effect's by or to)"]


LOOP = """\
state:
  x: {label: {es: X, en: X}, initial: 0}
injects:
  a:
    at: 1
    channel: radio
    text: {es: A, en: A}
    effects: [{add: x, by: 1}, {inject: a, if: "COND"}]
"""


def test_injects_that_fire_each_other_with_no_condition_are_refused_at_load():
    from simulator import ScenarioError

    with pytest.raises(ScenarioError) as exc:
        tiny(LOOP.replace(', if: "COND"', "") + """\
  b: {manual: true, channel: radio, text: {es: B, en: B}, effects: [{inject: c}]}
  c: {manual: true, channel: radio, text: {es: C, en: C}, effects: [{inject: b}]}
""")
    msgs = [p.message for p in exc.value.problems]
    assert len(msgs) == 2 and msgs[0].startswith("injects.a.effects: a -> a: these injects fire each other")
    assert msgs[1].startswith("injects.b.effects: b -> c -> b:")


def test_a_long_chain_of_injects_firing_injects_runs_and_an_endless_one_meets_the_budget():
    """Deliveries nest only so deep; the rest come in steps of their own, at the same minute."""
    sim = Simulation(tiny(LOOP.replace("COND", "x < 400")), 1)
    sim.run_to_end()
    assert sim.v["x"] == 400 and {e.t for e in kinds(sim, "inject")} == {1.0}
    assert sim.end_reason == "time_limit"
    # Up to MAX_CHAIN the chain runs as nested calls do: what follows an {inject} applies after it.
    nested = LOOP.replace('"COND"}]', '"y == 0 and x < 100"}, {set: y, to: 1}]').replace(
        "  x: {label", "  y: {label: {es: Y, en: Y}, initial: 0}\n  x: {label")
    sim = Simulation(tiny(nested), 1)
    sim.run_to_end()
    assert sim.v["x"] == 100 and sim.v["y"] == 1
    sim = Simulation(tiny(LOOP.replace("COND", "x >= 0")), 1, budget=(20_000, 5_000))
    sim.run_to_end()
    assert sim.end_reason == "budget" and "budget" in sim.end_message["en"] and sim.now == 1.0


def test_non_finite_quotes_and_metrics_are_clamped_with_a_warning_and_the_journal_holds_numbers(tmp_path):
    """A message never reads 'inf'; a metric of an infinite expression is warned, not silently 1e12."""
    import json

    from engine_fixtures import tiny_text

    from simulator import load_scenario_text, run_headless
    from simulator.journal import Journal

    scn = load_scenario_text(tiny_text("""\
state:
  x: {label: {es: X, en: X}, initial: 1}
injects:
  i: {at: 2, channel: radio, text: {es: "{exp(x * 1000)} / {log(x - 1)}", en: "{exp(x * 1000)} / {log(x - 1)}"}}
metrics:
  huge: {label: {es: H, en: H}, value: "exp(x * 1000)"}
  low: {label: {es: L, en: L}, max: "log(x - 1)"}
  undefined: {label: {es: U, en: U}, mean: "exp(x * 1000) - exp(x * 1000)"}
""").replace("sitroom: 1", "sitroom: 2"), "t2.yaml")
    sim = run_headless(scn, 1, None, tmp_path / "j.sitroom")
    (quote,) = [e for e in kinds(sim, "inject", "i")]
    assert list(quote.data["values"].values()) == [1e12, -1e12]
    warned = {e.ref: e.data["text"]["en"] for e in kinds(sim, "warning")}
    assert warned["metrics.huge"].endswith("the expression was inf; 1e+12 was used")
    assert warned["metrics.low"].endswith("the expression was -inf; -1e+12 was used")
    assert "injects.i.text" in warned
    # The max's first reading is taken while the run is set up: its warning still comes after `start`.
    assert sim.events[0].kind == "start" and sim.events[1].ref == "metrics.low"
    assert sim.metric_values()["undefined"] is None  # NaN all along: no value, and said so
    assert "had no value (NaN)" in warned["metrics.undefined"]
    j = Journal.open(tmp_path / "j.sitroom")
    try:
        for e in j.events():  # strict JSON: no Infinity, no NaN
            json.dumps(e, allow_nan=False)
    finally:
        j.close()


def test_policy_times_must_be_minutes_and_an_order_after_the_end_is_warned(tmp_path):
    from engine_fixtures import P0

    from simulator import PolicyError, find_policy, load_scenario

    scn = load_scenario(P0)
    for body, where in (("decisions: {DP1: {option: hold, after: .nan}}", "decisions.DP1.after"),
                        ("orders: [{order: seal, at: .inf}]", "orders.0.at"),
                        ("orders: [{order: seal, at: -1}]", "orders.0.at")):
        (tmp_path / "p.yaml").write_text(f"policy: p\n{body}\n", encoding="utf-8")
        with pytest.raises(PolicyError) as exc:
            find_policy(str(tmp_path / "p.yaml"), scn)
        (prob,) = exc.value.problems
        assert prob.message.startswith(f"{where}: ") and prob.line == 2
        assert "is not a time" in prob.message or "-1 is out of range: it must be at least 0" in prob.message
    (tmp_path / "p.yaml").write_text("policy: p\norders: [{order: seal, at: 500}]\n", encoding="utf-8")
    assert any("after the exercise ends" in w for w in find_policy(str(tmp_path / "p.yaml"), scn).warnings)


def test_a_run_waiting_behind_another_says_which_and_the_room_words_it():
    """Two squads free, but a 3-squad run is first in line: the patrol waits behind it, and says so."""
    from tui.feed import event_line

    scn = tiny("""\
state:
  x: {label: {es: X, en: X}, initial: 0}
resources:
  sq: {label: {es: Escuadra, en: Squad}, count: 3, travel: 3}
tasks:
  one: {label: {es: Una, en: One}, resource: sq, work: 30}
  big: {label: {es: Grande, en: Big}, resource: sq, units: 3, work: 5}
  patrol: {label: {es: Patrulla, en: Patrol}, resource: sq, work: 5}
injects:
  go: {at: 1, channel: radio, text: {es: G, en: G}, effects: [{task: one}, {task: big}]}
  later: {at: 5, channel: radio, text: {es: L, en: L}, effects: [{task: patrol}]}
""")
    sim = Simulation(scn, 1)
    sim.run_to_end()
    queued = {e.ref: e for e in kinds(sim, "task") if e.data["phase"] == "queued"}
    assert "behind" not in queued["big"].data  # it waits for units, with no one ahead of it
    assert queued["patrol"].data["behind"] == "big"
    line = event_line(scn, queued["patrol"], "en")
    assert "Patrol: waiting for free units, behind “Big” in line" in line.plain
    assert "detrás de «Grande» en la fila" in event_line(scn, queued["patrol"], "es").plain


def test_a_deadline_at_the_time_limit_takes_its_default_before_the_run_ends():
    """The same minute as the limit: what was due then happens, then the run ends."""
    scn = tiny("""\
state:
  x: {label: {es: X, en: X}, initial: 0}
injects:
  last: {at: 60, channel: radio, text: {es: U, en: L}, effects: [{set: x, to: 1}]}
decisions:
  D:
    title: {es: D, en: D}
    prompt: {es: D, en: D}
    at: 50
    deadline: 10
    default: a
    options: {a: {label: {es: A, en: A}}, b: {label: {es: B, en: B}}}
metrics:
  got: {label: {es: G, en: G}, first: "x == 1"}
""", limit=60)
    sim = Simulation(scn, 1)
    sim.run_to_end()
    st = sim.decisions["D"]
    assert st.decided_at == 60.0 and st.cause == "default" and st.option == "a"
    at_limit = [e.kind for e in sim.events if e.t == 60.0]
    assert at_limit[-1] == "end" and {"inject", "decision"} <= set(at_limit[:-1])
    assert sim.end_reason == "time_limit" and sim.metric_values()["got"] == 60.0


def test_an_answer_timed_at_exactly_within_meets_the_expectation():
    """An expectation is checked after what else was due at its minute: an answer at T+10 meets `within: 10`."""
    from simulator import load_policy_text

    scn = tiny("""\
state:
  y: {label: {es: Y, en: Y}, initial: 0}
injects:
  hello: {at: 0, channel: radio, text: {es: H, en: H}, expect: {any_of: [{D: go}], within: 10, contingency: nag}}
  nag: {channel: radio, text: {es: N, en: N}, effects: [{add: y, by: 100}]}
decisions:
  D:
    title: {es: D, en: D}
    prompt: {es: D, en: D}
    at: 3
    deadline: 20
    default: wait
    options: {go: {label: {es: Go, en: Go}}, wait: {label: {es: W, en: W}}}
""", limit=60)
    for after, met in ((7, True), (7.001, False)):  # T+10 exactly counts; a moment later does not
        pol = load_policy_text(f"policy: p\ndecisions:\n  D: {{option: go, after: {after}}}\n", scn)
        sim = Simulation(scn, 1, policy=pol)
        sim.run_to_end()
        verdict = next(e for e in sim.events if e.kind == "expectation")
        assert verdict.t == 10.0 and verdict.data["met"] is met
        assert (sim.v["y"] == 0) is met  # the contingency only when it was not met


def test_an_order_whose_wait_ends_as_a_unit_comes_back_is_given():
    """`within` is inclusive: the squad is back at T+5, the very minute the wait ends, so the order is given."""
    from engine_fixtures import tiny_text

    from simulator import load_policy_text, load_scenario_text

    text = tiny_text("""\
state:
  x: {label: {es: X, en: X}, initial: 0}
resources:
  sq: {label: {es: Escuadra, en: Squad}, count: 1, travel: 1}
tasks:
  one: {label: {es: Una, en: One}, resource: sq, work: 3}
  patrol: {label: {es: Patrulla, en: Patrol}, resource: sq, work: 5}
injects:
  go: {at: 0, channel: radio, text: {es: G, en: G}, effects: [{task: one}]}
orders:
  send: {label: {es: Patrullar, en: Patrol}, task: patrol}
""", 60).replace("sitroom: 1", "sitroom: 2")
    scn = load_scenario_text(text, "t.yaml")
    bare = Simulation(scn, 1)
    bare.run_to_end()
    back = next(e.t for e in bare.events if e.kind == "unit" and e.data.get("status") == "ready")
    assert back == 5.0  # 1 there, 3 of work, 1 back
    pol = load_policy_text("sitroom: 2\npolicy: p\norders:\n  - {order: send, at: 2, wait: true, within: 3}\n", scn)
    sim = Simulation(scn, 1, policy=pol)
    sim.run_to_end()
    given = [e for e in sim.events if e.kind == "order" and e.ref == "send"]
    assert [e.t for e in given] == [5.0] and not [e for e in sim.events if e.kind == "order_rejected"]


def test_a_default_decision_event_carries_no_latency_as_the_debrief_says():
    """The journal (and so `sitroom export`) says what DecisionState says: a default has no latency."""
    from simulator import load_policy_text

    scn = tiny("""\
state:
  y: {label: {es: Y, en: Y}, initial: 0}
decisions:
  A:
    title: {es: A, en: A}
    prompt: {es: A, en: A}
    at: 1
    deadline: 5
    default: wait
    options: {go: {label: {es: Go, en: Go}}, wait: {label: {es: W, en: W}}}
  B:
    title: {es: B, en: B}
    prompt: {es: B, en: B}
    at: 2
    deadline: 5
    default: wait
    options: {go: {label: {es: Go, en: Go}}, wait: {label: {es: W, en: W}}}
""", limit=30)
    sim = Simulation(scn, 1, policy=load_policy_text("policy: p\ndecisions:\n  A: {option: go, after: 3}\n", scn))
    sim.run_to_end()
    got = {e.ref: e.data for e in sim.events if e.kind == "decision"}
    assert got["A"]["latency"] == sim.decisions["A"].latency == 3.0 and got["A"]["cause"] == "policy"
    assert got["B"]["cause"] == "default" and got["B"]["latency"] is None and sim.decisions["B"].latency is None


def test_an_expectation_whose_within_ends_at_the_time_limit_is_still_checked():
    """The limit ends the run after everything else at its minute, spans that close there included."""
    from simulator import load_policy_text

    scn = tiny("""\
state:
  y: {label: {es: Y, en: Y}, initial: 0}
injects:
  smoke: {at: 50, channel: radio, text: {es: H, en: S}, expect: {any_of: [DP1], within: 10, contingency: more}}
  more: {channel: radio, text: {es: M, en: M}, effects: [{add: y, by: 1}]}
decisions:
  DP1:
    title: {es: D, en: D}
    prompt: {es: D, en: D}
    at: 50
    deadline: 30
    default: wait
    options: {act: {label: {es: A, en: A}}, wait: {label: {es: W, en: W}}}
""", limit=60)
    for policy, met in (("policy: p\ndecisions:\n  DP1: {option: act, after: 10}\n", True), (None, False)):
        sim = Simulation(scn, 1, policy=load_policy_text(policy, scn) if policy else None)
        sim.run_to_end()
        verdicts = [e for e in sim.events if e.kind == "expectation"]
        assert [(e.t, e.data["met"]) for e in verdicts] == [(60.0, met)]
        assert sim.v["y"] == (0 if met else 1) and sim.events[-1].kind == "end"
