"""Totality: scenarios that pass validation never stop a run (issue 11).

A fixed-seed generator writes hostile but well-formed scenarios: expressions built from
every function and operator with extreme constants, distributions whose parameters are
expressions, effects that set, add, dispatch, release and end. Each either fails
validation with located problems or runs to its end without an exception.
"""

import random

import pytest
from engine_fixtures import tiny, tiny_text

from simulator import ScenarioError, Simulation

NAMES = ["x", "y", "z", "t", "squad.ready", "squad.busy", "job.active", "p0.count", "a.fired"]
NUMBERS = ["0", "1", "-1", "0.5", "1.0e+9", "-1.0e+9", "1.0e-9", "999999999", "3"]
FUNCS = ["floor", "ceil", "round", "exp", "log", "sqrt", "abs"]
OPS = ["+", "-", "*", "/", "//", "%", "**"]
DISTS = [
    "{dist: triangular, low: E, mode: E, high: E}",
    "{dist: uniform, low: E, high: E}",
    "{dist: normal, mean: 1, sd: E}",
    "{dist: lognormal, median: E, sigma: E}",
    "{dist: exponential, mean: E}",
    "{dist: poisson, mean: E}",
    "{dist: binomial, n: E, p: E}",
]


def expr(rng: random.Random, depth: int = 0) -> str:
    r = rng.random()
    if depth > 3 or r < 0.3:
        return rng.choice(NAMES + NUMBERS)
    if r < 0.55:
        return f"{rng.choice(FUNCS)}({expr(rng, depth + 1)})"
    if r < 0.65:
        return f"clamp({expr(rng, depth + 1)}, {expr(rng, depth + 1)}, {expr(rng, depth + 1)})"
    if r < 0.75:
        return f"({expr(rng, depth + 1)} if {expr(rng, depth + 1)} > {expr(rng, depth + 1)} else {expr(rng, depth + 1)})"
    return f"({expr(rng, depth + 1)} {rng.choice(OPS)} {expr(rng, depth + 1)})"


def q(rng: random.Random) -> str:
    return '"' + expr(rng) + '"'


def amount(rng: random.Random) -> str:
    return _dist(rng) if rng.random() < 0.4 else q(rng)


def _dist(rng: random.Random) -> str:
    d = rng.choice(DISTS)
    while "E" in d:
        d = d.replace("E", q(rng), 1)
    return d


def effect(rng: random.Random) -> str:
    k = rng.randrange(8)
    if k < 3:
        return f"{{add: {rng.choice('xyz')}, by: {amount(rng)}}}"
    if k < 5:
        return f"{{set: {rng.choice('xyz')}, to: {amount(rng)}, if: {q(rng)}}}"
    if k == 5:
        return "{task: job}"
    if k == 6:
        return "{release: job}"
    return f"{{after: {_dist(rng)}, do: [{{add: x, by: {q(rng)}}}]}}"


def scenario_text(rng: random.Random) -> str:
    effects = ", ".join(effect(rng) for _ in range(rng.randint(1, 4)))
    end_effect = ", {end: stop}" if rng.random() < 0.2 else ""
    return tiny_text(f"""\
state:
  x: {{label: {{es: X, en: X}}, initial: {rng.choice(NUMBERS)}}}
  y: {{label: {{es: Y, en: Y}}, initial: 0, integer: true, min: -5, max: 1000}}
  z: {{label: {{es: Z, en: Z}}, initial: 1, integer: true}}
resources:
  squad: {{label: {{es: E, en: S}}, count: 2, travel: {_dist(rng)}}}
tasks:
  job: {{label: {{es: T, en: T}}, resource: squad, units: {rng.choice([1, 2])}, work: {_dist(rng)},
         on_arrival: [{effect(rng)}], on_complete: [{effect(rng)}]}}
processes:
  p0: {{rate: {q(rng)}, when: {q(rng)}, effects: [{effects}{end_effect}]}}
  p1: {{rate: {q(rng)}, limit: 50, effects: [{effect(rng)}]}}
injects:
  a: {{at: {rng.choice([0, 1, 30])}, channel: radio, text: {{es: "A {{x}}", en: "A {{x}}"}},
       delay: {_dist(rng)}, effects: [{effect(rng)}]}}
  b: {{when: {q(rng)}, channel: radio, text: {{es: B, en: B}}, effects: [{effect(rng)}]}}
metrics:
  m1: {{label: {{es: M, en: M}}, mean: {q(rng)}}}
  m2: {{label: {{es: M, en: M}}, first: {q(rng)}}}
  m3: {{label: {{es: M, en: M}}, max: {q(rng)}}}
  m4: {{label: {{es: M, en: M}}, value: {q(rng)}}}
""", limit=rng.choice([30, 120]))


