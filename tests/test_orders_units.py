"""Format 2 units and orders: tasks that need units of several kinds (all or none, first come
first served, no deadlock across kinds) and orders with parameters (how many units, which site)."""

from __future__ import annotations

import pytest
from engine_fixtures import tiny_text

from simulator import CommandRejected, Exercise, ScenarioError, Simulation, load_scenario_text
from simulator.exercise import replay
from simulator.orders import params_text
from simulator.policy import policy_from_dict
from sitroom.cli import main


def v2(body: str, limit: float = 200):
    """A format 2 tiny scenario."""
    return load_scenario_text(tiny_text(body, limit).replace("sitroom: 1", "sitroom: 2", 1), "tiny2.yaml")


def phases(sim, ref=None):
    return [(e.ref, e.data["phase"], e.t) for e in sim.events if e.kind == "task" and (ref is None or e.ref == ref)]


TWO_KINDS = """\
roles:
  team: {name: {es: Equipo, en: Team}}
state:
  done: {label: {es: Hechos, en: Done}, initial: 0}
resources:
  cert: {label: {es: Escuadra CERT, en: CERT squad}, count: 2, travel: 10}
  negotiator: {label: {es: Negociador, en: Negotiator}, count: 1, travel: 2}
"""


# ------------------------------------------------------------------ several kinds, all or none


def test_the_cross_resource_hold_and_wait_case_does_not_deadlock():
    # a takes x then y, b takes y then x: with hold-and-wait, each would keep the unit it got
    # and wait for the other's forever. Here a run takes both at once or neither.
    scn = v2("""\
state:
  done: {label: {es: Hechos, en: Done}, initial: 0}
resources:
  x: {label: {es: X, en: X}, count: 1, travel: 1}
  y: {label: {es: Y, en: Y}, count: 1, travel: 1}
tasks:
  hold_x: {label: {es: HX, en: HX}, resource: x, work: 10}
  hold_y: {label: {es: HY, en: HY}, resource: y, work: 20}
  a: {label: {es: A, en: A}, needs: {x: 1, y: 1}, work: 5, on_complete: [{add: done, by: 1}]}
  b: {label: {es: B, en: B}, needs: {y: 1, x: 1}, work: 5, on_complete: [{add: done, by: 1}]}
injects:
  busy: {at: 0, channel: radio, text: {es: "0", en: "0"}, effects: [{task: hold_x}, {task: hold_y}]}
  go: {at: 1, channel: radio, text: {es: "1", en: "1"}, effects: [{task: a}, {task: b}]}
""")
    sim = Simulation(scn, 3)
    sim.advance(13)  # x is back at base (1 + 10 + 1), y is still out: a may not take x alone
    assert sim.units["x_1"].status == "ready" and sim.units["y_1"].status != "ready"
    assert sim.v["a.queued"] == 1 and sim.v["b.queued"] == 1
    sim.run_to_end()
    assert sim.v["done"] == 2
    got = [(ref, ph) for ref, ph, _ in phases(sim) if ref in ("a", "b")]
    assert got == [("a", "queued"), ("b", "queued"), ("a", "dispatched"), ("a", "on_scene"), ("a", "complete"),
                   ("b", "dispatched"), ("b", "on_scene"), ("b", "complete")]
    a_go = next(t for ref, ph, t in phases(sim, "a") if ph == "dispatched")
    assert a_go == 22.0  # the instant y came back (1 + 20 + 1), x having waited at base since 12


def test_a_run_of_one_kind_waits_behind_an_earlier_run_that_needs_it_too():
    scn = v2(TWO_KINDS + """\
tasks:
  talk: {label: {es: Hablar, en: Talk}, resource: negotiator, work: 30}
  entry: {label: {es: Entrada, en: Entry}, needs: {cert: 2, negotiator: 1}, work: 5}
  patrol: {label: {es: Ronda, en: Patrol}, resource: cert, units: 1, work: 5}
injects:
  one: {at: 0, channel: radio, text: {es: "0", en: "0"}, effects: [{task: talk}]}
  two: {at: 1, channel: radio, text: {es: "1", en: "1"}, effects: [{task: entry}, {task: patrol}]}
""")
    sim = Simulation(scn, 1)
    sim.advance(2)
    # Both CERT squads are free, but the entry (first in CERT's line) waits for the negotiator,
    # and the patrol waits behind it: first come, first served.
    assert sim.v["cert.ready"] == 2 and sim.v["entry.queued"] == 1 and sim.v["patrol.queued"] == 1
    sim.run_to_end()
    go = {ref: t for ref, ph, t in phases(sim) if ph == "dispatched"}
    assert go["entry"] < go["patrol"]
    assert go["entry"] == 0 + 2 + 30 + 2  # the negotiator is back: all three units leave together


