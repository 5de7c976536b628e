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
