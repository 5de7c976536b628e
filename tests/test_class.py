"""The class host with real clients on 127.0.0.1: joining, deciding, reconnecting, the instructor's controls."""

from __future__ import annotations

import asyncio
import logging

import pytest
from class_fixtures import (
    RATIONALE,
    hidden_reserve_scenario,
    joined,
    run,
    running_class,
    until_open,
)

from classroom.client import ClassClient, HostRefused
from classroom.host import ClassHost
from classroom.protocol import encode, snapshot_from_json, snapshot_to_json
from simulator import Journal, OrderStatus, Simulation, load_scenario, resolve_scenario


def test_team_joins_reads_the_briefing_then_decides_and_the_decision_is_journaled(tmp_path):
    async def body():
        async with running_class(tmp_path / "c") as (host, tokens), \
                joined(host.join_url(tokens.teams["Alfa"])) as team, \
                joined(host.join_url(tokens.instructor)) as instructor:
            assert team.kind == "team" and team.team == "Alfa" and team.welcome["seed"] == 11
            await team.wait_for(lambda: team.view is not None)
            assert team.view.status == "briefing"
            with pytest.raises(HostRefused) as refused:
                await team.order("send_fire_team")
            assert refused.value.code == "not_started"
            await instructor.start_class()
            await until_open(team, "DP1")
            ack = await team.decide("DP1", "evacuate", RATIONALE)
            assert ack["kind"] == "decision"
            await team.wait_for(lambda: ("DP1", "evacuate") in [(d[0], d[1]) for d in team.view.snapshot.decided])
        journal = Journal.open(tmp_path / "c" / "Alfa.sitroom")
        decisions = [i for i in journal.inputs() if i.kind == "decision"]
        assert [(i.actor, i.payload["point"], i.payload["option"]) for i in decisions] == [("Alfa", "DP1", "evacuate")]
        assert decisions[0].payload["rationale"]["why"] == "people first"
        journal.close()
    run(body)


def test_a_rejected_decision_says_which_field_is_missing(tmp_path):
    async def body():
        async with running_class(tmp_path / "c") as (host, tokens), \
                joined(host.join_url(tokens.teams["Alfa"])) as team, \
                joined(host.join_url(tokens.instructor)) as instructor:
            await instructor.start_class()
            await until_open(team, "DP1")
            with pytest.raises(HostRefused) as refused:
                await team.decide("DP1", "evacuate", {"information": "smoke"})
            assert refused.value.code == "rejected" and refused.value.field == "why"
    run(body)


def test_reconnecting_gives_the_same_team_in_the_same_state(tmp_path):
    async def body():
        async with running_class(tmp_path / "c") as (host, tokens), \
                joined(host.join_url(tokens.instructor)) as instructor:
            url = host.join_url(tokens.teams["Bravo"])
            async with joined(url) as first:
                await instructor.start_class()
                await until_open(first, "DP1")
                await first.decide("DP1", "shelter", RATIONALE)
                await instructor.pause(None)
                await first.wait_for(lambda: first.view.status == "paused")
                before_events = [e.seq for e in first.view.events]
                before_snapshot = first.view.snapshot
                # The connection drops (a reload, a network hiccup): the client comes back by itself.
                await first._ws.close()
                await first.wait_for(lambda: first.reconnects == 1 and first.connected)
                await first.wait_for(lambda: first.view.snapshot == before_snapshot)
                assert [e.seq for e in first.view.events] == before_events  # nothing repeated, nothing lost
            async with joined(url) as again:  # a new client with the same link: the same running exercise
                await again.wait_for(lambda: again.view is not None and again.view.snapshot is not None)
                assert again.view.snapshot == before_snapshot
                assert [e.seq for e in again.view.events] == before_events
                assert len(host.teams) == 2 and host.teams["Bravo"].sim.decisions["DP1"].option == "shelter"
    run(body)


def test_a_wrong_token_is_refused_and_logged_without_naming_any_team(tmp_path, caplog):
    async def body():
        async with running_class(tmp_path / "c", teams="Alfa,Bravo") as (host, tokens):
            intruder = ClassClient(host.join_url("not-a-token-of-this-class"), reconnect=False)
            with caplog.at_level(logging.WARNING, logger="sitroom.class"), pytest.raises(HostRefused) as refused:
                await intruder.connect()
            await intruder.close()
            assert refused.value.code == "unauthorized"
            assert "Alfa" not in refused.value.message and "Bravo" not in refused.value.message
            assert not intruder.views and not intruder.welcome
            assert any("refused" in r.getMessage() and "unknown token" in r.getMessage() for r in caplog.records)
            assert not any("not-a-token" in r.getMessage() for r in caplog.records)  # the guess is not logged
    run(body)


