"""Calibration of the cartel-violence scenarios (C1-C3) against SCENARIOS.md "Calibration bands".

Each scenario's doctrine policy is run over many seeds (the engine, not the CLI) and the
calibration quantities are checked the way SCENARIOS.md asks: the median inside a
two-sided band and at least 80% of runs inside it; at most 10% of runs above an upper
bound; conditional bands only on the runs where the branch happened. A poor policy must
do measurably worse on the scenario's main outcome.
"""

from __future__ import annotations

import statistics
from functools import cache
from pathlib import Path

import pytest

from simulator import Simulation, find_policy, load_scenario

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = {
    "C1-jueves-negro": ["doctrine", "no-prison-reinforcement", "release-detainee"],
    "C2-soyatan": ["doctrine", "go-as-planned"],
    "C3-ano-nuevo": ["doctrine", "patrol-chase"],
}
PRESENT = [s for s in SCENARIOS if (ROOT / "scenarios" / f"{s}.yaml").exists()]
N_DOCTRINE = 200
N_POOR = 100


@cache
def scenario(sid: str):
    return load_scenario(ROOT / "scenarios" / f"{sid}.yaml")



def censored(scn, values: dict) -> dict:
    """Calibration reads a time that was never reached as the time limit (right-censored)."""
    return {k: (scn.limit if v is None and scn.metrics[k].can_miss else v) for k, v in values.items()}

@cache
def runs(sid: str, policy: str, n: int) -> tuple[dict, ...]:
    scn = scenario(sid)
    pol = find_policy(policy, scn)
    out = []
    for seed in range(n):
        sim = Simulation(scn, seed, policy=pol)
        sim.run_to_end()
        m = censored(scn, sim.metric_values())
        m["_end_time"] = sim.end_time
        out.append(m)
    return tuple(out)


def values(rows, metric, where=None) -> list[float]:
    return [r[metric] for r in rows if r[metric] is not None and (where is None or where(r))]


def share(xs, pred) -> float:
    return sum(1 for x in xs if pred(x)) / len(xs)


def check_two_sided(xs, lo, hi, min_inside=0.8, label=""):
    assert xs, f"{label}: no runs"
    med = statistics.median(xs)
    inside = share(xs, lambda x: lo <= x <= hi)
    assert lo <= med <= hi, f"{label}: median {med} outside [{lo}, {hi}]"
    assert inside >= min_inside, f"{label}: only {inside:.0%} of {len(xs)} runs inside [{lo}, {hi}]"


def check_upper(xs, hi, max_above=0.10, label=""):
    assert xs, f"{label}: no runs"
    above = share(xs, lambda x: x > hi)
    assert above <= max_above, f"{label}: {above:.0%} of runs above {hi}"


# ----------------------------------------------------------------------------- structure
@pytest.mark.parametrize("sid", PRESENT)
def test_structure(sid):
    scn = scenario(sid)
    assert scn.kind == "cartel"
    assert len(scn.injects) >= 12
    assert sum(1 for i in scn.injects.values() if i.manual) >= 2
    assert any(i.audience == ("instructor",) for i in scn.injects.values())
    assert any(i.expect is not None and i.expect.contingency for i in scn.injects.values())
    big = [d for d in scn.decisions.values() if len(d.options) >= 3]
    assert len(big) >= 6
    assert all(d.expected for d in scn.decisions.values())
    assert any(d.force and d.max_force for d in scn.decisions.values())
    assert len(scn.objectives) >= 4
    assert 45 <= scn.limit / scn.speed <= 120
    for pol in SCENARIOS[sid]:
        assert (ROOT / "scenarios" / "policies" / f"{sid}.{pol}.yaml").exists()
        find_policy(pol, scn)


# ----------------------------------------------------------------------------- C1
@pytest.mark.skipif("C1-jueves-negro" not in PRESENT, reason="C1 not written")
def test_c1_doctrine_bands():
    rows = runs("C1-jueves-negro", "doctrine", N_DOCTRINE)
    # 1. deaths, all categories: 8-29, two-sided
    check_two_sided(values(rows, "deaths_total"), 8, 29, label="C1 deaths")
    # 2. blockades in the wave: 12-40, points and vehicles counted separately
    check_two_sided(values(rows, "blockade_points"), 12, 40, label="C1 blockade points")
    check_two_sided(values(rows, "blockade_vehicles"), 12, 40, label="C1 blockade vehicles")
    # 3. time to reopen priority routes, conditional on route prioritisation at DP2: 2-6 h
    check_two_sided(values(rows, "time_routes_open"), 120, 360, label="C1 time to reopen routes")
    # 4. escapes, prison reinforced at DP4 (doctrine): at or near 0
    esc = values(rows, "escapes")
    assert statistics.median(esc) == 0
    assert share(esc, lambda x: x <= 5) >= 0.9, "C1: shielded prison should hold in >= 90% of runs"


