"""Format 2: decision options offered only under a condition (`offered_while`), and policies that react
(an order on a condition, an order that waits for a free unit). Fixed seeds throughout."""

from __future__ import annotations

import pytest
import yaml

from simulator import (
    CommandRejected,
    PolicyError,
    ScenarioError,
    Simulation,
    check_rationale,
    load_scenario_text,
)
from simulator.exercise import Exercise, replay
from simulator.policy import load_policy_text, policy_from_dict
from simulator.skeleton import skeleton

SEED = 7


def _scenario(fmt: int = 2, **dp: object) -> str:
    """The prison skeleton with two conditional options on DP1 and no random escalation.

    `negotiate` is offered only while agitation >= 4; `seal_and_call` only while an officer pair is
    free. The manual inject `rumour` raises agitation by 2, the order `seal` takes an officer pair.
    """
    d = yaml.safe_load(skeleton("opts", "prison"))
    d["sitroom"] = fmt
    d["processes"] = {}
    d["resources"]["officers"]["count"] = 1
    d["injects"]["rumour"]["effects"] = [{"add": "agitation", "by": 2}]
    del d["orders"]["retake"]["available"]  # refused only for want of a free squad
    opts = d["decisions"]["DP1"]["options"]
    opts["negotiate"] = {"label": {"es": "Negociar con los voceros", "en": "Talk to the spokesmen"},
                         "offered_while": "agitation >= 4", "effects": [{"add": "agitation", "by": -2}]}
    opts["seal_and_call"]["offered_while"] = "officers.ready >= 1"
    d["decisions"]["DP1"].update(dp)
    return yaml.safe_dump(d, allow_unicode=True, sort_keys=False)


@pytest.fixture
def scn():
    return load_scenario_text(_scenario(), "opts.yaml")


def _open(scn, role: str | None = "commander"):
    return {d.id: d.offered for d in Simulation(scn, SEED).snapshot(role).open_decisions}


# ----------------------------------------------------------------------------- loading


def test_offered_while_needs_format_2_and_says_how_to_get_it():
    with pytest.raises(ScenarioError) as exc:
        load_scenario_text(_scenario(fmt=1), "opts.yaml")
    msg = str(exc.value)
    assert "offered_while" in msg and "needs `sitroom: 2`" in msg and "sitroom migrate" in msg


def test_the_default_option_cannot_be_conditional():
    d = yaml.safe_load(_scenario())
    d["decisions"]["DP1"]["default"] = "negotiate"
    with pytest.raises(ScenarioError) as exc:
        load_scenario_text(yaml.safe_dump(d), "opts.yaml")
    assert "default option 'negotiate' cannot be conditional" in str(exc.value)


def test_a_condition_may_not_read_what_the_deciders_cannot_see():
    d = yaml.safe_load(_scenario())
    d["decisions"]["DP1"]["options"]["negotiate"]["offered_while"] = "pressure > 2"  # instructor only
    with pytest.raises(ScenarioError) as exc:
        load_scenario_text(yaml.safe_dump(d), "opts.yaml")
    assert "reads 'pressure'" in str(exc.value) and "would reveal it" in str(exc.value)
    d["decisions"]["DP1"]["audience"] = "instructor"  # a point the instructor answers may read it
    load_scenario_text(yaml.safe_dump(d), "opts.yaml")


def test_a_bad_condition_is_reported_at_its_line():
    d = yaml.safe_load(_scenario())
    d["decisions"]["DP1"]["options"]["negotiate"]["offered_while"] = "agitaton >= 4"
    with pytest.raises(ScenarioError) as exc:
        load_scenario_text(yaml.safe_dump(d, sort_keys=False), "opts.yaml")
    assert "unknown name 'agitaton'" in str(exc.value) and "did you mean 'agitation'" in str(exc.value)


# ----------------------------------------------------------------------------- the run