def test_units_of_each_kind_travel_arrive_and_return_on_their_own_times_and_names_stay_right():
    scn = v2(TWO_KINDS + """\
tasks:
  entry:
    label: {es: Entrada, en: Entry}
    site: {es: Unidad C, en: Unidad C}
    needs: {cert: 2, negotiator: 1}
    work: 20
    on_arrival: [{add: done, by: 1}]
injects:
  go: {at: 0, channel: radio, text: {es: "0", en: "0"}, effects: [{task: entry}]}
""")
    sim = Simulation(scn, 1)
    sim.advance(3)
    assert sim.units["negotiator_1"].status == "on_scene" and sim.units["cert_1"].status == "en_route"
    assert sim.v["negotiator.on_scene"] == 1 and sim.v["cert.en_route"] == 2 and sim.v["cert.busy"] == 2
    assert sim.v["entry.on_scene"] == 0 and sim.v["entry.active"] == 1 and sim.v["done"] == 0
    sim.advance(10)
    assert sim.v["entry.on_scene"] == 1 and sim.v["done"] == 1 and sim.v["cert.on_scene"] == 2
    sim.advance(31)  # work ends at 30; the negotiator is back at 32, the squads at 40
    assert sim.v["entry.done"] == 1 and sim.v["negotiator.returning"] == 1 and sim.v["cert.returning"] == 2
    sim.advance(33)
    assert sim.v["negotiator.ready"] == 1 and sim.v["cert.ready"] == 0
    sim.advance(41)
    assert sim.v["cert.ready"] == 2 and sim.v["entry.active"] == 0
    loc = {u.id: u.location for u in sim.snapshot().units}
    assert loc["cert_1"] is None  # no base given


def test_release_while_waiting_withdraws_a_several_kind_run_and_serves_the_next():
    scn = v2(TWO_KINDS + """\
tasks:
  talk: {label: {es: Hablar, en: Talk}, resource: negotiator, work: 30}
  entry: {label: {es: Entrada, en: Entry}, needs: {cert: 2, negotiator: 1}, work: 5}
  patrol: {label: {es: Ronda, en: Patrol}, resource: cert, units: 1, work: 5}
injects:
  one: {at: 0, channel: radio, text: {es: "0", en: "0"}, effects: [{task: talk}]}
  two: {at: 1, channel: radio, text: {es: "1", en: "1"}, effects: [{task: entry}, {task: patrol}]}
  stop: {at: 3, channel: radio, text: {es: "3", en: "3"}, effects: [{release: entry}]}
""")
    sim = Simulation(scn, 1)
    sim.advance(3)
    assert [ph for _, ph, _ in phases(sim, "entry")] == ["queued", "released"]
    assert sim.v["entry.queued"] == 0 and sim.v["entry.active"] == 0
    assert next(t for _, ph, t in phases(sim, "patrol") if ph == "dispatched") == 3  # served at once
    assert sim.v["cert.en_route"] == 1 and sim.v["negotiator.on_scene"] == 1


def test_task_events_are_seen_by_whoever_may_see_every_kind_it_takes():
    scn = v2("""\
roles:
  team: {name: {es: Equipo, en: Team}}
  press: {name: {es: Prensa, en: Press}}
resources:
  cert: {label: {es: CERT, en: CERT}, count: 1, travel: 1, audience: [team]}
  negotiator: {label: {es: Neg, en: Neg}, count: 1, travel: 1}
  spy: {label: {es: Espía, en: Spy}, count: 1, travel: 1, audience: instructor}
tasks:
  entry: {label: {es: E, en: E}, needs: {cert: 1, negotiator: 1}, work: 1}
  covert: {label: {es: C, en: C}, needs: {negotiator: 1, spy: 1}, work: 1}
""")
    sim = Simulation(scn, 1)
    assert sim.fleet._audience == {"entry": ("team",), "covert": ("instructor",)}


