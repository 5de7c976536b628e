"""What-if studies compare only what was played: an option not on offer in a seed is counted apart,
and a reactive policy (conditions inside it) reaches the process pool's workers."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np
import pytest

from analysis import whatif, whatif_runs
from simulator import (
    Exercise,
    find_policy,
    load_scenario,
    load_scenario_text,
    resolve_scenario,
    run_headless,
)

# `storm` is on offer only when heat has reached 3 by the time the point is answered: a Poisson
# stream decides it, so some seeds offer it and some do not.
OFFERED = """\
sitroom: 2
id: whatif-offered
version: "1"
title: {es: "Ofrecida", en: "Offered"}
summary: {es: "Una opción que no siempre se ofrece", en: "An option not always on offer"}
kind: prison
clock: {start: "2025-01-01T00:00:00-06:00", limit: 90}
state:
  heat: {label: {es: "Calor", en: "Heat"}, initial: 0, min: 0}
  calm: {label: {es: "Calma", en: "Calm"}, initial: 0, min: 0}
processes:
  flare:
    rate: "6 * (0.2 if calm else 1)"
    effects:
      - {add: heat, by: 1}
decisions:
  DP1:
    title: {es: "Primera", en: "First"}
    prompt: {es: "¿Qué hace?", en: "What now?"}
    at: 20
    deadline: 10
    default: wait
    options:
      wait: {label: {es: "Esperar", en: "Wait"}}
      talk:
        label: {es: "Dialogar", en: "Talk"}
        effects: [{set: calm, to: 1}]
      storm:
        label: {es: "Irrumpir", en: "Storm"}
        offered_while: "heat >= 3"
        effects: [{set: calm, to: 1}, {add: heat, by: -2}]
metrics:
  heat_end: {label: {es: "Calor final", en: "Final heat"}, value: "heat"}