def test_offered_options_follow_their_condition_while_the_point_is_open(scn):
    sim = Simulation(scn, SEED)
    sim.advance(2)
    (d,) = sim.snapshot("commander").open_decisions
    assert d.offered == ("seal_and_call", "wait")  # agitation 3: no talks yet
    opened = next(e for e in sim.events if e.kind == "decision_open")
    assert opened.data["offered"] == ["seal_and_call", "wait"]
    with pytest.raises(CommandRejected) as exc:
        sim.decide("DP1", "negotiate")
    assert exc.value.field == "option" and "not offered now" in str(exc.value) and "agitation >= 4" in str(exc.value)
    sim.fire_inject("rumour")  # agitation 5
    change = [e for e in sim.events if e.kind == "decision_offer"]
    assert [e.data for e in change] == [{"offered": ["seal_and_call", "wait", "negotiate"], "added": ["negotiate"],
                                         "removed": []}]
    sim.order("seal")  # the only officer pair leaves: sealing is no longer on the table
    assert sim.snapshot("commander").open_decisions[0].offered == ("wait", "negotiate")
    assert sim.offered_options("DP1") == ("wait", "negotiate")
    with pytest.raises(CommandRejected):
        sim.decide("DP1", "seal_and_call")
    ev = sim.decide("DP1", "negotiate")
    assert ev.data["offered"] == ["wait", "negotiate"]  # what was on the table when it was decided
    assert sim.v["agitation"] == 3


def test_a_point_without_conditional_options_offers_all_and_its_events_are_unchanged():
    text = skeleton("plain", "prison")
    sim = Simulation(load_scenario_text(text), SEED)
    sim.advance(2)
    assert sim.snapshot("commander").open_decisions[0].offered == ("seal_and_call", "wait")
    assert "offered" not in next(e for e in sim.events if e.kind == "decision_open").data


def test_the_default_is_taken_at_the_deadline_whatever_is_offered(scn):
    sim = Simulation(scn, SEED)
    sim.run_to_end()
    st = sim.decisions["DP1"]
    assert (st.option, st.cause, st.decided_at) == ("wait", "default", 10.0)


def test_a_policy_naming_an_option_not_offered_warns_and_the_default_is_taken_at_the_deadline(scn):
    pol = load_policy_text("policy: talk\ndecisions:\n  DP1: {option: negotiate, after: 1}\n", scn)
    sim = Simulation(scn, SEED, policy=pol)
    sim.run_to_end()
    warn = [e for e in sim.events if e.kind == "warning" and e.ref == "policy.DP1"]
    assert len(warn) == 1 and warn[0].t == 3.0 and warn[0].audience == ("instructor",)
    assert "does not offer 'negotiate'" in warn[0].data["text"]["en"] and "por defecto" in warn[0].data["text"]["es"]
    st = sim.decisions["DP1"]
    assert (st.option, st.cause, st.decided_at) == ("wait", "default", 10.0)


def test_without_a_deadline_the_default_is_taken_at_once_instead(scn):
    d = yaml.safe_load(_scenario())
    del d["decisions"]["DP1"]["deadline"]
    scn2 = load_scenario_text(yaml.safe_dump(d), "opts.yaml")
    assert scn2.decisions["DP1"].deadline is None
    pol = load_policy_text("policy: talk\ndecisions:\n  DP1: {option: negotiate, after: 1}\n", scn2)
    sim = Simulation(scn2, SEED, policy=pol)
    sim.run_to_end()
    st = sim.decisions["DP1"]
    assert (st.option, st.cause, st.decided_at) == ("wait", "default", 3.0)


def test_a_policy_option_offered_at_its_time_is_taken(scn):
    pol = load_policy_text("policy: seal\ndecisions:\n  DP1: {option: seal_and_call, after: 1}\n", scn)
    sim = Simulation(scn, SEED, policy=pol)
    sim.run_to_end()
    assert (sim.decisions["DP1"].option, sim.decisions["DP1"].cause) == ("seal_and_call", "policy")