def test_hostile_but_valid_scenarios_run_to_their_end():
    from simulator import load_scenario_text

    rng = random.Random(20261201)
    ran = refused = 0
    for i in range(60):
        text = scenario_text(rng)
        try:
            scn = load_scenario_text(text, f"fuzz{i}.yaml")
        except ScenarioError as exc:
            assert all(p.line > 0 and p.message for p in exc.problems), text
            refused += 1
            continue
        sim = Simulation(scn, i, budget=(20_000, 5_000))
        sim.run_to_end()
        assert sim.ended, text
        values = sim.metric_values()
        assert all(v is None or abs(v) <= 1e12 for v in values.values())
        assert all(abs(sim.v[k]) <= 1e12 for k in ("x", "y", "z"))
        ran += 1
    assert ran >= 40  # most generated files are valid: the test exercises the run, not the loader


@pytest.mark.parametrize("text", [
    'rate: "floor(exp(1000))"', 'rate: "round(log(0))"', 'rate: "ceil(exp(1000) - exp(1000))"',
])
def test_expressions_that_once_crashed_now_run(text):
    scn = tiny(f"""\
state:
  x: {{label: {{es: X, en: X}}, initial: 0}}
processes:
  p: {{{text}, limit: 3, effects: [{{add: x, by: "floor(exp(1000))"}}, {{set: x, to: "round(log(0))"}}]}}
""")
    sim = Simulation(scn, 1)
    sim.run_to_end()
    assert sim.ended and abs(sim.v["x"]) <= 1e12


@pytest.mark.parametrize("bad, message", [
    ("initial: 99999999999999999999", "out of range"),
    ("initial: .nan", "not a finite number"),
    ("initial: 1.0e+309", "not a finite number"),
    ("initial: \"1e309\"", "expected number"),
])
def test_validation_bounds_numbers(bad, message):
    with pytest.raises(ScenarioError) as exc:
        tiny(f"state:\n  x: {{label: {{es: X, en: X}}, {bad}}}\n")
    p = exc.value.problems[0]
    assert p.line == 9 and p.col > 1 and message in p.message


def test_negative_times_and_huge_limits_are_refused():
    with pytest.raises(ScenarioError) as exc:
        tiny("injects:\n  a: {at: -3.0, channel: radio, text: {es: A, en: A}}\n")
    assert "injects.a.at" in str(exc.value)
    with pytest.raises(ScenarioError) as exc:
        tiny("state: {}\n", limit=18446744073709551617)
    assert "clock.limit" in str(exc.value) and "out of range" in str(exc.value)
    with pytest.raises(ScenarioError) as exc:
        tiny('processes:\n  p: {rate: "' + "9" * 50 + '", effects: []}\n')
    assert "processes.p.rate" in str(exc.value) and "out of range" in str(exc.value)


def test_a_run_that_passes_its_budget_ends_with_reason_budget():
    scn = tiny("""\
state:
  x: {label: {es: X, en: X}, initial: 0}
processes:
  p: {rate: "2 + 100 * x", effects: [{add: x, by: 1}]}
""", limit=100000)
    sim = Simulation(scn, 1, budget=(10_000, 2_000))
    sim.run_to_end()
    assert sim.end_reason == "budget" and len(sim.events) <= 2_010
    last = sim.events[-1]
    assert last.kind == "end" and "budget" in last.data["message"]["en"] and last.data["message"]["es"]


def test_bundled_scenarios_with_extreme_numbers_load_or_run_without_a_crash():
    import re

    from simulator import load_scenario_text
    from simulator.catalog import scenarios_dir

    number = re.compile(r"(?<=[:\[, ])(-?\d+(?:\.\d+)?)(?=[,\]} \n])")
    extremes = ["0", "-1", "1000000000", "0.5", "1.0e-9", "-1000000000", "999999999"]
    ran = 0
    for sid in ("P0-modulo-b", "C1-jueves-negro", "tutorial"):
        text = (scenarios_dir() / f"{sid}.yaml").read_text(encoding="utf-8")
        spans = [m.span() for m in number.finditer(text)]
        rng = random.Random(sid)
        for trial in range(12):
            t = text
            for a, b in sorted(rng.sample(spans, 3), reverse=True):
                t = t[:a] + rng.choice(extremes) + t[b:]
            try:
                scn = load_scenario_text(t, f"{sid}-{trial}.yaml")
            except ScenarioError as exc:
                assert all(p.line > 0 for p in exc.problems)
                continue
            sim = Simulation(scn, trial, budget=(50_000, 20_000))
            sim.run_to_end()
            assert sim.ended
            ran += 1
    assert ran >= 6  # enough files survive validation for the run to be exercised
