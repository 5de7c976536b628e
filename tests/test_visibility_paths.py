"""What a trainee may see, along every path a value can travel: order statuses, snapshots,
the feed after a resume, and what a quoted value shows."""

from __future__ import annotations

from engine_fixtures import minimal

from simulator import Exercise, Simulation


def _hidden_squad():
    # The squad is the instructor's secret; the team may still try the order that needs it.
    return minimal(**{"    count: 1\n    travel: 10\n": "    count: 1\n    travel: 10\n    audience: instructor\n"})


def test_a_shortage_of_units_the_team_cannot_see_is_only_unavailable():
    scn = _hidden_squad()
    sim = Simulation(scn, 1)
    sim.advance(1)
    sim.order("send")  # the only squad is now busy
    team = sim.order_check("send", "team")
    truth = sim.order_check("send")
    assert truth.code == "units" and truth.resource == "squad" and truth.need == 1
    assert team.code == "unavailable" and team.resource is None
    view = next(o for o in sim.snapshot("team").orders if o.id == "send")
    assert not view.available and "squad" not in view.reason and "free" not in view.reason
    assert view.status is not None and view.status.code == "unavailable"
    assert not any(u.resource == "squad" for u in sim.snapshot("team").units)


def test_a_visible_resource_keeps_its_numbers_for_the_team():
    sim = Simulation(minimal(), 1)
    sim.advance(1)
    sim.order("send")
    st = sim.order_check("send", "team")
    assert (st.code, st.resource, st.free, st.need) == ("units", "squad", 0, 1)


def test_the_feed_after_a_resume_holds_only_what_the_team_saw(tmp_path):
    scn = minimal()
    path = tmp_path / "r.sitroom"
    ex = Exercise.start(scn, 2, path)
    ex.advance(30)
    live = [(e.seq, e.kind, e.ref) for e in ex.sim.visible_events("team")]
    ex.close()
    again = Exercise.resume(path)
    resumed = [(e.seq, e.kind, e.ref) for e in again.sim.visible_events("team")]
    again.close()
    assert resumed == live
    assert not any(ref in ("hidden", "secret", "press_only") for _, _, ref in resumed)


def test_the_order_window_never_counts_units_the_trainee_cannot_see(tmp_path):
    from simulator.clock import FakeClock
    from tui.dialogs import order_detail
    from tui.session import Session

    scn = _hidden_squad()
    ex = Exercise.start(scn, 1, tmp_path / "o.sitroom")
    session = Session(ex, tmp_path / "o.sitroom", wall=FakeClock(), speed=4, instructor=False, lang="en")
    text = order_detail(session, "send", "en")
    assert "sends 1 unit of" in text and "free now" not in text
    ex.close()


_LINE = """\
roles:
  team: {name: {es: Equipo, en: Team}}
state:
  x: {label: {es: X, en: X}, initial: 0}
resources:
  sq: {label: {es: Escuadra, en: Squad}, count: 3, travel: 3}
tasks:
  one: {label: {es: Una, en: One}, resource: sq, work: 30}
  big: {label: {es: Grande, en: Big}, resource: sq, units: 3, work: 5BIG_AUDIENCE}
  patrol: {label: {es: Patrulla, en: Patrol}, resource: sq, work: 5}
injects:
  go: {at: 1, channel: radio, text: {es: G, en: G}, effects: [{task: one}, {task: big}]}
orders:
  send: {label: {es: Patrullar, en: Patrol}, task: patrol}
"""


