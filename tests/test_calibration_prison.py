"""Calibration of the prison scenarios P1-P3 against SCENARIOS.md "Calibration bands".

Each scenario's doctrine policy is replicated over at least 200 seeds with the engine
directly (no CLI), and the SCENARIOS.md quantities are checked the way that section says:
two-sided bands (median inside, >= 80% of runs inside), upper bounds (<= 10% above),
conditional bands only on runs where the branch happened. A poor policy must do
measurably worse on the scenario's main outcome. Structural checks (validation, both
languages, injects, decision points, objectives, playing time) come first.
"""

from __future__ import annotations

import statistics
from functools import cache
from pathlib import Path

import pytest

from simulator import Simulation, find_policy, load_scenario

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
N_DOCTRINE = 200
N_POOR = 60

PRISON = {
    "P1-unidad-c": "force-first",
    "P2-noche-penal": "hold-back",
    "P3-torre-4": "assault-early",
}


def available() -> list[str]:
    return [sid for sid in PRISON if (SCENARIOS / f"{sid}.yaml").exists()]


@cache
def scenario(sid: str):
    return load_scenario(SCENARIOS / f"{sid}.yaml")



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
        out.append(censored(scn, sim.metric_values()))
    return tuple(out)


def share(values, pred) -> float:
    values = list(values)
    return sum(1 for v in values if pred(v)) / len(values) if values else 0.0


def two_sided(values, lo: float, hi: float, label: str, min_inside: float = 0.8) -> None:
    values = list(values)
    assert values, f"{label}: no runs on this branch"
    med = statistics.median(values)
    inside = share(values, lambda v: lo <= v <= hi)
    assert lo <= med <= hi, f"{label}: median {med:.2f} outside [{lo}, {hi}]"
    assert inside >= min_inside, f"{label}: only {inside:.0%} of runs inside [{lo}, {hi}]"


def upper(values, hi: float, label: str, max_above: float = 0.10) -> None:
    values = list(values)
    above = share(values, lambda v: v > hi)
    assert above <= max_above, f"{label}: {above:.0%} of runs above {hi}"


# ---------------------------------------------------------------- structure (every scenario)
@pytest.mark.parametrize("sid", available())
def test_structure(sid):
    scn = scenario(sid)  # load_scenario validates (schema + cross-references) or raises
    assert scn.id == sid
    assert scn.kind == "prison"
    # every text a trainee or instructor reads exists in both languages
    texts = [scn.title, scn.summary, scn.briefing]
    texts += [q.label for q in scn.state.values()]
    texts += [r.label for r in scn.resources.values()]
    texts += [i.text for i in scn.injects.values()]
    for dp in scn.decisions.values():
        texts += [dp.title, dp.prompt] + [o.label for o in dp.options.values()]
    texts += [o.label for o in scn.orders.values()]
    texts += [m.label for m in scn.metrics.values()] + [o.label for o in scn.objectives.values()]
    for t in texts:
        assert t and t.get("es") and t.get("en"), t
    assert len(scn.injects) >= 12
    assert any(i.when is not None for i in scn.injects.values())
    assert any(i.at is not None for i in scn.injects.values())
    assert sum(1 for i in scn.injects.values() if i.manual) >= 2
    assert any(i.audience == ("instructor",) for i in scn.injects.values())
    assert any(i.expect is not None and i.expect.contingency for i in scn.injects.values())
    big = [dp for dp in scn.decisions.values() if len(dp.options) >= 3]
    assert len(big) >= 6
    for dp in scn.decisions.values():
        assert dp.expected, f"{dp.id} has no expected (doctrine) option"
    assert any(dp.force and dp.max_force for dp in scn.decisions.values())
    assert len(scn.objectives) >= 4
    assert 45 <= scn.limit / scn.speed <= 120, scn.limit / scn.speed
    # the doctrine policy takes the expected option at every point it scripts
    doc = find_policy("doctrine", scn)
    for point, pd in doc.decisions.items():
        assert pd.option in scn.decisions[point].expected, (point, pd.option)
    find_policy(PRISON[sid], scn)