def test_options_considered_asks_for_two_only_when_two_are_offered(scn):
    dp = scn.decisions["DP1"]
    fields = {"information": "x", "threat_risk": "x", "powers_policy": "x", "why": "x"}
    assert "options_considered" in check_rationale(dp, "wait", {**fields, "options_considered": ["wait"]}, None,
                                                   offered=("seal_and_call", "wait"))
    assert check_rationale(dp, "wait", {**fields, "options_considered": ["wait"]}, None, offered=("wait",)) == {}
    one = check_rationale(dp, "wait", {**fields, "options_considered": []}, None, "es", offered=("wait",))
    assert one["options_considered"].startswith("Registre la opción considerada")


def test_a_journal_with_offer_changes_replays(scn, tmp_path):
    path = tmp_path / "opts.sitroom"
    ex = Exercise.start(scn, SEED, path)
    ex.advance(3)
    ex.inject("rumour")
    ex.advance(4)
    rationale = {"information": "a", "threat_risk": "b", "powers_policy": "c", "why": "d",
                 "options_considered": ["negotiate", "wait"]}
    with pytest.raises(CommandRejected):  # two options are offered now: the log must name two
        ex.decide("DP1", "negotiate", rationale={**rationale, "options_considered": []})
    ex.decide("DP1", "negotiate", rationale=rationale)
    ex.advance(scn.limit)
    ex.close()
    report = replay(path)
    assert report.events == len(ex.sim.events) and any(e.kind == "decision_offer" for e in ex.sim.events)


# ----------------------------------------------------------------------------- policies that react

ORDERS2 = """\
sitroom: 2
policy: react
decisions:
  DP1: {option: seal_and_call, after: 1}
orders:
  - {order: retake, at: 5, wait: true}
"""


def test_reactive_orders_need_a_format_2_policy(scn):
    with pytest.raises(PolicyError) as exc:
        load_policy_text("policy: p\norders:\n  - {order: seal, on: \"agitation >= 4\"}\n", scn, "p.yaml")
    msg = str(exc.value)
    assert "p.yaml:3:" in msg and "needs `sitroom: 2`" in msg


@pytest.mark.parametrize("entry,words", [
    ("{order: seal}", "exactly one of 'at'"),
    ("{order: seal, at: 3, on: \"agitation > 3\"}", "exactly one of 'at'"),
    ("{order: seal, at: 3, after: 2}", "'after' counts minutes from 'on'"),
    ("{order: seal, at: 3, within: 2}", "needs 'wait: true'"),
    ("{order: seal, on: \"agitaton > 3\"}", "did you mean 'agitation'"),
])
def test_bad_reactive_orders_say_what_to_write(scn, entry, words):
    with pytest.raises(PolicyError) as exc:
        load_policy_text(f"sitroom: 2\npolicy: p\norders:\n  - {entry}\n", scn, "p.yaml")
    assert words in str(exc.value)


def test_an_order_on_a_condition_is_given_after_it_first_holds(scn):
    pol = load_policy_text('sitroom: 2\npolicy: p\norders:\n  - {order: seal, on: "agitation >= 7", after: 2}\n',
                           scn)
    sim = Simulation(scn, SEED, policy=pol)
    sim.advance(20)
    assert [e for e in sim.events if e.kind == "order"] == []
    assert sim.v["agitation"] == 5  # the default `wait` and the contingency inject at T+10
    sim.fire_inject("rumour")  # agitation 7 at T+20
    sim.advance(30)
    given = [e for e in sim.events if e.kind == "order"]
    assert [(e.ref, e.t, e.data["by"], e.data["cause"]) for e in given] == [("seal", 22.0, "policy", "policy")]
    sim.fire_inject("rumour")
    sim.run_to_end()
    assert len([e for e in sim.events if e.kind == "order"]) == 1  # once: when it first holds


def test_a_condition_true_at_the_start_gives_the_order_then():
    scn2 = load_scenario_text(_scenario())
    pol = load_policy_text('sitroom: 2\npolicy: p\norders:\n  - {order: seal, on: "agitation >= 3"}\n', scn2)
    sim = Simulation(scn2, SEED, policy=pol)
    sim.advance(1)
    assert [(e.ref, e.t) for e in sim.events if e.kind == "order"] == [("seal", 0.0)]