def test_the_order_window_says_the_run_would_wait_behind_one_already_in_line(tmp_path):
    """Two squads free, but a 3-squad run waits first in line: the order says so before it is given."""
    from engine_fixtures import tiny

    from classroom.protocol import snapshot_from_json, snapshot_to_json
    from simulator.clock import FakeClock
    from tui.dialogs import order_detail
    from tui.session import Session

    sim = Simulation(tiny(_LINE.replace("BIG_AUDIENCE", "")), 1)
    assert sim.order_check("send", "team").behind is None  # nothing in line yet
    sim.advance(2)
    assert sim.v["sq.ready"] == 2 and sim.v["big.queued"] == 1
    st = sim.order_check("send", "team")
    assert st.ok and st.behind == "big"
    view = next(o for o in sim.snapshot("team").orders if o.id == "send")
    assert view.status == st
    wire = snapshot_from_json(snapshot_to_json(sim.snapshot("team")))  # what a class team's room reads
    assert next(o for o in wire.orders if o.id == "send").status == st
    sim.order("send")
    queued = [e for e in sim.events if e.kind == "task" and e.ref == "patrol"]
    assert queued[-1].data["phase"] == "queued" and queued[-1].data["behind"] == "big"  # as it said

    path = tmp_path / "o.sitroom"
    ex = Exercise.start(tiny(_LINE.replace("BIG_AUDIENCE", "")), 1, path)
    ex.advance(2)
    session = Session(ex, path, wall=FakeClock(), speed=4, instructor=False, lang="en")
    en, es = order_detail(session, "send", "en"), order_detail(session, "send", "es")
    assert "(2 free now)" in en and "will wait in line behind “Big”: units that come free go to it first" in en
    assert "esperará en la fila detrás de «Grande»" in es
    ex.close()


def test_in_line_behind_a_run_the_team_cannot_see_names_no_task():
    """The run ahead also takes a unit the team cannot see: the window says a task is ahead, not which."""
    from engine_fixtures import tiny_text

    from simulator import load_scenario_text

    body = _LINE.replace("resource: sq, units: 3, work: 5BIG_AUDIENCE", "needs: {sq: 3, spy: 1}, work: 5").replace(
        "resources:\n", "resources:\n  spy: {label: {es: Espía, en: Spy}, count: 1, travel: 1, audience: instructor}\n")
    sim = Simulation(load_scenario_text(tiny_text(body).replace("sitroom: 1", "sitroom: 2"), "t.yaml"), 1)
    sim.advance(2)
    assert sim.order_check("send").behind == "big"  # the instructor sees which
    assert sim.order_check("send", "team").behind == ""  # the team only that something is ahead
    text = order_detail_text(sim, "send", "en")
    assert "will wait in line behind an earlier task" in text and "Big" not in text


def order_detail_text(sim: Simulation, order_id: str, lang: str) -> str:
    """The order window's description for the team, from a bare run (a stand-in session)."""
    from types import SimpleNamespace

    from tui.dialogs import order_detail

    return order_detail(SimpleNamespace(scenario=sim.scn, sim=sim, instructor=False, role="team"),  # type: ignore[arg-type]
                        order_id, lang)


def test_the_briefing_says_when_there_are_no_units_or_objectives_instead_of_empty_headings(tmp_path):
    """A heading with nothing under it reads as a fault: the brief says there is none, in both languages."""
    from types import SimpleNamespace

    from engine_fixtures import tiny

    from tui.briefing import briefing_text

    scn = tiny("state:\n  x: {label: {es: X, en: X}, initial: 0}\n")
    session = SimpleNamespace(scenario=scn, instructor=False, role="team", exercise=SimpleNamespace(team="Alfa"))
    en, es = briefing_text(session, "en").plain, briefing_text(session, "es").plain  # type: ignore[arg-type]
    assert "No units under your command" in en and "sets no objectives" in en
    assert "Ninguna unidad a su cargo" in es and "no define objetivos" in es
    full = briefing_text(SimpleNamespace(scenario=tiny(_LINE.replace("BIG_AUDIENCE", "")), instructor=False,
                                         role="team", exercise=SimpleNamespace(team="Alfa")), "en").plain  # type: ignore[arg-type]
    assert "• Squad: 3 units" in full and "No units under" not in full