def test_needs_is_format_2_and_is_checked():
    body = TWO_KINDS + """\
tasks:
  entry: {label: {es: E, en: E}, needs: {cert: 2, negotiator: 1}, work: 5}
"""
    with pytest.raises(ScenarioError) as exc:
        load_scenario_text(tiny_text(body), "old.yaml")
    assert "needs `sitroom: 2`" in str(exc.value) and "sitroom migrate" in str(exc.value)
    bad = TWO_KINDS + """\
tasks:
  a: {label: {es: E, en: E}, needs: {cert: 3, negotiatr: 1}, work: 5}
  b: {label: {es: E, en: E}, needs: {cert: 1}, resource: cert, work: 5}
  c: {label: {es: E, en: E}, work: 5}
"""
    with pytest.raises(ScenarioError) as exc:
        v2(bad)
    text = str(exc.value)
    assert "tasks.a.needs.cert: needs 3 units but cert has only 2" in text
    assert "no resource called 'negotiatr' (did you mean 'negotiator'?)" in text
    assert "tasks.b.needs: give either 'needs'" in text
    assert "tasks.c: a task needs 'resource'" in text


# ------------------------------------------------------------------ the status of an order for it


def test_an_order_for_a_several_kind_task_says_which_kind_is_short_and_only_to_who_may_see_it():
    scn = v2("""\
roles:
  team: {name: {es: Equipo, en: Team}}
  press: {name: {es: Prensa, en: Press}}
resources:
  cert: {label: {es: CERT, en: CERT}, count: 2, travel: 5, standby: 2, mobilise: 30}
  negotiator: {label: {es: Neg, en: Neg}, count: 1, travel: 1, audience: [team]}
tasks:
  entry: {label: {es: E, en: E}, needs: {cert: 2, negotiator: 1}, work: 5}
orders:
  go_in: {label: {es: Entrar, en: Go in}, task: entry}
""")
    sim = Simulation(scn, 1)
    st = sim.order_check("go_in")
    # The negotiator is ready at base from the start: only CERT is short.
    assert st.shortages == (("cert", 0, 2),)
    assert st.as_data() == {"reason": "units", "resource": "cert", "free": 0, "need": 2}
    assert sim.order_check("go_in", "press").shortages == (("cert", 0, 2),)
    with pytest.raises(CommandRejected, match="needs 2 free cert unit"):
        sim.order("go_in")
    scn2 = v2("""\
roles:
  team: {name: {es: Equipo, en: Team}}
  press: {name: {es: Prensa, en: Press}}
resources:
  cert: {label: {es: CERT, en: CERT}, count: 2, travel: 5, standby: 2, mobilise: 30}
  negotiator: {label: {es: Neg, en: Neg}, count: 1, travel: 1, standby: 1, mobilise: 10, audience: [team]}
tasks:
  entry: {label: {es: E, en: E}, needs: {negotiator: 1, cert: 2}, work: 5}
orders:
  go_in: {label: {es: Entrar, en: Go in}, task: entry}
""")
    sim = Simulation(scn2, 1)
    full = sim.order_check("go_in")
    assert full.shortages == (("negotiator", 0, 1), ("cert", 0, 2))
    assert full.as_data()["more"] == [["cert", 0, 2]]
    assert sim.order_check("go_in", "team") == full
    press = sim.order_check("go_in", "press")  # it may not see negotiators: only the CERT shortage
    assert press.shortages == (("cert", 0, 2),)


# ------------------------------------------------------------------ orders with parameters