def test_a_waiting_order_is_given_as_soon_as_a_unit_is_free(scn):
    pol = load_policy_text(ORDERS2, scn)
    sim = Simulation(scn, SEED, policy=pol)
    sim.run_to_end()
    waiting = [e for e in sim.events if e.kind == "order_waiting"]
    assert [(e.ref, e.t, e.data["reason"], e.data["resource"]) for e in waiting] == [("retake", 5.0, "units", "cert")]
    assert waiting[0].audience == ("instructor",)
    ready = next(e for e in sim.events if e.kind == "unit" and e.data.get("status") == "ready"
                 and e.ref.startswith("cert"))
    given = [e for e in sim.events if e.kind == "order" and e.ref == "retake"]
    assert len(given) == 1 and given[0].t == ready.t and given[0].data["cause"] == "policy"
    assert not [e for e in sim.events if e.kind == "order_rejected"]


def test_a_waiting_order_gives_up_after_within_minutes(scn):
    pol = load_policy_text(ORDERS2.replace("wait: true", "wait: true, within: 10"), scn)
    sim = Simulation(scn, SEED, policy=pol)
    sim.run_to_end()
    rejected = [e for e in sim.events if e.kind == "order_rejected"]
    assert [(e.ref, e.t, e.data["waited"], e.data["reason"]) for e in rejected] == [("retake", 15.0, 10.0, "units")]
    assert not [e for e in sim.events if e.kind == "order" and e.ref == "retake"]


def test_a_timed_order_that_cannot_be_given_is_refused_as_in_format_1(scn):
    pol = load_policy_text("policy: p\norders:\n  - {order: retake, at: 5}\n", scn)
    assert pol.reactive == () and len(pol.orders) == 1
    sim = Simulation(scn, SEED, policy=pol)
    sim.run_to_end()
    rejected = [e for e in sim.events if e.kind == "order_rejected"]
    assert [(e.ref, e.t, e.data) for e in rejected] == [
        ("retake", 5.0, {"by": "policy", "cause": "policy", "reason": "units", "resource": "cert", "free": 0,
                         "need": 1})]
    assert not [e for e in sim.events if e.kind == "order_waiting"]


def test_reactive_policies_are_deterministic_and_survive_the_journal(scn, tmp_path):
    pol = load_policy_text(ORDERS2 + '  - {order: seal, on: "contained == 0 and t >= 30", wait: true}\n', scn)
    runs = []
    for _ in range(2):
        sim = Simulation(scn, SEED, policy=pol)
        sim.run_to_end()
        runs.append([(e.kind, e.ref, e.t, e.data) for e in sim.events])
    assert runs[0] == runs[1]
    back = policy_from_dict(pol.to_dict(), scn)
    assert back.to_dict() == pol.to_dict() and back.reactive[1].on is not None
    ex = Exercise.start(scn, SEED, tmp_path / "p.sitroom", policy=pol, team="policy")
    ex.advance(scn.limit)
    ex.close()
    assert replay(tmp_path / "p.sitroom").events == len(ex.sim.events)


def test_a_condition_on_what_the_team_cannot_see_is_warned(scn):
    pol = load_policy_text('sitroom: 2\npolicy: p\norders:\n  - {order: seal, on: "pressure > 2"}\n', scn)
    assert any("reads 'pressure'" in w for w in pol.warnings)


# ----------------------------------------------------------------------------- the room's decision window