def test_two_clients_of_one_team_see_the_same_view_and_their_decisions_are_serialised(tmp_path):
    async def body():
        async with running_class(tmp_path / "c") as (host, tokens), \
                joined(host.join_url(tokens.instructor)) as instructor:
            url = host.join_url(tokens.teams["Alfa"])
            async with joined(url) as one, joined(url) as two:
                await instructor.start_class()
                await until_open(one, "DP1")
                await instructor.pause("Alfa")
                results = await asyncio.gather(one.decide("DP1", "evacuate", RATIONALE),
                                               two.decide("DP1", "wait", RATIONALE), return_exceptions=True)
                oks = [r for r in results if isinstance(r, dict)]
                refusals = [r for r in results if isinstance(r, HostRefused)]
                assert len(oks) == 1 and len(refusals) == 1 and refusals[0].code == "rejected"
                chosen = host.teams["Alfa"].sim.decisions["DP1"].option
                for c in (one, two):
                    await c.wait_for(lambda c=c: any(d[0] == "DP1" for d in c.view.snapshot.decided))
                assert one.view.snapshot == two.view.snapshot
                assert [d[1] for d in one.view.snapshot.decided] == [chosen]
                assert [e.seq for e in one.view.events] == [e.seq for e in two.view.events]
        journal = Journal.open(tmp_path / "c" / "Alfa.sitroom")
        assert len([i for i in journal.inputs() if i.kind == "decision"]) == 1
        journal.close()
    run(body)


def test_pause_all_reaches_every_team_and_resume_restarts_them(tmp_path):
    async def body():
        async with running_class(tmp_path / "c", teams="Alfa,Bravo,Charlie") as (host, tokens), \
                joined(host.join_url(tokens.instructor)) as instructor:
            teams = [ClassClient(host.join_url(tokens.teams[n]), lang="en") for n in ("Alfa", "Bravo", "Charlie")]
            for c in teams:
                await c.connect()
            try:
                await instructor.start_class()
                for c in teams:
                    await c.wait_for(lambda c=c: c.view is not None and c.view.status == "running")
                ack = await instructor.pause(None)
                assert sorted(ack["teams"]) == ["Alfa", "Bravo", "Charlie"]
                for c in teams:
                    await c.wait_for(lambda c=c: c.view.status == "paused" and not c.view.running)
                held = {n: host.teams[n].sim.now for n in host.teams}
                await asyncio.sleep(0.3)
                assert {n: host.teams[n].sim.now for n in host.teams} == held  # paused clocks stay put
                await instructor.resume("Bravo")
                await teams[1].wait_for(lambda: teams[1].view.status == "running")
                assert teams[0].view.status == "paused"
            finally:
                for c in teams:
                    await c.close()
        for name in ("Alfa", "Bravo", "Charlie"):
            journal = Journal.open(tmp_path / "c" / f"{name}.sitroom")
            assert [i.actor for i in journal.inputs() if i.kind == "pause"] == ["instructor"]
            journal.close()
    run(body)


def test_an_inject_fired_to_one_team_reaches_only_that_team(tmp_path):
    async def body():
        async with running_class(tmp_path / "c") as (host, tokens), \
                joined(host.join_url(tokens.instructor)) as instructor, \
                joined(host.join_url(tokens.teams["Alfa"])) as alfa, \
                joined(host.join_url(tokens.teams["Bravo"])) as bravo:
            assert "director_visits" not in alfa.scenario.injects  # the MSEL is not sent to a team
            await instructor.start_class()
            ack = await instructor.inject("director_visits", "Alfa")
            assert ack["teams"] == ["Alfa"]
            await alfa.wait_for(lambda: any(e.kind == "inject" and e.ref == "director_visits"
                                            for e in alfa.view.events))
            assert alfa.scenario.injects["director_visits"].channel == "phone"  # its text came with it
            await asyncio.sleep(0.3)
            assert not any(e.ref == "director_visits" for e in bravo.view.events)
            assert "director_visits" not in bravo.scenario.injects
            assert "director_visits" in host.teams["Alfa"].sim.fired
            assert "director_visits" not in host.teams["Bravo"].sim.fired
            with pytest.raises(HostRefused) as refused:
                await instructor.inject("no_such_inject", None)
            assert refused.value.code == "rejected"
            assert sorted((await instructor.inject("director_visits", None))["teams"]) == ["Alfa", "Bravo"]
            await bravo.wait_for(lambda: any(e.ref == "director_visits" for e in bravo.view.events))
    run(body)