PARAMS = TWO_KINDS + """\
tasks:
  entry:
    label: {es: Entrada, en: Entry}
    site: {es: Reja, en: Gate}
    needs: {cert: 2, negotiator: 1}
    work: 10
  cordon:
    label: {es: Cerco, en: Cordon}
    resource: cert
    units: 1
    until: "done >= 5"
orders:
  send_cert:
    label: {es: Enviar CERT, en: Send CERT}
    task: cordon
    params:
      count: {min: 1, max: 2}
      site:
        default: gate
        options:
          gate: {label: {es: "Reja de la Unidad C", en: "Unidad C gate"}}
          roof: {label: {es: Azotea, en: Roof}, travel: 25, on_arrival: [{add: done, by: 1}]}
  go_in:
    label: {es: Entrar, en: Go in}
    task: entry
    params:
      count: {resource: cert, min: 1, max: 2, default: 2}
"""


def test_an_order_sends_the_count_and_to_the_site_the_team_chose():
    sim = Simulation(v2(PARAMS), 1)
    ev = sim.order("send_cert", params={"count": 2, "site": "roof"})
    assert ev.data == {"by": "team", "cause": "team", "params": {"count": 2, "site": "roof"}}
    assert sim.v["cert.en_route"] == 2 and sim.v["cert.ready"] == 0
    assert next(e for e in sim.events if e.kind == "task").data["site"] == "roof"
    assert {u.eta for u in sim.units.values() if u.resource == "cert"} == {25.0}  # the roof's own travel
    assert {u.location["en"] for u in sim.snapshot("team").units if u.resource == "cert"} == {"Roof"}
    sim.advance(25)
    assert sim.v["done"] == 1  # the roof's on_arrival
    sim2 = Simulation(v2(PARAMS), 1)
    ev = sim2.order("send_cert")  # no parameters: the defaults (the task's 1 unit, the gate)
    assert ev.data["params"] == {"count": 1, "site": "gate"}
    assert sim2.v["cert.en_route"] == 1 and sim2.units["cert_1"].eta == 10.0
    assert sim2.snapshot().units[0].location == {"es": "Reja de la Unidad C", "en": "Unidad C gate"}
    assert params_text(sim2.scn, sim2.scn.orders["send_cert"], ev.data["params"]) == {
        "es": "1 × Escuadra CERT · Reja de la Unidad C", "en": "1 × CERT squad · Unidad C gate"}


def test_an_order_with_parameters_is_checked_against_its_bounds_and_what_is_free():
    sim = Simulation(v2(PARAMS), 1)
    assert sim.order_check("send_cert", params={"count": 3}).as_data() == {"reason": "params", "param": "count"}
    assert sim.order_check("send_cert", params={"site": "moon"}).as_data() == {"reason": "params", "param": "site"}
    with pytest.raises(CommandRejected, match="from 1 to 2"):
        sim.order("send_cert", params={"count": 0})
    with pytest.raises(CommandRejected, match="one of gate, roof"):
        sim.order("send_cert", params={"site": "moon"})
    with pytest.raises(CommandRejected, match="no parameter 'speed'"):
        sim.order("send_cert", params={"speed": 3})
    with pytest.raises(CommandRejected, match="whole number"):
        sim.order("send_cert", params={"count": "2"})
    plain = Simulation(v2(TWO_KINDS + "tasks:\n  t: {label: {es: T, en: T}, resource: cert, work: 1}\n"
                          "orders:\n  o: {label: {es: O, en: O}, task: t}\n"), 1)
    with pytest.raises(CommandRejected, match="takes no parameters"):
        plain.order("o", params={"count": 1})
    sim.order("send_cert", params={"count": 1})
    # One squad is left: two are refused with the numbers, one is fine, and the order as such is possible.
    st = sim.order_check("send_cert", params={"count": 2})
    assert st.as_data() == {"reason": "units", "resource": "cert", "free": 1, "need": 2}
    assert sim.order_check("send_cert", params={"count": 1}).ok and sim.order_check("send_cert").ok
    # The entry's count is of CERT; its negotiator is still needed whatever the count.
    assert sim.order_check("go_in").ok  # with the fewest: one squad, the negotiator
    assert not sim.order_check("go_in", params={}).ok  # its default, two squads: short
    ev = sim.order("go_in", params={"count": 1})
    assert ev.data["params"] == {"count": 1}
    assert sim.v["cert.ready"] == 0 and sim.v["negotiator.ready"] == 0