def test_the_decision_window_lists_only_what_is_offered_and_follows_changes(tmp_path):
    import asyncio

    from test_tui import make_app, run_minutes

    from tui.decision import DecisionScreen
    from tui.room import RoomScreen

    path = tmp_path / "opts.yaml"
    path.write_text(_scenario(), encoding="utf-8")

    def shown(screen) -> list[str]:
        return [str(b.label) for b in screen.query("#options OptionButton") if b.display]

    async def body() -> None:
        app, wall = make_app(tmp_path, scenario=str(path), lang="en", seed=SEED)
        async with app.run_test(size=(100, 30)) as pilot:
            await run_minutes(app, wall, pilot, 3)
            await pilot.press("d")
            screen = app.screen
            assert isinstance(screen, DecisionScreen)
            assert shown(screen) == ["1. Seal the unit and call out the tactical team", "2. Wait"]
            assert "keys 1-2" in str(screen.query_one("#options-label").render())
            assert not screen.query_one("#cons-negotiate").display
            assert not screen.query_one("#offer-hidden").display  # a team is not told what is hidden, or why
            app.session.fire_inject("rumour")  # agitation 5: talks are on the table
            await run_minutes(app, wall, pilot, 0.5)
            assert shown(screen) == ["1. Seal the unit and call out the tactical team", "2. Wait",
                                     "3. Talk to the spokesmen"]
            assert "Now also offered: Talk to the spokesmen" in str(screen.query_one("#offer-note").render())
            await pilot.press("1")
            app.session.order("seal")  # the only officer pair leaves: sealing is withdrawn
            await run_minutes(app, wall, pilot, 0.5)
            assert shown(screen) == ["1. Wait", "2. Talk to the spokesmen"]
            assert "No longer offered: Seal the unit" in str(screen.query_one("#offer-note").render())
            assert "no longer offered" in str(screen.query_one("#e-option").render())
            for f in ("information", "threat_risk", "powers_policy", "why"):
                screen.query_one(f"#f-{f}").value = "x"
            await pilot.press("ctrl+s")  # the chosen option was withdrawn: nothing is recorded
            await pilot.pause()
            assert isinstance(app.screen, DecisionScreen) and app.session.sim.decisions["DP1"].decided_at is None
            screen.query_one("#options").focus()
            await pilot.press("2")  # the number shown now
            screen.query_one("#cons-wait").value = True
            await pilot.pause()
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert isinstance(app.screen, RoomScreen)
            st = app.session.sim.decisions["DP1"]
            assert st.option == "negotiate" and st.cause == "team"
            feed = "".join(line.text for line in app.screen.query_one("#feed").lines)  # wrapped lines, joined
            assert "Initial response: the options changed. Now also offered: Talk to the spokesmen" in feed

    asyncio.run(body())


# ----------------------------------------------------------------------------- the debrief and the what-if

RATIONALE = {"information": "a", "threat_risk": "b", "powers_policy": "c", "why": "d",
             "options_considered": ["negotiate", "wait"]}


def _journal(scn, path, seal_first: bool):
    ex = Exercise.start(scn, SEED, path, team="Equipo 1")
    ex.advance(3)
    ex.inject("rumour", actor="instructor")
    if seal_first:
        ex.order("seal")  # the doctrinal option (seal_and_call) is withdrawn before the team decides
    ex.advance(4)
    ex.decide("DP1", "negotiate", rationale=RATIONALE)
    ex.advance(30)
    ex.end()
    ex.close()
    return path


@pytest.mark.parametrize("seal_first", [False, True])
def test_the_debrief_holds_doctrine_only_when_it_was_on_the_table(scn, tmp_path, seal_first):
    from analysis.measures import decision_rows, findings
    from analysis.record import load_record

    rec = load_record(_journal(scn, tmp_path / "j.sitroom", seal_first))
    (row,) = decision_rows(rec)
    keys = {f.key for f in findings(rec) if f.ref == "DP1"}
    if seal_first:
        assert row.offered == ("wait", "negotiate") and row.expected == () and row.as_expected is None
        assert "f_unexpected" not in keys
    else:
        assert row.offered == ("seal_and_call", "wait", "negotiate") and row.as_expected is False
        assert "f_unexpected" in keys


def test_what_if_asks_only_about_options_offered_at_that_time(scn, tmp_path):
    from analysis.whatif_runs import build_arms, doctrine_for, team_plan
    from simulator.exercise import rebuild

    journal, sim = rebuild(_journal(scn, tmp_path / "j.sitroom", seal_first=True))
    plan = team_plan(journal.inputs(), sim)
    arms = build_arms(scn, sim, plan, doctrine_for(scn))
    assert [(a.point, a.option) for a in arms if a.kind == "counterfactual"] == [("DP1", "wait")]
    journal.close()


# ----------------------------------------------------------------------------- the class host