@pytest.mark.skipif("C1-jueves-negro" not in PRESENT, reason="C1 not written")
def test_c1_poor_policies():
    doc = runs("C1-jueves-negro", "doctrine", N_DOCTRINE)
    poor = runs("C1-jueves-negro", "no-prison-reinforcement", N_POOR)
    # 4. escapes when the prison is not reinforced: 49-56 (2019)
    check_two_sided(values(poor, "escapes"), 49, 56, label="C1 escapes, not reinforced")
    # main outcome: loss of life and custody
    assert statistics.median(values(poor, "deaths_total")) >= statistics.median(values(doc, "deaths_total")) + 10
    assert statistics.median(values(poor, "time_routes_open")) > statistics.median(values(doc, "time_routes_open"))
    # the 2019 way out: fewer deaths, but the arrest is lost and inmates escape
    rel = runs("C1-jueves-negro", "release-detainee", N_POOR)
    assert statistics.mean(values(rel, "custody")) == 0
    check_two_sided(values(rel, "escapes"), 49, 56, label="C1 escapes, release path")
    assert statistics.median(values(rel, "deaths_total")) <= statistics.median(values(doc, "deaths_total"))


# ----------------------------------------------------------------------------- C2
def _contact_runs(rows):
    return [r for r in rows if r["contact"] == 1]


@pytest.mark.skipif("C2-soyatan" not in PRESENT, reason="C2 not written")
def test_c2_bands():
    doc = runs("C2-soyatan", "doctrine", 300)
    poor = runs("C2-soyatan", "go-as-planned", 300)
    doc_c, poor_c = _contact_runs(doc), _contact_runs(poor)
    pooled = doc_c + poor_c
    # 1. engagement duration when contact occurs: ~30 min (order of magnitude)
    eng = values(pooled, "engagement_min")
    assert 15 <= statistics.median(eng) <= 60
    assert share(eng, lambda x: 10 <= x <= 90) >= 0.9
    # 2. police killed in an unmitigated ambush of 16 officers: 8-16 (go as planned, contact runs)
    check_two_sided(values(poor_c, "convoy_killed"), 8, 16, label="C2 killed, unmitigated")
    # 3. police wounded, contact runs: 3-9 (mitigated and unmitigated contacts both)
    check_two_sided(values(pooled, "police_wounded"), 3, 9, label="C2 wounded")
    check_two_sided(values(poor_c, "police_wounded"), 3, 9, label="C2 wounded, unmitigated")
    # 4. arrests within 5 days on the saturation path: upper bound 25
    sat = [r for r in doc + poor if r["arrests_5d"] > 0]
    assert sat
    check_upper(values(sat, "arrests_5d"), 25, label="C2 arrests")
    # doctrine at DP0 puts contact well below the unmitigated base rate
    doc_rate, poor_rate = len(doc_c) / len(doc), len(poor_c) / len(poor)
    assert doc_rate <= 0.5 * poor_rate and doc_rate <= 0.3, (doc_rate, poor_rate)
    # main outcome: police killed
    assert statistics.mean(values(doc, "police_killed")) + 3 <= statistics.mean(values(poor, "police_killed"))


# ----------------------------------------------------------------------------- C3
@pytest.mark.skipif("C3-ano-nuevo" not in PRESENT, reason="C3 not written")
def test_c3_doctrine_bands():
    rows = runs("C3-ano-nuevo", "doctrine", N_DOCTRINE)
    # 1. time to retake the facility: 3-5 h, two-sided
    check_two_sided(values(rows, "time_to_retake"), 180, 300, label="C3 time to retake")
    # 2. guards killed: 2-10, upper bound (and not implausibly low)
    guards = values(rows, "guards_killed")
    check_upper(guards, 10, label="C3 guards killed")
    assert statistics.median(guards) >= 2
    # 3. inmates killed: 4-7, two-sided
    check_two_sided(values(rows, "inmates_killed"), 4, 7, label="C3 inmates killed")
    # 4. escapes: 24-30, two-sided
    check_two_sided(values(rows, "escapes"), 24, 30, label="C3 escapes")
    # 5. injured, all categories: 0-13, upper bound
    check_upper(values(rows, "injured_total"), 13, label="C3 injured")
    # design band: recaptured within 72 h 0-10 (the exercise covers only the first hours)
    check_upper(values(rows, "recaptured"), 10, label="C3 recaptured")


@pytest.mark.skipif("C3-ano-nuevo" not in PRESENT, reason="C3 not written")
def test_c3_poor_policy():
    doc = runs("C3-ano-nuevo", "doctrine", N_DOCTRINE)
    poor = runs("C3-ano-nuevo", "patrol-chase", N_POOR)
    # main outcome: casualties (relatives in the crossfire, guards, all injured)
    for m, gap in (("injured_total", 5), ("visitor_casualties", 3), ("deaths_total", 3)):
        assert statistics.median(values(poor, m)) >= statistics.median(values(doc, m)) + gap, m
    assert statistics.mean(values(poor, "abductees_rescued")) < statistics.mean(values(doc, "abductees_rescued"))