def test_parameters_are_format_2_and_checked_at_load():
    body = PARAMS.replace("resource: cert, min: 1", "min: 1")
    with pytest.raises(ScenarioError) as exc:
        v2(body)
    assert "orders.go_in.params.count: task 'entry' takes units of several kinds" in str(exc.value)
    with pytest.raises(ScenarioError) as exc:
        v2(PARAMS.replace("count: {min: 1, max: 2}", "count: {min: 1, max: 3}")
           .replace("default: gate", "default: gat"))
    text = str(exc.value)
    assert "max 3 is more than the 2 units cert has" in text
    assert "no site called 'gat' in options (did you mean 'gate'?)" in text
    with pytest.raises(ScenarioError) as exc:
        load_scenario_text(tiny_text(TWO_KINDS + """\
tasks:
  t: {label: {es: T, en: T}, resource: cert, work: 1}
orders:
  o: {label: {es: O, en: O}, task: t, params: {count: {min: 1, max: 2}}}
"""), "old.yaml")
    assert "orders.o.params: an order with parameters (`params`) needs `sitroom: 2`" in str(exc.value)


def test_a_policy_order_carries_parameters_and_they_are_checked():
    scn = v2(PARAMS)
    pol = policy_from_dict({"policy": "p", "orders": [{"order": "send_cert", "at": 5,
                                                       "params": {"count": 2, "site": "roof"}}]}, scn)
    assert pol.orders[0].params == {"count": 2, "site": "roof"}
    assert pol.to_dict()["orders"] == [{"order": "send_cert", "at": 5.0, "params": {"count": 2, "site": "roof"}}]
    sim = Simulation(scn, 1, policy=pol)
    sim.advance(6)
    given = next(e for e in sim.events if e.kind == "order")
    assert given.data == {"by": "policy", "cause": "policy", "params": {"count": 2, "site": "roof"}}
    assert sim.v["cert.en_route"] == 2
    from simulator.errors import PolicyError
    with pytest.raises(PolicyError, match="count 3 is not from 1 to 2"):
        policy_from_dict({"policy": "p", "orders": [{"order": "send_cert", "at": 5, "params": {"count": 3}}]}, scn)
    with pytest.raises(PolicyError, match="did you mean 'roof'"):
        policy_from_dict({"policy": "p", "orders": [{"order": "send_cert", "at": 5, "params": {"site": "rof"}}]}, scn)


def test_a_journal_of_parameterised_orders_replays_exactly(tmp_path, capsys):
    scn = v2(PARAMS)
    path = tmp_path / "p.sitroom"
    ex = Exercise.start(scn, 7, path)
    ex.advance(3)
    ex.order("send_cert", params={"site": "roof"})
    ex.advance(40)
    ex.order("go_in", params={"count": 1})
    ex.advance(60)
    live = [e.record() for e in ex.sim.events]
    payloads = [i.payload for i in ex.journal.inputs() if i.kind == "order"]
    ex.close()
    assert payloads == [{"order": "send_cert", "cause": "team", "params": {"count": 1, "site": "roof"}},
                        {"order": "go_in", "cause": "team", "params": {"count": 1}}]
    rep = replay(path)
    assert [e.record() for e in rep.sim.events] == live
    assert main(["replay", str(path)]) == 0
    capsys.readouterr()
    assert main(["export", str(path), "--format", "jsonl"]) == 0
    out = capsys.readouterr().out
    assert '"params": {"count": 1, "site": "roof"}' in out


# ------------------------------------------------------------------ the bundled prison scenario

