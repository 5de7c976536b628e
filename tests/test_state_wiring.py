"""Watcher wiring: built once per scenario and shared by its runs, and still right for watchers added later."""

from __future__ import annotations

from simulator import Simulation, find_policy
from simulator.expr import compile_expr
from tests.engine_fixtures import P0, minimal


def test_runs_of_a_scenario_share_one_wiring_and_give_the_events_of_a_fresh_scenario():
    from simulator import load_scenario

    scn = load_scenario(P0)
    pol = find_policy("doctrine", scn)
    first = Simulation(scn, 5, policy=pol)
    second = Simulation(scn, 5, policy=pol)
    assert second.state.masks is first.state.masks  # the template, not a copy
    second.run_to_end()
    fresh = Simulation(load_scenario(P0), 5, policy=pol)  # a new Scenario: its own template, built now
    fresh.run_to_end()
    assert [e.record() for e in second.events] == [e.record() for e in fresh.events]
    assert second.steps == fresh.steps


def test_a_watcher_added_during_the_run_is_wired_and_the_shared_table_is_left_alone():
    scn = minimal()
    Simulation(scn, 1)  # builds the template
    sim = Simulation(scn, 2)
    shared = sim.state.masks
    seen: list[float] = []
    w = sim.state.add_watcher(compile_expr("level + secret", sim.v.__contains__),
                              lambda w: seen.append(sim.v["secret"]))
    assert sim.state.masks is not shared and "secret" not in (shared or {})
    sim.set_quantity("secret", 7.0, "test")
    sim._propagate()
    sim.set_quantity("secret", 8.0, "test")
    w.active = False  # retired: never looked at again
    sim._propagate()
    sim.set_quantity("secret", 9.0, "test")
    sim._propagate()
    assert seen == [7.0]
    assert Simulation(scn, 3).state.masks is shared  # other runs still use the template