def test_an_evaluator_note_is_journaled_to_that_team_only(tmp_path):
    async def body():
        async with running_class(tmp_path / "c") as (host, tokens), \
                joined(host.join_url(tokens.evaluator)) as evaluator:
            assert evaluator.kind == "evaluator"
            await evaluator.watch("Bravo")
            await evaluator.wait_for(lambda: "Bravo" in evaluator.views)
            assert not evaluator.views["Bravo"].truth  # evaluators see what the team sees
            ack = await evaluator.note("Bravo", "The commander asked for the count before deciding.")
            assert ack["team"] == "Bravo"
            with pytest.raises(HostRefused) as refused:
                await evaluator.request("pause", team=None)
            assert refused.value.code == "forbidden"  # evaluators are read-only
        for name, expected in (("Bravo", [("evaluator", "The commander asked for the count before deciding.")]),
                               ("Alfa", [])):
            journal = Journal.open(tmp_path / "c" / f"{name}.sitroom")
            assert [(i.actor, i.payload["text"]) for i in journal.inputs() if i.kind == "note"] == expected
            journal.close()
    run(body)


def test_a_team_view_holds_nothing_its_role_may_not_see(tmp_path):
    async def body():
        async with running_class(tmp_path / "c", speed=600) as (host, tokens), \
                joined(host.join_url(tokens.instructor)) as instructor, \
                joined(host.join_url(tokens.teams["Alfa"])) as alfa:
            await instructor.start_class()
            await alfa.wait_for(lambda: alfa.view.t >= 3, 15)
            scenario = load_scenario(resolve_scenario("tutorial"))
            role = alfa.welcome["role"]
            assert all(scenario.visible(e.audience, role) for e in alfa.view.events)
            assert not any(e.ref == "instructor_tip" for e in alfa.view.events)
            await instructor.watch("Alfa")
            await instructor.wait_for(lambda: any(e.ref == "instructor_tip" for e in instructor.views["Alfa"].events))
            visible = {q.id for q in scenario.state.values() if scenario.visible(q.audience, role)}
            assert {q.id for q in alfa.view.snapshot.quantities} <= visible
            assert set(alfa.scenario.state) == visible
            assert alfa.scenario.processes == {} and alfa.scenario.text == ""
            # the briefing's objectives: labels and capabilities, never how they are rated
            assert [(o.id, o.label) for o in alfa.scenario.objectives.values()] == \
                [(o.id, o.label) for o in scenario.objectives.values()]
            assert all(o.metric == "" and o.thresholds == {} for o in alfa.scenario.objectives.values())
    run(body)


def test_hostile_messages_get_an_error_or_a_closed_connection_and_other_teams_play_on(tmp_path):
    async def body():
        async with running_class(tmp_path / "c") as (host, tokens), \
                joined(host.join_url(tokens.instructor)) as instructor, \
                joined(host.join_url(tokens.teams["Bravo"])) as bravo:
            async with joined(host.join_url(tokens.teams["Alfa"]), reconnect=False) as alfa:
                for raw, code in (("{not json", "bad_json"), ("[1, 2]", "bad_message"),
                                  ('{"type": "launch_missiles"}', "unknown_type"),
                                  ('{"type": "pause", "team": null}', "forbidden"),
                                  ('{"type": "watch", "team": "Bravo"}', "forbidden"),
                                  ('{"type": "note", "team": "Bravo", "text": "x"}', "forbidden"),
                                  ('{"type": "order", "order": 5}', "bad_field"),
                                  ('{"type": "order", "order": "x", "extra": 1}', "bad_field"),
                                  ('{"type": "decide", "point": "DP1", "option": "wait", "force": 9}', "bad_field")):
                    rid = len(raw)
                    fut = asyncio.get_running_loop().create_future()
                    alfa._pending[rid] = fut
                    text = raw if not raw.startswith('{"type"') else raw[:-1] + f', "id": {rid}}}'
                    await alfa.send_raw(text)
                    if code in ("bad_json", "bad_message"):
                        alfa._pending.pop(rid)
                        continue
                    with pytest.raises(HostRefused) as refused:
                        await asyncio.wait_for(fut, 5)
                    assert refused.value.code == code, raw
                await alfa.send_raw('{"type": "ping", "pad": "' + "x" * 40000 + '"}')  # far too large
                await alfa.wait_for(lambda: not alfa.connected, 5)
            async with joined(host.join_url(tokens.teams["Alfa"]), reconnect=False) as flooder:
                for _ in range(200):  # a flood: refused for rate, then the host hangs up
                    if not flooder.connected:
                        break
                    await flooder.send_raw('{"type": "ping"}')
                await flooder.wait_for(lambda: not flooder.connected, 5)
            await instructor.start_class()
            await until_open(bravo, "DP1")
            assert (await bravo.decide("DP1", "evacuate", RATIONALE))["kind"] == "decision"
    run(body)