def test_p1_the_entry_rehearsal_waits_for_the_negotiation_liaison_and_leaves_with_both_squads():
    from engine_fixtures import REPO

    from simulator import load_scenario

    scn = load_scenario(REPO / "scenarios" / "P1-unidad-c.yaml")
    assert scn.format == 2 and scn.tasks["assault_plan"].kinds == (("cert", 2), ("negotiator", 1))
    # CERT only, talks through an intermediary: no negotiator was called when the plan is ordered.
    pol = policy_from_dict({"policy": "p", "decisions": {
        "DP1": {"option": "seal_contain", "after": 2, "force": 2}, "DP3": {"option": "cert_only", "after": 1},
        "DP4": {"option": "intermediary", "after": 1}, "DP7": {"option": "plan_criteria", "after": 1, "force": 4}}},
        scn)
    sim = Simulation(scn, 1, policy=pol)
    sim.advance(120)
    assert [e.data["phase"] for e in sim.events if e.kind == "task" and e.ref == "assault_plan"] == ["queued"]
    assert sim.v["cert.ready"] == 2 and sim.v["negotiator.standby"] == 4  # the squads wait at base, not held
    sim.order("call_negotiators")
    sim.advance(400)
    go = next(e for e in sim.events if e.kind == "task" and e.ref == "assault_plan" and e.data["phase"] == "dispatched")
    first_ready = min(e.t for e in sim.events if e.kind == "unit" and e.ref.startswith("negotiator")
                      and e.data["status"] == "ready")
    assert go.t == first_ready
    left = {e.ref for e in sim.events if e.kind == "unit" and e.t == go.t and e.data["status"] == "en_route"}
    assert {"cert_1", "cert_2"} <= left and len([u for u in left if u.startswith("negotiator_")]) == 1
    assert len(left) == 3


def test_p1_the_team_says_how_many_teams_reinforce_d_and_where_the_medical_team_goes():
    from engine_fixtures import REPO

    from simulator import load_scenario

    scn = load_scenario(REPO / "scenarios" / "P1-unidad-c.yaml")
    sim = Simulation(scn, 2)
    sim.advance(1)
    with pytest.raises(CommandRejected, match="from 1 to 2"):
        sim.order("reinforce_d", params={"count": 3})
    sim.order("reinforce_d", params={"count": 2})
    assert sim.v["officers.en_route"] == 2
    sim.order("medical", params={"site": "unit_c_gate"})
    med = sim.units["medical_1"]
    assert med.eta == sim.now + 2 and med.site["en"] == "Unidad C gate (inner perimeter)"
    assert [p.order for p in policy_orders(scn)] == ["protect_informants", "reinforce_d", "statement"]


def policy_orders(scn):
    from simulator import find_policy

    pol = find_policy("doctrine", scn)
    assert next(p for p in pol.orders if p.order == "reinforce_d").params == {"count": 1}
    return pol.orders


# ------------------------------------------------------------------ the debrief, the what-if and exports

def test_the_debrief_says_what_was_ordered_with_how_many_and_where(tmp_path):
    from engine_fixtures import REPO

    from analysis.aar import team_data
    from analysis.debrief import build_report
    from analysis.record import load_record
    from analysis.whatif_runs import team_plan
    from simulator import load_scenario

    scn = load_scenario(REPO / "scenarios" / "P1-unidad-c.yaml")
    path = tmp_path / "p1.sitroom"
    ex = Exercise.start(scn, 4, path, team="Alfa")
    ex.advance(2)
    ex.order("reinforce_d", params={"count": 2})
    ex.order("medical", params={"site": "unit_d"})
    ex.advance(20)
    plan = team_plan(ex.journal.inputs(), ex.sim)
    ex.close()
    assert [(o.order, o.params) for o in plan.policy.orders] == [("reinforce_d", {"count": 2}),
                                                                ("medical", {"site": "unit_d"})]
    rec = load_record(path)
    orders = team_data(rec)["orders"]
    assert [(o["order"], o["params"], o["by"]) for o in orders] == [("reinforce_d", {"count": 2}, "Alfa"),
                                                                   ("medical", {"site": "unit_d"}, "Alfa")]
    for lang, words in (("es", ["Reforzar la Unidad D (2 × Grupo de 4 custodios)",
                                "Enviar al equipo médico (Unidad D)"]),
                        ("en", ["Reinforce Unidad D (2 × Team of 4 officers)", "Send the medical team (Unidad D)"])):
        html = build_report([rec], lang, pdf=False)["report.html"].decode()
        for w in words:
            assert w in html, (lang, w)