@pytest.mark.parametrize("sid", available())
def test_both_languages_play(sid):
    from simulator import tr

    scn = scenario(sid)
    sim = Simulation(scn, 7, policy=find_policy("doctrine", scn))
    sim.run_to_end()
    for lang in ("es", "en"):
        for ev in sim.events:
            if ev.kind == "inject":
                assert tr(scn.injects[ev.ref].text, lang)


# ---------------------------------------------------------------- P1 "Unidad C"
P1 = "P1-unidad-c"


@pytest.mark.skipif(P1 not in available(), reason="P1 not written")
def test_p1_calibration():
    rs = runs(P1, "doctrine", N_DOCTRINE)
    short = [r for r in rs if r["protracted"] == 0]
    siege = [r for r in rs if r["protracted"] == 1]
    assert len(short) >= 0.6 * len(rs)  # most doctrine runs resolve within the day (NIJ "<=1 day")
    assert siege, "the siege path never happens"
    # 1. time to full control on the short path: 3.5-24 h, two-sided
    two_sided([r["time_to_control"] / 60 for r in short], 3.5, 24, "P1 time to control (h)")
    # 2. siege path: projected duration 8-11 d (projection from the anchors, not simulated)
    # (the projection's expected share inside is 94%: Camp Hill's 3 days, a [C] anchor at a
    # quarter weight, is the only value below)
    two_sided([r["siege_days_projected"] for r in siege], 8, 11, "P1 siege duration (d)")
    # 3. staff deaths 0-1, upper bound
    upper([r["staff_killed"] for r in rs], 1, "P1 staff deaths")
    # 4. inmate deaths: 0-5 short path, 0-10 siege path (first 24 h), upper bounds
    upper([r["inmates_killed"] for r in short], 5, "P1 inmate deaths, short path")
    upper([r["inmates_killed"] for r in siege], 10, "P1 inmate deaths, siege path")
    # 5. deliberate assaults that met the action criteria: most with no hostage harmed
    crit = [r for r in rs if r["assault_with_criteria"] == 1]
    assert crit, "no deliberate assault met the action criteria"
    assert share(crit, lambda r: r["assault_hostage_harm"] == 0) >= 0.85


@pytest.mark.skipif(P1 not in available(), reason="P1 not written")
def test_p1_force_first_is_worse():
    doc = runs(P1, "doctrine", N_DOCTRINE)
    poor = runs(P1, "force-first", N_POOR)
    mean = lambda rs, k: statistics.fmean(r[k] for r in rs)  # noqa: E731
    # main outcome: staff (hostages included) injured or killed
    assert mean(poor, "staff_casualties") >= mean(doc, "staff_casualties") + 2.0
    assert mean(poor, "hostages_harmed") > mean(doc, "hostages_harmed") + 0.5
    assert mean(poor, "inmates_killed") > mean(doc, "inmates_killed")


# ---------------------------------------------------------------- P2 "Noche en el Penal"
P2 = "P2-noche-penal"


@pytest.mark.skipif(P2 not in available(), reason="P2 not written")
def test_p2_calibration():
    rs = runs(P2, "doctrine", N_DOCTRINE)
    # 1. time to control 2-4 h, two-sided
    two_sided([r["time_to_control"] / 60 for r in rs], 2, 4, "P2 time to control (h)")
    # 2. inmate deaths from violence 0-49: upper bound, doctrine toward the lower end
    killed = [r["inmates_killed"] for r in rs]
    upper(killed, 49, "P2 inmate deaths")
    assert statistics.median(killed) <= 20
    # 3. escapes 0-37: upper bound
    upper([r["escapes"] for r in rs], 37, "P2 escapes")
    # 4. deaths in burning cells: doctrine (key plan executed) far below the ~100 anchor ...
    fire = [r["fire_deaths"] for r in rs]
    assert share(fire, lambda v: v >= 50) <= 0.02
    assert statistics.quantiles(fire, n=10)[-1] <= 15
    # ... while the key-control failure branch can reach the anchor's order of magnitude
    poor = runs(P2, "hold-back", N_POOR)
    failed = [r["fire_deaths"] for r in poor if r["key_failure"] == 1]
    assert failed and max(failed) >= 80
    assert share(failed, lambda v: v >= 50) >= 0.2