def test_the_snapshot_codec_gives_back_the_engines_snapshot():
    scenario = load_scenario(resolve_scenario("tutorial"))
    sim = Simulation(scenario, 5, honour_pauses=True)
    sim.advance(8)
    for role in (None, next(iter(scenario.roles))):
        snap = sim.snapshot(role)
        assert snapshot_from_json(snapshot_to_json(snap)) == snap


def test_distinct_seeds_give_each_team_its_own_seed_and_common_gives_one(tmp_path):
    async def body():
        async with running_class(tmp_path / "a", teams="A1,A2") as (host, _):
            assert {r.exercise.seed for r in host.teams.values()} == {11}
        async with running_class(tmp_path / "b", teams="B1,B2,B3", seeds="distinct") as (host, _):
            assert len({r.exercise.seed for r in host.teams.values()}) == 3
    run(body)


def test_hold_on_disconnect_pauses_a_team_whose_last_client_left_and_resumes_it_on_return(tmp_path):
    async def body():
        async with running_class(tmp_path / "c", hold_on_disconnect=True) as (host, tokens), \
                joined(host.join_url(tokens.instructor)) as instructor:
            url = host.join_url(tokens.teams["Alfa"])
            async with joined(url, reconnect=False):
                await instructor.start_class()
                await instructor.wait_for(lambda: host.teams["Alfa"].status() == "running")
            await instructor.wait_for(lambda: host.teams["Alfa"].status() == "paused")
            assert host.teams["Bravo"].status() == "running"  # never joined: not held (it was not playing)
            async with joined(url) as back:
                await back.wait_for(lambda: back.view is not None and back.view.status == "running")
        journal = Journal.open(tmp_path / "c" / "Alfa.sitroom")
        held = [(i.kind, i.actor, i.payload.get("reason")) for i in journal.inputs() if i.kind in ("pause", "resume")]
        journal.close()
        assert held == [("pause", "host", "disconnect"), ("resume", "host", "reconnect"),
                        ("pause", "host", "disconnect")]  # and again when the returning client left
    run(body)


def test_a_join_link_is_checked_before_anything_is_sent():
    from classroom.client import parse_join_url

    assert parse_join_url("http://127.0.0.1:8765/join/abc") == ("ws://127.0.0.1:8765/ws", "abc")
    for bad in ("127.0.0.1:8765/join/abc", "http://127.0.0.1:8765/abc", "ftp://h/join/x", "http://h/join/"):
        with pytest.raises(ValueError, match="join link"):
            parse_join_url(bad)


def test_listening_beyond_this_machine_warns_that_the_class_is_reachable(tmp_path, capsys):
    from classroom.run import warn_if_exposed

    host, _ = ClassHostFactory.create(tmp_path / "c", "0.0.0.0")
    warn_if_exposed(host, "en")
    assert "reachable from that network" in capsys.readouterr().err
    host2, _ = ClassHostFactory.create(tmp_path / "d", "127.0.0.1")
    warn_if_exposed(host2, "es")
    assert capsys.readouterr().err == ""
    for h in (host, host2):
        for r in h.teams.values():
            r.close()


class ClassHostFactory:
    """A class created but not listening (for checks that need no network)."""

    @staticmethod
    def create(directory, address):
        from classroom.host import ClassHost

        return ClassHost.create("tutorial", "Alfa", directory, seed=1, host=address)