def test_the_reference_pages_policy_line_for_an_order_with_parameters_is_valid():
    import re

    import yaml
    from engine_fixtures import REPO
    from test_authoring import _with_fragment, _yaml_blocks

    block = next(b for _, b in _yaml_blocks() if "send_cordon" in b)
    scn = load_scenario_text(_with_fragment(block), "docs/authoring.md")
    for doc in ("authoring.md", "authoring.es.md"):
        text = (REPO / "docs" / doc).read_text(encoding="utf-8")
        line = re.search(r"`(\{order: send_cordon, at: 5, params: [^`]*\})`", text).group(1)
        pol = policy_from_dict({"policy": "p", "orders": [yaml.safe_load(line)]}, scn)
        sim = Simulation(scn, 1, policy=pol)
        sim.advance(20)
        assert sim.v["officers.on_scene"] == 3 and sim.v["contained"] == 1
        assert {u.site["en"] for u in sim.units.values() if u.status == "on_scene"} == {"Yard"}


@pytest.mark.parametrize("fmt", [1, 2])
def test_withdrawing_the_head_of_a_line_serves_the_next_at_once(fmt):
    body = """\
resources:
  squad: {label: {es: Escuadra, en: Squad}, count: 2, travel: 5}
tasks:
  long: {label: {es: L, en: L}, resource: squad, units: 1, work: 50}
  pair: {label: {es: P, en: P}, resource: squad, units: 2, work: 5}
  one: {label: {es: U, en: U}, resource: squad, units: 1, work: 5}
injects:
  a: {at: 0, channel: radio, text: {es: "0", en: "0"}, effects: [{task: long}]}
  b: {at: 1, channel: radio, text: {es: "1", en: "1"}, effects: [{task: pair}, {task: one}]}
  c: {at: 2, channel: radio, text: {es: "2", en: "2"}, effects: [{release: pair}]}
"""
    text = tiny_text(body).replace("sitroom: 1", f"sitroom: {fmt}")
    sim = Simulation(load_scenario_text(text), 1)
    sim.run_to_end()
    go = next(t for _, ph, t in phases(sim, "one") if ph == "dispatched")
    # The one-unit run goes the instant the pair ahead of it is withdrawn, in either format (format 1
    # once kept it waiting until a unit came back, at T+60, with a unit free all along).
    assert go == 2.0


def test_run_json_lists_the_orders_given_with_their_params():
    """`sitroom run --json` says which orders the policy gave, when, and with what count or site."""
    import json as _json

    from engine_fixtures import REPO

    from simulator import find_policy, load_scenario, result_json, run_headless

    scn = load_scenario(REPO / "scenarios" / "P1-unidad-c.yaml")
    out = _json.loads(result_json(run_headless(scn, 3, find_policy("doctrine", scn))))
    given = {o["order"]: o for o in out["orders"]}
    assert given["reinforce_d"]["params"] == {"count": 1} and given["reinforce_d"]["cause"] == "policy"
    assert "params" not in given["statement"]
    assert [o["time"] for o in out["orders"]] == sorted(o["time"] for o in out["orders"])


def test_an_order_that_only_calls_standby_units_is_unavailable_once_none_is_left():
    """P2's contingency had already called the CERT squads; "Activate CERT" was still offered, accepted
    and did nothing. Once no unit is left on standby, such an order says so and is refused."""
    body = """\
resources:
  cert: {label: {es: CERT, en: CERT}, count: 2, standby: 2, mobilise: 10, travel: 5}
orders:
  call_cert: {label: {es: "Convocar CERT", en: "Call CERT"}, effects: [{mobilise: cert}]}
injects:
  early: {at: 1, channel: radio, text: {es: "x", en: "x"}, effects: [{mobilise: cert}]}
"""
    scn = load_scenario_text(tiny_text(body), "tiny.yaml")
    sim = Simulation(scn, 1)
    assert sim.order_check("call_cert").ok
    sim.advance(2)  # the inject called both squads: none left on standby
    st = sim.order_check("call_cert")
    assert st.code == "standby" and st.resource == "cert"
    with pytest.raises(CommandRejected, match="none is left on standby"):
        sim.order("call_cert")
    from tui.session import order_why_text

    assert "reserva" in order_why_text(scn, "call_cert", st, "es")
    from classroom.protocol import order_status_from_json

    assert order_status_from_json(st.as_data()) == st