objectives: {}
"""


def _journal(tmp_path: Path, option: str) -> Path:
    """A team that answers DP1 with `option` a minute after it opens, on a seed where storm is on offer."""
    scn = load_scenario_text(OFFERED, "offered.yaml")
    for seed in range(1, 200):
        path = tmp_path / f"{option}-{seed}.sitroom"
        ex = Exercise.start(scn, seed, path, honour_pauses=False, team="Equipo 1")
        ex.advance(21)
        if "storm" in ex.sim.offered_options("DP1"):
            ex.decide("DP1", option, check=False)
            ex.advance(scn.limit)
            ex.close()
            return path
        ex.close()
        path.unlink()
    raise AssertionError("no seed offers storm")


def _summary(journal: Path, n: int, workers: int = 1) -> dict:
    study = whatif.prepare(str(journal))
    study.result = whatif.run_study(study.setup, n, workers=workers)
    return whatif.summary(study)


def _entry(data: dict, option: str) -> dict:
    [e] = [e for e in data["counterfactuals"] if e["option"] == option]
    return e


def test_seeds_where_the_option_was_not_on_offer_are_left_out_and_counted(tmp_path: Path) -> None:
    data = _summary(_journal(tmp_path, "talk"), 60)
    storm = _entry(data, "storm")
    runs = storm["runs"]
    assert sum(runs.values()) == 60
    assert 0 < runs["not_offered"] < 60 and 0 < runs["compared"] < 60  # both kinds of seed occur
    assert runs["team_not_offered"] == 0  # "talk" is always on offer
    assert storm["diff"]["heat_end"]["n"] == runs["compared"]
    # Storming lowers the heat by 2 at once and calms as talking does: where it was played, the
    # final heat is lower in every compared seed, so the mean difference is clearly negative.
    assert storm["diff"]["heat_end"]["mean"] < -1.0
    assert _entry(data, "wait")["runs"]["compared"] == 60  # the default is always on offer
    assert data["team"]["plan_not_followed"] == 0


def test_the_team_choice_not_on_offer_is_counted_for_the_team_and_its_counterfactuals(tmp_path: Path) -> None:
    data = _summary(_journal(tmp_path, "storm"), 60)
    talk = _entry(data, "talk")
    assert talk["runs"]["team_not_offered"] > 0
    assert talk["runs"]["compared"] + talk["runs"]["team_not_offered"] == 60
    assert data["team"]["plan_not_followed"] == talk["runs"]["team_not_offered"]
    text = whatif.render_text(data, load_scenario_text(OFFERED, "offered.yaml"), "es")
    assert f"En {data['team']['plan_not_followed']} de 60 semillas el plan del equipo no pudo jugarse" in text
    assert f"comparada en {talk['runs']['compared']} de 60 semillas" in text
    assert "en que la elección del equipo no se ofrecía" in text


def test_followed_codes_of_one_replication(tmp_path: Path) -> None:
    study = whatif.prepare(str(_journal(tmp_path, "talk")))
    scn = study.scenario
    storm = next(a for a in study.setup.arms if a.option == "storm")
    codes = {whatif_runs.replicate(scn, storm.plan, s, ["heat_end"], ["DP1"])[1] for s in range(40)}
    assert codes == {whatif_runs.FOLLOWED, whatif_runs.NOT_OFFERED}
    stopped = whatif_runs.Plan(storm.plan.policy, stop_at=10.0)  # ends before DP1 opens
    assert math.isnan(whatif_runs.replicate(scn, stopped, 1, ["heat_end"], ["DP1"])[1])


def test_a_reactive_policy_reaches_the_pool_workers_and_the_study_finishes(tmp_path: Path) -> None:
    """C3's doctrine holds conditions (compiled expressions): its study once hung on 2 workers."""
    scn = load_scenario(resolve_scenario("C3-ano-nuevo"))
    path = tmp_path / "c3.sitroom"
    run_headless(scn, 3, find_policy("doctrine", scn), path)
    study = whatif.prepare(str(path))
    arms = len(study.setup.arms)
    n = -(-whatif_runs.INPROCESS_BELOW // arms) + 1  # enough that the pool is used
    pooled = whatif.run_study(study.setup, n, workers=2)
    here = whatif.run_study(study.setup, n, workers=1)
    assert pooled.done.all() and not pooled.interrupted
    np.testing.assert_array_equal(pooled.values, here.values)
    np.testing.assert_array_equal(pooled.followed, here.followed)


def test_json_summary_carries_the_counts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = argparse.Namespace(journal=str(_journal(tmp_path, "talk")), n=30, workers=1, scheduler=None, json=True,
                              out=None, progress=False, lang="en")
    assert whatif.run_whatif(args) == 0
    data = json.loads(capsys.readouterr().out)
    runs = _entry(data, "storm")["runs"]
    assert set(runs) == {"compared", "not_offered", "team_not_offered", "did_not_arise"}
    assert data["doctrine"]["plan_not_followed"] >= 0


def test_a_counterfactual_at_a_point_that_never_opened_is_the_teams_run_and_is_not_run_again(tmp_path: Path) -> None:
    """C2's later points open in a few seeds only: where they did not, the counterfactual row is copied
    from the team's. The rows must be what running each arm gives."""
    scn = load_scenario(resolve_scenario("C2-soyatan"))
    path = tmp_path / "c2.sitroom"
    run_headless(scn, 5, find_policy("doctrine", scn), path)
    setup = whatif.prepare(str(path)).setup
    start, got = whatif_runs.run_chunk(setup, 0, 12)
    skipped = 0
    for j in range(12):
        seed = whatif_runs.replication_seed(setup.base_seed, j)
        team_opened = set(whatif_runs._run(scn, setup.arms[0].plan, seed).decisions)
        for a, arm in enumerate(setup.arms):
            want = whatif_runs.replicate(scn, arm.plan, seed, setup.measures, setup.points)
            np.testing.assert_array_equal(got[a, j], np.array(want, dtype=float))
            skipped += arm.kind == "counterfactual" and arm.point not in team_opened
    assert skipped > 0  # the shortcut was taken (and gave the same rows)


def test_doctrine_that_is_the_teams_plan_is_the_teams_run(tmp_path: Path) -> None:
    scn = load_scenario(resolve_scenario("P0-modulo-b"))
    path = tmp_path / "p0.sitroom"
    run_headless(scn, 3, find_policy("doctrine", scn), path)
    setup = whatif.prepare(str(path)).setup
    assert setup.arms[1].kind == "doctrine" and whatif_runs._differs_only_at(setup.arms[1].plan,
                                                                              setup.arms[0].plan, None)
    _, got = whatif_runs.run_chunk(setup, 0, 3)
    for j in range(3):
        seed = whatif_runs.replication_seed(setup.base_seed, j)
        want = whatif_runs.replicate(scn, setup.arms[1].plan, seed, setup.measures, setup.points)
        np.testing.assert_array_equal(got[1, j], np.array(want, dtype=float))


def test_a_point_the_policy_could_not_answer_is_left_to_its_default_in_the_teams_plan(tmp_path: Path) -> None:
    """A headless run whose policy named an option not on offer took the default: the team's plan leaves
    the point to the default again (it once kept the policy's answer, so every seed read "the team's
    choice was not on offer" under a point the report calls "not answered by the team")."""
    from simulator import Policy, PolicyDecision

    scn = load_scenario_text(OFFERED, "offered.yaml")
    pol = Policy("storm-first", {"DP1": PolicyDecision("storm", 1.0)})
    for seed in range(1, 100):
        path = tmp_path / f"p{seed}.sitroom"
        run_headless(scn, seed, pol, path)
        study = whatif.prepare(str(path))
        if study.team_chosen["DP1"] == "wait":  # storm was not on offer: the default was taken
            break
        path.unlink()
    else:
        raise AssertionError("no seed where storm is not on offer at T+21")
    assert "DP1" not in study.setup.arms[0].plan.policy.decisions
    study.result = whatif.run_study(study.setup, 40, workers=1)
    data = whatif.summary(study)
    for e in data["counterfactuals"]:
        assert e["runs"]["team_not_offered"] == 0 and e["runs"]["compared"] > 0
    assert data["team"]["plan_not_followed"] == 0


def test_a_points_own_latency_is_not_an_effect_where_the_study_set_the_answer_time(tmp_path: Path) -> None:
    """C3 left to its defaults: each DP1 option is tried 4 minutes after opening, so `dp1_latency` exists
    in every counterfactual and never in the team's runs. That is the study's design, not the option's
    effect: it once gave taking the default early an importance of 2.00."""
    scn = load_scenario(resolve_scenario("C3-ano-nuevo"))
    path = tmp_path / "c3.sitroom"
    run_headless(scn, 7, None, path)
    study = whatif.prepare(str(path))
    study.result = whatif.run_study(study.setup, 10, workers=1)
    data = whatif.summary(study)
    same = [e for e in data["counterfactuals"] if e["point"] == "DP1" and e["option"] == scn.decisions["DP1"].default]
    assert same and not same[0]["answered"]
    assert same[0]["diff"]["dp1_latency"]["by_design"] is True
    assert same[0]["importance"] == 0.0
    text = whatif.render_text(data, scn, "en")
    counterfactuals = text.split("\nCounterfactuals")[1]
    assert not [line for line in counterfactuals.splitlines()
                if line.strip().startswith("dp1_latency ") and "reached in" in line]