def test_every_team_journal_of_a_class_replays_exactly_and_teams_share_the_seed(tmp_path):
    from simulator import replay

    async def body():
        async with running_class(tmp_path / "c", speed=240) as (host, tokens), \
                joined(host.join_url(tokens.instructor)) as instructor, \
                joined(host.join_url(tokens.teams["Alfa"])) as alfa:
            await instructor.start_class()
            await until_open(alfa, "DP1")
            await alfa.decide("DP1", "evacuate", RATIONALE)
            await alfa.order("send_fire_team")
            await instructor.inject("director_visits", "Bravo")
            await alfa.wait_for(lambda: alfa.view.t >= 9 or alfa.view.status == "ended", 20)
            await instructor.end(None)
    run(body)
    reports = {name: replay(tmp_path / "c" / f"{name}.sitroom") for name in ("Alfa", "Bravo")}
    assert {r.seed for r in reports.values()} == {11}
    assert all(r.ended for r in reports.values())


def test_a_client_of_another_protocol_version_is_told_to_use_the_same_release(tmp_path, monkeypatch):
    monkeypatch.setattr("classroom.client.PROTOCOL_VERSION", 99)

    async def body():
        async with running_class(tmp_path / "c") as (host, tokens):
            client = ClassClient(host.join_url(tokens.teams["Alfa"]), reconnect=False)
            with pytest.raises(HostRefused) as refused:
                await client.connect()
            await client.close()
            assert refused.value.code == "version"
            assert not host.teams["Alfa"].clients
    run(body)


def test_a_command_in_flight_when_the_connection_drops_is_sent_again_and_carried_out_once(tmp_path):
    async def body():
        async with running_class(tmp_path / "c") as (host, tokens), \
                joined(host.join_url(tokens.instructor)) as instructor, \
                joined(host.join_url(tokens.teams["Alfa"])) as alfa:
            await instructor.start_class()
            await alfa.wait_for(lambda: alfa.view.status == "running")
            order = asyncio.create_task(alfa.order("report_director"))
            await asyncio.sleep(0)  # the frame is on its way ...
            await alfa._ws.close()  # ... and the connection drops before the answer comes back
            ack = await order  # answered after the reconnect, from the host's record or by doing it then
            assert ack["kind"] == "order" and alfa.reconnects == 1
            note = await instructor.note("Alfa", "one note")
            again = await instructor.request("note", team="Alfa", text="ignored")  # a fresh id: a new note
            assert again["input"] != note["input"]
    run(body)
    journal = Journal.open(tmp_path / "c" / "Alfa.sitroom")
    orders = [i for i in journal.inputs() if i.kind == "order"]
    journal.close()
    assert len(orders) == 1  # "report_director" may be given once: a second would have been refused, not lost


def test_the_host_answers_a_repeated_request_id_from_its_record(tmp_path):
    async def body():
        async with running_class(tmp_path / "c") as (host, tokens), \
                joined(host.join_url(tokens.instructor)) as instructor, \
                joined(host.join_url(tokens.teams["Bravo"]), reconnect=False) as bravo:
            await instructor.start_class()
            await bravo.wait_for(lambda: bravo.view.status == "running")
            answers = []
            for _ in range(2):
                fut = asyncio.get_running_loop().create_future()
                bravo._pending["same-id"] = fut
                await bravo.send_raw('{"type": "order", "id": "same-id", "order": "send_fire_team"}')
                answers.append(await asyncio.wait_for(fut, 5))
            assert answers[0] == answers[1] and answers[0]["type"] == "ack"
            assert len(host.teams["Bravo"].sim.order_times["send_fire_team"]) == 1
    run(body)