@pytest.mark.skipif(P2 not in available(), reason="P2 not written")
def test_p2_hold_back_is_worse():
    doc = runs(P2, "doctrine", N_DOCTRINE)
    poor = runs(P2, "hold-back", N_POOR)
    mean = lambda rs, k: statistics.fmean(r[k] for r in rs)  # noqa: E731
    assert mean(poor, "total_deaths") >= mean(doc, "total_deaths") + 20
    assert mean(poor, "inmates_killed") > mean(doc, "inmates_killed") + 5
    assert mean(poor, "escapes") > mean(doc, "escapes") + 2
    assert mean(poor, "crowd_injured") > mean(doc, "crowd_injured")


# ---------------------------------------------------------------- P3 "Torre 4"
P3 = "P3-torre-4"
P3_TOWER_TAKEN = 2180  # minute of the tower seizure (kitchen seizure at 2160, day 0 03:15)


@pytest.mark.skipif(P3 not in available(), reason="P3 not written")
def test_p3_calibration():
    rs = runs(P3, "doctrine", N_DOCTRINE)
    # the scenario's own duration metric agrees with the engine's clock
    for r in rs:
        if r["t_resolved"] < scenario(P3).limit:
            assert abs(r["siege_days"] - (r["t_resolved"] - P3_TOWER_TAKEN) / 1440) < 1e-3
    # 1. siege duration 8-15 d, two-sided
    two_sided([r["siege_days"] for r in rs], 8, 15, "P3 siege duration (d)")
    # 2. hostages released during the standoff: >= 1 (lower bound) in most runs
    assert share(rs, lambda r: r["released"] >= 1) >= 0.8
    # 3. hostage deaths: rare under doctrine
    assert share(rs, lambda r: r["hostage_deaths"] > 0) <= 0.05
    # 4. a tactical assault, when it happens, lasts minutes, not hours
    assaults = [r["t_assault_done"] - r["t_assault_entry"] for r in rs if r["assault"] == 1]
    assert assaults, "the assault branch never happens"
    assert statistics.median(assaults) <= 10 and max(assaults) <= 30
    # 5. the whole complex stays locked down, and the staff pool falls short within the
    #    first days, before volunteers (mutual aid) can arrive
    assert share(rs, lambda r: r["lockdown_scope"] == 2) >= 0.9
    short_days = [(r["t_shortfall"] - 2160) / 1440 for r in rs]
    assert share(short_days, lambda d: d <= 3.5) >= 0.8
    assert share(rs, lambda r: r["t_shortfall"] < r["t_volunteers"]) >= 0.9


@pytest.mark.skipif(P3 not in available(), reason="P3 not written")
def test_p3_assault_early_is_worse():
    doc = runs(P3, "doctrine", N_DOCTRINE)
    poor = runs(P3, "assault-early", N_POOR)
    mean = lambda rs, k: statistics.fmean(r[k] for r in rs)  # noqa: E731
    # main outcome: hostages injured or killed
    assert mean(poor, "hostages_harmed") >= mean(doc, "hostages_harmed") + 0.5
    assert mean(poor, "hostage_deaths") > mean(doc, "hostage_deaths") + 0.1
    assert mean(poor, "staff_injured") > mean(doc, "staff_injured") + 2
    assert mean(poor, "released") < mean(doc, "released")