def test_the_class_host_refuses_an_option_not_offered_and_team_views_show_the_offer(tmp_path):
    from class_fixtures import joined, run, running_class, until_open

    from classroom.client import HostRefused

    path = tmp_path / "opts.yaml"
    path.write_text(_scenario(deadline=90), encoding="utf-8")  # 45 s of class time at 120x: room on a busy machine

    def offered(client) -> tuple[str, ...]:
        return next(d.offered for d in client.view.snapshot.open_decisions if d.id == "DP1")

    async def body() -> None:
        async with running_class(tmp_path / "c", teams="Alfa", scenario=str(path), seed=SEED) as (host, tokens), \
                joined(host.join_url(tokens.teams["Alfa"])) as team, \
                joined(host.join_url(tokens.instructor)) as instructor:
            await instructor.start_class()
            await until_open(team, "DP1")
            assert offered(team) == ("seal_and_call", "wait")
            with pytest.raises(HostRefused) as refused:
                await team.decide("DP1", "negotiate", RATIONALE)
            assert refused.value.code == "rejected" and refused.value.field == "option"
            assert "not offered now" in refused.value.message
            await instructor.inject("rumour", team="Alfa")
            await team.wait_for(lambda: "negotiate" in offered(team), 15.0)
            assert (await team.decide("DP1", "negotiate", RATIONALE))["kind"] == "decision"
    run(body)


# ----------------------------------------------------------------------------- the reference page's policy examples


def _policy_blocks(doc: str) -> list[str]:
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "docs" / doc).read_text(encoding="utf-8")
    return re.findall(r"^```yaml policy\n(.*?)^```", text, re.S | re.M)


def test_the_reference_pages_policy_examples_load_and_react():
    blocks = _policy_blocks("authoring.md")
    assert blocks and blocks == _policy_blocks("authoring.es.md")
    scn = load_scenario_text(skeleton("example", "prison"))  # the page's rule: the prison skeleton's ids
    for block in blocks:
        pol = load_policy_text(block, scn, "docs/authoring.md")
        assert pol.reactive and not pol.warnings
        sim = Simulation(scn, SEED, policy=pol)
        sim.run_to_end()
        kinds = [(e.kind, e.ref) for e in sim.events if e.kind.startswith("order")]
        assert ("order_waiting", "retake") in kinds and ("order", "retake") in kinds


def test_sitroom_run_says_what_of_a_policy_will_not_take_effect(tmp_path, capsys):
    from sitroom.cli import main

    scn_path = tmp_path / "opts.yaml"
    scn_path.write_text(_scenario(), encoding="utf-8")
    pol = tmp_path / "p.yaml"
    pol.write_text('sitroom: 2\npolicy: p\norders:\n  - {order: seal, on: "pressure > 2"}\n', encoding="utf-8")
    assert main(["run", str(scn_path), "--seed", str(SEED), "--policy", str(pol)]) == 0
    assert "warning: orders.0.on reads 'pressure', which the team does not see" in capsys.readouterr().err
    pol.write_text('policy: p\norders:\n  - {order: seal, on: "pressure > 2"}\n', encoding="utf-8")
    assert main(["run", str(scn_path), "--seed", str(SEED), "--policy", str(pol)]) == 1
    assert "needs `sitroom: 2`" in capsys.readouterr().err


@pytest.mark.parametrize("talk", [True, False])
def test_an_expectation_may_name_a_conditional_option(talk):
    d = yaml.safe_load(_scenario())
    d["injects"]["first_report"]["expect"] = {"any_of": [{"DP1": ["negotiate"]}], "within": 15,
                                              "contingency": "officer_pressed"}
    scn2 = load_scenario_text(yaml.safe_dump(d, sort_keys=False), "opts.yaml")
    assert scn2.injects["first_report"].expect.options == {"DP1": ("negotiate",)}
    sim = Simulation(scn2, SEED)
    sim.advance(3)
    if talk:
        sim.fire_inject("rumour")
        sim.decide("DP1", "negotiate")
    else:
        with pytest.raises(CommandRejected):
            sim.decide("DP1", "negotiate")  # not offered: the expectation cannot be met by it
        sim.decide("DP1", "wait")
    sim.run_to_end()
    (exp,) = [e for e in sim.events if e.kind == "expectation" and e.ref == "first_report"]
    assert exp.data["met"] is talk