def test_the_class_host_imports_neither_the_ui_nor_the_debrief_and_the_engine_not_the_class():
    import subprocess
    import sys

    from engine_fixtures import REPO

    code = ("import sys, pkgutil, importlib, classroom\n"
            "[importlib.import_module('classroom.' + m.name) for m in pkgutil.iter_modules(classroom.__path__)]\n"
            "print(','.join(sorted({m.split('.')[0] for m in sys.modules} & {'tui', 'analysis', 'textual'})))\n"
            "import simulator\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == ""
    r = subprocess.run([sys.executable, "-c", "import sys, simulator; print('classroom' in sys.modules)"],
                       capture_output=True, text=True, cwd=REPO, timeout=60)
    assert r.stdout.strip() == "False"


def test_order_statuses_arrive_as_data_and_a_team_never_learns_the_numbers_of_a_resource_it_may_not_see(tmp_path):
    scenario = hidden_reserve_scenario(tmp_path / "scn")
    raw: list[str] = []

    async def body():
        async with running_class(tmp_path / "c", teams="Alfa", scenario=str(scenario)) as (host, tokens), \
                joined(host.join_url(tokens.instructor)) as instructor, \
                joined(host.join_url(tokens.teams["Alfa"])) as alfa:
            # Every message the team's client is sent, as text on the wire.
            conn = next(c for c in host.connections if c.kind == "team")
            send = conn.send
            conn.send = lambda msg: (raw.append(encode(msg)), send(msg))[1]  # type: ignore[method-assign]
            await instructor.start_class()
            await alfa.wait_for(lambda: alfa.view.t >= 1 and len(raw) >= 2)
            statuses = {o.id: o.status for o in alfa.view.snapshot.orders}
            assert statuses["call_reserve"] == OrderStatus("unavailable")
            assert statuses["report_director"] == OrderStatus("ok")
            await instructor.watch("Alfa")
            await instructor.wait_for(lambda: "Alfa" in instructor.views)
            truth = {o.id: o.status for o in instructor.views["Alfa"].snapshot.orders}
            assert truth["call_reserve"] == OrderStatus("units", "reserve", 1, 2)
            await alfa.order("report_director")
            await alfa.wait_for(lambda: any(o.id == "report_director" and o.status == OrderStatus("limit")
                                            for o in alfa.view.snapshot.orders))
    run(body)
    views = [text for text in raw if text.startswith('{"type":"view"')]
    assert views and '"call_reserve"' in views[0]  # the team sees the order ...
    for leak in ('"resource":"reserve"', '"reason":"units"', "free reserve", '"reserve_'):
        assert not any(leak in text for text in views), leak  # ... never the reserve's units or numbers


def test_a_decision_opening_above_the_alert_speed_drops_that_teams_clock_on_the_host_and_is_journaled(tmp_path):
    async def body():
        async with running_class(tmp_path / "c", speed=600, alert_speed=30) as (host, tokens), \
                joined(host.join_url(tokens.instructor)) as instructor, \
                joined(host.join_url(tokens.teams["Alfa"])) as alfa:
            await instructor.set_speed(20, "Bravo")  # already below the alert speed: left alone
            await instructor.start_class()
            await until_open(alfa, "DP1")
            await alfa.wait_for(lambda: alfa.view.speed == 30)
            assert alfa.view.slowed_for == "DP1" and alfa.view.alert_speed == 30
            assert host.teams["Alfa"].sim.now < 6  # caught within a minute of opening at T+5
            await instructor.set_speed(90, "Alfa")
            await alfa.wait_for(lambda: alfa.view.speed == 90)
            assert alfa.view.slowed_for is None
    run(body)
    speeds = {}
    for name in ("Alfa", "Bravo"):
        journal = Journal.open(tmp_path / "c" / f"{name}.sitroom")
        speeds[name] = [(i.actor, i.payload) for i in journal.inputs() if i.kind == "speed"]
        journal.close()
    assert speeds["Alfa"] == [("sitroom", {"speed": 30, "cause": "decision_open", "point": "DP1"}),
                              ("instructor", {"speed": 90})]
    assert speeds["Bravo"] == [("instructor", {"speed": 20})]
    resumed = ClassHost.resume(tmp_path / "c")
    try:
        assert resumed.teams["Alfa"].alert_speed == 30 and resumed.teams["Alfa"].clock.speed == 90
    finally:
        for r in resumed.teams.values():
            r.close()


def test_once_every_team_has_ended_the_class_says_so_and_nothing_is_open(tmp_path):
    """The console read "the class is running" with decision points still open after every team was
    ended: an ended exercise has nothing open, and the class overview says the class has ended."""
    async def body():
        async with running_class(tmp_path / "c", teams="Alfa,Bravo") as (host, tokens), \
                joined(host.join_url(tokens.instructor)) as instructor:
            await instructor.start_class()
            await instructor.wait_for(lambda: any(row["open"] for row in host.status()["teams"]), 30)
            assert host.status()["ended"] is False
            await instructor.end(None)
            await instructor.wait_for(lambda: all(r.sim.ended for r in host.teams.values()))
            status = host.status()
            assert status["ended"] is True
            assert all(row["open"] == [] and row["status"] == "ended" for row in status["teams"])
    run(body)
