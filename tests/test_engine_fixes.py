"""The engine bugs of issue 11, each as a minimal scenario that once went wrong."""

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