# ----------------------------------------------------------------------------- C3, the bundled cartel scenario


def test_c3_offers_a_pursuit_only_with_two_free_patrols_and_its_doctrine_reacts():
    from simulator import find_policy, load_scenario, resolve_scenario

    c3 = load_scenario(resolve_scenario("C3-ano-nuevo"))
    assert c3.format == 2 and c3.decisions["DP3"].options["pursue"].offered_while.text == "mpu.ready >= 2"
    # The poor policy sends every patrol into chases: at T+34 none is free to pursue the escapees.
    poor = Simulation(c3, 3, policy=find_policy("patrol-chase", c3))
    poor.run_to_end()
    opened = next(e for e in poor.events if e.kind == "decision_open" and e.ref == "DP3")
    assert "pursue" not in opened.data["offered"]
    assert any(e.kind == "warning" and e.ref == "policy.DP3" for e in poor.events)
    assert (poor.decisions["DP3"].option, poor.decisions["DP3"].cause) == ("wait", "default")
    # Doctrine pulls the guards back two minutes after firearms are reported, and opens the family
    # point five minutes after the relatives gather (no longer at fixed minutes).
    doc = Simulation(c3, 3, policy=find_policy("doctrine", c3))
    doc.run_to_end()
    armed = next(e.t for e in doc.events if e.kind == "state" and e.ref == "armed_inmates")
    relatives = doc.fired["relatives_at_gate"]
    given = {e.ref: e.t for e in doc.events if e.kind == "order" and e.data["cause"] == "policy"}
    assert given["guards_to_safe_zones"] == armed + 2
    assert given["family_point_order"] == pytest.approx(relatives + 5)
    assert not [e for e in doc.events if e.kind == "warning" and e.ref.startswith("policy.")]


def test_c3_doctrine_sends_the_second_ambulance_run_when_two_are_free():
    from simulator import find_policy, load_scenario, resolve_scenario

    c3 = load_scenario(resolve_scenario("C3-ano-nuevo"))
    sim = Simulation(c3, 14, policy=find_policy("doctrine", c3))  # seed 14: casualties while both are out
    sim.run_to_end()
    (waited,) = [e for e in sim.events if e.kind == "order_waiting" and e.ref == "send_ambulances"]
    assert (waited.data["reason"], waited.data["resource"], waited.data["need"]) == ("units", "ambulance", 2)
    given = next(e for e in sim.events if e.kind == "order" and e.ref == "send_ambulances")
    back = [e.t for e in sim.events if e.kind == "unit" and e.ref.startswith("ambulance")
            and e.data["status"] == "ready" and e.t <= given.t]
    assert given.t == back[-1] > waited.t  # the moment the second ambulance was back at base


def test_the_class_snapshot_codec_keeps_the_offer(scn):
    from classroom.protocol import snapshot_from_json, snapshot_to_json

    sim = Simulation(scn, SEED)
    sim.advance(3)
    snap = sim.snapshot("commander")
    assert snap.open_decisions[0].offered == ("seal_and_call", "wait")
    assert snapshot_from_json(snapshot_to_json(snap)) == snap


def test_the_instructors_room_names_the_hidden_options_and_their_conditions(tmp_path):
    import asyncio

    from test_tui import make_app, run_minutes

    path = tmp_path / "opts.yaml"
    path.write_text(_scenario(), encoding="utf-8")

    async def body() -> None:
        app, wall = make_app(tmp_path, scenario=str(path), lang="es", seed=SEED, role="instructor")
        async with app.run_test(size=(100, 30)) as pilot:
            await run_minutes(app, wall, pilot, 3)
            await pilot.press("d")
            line = str(app.screen.query_one("#offer-hidden").render())
            assert "(Instructor) No se ofrecen ahora: «Negociar con los voceros» (solo mientras agitation >= 4)" in line

    asyncio.run(body())
