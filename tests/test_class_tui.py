"""The class in the terminal (Pilot): a team's remote room and the instructor's console, on a real host."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from class_fixtures import bounded
from textual.widgets import DataTable, Input, Static

from classroom.host import ClassHost
from classroom.run import HostThread
from simulator import Journal
from simulator.clock import fmt_speed
from tui.console import ConsoleApp, ConsoleHelp, TeamDetail, cw
from tui.decision import DecisionScreen
from tui.dialogs import HelpScreen
from tui.i18n import t, tn
from tui.remote import ClassBriefingScreen, ClientThread, RemoteApp, RemoteSession, connect
from tui.room import RoomScreen


@contextlib.contextmanager
def host_thread(directory: Path, teams: str = "Alfa,Bravo", speed: float = 120.0) -> Iterator[tuple]:
    host, tokens = ClassHost.create("tutorial", teams, directory, seed=3, speed=speed, port=0)
    thread = HostThread(host, tokens, None)
    thread.start()
    links: list[ClientThread] = []

    def link(token: str, lang: str = "en") -> ClientThread:
        made, why = connect(host.join_url(token), lang)
        assert made is not None, why
        links.append(made)
        return made

    try:
        yield host, tokens, link
    finally:
        for made in links:
            made.stop()
        thread.stop()


async def until(pilot, predicate, seconds: float = 30.0) -> None:
    for _ in range(int(seconds / 0.1)):
        if predicate():
            return
        await pilot.pause(0.1)
    raise AssertionError("the screen did not get there in time")


def team_session(link: ClientThread) -> RemoteSession:
    link.call(link.client.wait_for(lambda: link.client.view is not None and link.client.view.snapshot is not None))
    return RemoteSession(link, "en")


@bounded
async def test_the_remote_room_shows_the_briefing_until_the_class_starts(tmp_path):
    with host_thread(tmp_path / "c") as (host, tokens, link):
        team = link(tokens.teams["Alfa"])
        instructor = link(tokens.instructor)
        session = team_session(team)
        app = RemoteApp(session, "en")
        async with app.run_test(size=(120, 36)) as pilot:
            await until(pilot, lambda: isinstance(app.screen, ClassBriefingScreen))
            hint = str(app.screen.query_one("#brief-hint", Static).render())
            assert "instructor starts the class" in hint
            await pilot.press("enter", "escape")  # a team cannot start a class, nor leave its briefing
            await pilot.pause(0.3)
            assert isinstance(app.screen, ClassBriefingScreen)
            assert not session.begun and session.status_key() == "waiting"
            assert host.teams["Alfa"].sim.now == 0 and not host.teams["Alfa"].clock.running
            instructor.call(instructor.client.start_class())
            await until(pilot, lambda: isinstance(app.screen, RoomScreen))
            bar = str(app.screen.query_one("#clockbar", Static).render())
            assert "Alfa" in bar and "RUNNING" in bar


@bounded
async def test_a_decision_taken_in_the_remote_room_is_journaled_on_the_host(tmp_path):
    with host_thread(tmp_path / "c") as (host, tokens, link):
        team = link(tokens.teams["Bravo"])
        instructor = link(tokens.instructor)
        session = team_session(team)
        app = RemoteApp(session, "en")
        async with app.run_test(size=(120, 36)) as pilot:
            instructor.call(instructor.client.start_class())
            await until(pilot, lambda: isinstance(app.screen, RoomScreen)
                        and any(d.id == "DP1" for d in session.sim.snapshot().open_decisions))
            instructor.call(instructor.client.pause("Bravo"))
            await pilot.press("d")
            await until(pilot, lambda: isinstance(app.screen, DecisionScreen))
            await pilot.press("1")
            for field, text in (("information", "smoke and 12 inmates"), ("why", "move people first")):
                app.screen.query_one(f"#f-{field}", Input).value = text
            await pilot.pause(0.2)  # the form takes the typed text from the inputs' change messages
            await pilot.press("ctrl+s")
            await until(pilot, lambda: isinstance(app.screen, RoomScreen))
            assert ("DP1", "evacuate") in [(d[0], d[1]) for d in session.sim.snapshot().decided]
    journal = Journal.open(tmp_path / "c" / "Bravo.sitroom")
    decided = [i.payload for i in journal.inputs() if i.kind == "decision"]
    journal.close()
    assert [(p["point"], p["option"], p["rationale"]["why"]) for p in decided] == [("DP1", "evacuate",
                                                                                   "move people first")]


@bounded
async def test_the_console_starts_and_pauses_the_class_and_drills_into_a_team(tmp_path):
    with host_thread(tmp_path / "c", teams="Alfa,Bravo,Charlie") as (host, tokens, link):
        app = ConsoleApp(link(tokens.instructor), "en")
        async with app.run_test(size=(120, 36)) as pilot:
            table = app.query_one("#teams", DataTable)
            await until(pilot, lambda: table.row_count == 3)
            await pilot.press("s")
            await until(pilot, lambda: all(r.status() == "running" for r in host.teams.values()))
            # Space toggles what the console shows: wait until its overview says "running" too.
            await until(pilot, lambda: all(r["status"] == "running"
                                           for r in (app.link.client.overview or {}).get("teams", [])))
            await pilot.press("space")
            await until(pilot, lambda: all(r.status() == "paused" for r in host.teams.values()))
            await until(pilot, lambda: "paused" in str(table.get_cell("Charlie", "col_status")))
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, TeamDetail))
            await until(pilot, lambda: "Alfa" in app.link.client.views)
            assert app.link.client.views["Alfa"].truth  # the instructor's drill-in includes the ground truth
            await pilot.press("escape")
            await until(pilot, lambda: not isinstance(app.screen, TeamDetail))


@bounded
async def test_the_console_shows_twelve_teams_on_one_screen_at_120x36(tmp_path):
    names = ",".join(f"T{n:02d}" for n in range(1, 13))
    with host_thread(tmp_path / "c", teams=names) as (host, tokens, link):
        app = ConsoleApp(link(tokens.instructor), "es")
        async with app.run_test(size=(120, 36)) as pilot:
            table = app.query_one("#teams", DataTable)
            await until(pilot, lambda: table.row_count == 12)
            await pilot.pause(0.3)
            assert table.virtual_size.width <= table.size.width  # no sideways scrolling
            assert table.virtual_size.height <= table.size.height  # every team visible at once


@bounded
async def test_quitting_the_console_that_owns_the_host_asks_first(tmp_path):
    from tui.dialogs import ConfirmScreen

    with host_thread(tmp_path / "c", teams="Alfa") as (host, tokens, link):
        app = ConsoleApp(link(tokens.instructor), "en", owns_host=True)
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.press("ctrl+q")
            await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            await pilot.press("escape")
            await until(pilot, lambda: not isinstance(app.screen, ConfirmScreen))
            assert app.is_running
            await pilot.press("ctrl+q")
            await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            await pilot.press("y")
            await until(pilot, lambda: not app.is_running)


@bounded
async def test_orders_from_the_remote_room_reach_the_host_and_their_limits_are_worded_in_spanish(tmp_path):
    from tui.dialogs import ListDialog

    with host_thread(tmp_path / "c") as (host, tokens, link):
        team = link(tokens.teams["Alfa"], "es")
        instructor = link(tokens.instructor)
        session = team_session(team)
        session.lang = "es"
        app = RemoteApp(session, "es")
        async with app.run_test(size=(120, 36)) as pilot:
            instructor.call(instructor.client.start_class())
            await until(pilot, lambda: isinstance(app.screen, RoomScreen))
            await pilot.press("o")
            await until(pilot, lambda: isinstance(app.screen, ListDialog))
            assert app.give_order("report_director") is None
            await until(pilot, lambda: session.order_why("report_director", "es") != "")
            assert session.order_why("report_director", "es") == tn("why_limit", 1, "es")
            assert app.give_order("report_director") is not None  # refused by the host, and said so
    journal = Journal.open(tmp_path / "c" / "Alfa.sitroom")
    orders = [(i.actor, i.payload["order"]) for i in journal.inputs() if i.kind == "order"]
    journal.close()
    assert orders == [("Alfa", "report_director")]


@bounded
async def test_the_evaluator_view_is_read_only_and_its_notes_are_journaled_to_the_selected_team(tmp_path):
    from tui.console import NoteDialog

    with host_thread(tmp_path / "c") as (host, tokens, link):
        app = ConsoleApp(link(tokens.evaluator), "en")
        async with app.run_test(size=(120, 36)) as pilot:
            table = app.query_one("#teams", DataTable)
            await until(pilot, lambda: table.row_count == 2)
            await pilot.press("s", "space", "e")  # the instructor's keys do nothing here
            await pilot.pause(0.3)
            assert all(r.status() == "waiting" for r in host.teams.values())
            await pilot.press("down", "n")
            await until(pilot, lambda: isinstance(app.screen, NoteDialog))
            app.screen.query_one("#note-text", Input).value = "Bravo read the briefing aloud"
            await pilot.press("enter")
            await until(pilot, lambda: not isinstance(app.screen, NoteDialog))
            await pilot.pause(0.3)
    journal = Journal.open(tmp_path / "c" / "Bravo.sitroom")
    notes = [(i.actor, i.payload["text"]) for i in journal.inputs() if i.kind == "note"]
    journal.close()
    assert notes == [("evaluator", "Bravo read the briefing aloud")]


@bounded
async def test_the_remote_room_says_when_the_host_slowed_the_clock_for_a_decision_and_only_then(tmp_path):
    with host_thread(tmp_path / "c", speed=600) as (host, tokens, link):
        team = link(tokens.teams["Alfa"])
        instructor = link(tokens.instructor)
        session = team_session(team)
        app = RemoteApp(session, "en")
        said: list[str] = []
        app.notify = lambda message, *a, **k: said.append(str(message))  # type: ignore[method-assign]
        async with app.run_test(size=(120, 36)) as pilot:
            instructor.call(instructor.client.set_speed(300, "Alfa"))  # a drop the instructor made: no alert
            await until(pilot, lambda: session.clock.speed == 300)
            await pilot.pause(0.3)
            assert t("alert_slowed", "en", x=fmt_speed(300)) not in said
            instructor.call(instructor.client.set_speed(600, "Alfa"))
            instructor.call(instructor.client.start_class())
            await until(pilot, lambda: session.clock.speed == 60)
            assert session.alert_speed == 60 and session.view.slowed_for == "DP1"
            await until(pilot, lambda: t("alert_slowed", "en", x=fmt_speed(60)) in said)
            await pilot.press("f1")
            await until(pilot, lambda: isinstance(app.screen, HelpScreen))
            text = " ".join(str(w.render()) for w in app.screen.query(Static))
            assert t("help_alert", "en", x=fmt_speed(60)) in text


@bounded
async def test_the_console_help_says_the_decision_alert_rule_in_both_languages(tmp_path):
    with host_thread(tmp_path / "c") as (host, tokens, link):
        console = ConsoleApp(link(tokens.instructor, "es"), "es")
        async with console.run_test(size=(120, 36)) as pilot:
            await until(pilot, lambda: console.link.client.overview is not None)
            for lang in ("es", "en"):
                await pilot.press("f1")
                await until(pilot, lambda: isinstance(console.screen, ConsoleHelp))
                alert = str(console.screen.query_one("#help-alert", Static).render())
                assert alert == cw("help_alert", lang, x=fmt_speed(60))
                await pilot.press("escape")
                await until(pilot, lambda: not isinstance(console.screen, ConsoleHelp))
                shown = {b.binding.description for b in console.screen.active_bindings.values() if b.binding.show}
                assert {cw("pause", lang), cw("inject", lang), cw("help", lang)} <= shown  # the footer speaks lang
                other = "en" if lang == "es" else "es"
                assert cw("inject", other) not in shown
                await pilot.press("f2")


@bounded
async def test_a_team_that_joins_a_running_class_sees_each_message_once(tmp_path):
    """The room drew the history; the events drained next (the same history) are not drawn again.

    A team sees only its share of the host's events, so their sequence numbers have gaps: the feed
    must not take a count of events for the sequence number of the newest one.
    """
    import asyncio

    from textual.widgets import RichLog

    with host_thread(tmp_path / "c", speed=600.0) as (host, tokens, link):
        instructor = link(tokens.instructor)
        instructor.call(instructor.client.start_class())
        team = host.teams["Alfa"]
        for _ in range(300):  # the host runs on its own thread: wait until it has a history
            if len(team.sim.events) >= 12:
                break
            await asyncio.sleep(0.05)
        instructor.call(instructor.client.pause("Alfa"))
        session = team_session(link(tokens.teams["Alfa"]))
        seqs = [e.seq for e in session.sim.events]
        assert seqs and seqs[-1] + 1 > len(seqs), "the team's events should skip some of the host's"
        app = RemoteApp(session, "en")
        async with app.run_test(size=(120, 36)) as pilot:
            await until(pilot, lambda: isinstance(app.screen, RoomScreen))
            room = app.screen
            room.rebuild()
            await pilot.pause(0.1)
            feed = room.query_one("#feed", RichLog)
            drawn = [line.text for line in feed.lines]
            assert len(drawn) >= 5
            # The first frame after the room is built may hand it the whole history again.
            room.refresh_view(list(session.sim.events))
            await pilot.pause(0.1)
            assert [line.text for line in feed.lines] == drawn
