"""The exercise room, driven with Textual's Pilot: start, read, decide, order, clock, inject, end.

The wall clock is a FakeClock and the app's own timer is slowed to a crawl, so
each test moves time explicitly (`wall.advance` then `app.tick()`): the runs are
deterministic whatever the machine's load.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest
from textual import events

from simulator import Journal
from simulator.clock import ExerciseClock, FakeClock
from tui.app import SitroomApp, run_app
from tui.briefing import BriefingScreen
from tui.decision import DecisionScreen
from tui.dialogs import EndScreen, HelpScreen, ListDialog, NoteScreen
from tui.i18n import LANGS, STRINGS
from tui.launcher import LauncherScreen
from tui.room import RoomScreen
from tui.session import Session

SIZE = (100, 30)


def sync(fn: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async test body in its own event loop (no pytest-asyncio needed)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        asyncio.run(fn(*args, **kwargs))

    return wrapper


def make_args(tmp_path: Path, **kw: object) -> argparse.Namespace:
    d: dict[str, object] = dict(scenario="P0-modulo-b", seed=7, speed=60.0, team="Equipo 1", role="trainee",
                                lang="es", journal=str(tmp_path / "j.sitroom"), resume=None)
    d.update(kw)
    return argparse.Namespace(**d)


def make_app(tmp_path: Path, briefed: bool = True, **kw: object) -> tuple[SitroomApp, FakeClock]:
    """The app on a frozen wall clock; `briefed`: the team has already started past the briefing."""
    wall = FakeClock()
    args = make_args(tmp_path, **kw)
    session = Session.from_args(args, wall) if (args.scenario or args.resume) else None
    if session is not None and briefed:
        session.begin()
    from simulator import bundled_scenarios

    app = SitroomApp(args, session=session, bundled=None if session else bundled_scenarios(), wall=wall,
                     tick_interval=3600, theme="textual-dark")
    return app, wall


async def run_minutes(app: SitroomApp, wall: FakeClock, pilot: object, minutes: float) -> None:
    """Let `minutes` of scenario time pass, a frame every simulated half minute."""
    assert app.session is not None
    speed = app.session.clock.speed
    for _ in range(int(minutes * 2)):
        wall.advance(30 / speed)
        app.tick()
    await pilot.pause()  # type: ignore[attr-defined]


def test_every_ui_string_exists_in_both_languages() -> None:
    for key, entry in STRINGS.items():
        for lang in LANGS:
            assert entry.get(lang), f"{key} lacks {lang}"


def test_clock_is_paced_from_the_anchor_and_pause_is_exact() -> None:
    wall = FakeClock()
    clock = ExerciseClock(wall, speed=60.0)
    wall.advance(10)
    assert clock.target() == pytest.approx(10.0)
    clock.pause(clock.target())
    wall.advance(1000)
    assert clock.target() == pytest.approx(10.0)
    clock.resume(10.0)
    clock.set_speed(120.0, clock.target())
    wall.advance(1)
    assert clock.target() == pytest.approx(12.0)


@sync
async def test_start_shows_the_team_view_with_scenario_clock(tmp_path: Path) -> None:
    app, wall = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await run_minutes(app, wall, pilot, 2)
        assert isinstance(app.screen, RoomScreen)
        bar = str(app.screen.query_one("#clockbar").render())
        assert "19:32" in bar and "T+00:02" in bar and "EN CURSO" in bar
        feed = app.screen.query_one("#feed")
        assert any("cuarenta internos" in line.text for line in feed.lines)


@sync
async def test_team_never_sees_instructor_only_quantities_or_injects(tmp_path: Path) -> None:
    app, wall = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await run_minutes(app, wall, pilot, 30)
        room = app.screen
        assert isinstance(room, RoomScreen)
        board = room.query_one("#board")
        assert "escalation_pressure" not in [k.value for k in board.rows]
        room.toggle_truth()  # a trainee session has no ground truth to show, even if asked
        assert not room.truth_on
        assert "escalation_pressure" not in [k.value for k in board.rows]
        text = "\n".join(line.text for line in room.query_one("#feed").lines)
        assert "escalation" not in text and "Solo instructor" not in text


@sync
@pytest.mark.parametrize("size", [(80, 24), (200, 50)])
async def test_the_force_levels_are_drawn_and_a_level_is_chosen_by_keys(tmp_path: Path, size) -> None:
    """The LNUF levels I-V were laid out at zero width: the team saw an empty box, and a key pressed
    there could record a level nobody saw. Each must be on screen, and Right/Enter must pick one."""
    app, wall = make_app(tmp_path)
    async with app.run_test(size=size) as pilot:
        await run_minutes(app, wall, pilot, 4)  # DP1 opens at T+3
        await pilot.press("d")
        screen = app.screen
        assert isinstance(screen, DecisionScreen)
        await pilot.pause()
        for n, lvl in enumerate(("I", "II", "III", "IV", "V"), 1):
            button = screen.query_one(f"#force-{n}")
            assert button.region.width >= len(lvl) + 4, (lvl, button.region)  # "( ) " and the level
            assert lvl in str(button.render())
        radios = screen.query_one("#f-force")
        radios.focus()
        await pilot.press("right", "enter")
        await pilot.pause()
        chosen = [n for n in range(1, 6) if screen.query_one(f"#force-{n}").value]
        assert len(chosen) == 1


@sync
async def test_decision_with_rationale_is_journaled_before_it_is_acknowledged(tmp_path: Path) -> None:
    app, wall = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await run_minutes(app, wall, pilot, 4)  # DP1 opens at T+3
        await pilot.press("d")
        assert isinstance(app.screen, DecisionScreen)
        await pilot.press("1")  # number keys pick the option
        screen = app.screen
        # Commit with an empty rationale: inline messages, nothing recorded, window stays.
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, DecisionScreen)
        assert "obligatorio" in str(screen.query_one("#e-information").render())
        assert "LNUF" in str(screen.query_one("#e-force").render())
        for f, text in (("information", "Dos custodios dentro, 40 internos"), ("threat_risk", "Rehenes posibles"),
                        ("powers_policy", "Reglamento interior"), ("why", "Proteger al personal")):
            screen.query_one(f"#f-{f}").value = text
        screen.query_one("#cons-hold").value = True
        screen.query_one("#force-2").value = True
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, RoomScreen)
        st = app.session.sim.decisions["DP1"]
        assert st.option == "withdraw_seal" and st.by == "Equipo 1" and st.force == 2
    j = Journal.open(tmp_path / "j.sitroom")
    decisions = [i for i in j.inputs() if i.kind == "decision"]
    assert decisions[0].payload["rationale"]["why"] == "Proteger al personal"
    assert decisions[0].payload["rationale"]["options_considered"] == ["withdraw_seal", "hold"]
    j.close()


@sync
async def test_closing_the_decision_window_keeps_the_draft(tmp_path: Path) -> None:
    app, wall = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await run_minutes(app, wall, pilot, 4)
        await pilot.press("d")
        await pilot.press("2")
        app.screen.query_one("#f-why").value = "texto largo " * 10
        await pilot.press("escape")
        assert isinstance(app.screen, RoomScreen)
        await pilot.press("d")
        assert app.screen.query_one("#f-why").value == "texto largo " * 10
        assert app.screen.query_one("#opt-retake_now").value is True


@sync
async def test_decision_window_follows_the_clock_and_reports_the_default(tmp_path: Path) -> None:
    app, wall = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await run_minutes(app, wall, pilot, 4)
        await pilot.press("d")
        await pilot.press("1")
        app.screen.query_one("#f-why").value = "a medias"
        left = str(app.screen.query_one("#dleft").render())
        assert "Quedan" in left
        await run_minutes(app, wall, pilot, 10)  # the deadline (T+13) passes while the window is open
        screen = app.screen
        assert isinstance(screen, DecisionScreen)
        assert "se cerró" in str(screen.query_one("#form-error").render())
        assert screen.query_one("#f-why").value == "a medias"
        assert app.session.sim.decisions["DP1"].cause == "default"
        # Nothing will be recorded now: no "will be recorded" summary, no Ctrl+S in the footer.
        await pilot.pause()
        assert not screen.query_one("#will-record").display
        assert "ctrl+s" not in screen.active_bindings


@sync
async def test_room_keys_work_in_capitals_too(tmp_path: Path) -> None:
    """The footer shows "O", "D", "B": with Caps Lock on (or Shift) they must still open their windows."""
    app, wall = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await run_minutes(app, wall, pilot, 1)
        await pilot.press("O")
        assert isinstance(app.screen, ListDialog)
        await pilot.press("escape")
        await pilot.press("B")
        assert isinstance(app.screen, BriefingScreen)


@sync
async def test_order_is_given_and_unavailable_orders_say_why(tmp_path: Path) -> None:
    app, wall = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await run_minutes(app, wall, pilot, 1)
        await pilot.press("o")
        dialog = app.screen
        assert isinstance(dialog, ListDialog)
        ol = dialog.query_one("#list")
        unavailable = [key for key, _, ok in dialog.items if not ok]
        assert "cert_entry" in unavailable  # CERT squads are on standby: not free
        ol.highlighted = [key for key, _, _ in dialog.items].index("cert_entry")
        await pilot.press("enter")  # an order that cannot be given says why, and the list stays
        assert isinstance(app.screen, ListDialog)
        assert "no disponible" in str(dialog.query_one("#error").render())
        ol.highlighted = [key for key, _, _ in dialog.items].index("seal")
        await pilot.pause()
        assert "envía 1 unidad de" in str(dialog.query_one("#describe").render())  # what it commits
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, RoomScreen)
        assert app.session.sim.order_times["seal"] == [pytest.approx(1.0, abs=0.6)]
        # An order that cannot be given (limit reached) gets an inline reason.
        assert app.give_order("seal") is not None
        assert "ya se dio" in app.give_order("seal")


@sync
async def test_order_list_reopens_where_the_cursor_was_left(tmp_path: Path) -> None:
    app, wall = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await run_minutes(app, wall, pilot, 1)
        await pilot.press("o", "down", "down", "escape")
        keys = [key for key, _, _ in order_items_of(app)]
        await pilot.press("o")
        assert app.screen.highlighted_key == keys[2]  # not the first order still available
        await pilot.press("down", "enter")  # call_cert: given
        await pilot.pause()
        assert app.session.sim.order_times[keys[3]]
        await pilot.press("o")
        assert app.screen.highlighted_key == keys[3]


def order_items_of(app: SitroomApp) -> list[tuple[str, object, bool]]:
    from tui.dialogs import order_items

    assert app.session is not None
    return order_items(app.session, app.lang)


@sync
async def test_an_irreversible_order_asks_first_and_no_does_nothing(tmp_path: Path) -> None:
    from tui.dialogs import ConfirmScreen

    app, wall = make_app(tmp_path, scenario="C2-soyatan")
    async with app.run_test(size=SIZE) as pilot:
        await run_minutes(app, wall, pilot, 1)
        assert app.session.scenario.orders["launch_qrf"].irreversible
        await pilot.press("o")
        dialog = app.screen
        dialog.query_one("#list").highlighted = [key for key, _, _ in dialog.items].index("launch_qrf")
        await pilot.press("enter")
        assert isinstance(app.screen, ConfirmScreen)
        assert "No se puede deshacer" in str(app.screen.query_one(".dtitle").render())
        await pilot.press("escape")
        assert isinstance(app.screen, ListDialog) and not app.session.sim.order_times["launch_qrf"]
        await pilot.press("enter", "s")
        await pilot.pause()
        assert isinstance(app.screen, RoomScreen) and app.session.sim.order_times["launch_qrf"]


@sync
async def test_trainee_session_offers_no_instructor_controls(tmp_path: Path) -> None:
    app, wall = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await run_minutes(app, wall, pilot, 1)
        before = app.session.clock.running
        await pilot.press("space", "i", "e", "g")
        assert isinstance(app.screen, RoomScreen) and app.session.clock.running == before
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Pausa" not in titles and "Órdenes" in titles


@sync
async def test_instructor_pause_is_exact_and_journaled(tmp_path: Path) -> None:
    app, wall = make_app(tmp_path, role="instructor")
    async with app.run_test(size=SIZE) as pilot:
        await run_minutes(app, wall, pilot, 2)
        await pilot.press("space")
        t_paused = app.session.sim.now
        await run_minutes(app, wall, pilot, 20)
        assert app.session.sim.now == t_paused
        assert "EN PAUSA" in str(app.screen.query_one("#clockbar").render())
        await pilot.press("s")  # step to the next scheduled event
        assert app.session.sim.now > t_paused
        await pilot.press("space", "plus")
        assert app.session.clock.speed == 120.0
        await run_minutes(app, wall, pilot, 1)
    j = Journal.open(tmp_path / "j.sitroom")
    kinds = [i.kind for i in j.inputs()]
    j.close()
    assert kinds.count("pause") == 1 and "resume" in kinds and "speed" in kinds


@sync
async def test_instructor_fires_inject_writes_note_sees_truth_and_ends(tmp_path: Path) -> None:
    app, wall = make_app(tmp_path, role="instructor")
    async with app.run_test(size=SIZE) as pilot:
        await run_minutes(app, wall, pilot, 2)
        await pilot.press("i")
        dialog = app.screen
        ol = dialog.query_one("#list")
        ol.highlighted = [o.id for o in ol._options].index("insider_note")
        await pilot.press("enter")
        await pilot.pause()
        assert "insider_note" in app.session.sim.fired
        team_feed = "\n".join(line.text for line in app.screen.query_one("#feed").lines)
        assert "informante" not in team_feed  # instructor-only inject stays out of the team feed
        await pilot.press("g")
        assert "escalation_pressure" in [k.value for k in app.screen.query_one("#board").rows]
        truth = "\n".join(line.text for line in app.screen.query_one("#feed").lines)
        assert "informante" in truth
        await pilot.press("g")
        assert "escalation_pressure" not in [k.value for k in app.screen.query_one("#board").rows]
        await pilot.press("n")
        assert isinstance(app.screen, NoteScreen)
        await pilot.press("enter")  # empty: inline message, window stays
        assert isinstance(app.screen, NoteScreen)
        assert "vacía" in str(app.screen.query_one("#error").render())
        app.screen.query_one("#note").value = "equipo duda"
        await pilot.press("enter")
        assert isinstance(app.screen, RoomScreen)
        await pilot.press("e")
        await pilot.press("y")
        await pilot.pause()
        assert isinstance(app.screen, EndScreen)
        assert app.session.sim.end_reason == "instructor"
        assert "sitroom debrief" in str(app.screen.query_one("#debrief-cmd").render())
    j = Journal.open(tmp_path / "j.sitroom")
    inputs = j.inputs()
    j.close()
    assert [i.payload["text"] for i in inputs if i.kind == "note"] == ["equipo duda"]
    assert [i.kind for i in inputs if i.kind in ("inject", "end")] == ["inject", "end"]


@sync
async def test_language_switch_and_help(tmp_path: Path) -> None:
    app, wall = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await run_minutes(app, wall, pilot, 1)
        await pilot.press("f2")
        assert "RUNNING" in str(app.screen.query_one("#clockbar").render())
        assert any("forty inmates" in line.text for line in app.screen.query_one("#feed").lines)
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, RoomScreen)


@sync
async def test_the_briefing_comes_first_and_the_clock_waits_for_the_team(tmp_path: Path) -> None:
    app, wall = make_app(tmp_path, briefed=False, lang="en")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, BriefingScreen)
        text = str(app.screen.query_one("#brief-text").render())
        assert "Night shift at the state prison" in text and "Equipo 1, as Shift commander" in text
        assert "CERT squad: 2 units (0 ready, 2 to call out)" in text and "Objectives the exercise" in text
        await pilot.press("escape")  # nothing behind it yet: Esc does not start or skip the briefing
        assert isinstance(app.screen, BriefingScreen)
        await pilot.press("f2")
        await pilot.pause()
        assert "Situación" in str(app.screen.query_one("#brief-text").render())
        await pilot.press("f2")
        await pilot.pause()
        wall.advance(600)
        app.tick()
        assert app.session.sim.now == 0 and "WAITING" in str(app.room.query_one("#clockbar").render())
        await pilot.press("enter")
        await run_minutes(app, wall, pilot, 2)
        assert isinstance(app.screen, RoomScreen) and app.session.sim.now == pytest.approx(2.0)
        await pilot.press("b")  # one key away during play; the clock keeps running behind it
        assert isinstance(app.screen, BriefingScreen)
        await run_minutes(app, wall, pilot, 1)
        assert app.session.sim.now == pytest.approx(3.0, abs=0.01)
        await pilot.press("escape")
        assert isinstance(app.screen, RoomScreen)
    j = Journal.open(tmp_path / "j.sitroom")
    assert [i.payload.get("action") for i in j.inputs() if i.kind == "session"] == ["start", "begin"]
    j.close()


@sync
async def test_launcher_starts_the_chosen_scenario(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    app, wall = make_app(tmp_path, scenario=None, journal=None, seed=None)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, LauncherScreen)
        app.screen.query_one("#seed").value = "abc"
        await pilot.press("ctrl+s")
        assert "semilla" in str(app.screen.query_one("#error").render()).lower()
        app.screen.query_one("#seed").value = "11"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, BriefingScreen)  # the briefing first; the clock waits for the team
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, RoomScreen)
        assert app.session.seed == 11
        assert app.session.journal_path.parent.name == "journals"


@sync
async def test_resume_continues_where_the_session_stopped(tmp_path: Path) -> None:
    app, wall = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await run_minutes(app, wall, pilot, 2)
        await pilot.press("o")
        ol = app.screen.query_one("#list")
        ol.highlighted = [o.id for o in ol._options].index("call_cert")
        await pilot.press("enter")
        await run_minutes(app, wall, pilot, 3)
        t_stop = app.session.sim.now
        app.session.close()  # as on quit (or what a crash leaves: inputs are already on disk)
    app2, wall2 = make_app(tmp_path, resume=str(tmp_path / "j.sitroom"), scenario=None, journal=None)
    assert app2.session is not None and app2.session.resumed
    assert app2.session.sim.now == pytest.approx(t_stop)
    assert app2.session.sim.order_times["call_cert"]
    async with app2.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app2.screen, RoomScreen)  # past the briefing before: no briefing again


def test_a_session_left_at_its_briefing_resumes_at_its_briefing(tmp_path: Path) -> None:
    args = make_args(tmp_path)
    Session.from_args(args, FakeClock()).close()  # quit while reading the briefing
    again = Session.from_args(make_args(tmp_path, resume=str(tmp_path / "j.sitroom"), scenario=None), FakeClock())
    assert not again.begun and not again.clock.running and again.status_key() == "waiting"
    again.begin()
    assert again.clock.running


def test_bad_scenario_or_journal_prints_problems_and_returns_1(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("sitroom: 1\nid: [oops\n")
    assert run_app(make_args(tmp_path, scenario=str(bad))) == 1
    err = capsys.readouterr().err
    assert "bad.yaml" in err and "Traceback" not in err
    assert run_app(make_args(tmp_path, scenario=None, resume=str(tmp_path / "missing.sitroom"))) == 1
    assert "missing.sitroom" in capsys.readouterr().err


@sync
async def test_pausing_decision_point_holds_the_clock_until_answered(tmp_path: Path) -> None:
    app, wall = make_app(tmp_path, scenario="P2-noche-penal")
    async with app.run_test(size=SIZE) as pilot:
        await run_minutes(app, wall, pilot, 10)  # DP1 opens at T+3 with pause: true
        sim = app.session.sim
        assert sim.now == 3.0 and sim.halted_for == "DP1"
        assert "DETENIDO" in str(app.screen.query_one("#clockbar").render())
        await pilot.press("d", "1")
        screen = app.screen
        assert "detenido" in str(screen.query_one("#dleft").render())
        for f in ("information", "threat_risk", "powers_policy", "why"):
            screen.query_one(f"#f-{f}").value = "texto"
        for box in screen.query("#f-options_considered Checkbox"):
            box.value = True
        screen.query_one("#force-3").value = True
        await pilot.pause()
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, RoomScreen) and sim.halted_for is None
        await run_minutes(app, wall, pilot, 1)
        assert sim.now == pytest.approx(4.0)  # time went on from the halt, it did not jump


@sync
async def test_thousands_of_messages_stay_bounded_on_screen(tmp_path: Path) -> None:
    from tui.room import FEED_MAX_LINES

    app, wall = make_app(tmp_path, role="instructor")
    async with app.run_test(size=SIZE) as pilot:
        await run_minutes(app, wall, pilot, 1)
        sim = app.session.sim
        for _ in range(3000):  # straight into the model: the journal is not what is measured here
            sim.fire_inject("family_rumour")
        app.tick()
        await pilot.pause()
        feed = app.screen.query_one("#feed")
        assert len(feed.lines) <= FEED_MAX_LINES
        assert "Módulo B" in feed.lines[-1].text


@sync
async def test_question_mark_types_into_a_field_and_f2_switches_inside_the_decision(tmp_path: Path) -> None:
    app, wall = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await run_minutes(app, wall, pilot, 4)
        await pilot.press("d", "2", "tab")
        await pilot.press("question_mark")
        assert isinstance(app.screen, DecisionScreen)
        assert app.screen.query_one("#f-information").value == "?"
        await pilot.press("f2")
        await pilot.pause()
        assert "Initial response" in str(app.screen.query_one("#dtitle").render())
        assert app.screen.query_one("#f-information").value == "?"  # the draft survives the switch


def test_theme_follows_the_terminal_unless_chosen() -> None:
    from tui.app import pick_theme

    assert pick_theme({}) == "ansi-dark"
    assert pick_theme({"COLORFGBG": "0;15"}) == "ansi-light"
    assert pick_theme({"COLORFGBG": "15;0", "SITROOM_THEME": "nord"}) == "nord"


def test_app_module_imports_without_side_effects() -> None:
    import subprocess
    import sys

    code = "import tui.app, os; print(os.path.exists('journals'))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=Path(__file__).parent,
                         check=True)
    assert out.stdout.strip() == "False" and out.stderr == ""


@sync
async def test_feed_filters_by_channel_and_back_to_all(tmp_path: Path) -> None:
    app, wall = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await run_minutes(app, wall, pilot, 8)
        room = app.screen
        feed = room.query_one("#feed")
        while room.channel != "cctv":
            await pilot.press("c")
        text = "\n".join(line.text for line in feed.lines)
        assert "cámaras" in text and "cuarenta" not in text
        assert "CCTV" in str(feed.border_title)
        while room.channel is not None:
            await pilot.press("c")
        assert "cuarenta" in "\n".join(line.text for line in feed.lines)


LIBRARY = ["tutorial", "P0-modulo-b", "P1-unidad-c", "P2-noche-penal", "P3-torre-4", "C1-jueves-negro",
           "C2-soyatan", "C3-ano-nuevo"]


@pytest.mark.parametrize("lang", ["es", "en"])
@pytest.mark.parametrize("scenario", LIBRARY)
@sync
async def test_every_bundled_scenario_plays_in_both_languages(tmp_path: Path, scenario: str, lang: str) -> None:
    app, wall = make_app(tmp_path, scenario=scenario, lang=lang, role="instructor", speed=300.0)
    async with app.run_test(size=SIZE) as pilot:
        session = app.session
        assert session is not None
        opened = False
        for _ in range(12):  # two hours of scenario time, in ten-minute frames
            wall.advance(10 * 60 / session.clock.speed)
            app.tick()
            await pilot.pause()
            open_ = session.sim.open_decisions()
            if open_ and not opened:
                opened = True
                await pilot.press("d")
                await pilot.pause()
                if isinstance(app.screen, ListDialog):  # several points open: pick the first
                    await pilot.press("enter")
                    await pilot.pause()
                assert isinstance(app.screen, DecisionScreen)
                title = session.scenario.decisions[app.screen.point].title[lang]
                assert title in "\n".join(str(w.render()) for w in app.screen.query("Static"))
                await pilot.press("escape")
                await pilot.pause()
            if session.sim.ended or session.sim.halted_for:
                break
        assert opened, "no decision point opened in the first two hours"
        assert isinstance(app.screen, RoomScreen | EndScreen)
        assert session.sim.now > 0
        feed = "\n".join(line.text for line in app.screen.query_one("#feed").lines) \
            if isinstance(app.screen, RoomScreen) else ""
        assert not isinstance(app.screen, RoomScreen) or feed


@sync
async def test_at_600x_a_decision_opening_alerts_and_drops_the_clock_to_the_alert_speed(tmp_path: Path) -> None:
    app, wall = make_app(tmp_path, speed=600.0, role="instructor")
    bells: list[int] = []
    app.bell = lambda: bells.append(1)  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        session = app.session
        assert session.alert_speed == 60.0  # the scenario's clock.alert_speed
        wall.advance(0.5)  # one 0.5 s frame at 600x would be 5 scenario minutes; DP1 opens at T+3
        app.tick()
        await pilot.pause()
        assert session.clock.speed == 60.0 and bells
        banner = app.room.query_one("#alert")
        assert banner.display and "DECISIÓN ABIERTA" in str(banner.render()) and "pulse D" in str(banner.render())
        dp1 = session.sim.decisions["DP1"]
        assert dp1.decided_at is None  # the 10-minute deadline did not slip by
        assert session.sim.now <= dp1.opened_at + 1
        await run_minutes(app, wall, pilot, 3)  # from here on at 60x
        assert dp1.decided_at is None and session.sim.now <= dp1.opened_at + 4
        await pilot.press("d")
        await pilot.press("escape")
        assert not app.room.query_one("#alert").display  # seen: the banner gives way to the list
    j = Journal.open(tmp_path / "j.sitroom")
    drops = [i for i in j.inputs() if i.kind == "speed" and i.payload.get("cause") == "decision_open"]
    j.close()
    assert [(d.payload["speed"], d.payload["point"], d.actor) for d in drops] == [(60.0, "DP1", "sitroom")]


@sync
async def test_the_alert_speed_can_be_set_on_the_command_line(tmp_path: Path) -> None:
    app, wall = make_app(tmp_path, speed=600.0, alert_speed=240.0)
    async with app.run_test(size=SIZE) as pilot:
        await run_minutes(app, wall, pilot, 4)
        assert app.session.clock.speed == 240.0


@sync
async def test_text_typed_right_after_tab_lands_only_in_the_focused_field(tmp_path: Path) -> None:
    app, wall = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await run_minutes(app, wall, pilot, 4)
        await pilot.press("d")
        for key in ["1", "tab", *"abc", "tab", *"xyz"]:  # all queued at once, as a paste or fast typing sends them
            app.post_message(events.Key(key, key if len(key) == 1 else None))
        await pilot.pause()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, DecisionScreen)
        assert screen.query_one("#f-information").value == "abc"
        assert screen.query_one("#f-threat_risk").value == "xyz"
        assert screen.draft.option == "withdraw_seal"


@sync
async def test_considered_options_show_their_state_in_text_and_the_form_says_what_will_be_recorded(
        tmp_path: Path) -> None:
    app, wall = make_app(tmp_path, lang="en")
    async with app.run_test(size=SIZE) as pilot:
        await run_minutes(app, wall, pilot, 4)
        await pilot.press("d", "2")
        screen = app.screen
        boxes = {b.id: str(b.render()) for b in screen.query("#f-options_considered Checkbox")}
        assert boxes["cons-retake_now"].startswith("[x] 2.")
        assert all(text.startswith("[ ]") for key, text in boxes.items() if key != "cons-retake_now")
        assert str(screen.query_one("#opt-retake_now").render()).startswith("(•) 2.")
        assert str(screen.query_one("#opt-withdraw_seal").render()).startswith("( ) 1.")
        summary = str(screen.query_one("#will-record").render())
        assert "Will be recorded:" in summary and "option 2." in summary and "considered: 2" in summary
        screen.query_one("#cons-retake_now").focus()
        await pilot.press("space")  # unticking is visible, and so is what will be recorded
        assert str(screen.query_one("#cons-retake_now").render()).startswith("[ ]")
        assert "considered: none" in str(screen.query_one("#will-record").render())


@sync
async def test_a_journal_that_cannot_be_written_says_not_recorded_and_keeps_the_draft(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from simulator import JournalError, Problem

    app, wall = make_app(tmp_path, role="instructor")
    async with app.run_test(size=SIZE) as pilot:
        await run_minutes(app, wall, pilot, 4)
        exercise = app.session.exercise

        def full(*args: object, **kwargs: object) -> None:
            raise JournalError([Problem(str(tmp_path / "j.sitroom"), 0, 0, "database or disk is full")])

        monkeypatch.setattr(exercise, "_record", full)
        await pilot.press("d", "1")
        screen = app.screen
        for f in ("information", "threat_risk", "powers_policy", "why"):
            screen.query_one(f"#f-{f}").value = "texto"
        screen.query_one("#cons-hold").value = True
        screen.query_one("#force-2").value = True
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, DecisionScreen)  # stays open, with the draft
        error = str(screen.query_one("#form-error").render())
        assert "NO SE REGISTRÓ" in error and "disk is full" in error
        assert app.session.sim.decisions["DP1"].decided_at is None
        assert screen.query_one("#f-why").value == "texto"
        await pilot.press("escape")
        assert app.give_order("seal") is not None and not app.session.sim.order_times["seal"]
        await pilot.press("space")  # pause: not journaled, so not done
        assert app.session.clock.running
        assert "NO SE REGISTRÓ" in str(app.room.query_one("#alert").render())
        monkeypatch.undo()  # the disk is back: the kept draft is recorded
        await pilot.press("d", "ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, RoomScreen) and app.session.sim.decisions["DP1"].option == "withdraw_seal"
        assert not app.room.query_one("#alert").display


@sync
async def test_d_with_two_open_decisions_lists_the_most_urgent_first_and_number_keys_pick(tmp_path: Path) -> None:
    app, wall = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await run_minutes(app, wall, pilot, 9)  # DP1 (deadline T+13) and DP2 (T+20) are open
        await pilot.press("d")
        chooser = app.screen
        assert isinstance(chooser, ListDialog)
        assert [key for key, _, _ in chooser.items] == ["DP1", "DP2"] and chooser.highlighted_key == "DP1"
        await pilot.press("2")
        await pilot.pause()
        assert isinstance(app.screen, DecisionScreen) and app.screen.point == "DP2"
        await pilot.press("escape", "d", "enter")  # Enter: the most urgent
        await pilot.pause()
        assert isinstance(app.screen, DecisionScreen) and app.screen.point == "DP1"


ENGLISH_ONLY = ("Keys", "Maximize", "Minimize", "Quit", "Theme", "Screenshot", "No matches", "Search for")


@sync
async def test_every_palette_entry_is_in_spanish(tmp_path: Path) -> None:
    from textual.command import CommandPalette

    app, wall = make_app(tmp_path, role="instructor")
    async with app.run_test(size=SIZE) as pilot:
        await run_minutes(app, wall, pilot, 4)
        commands = list(app.get_system_commands(app.screen))
        words = [c.title for c in commands] + [c.help for c in commands]
        assert not [w for w in words if any(e in w for e in ENGLISH_ONLY)]
        english = {a.text["en"] for a in __import__("tui.actions").actions.ACTIONS} - \
            {a.text["es"] for a in __import__("tui.actions").actions.ACTIONS}
        assert not english & {c.title for c in commands}
        assert not [w for w in words if "DP1" in w]  # decisions by their title, never their id
        await pilot.press("ctrl+p")
        await pilot.pause()
        palette = app.screen
        assert isinstance(palette, CommandPalette)
        assert palette.query_one("Input").placeholder == "Buscar un comando…"
        await pilot.press(*"zzqx")
        await pilot.pause(0.8)
        options = [str(o.prompt) for o in palette.query_one("CommandList").options]
        assert any("Ningún comando coincide" in o for o in options)
        assert not any("No matches" in o for o in options)


@sync
async def test_c_cycles_only_through_channels_that_have_messages(tmp_path: Path) -> None:
    app, wall = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await run_minutes(app, wall, pilot, 2)
        room = app.screen
        counts = room.channel_counts()
        assert counts and all(n > 0 for n in counts.values())
        seen = []
        for _ in range(len(counts) + 1):
            await pilot.press("c")
            seen.append(room.channel)
        assert seen == [*counts, None]
        assert "cctv" not in counts  # nothing on CCTV yet at T+2: not offered


@sync
async def test_the_feed_rewraps_after_a_resize_from_200x50_to_80x24(tmp_path: Path) -> None:
    app, wall = make_app(tmp_path)
    async with app.run_test(size=(200, 50)) as pilot:
        await run_minutes(app, wall, pilot, 4)
        app.session.exercise.sim.fire_inject("family_rumour")  # a long message
        app.tick()
        await pilot.pause()
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        await pilot.pause()
        feed = app.screen.query_one("#feed")
        width = feed.scrollable_content_region.width
        assert width < 60
        assert all(line.cell_length <= width for line in feed.lines)
        text = "".join(line.text for line in feed.lines)
        rumour = app.session.scenario.injects["family_rumour"].text["es"]
        assert rumour.split()[-1].strip(".") in text  # nothing cut: the end of the message is there


def test_the_gettext_catalogues_and_the_code_agree() -> None:
    """tui/locale holds exactly the strings of tui/i18n.py (re-export with `python -m tui.catalog`)."""
    from tui.catalog import PO_PATH, POT_PATH, build_catalog, read_catalog, render
    from tui.i18n import PLURALS

    assert POT_PATH.read_text(encoding="utf-8") == render(build_catalog(template=True))
    assert PO_PATH.read_text(encoding="utf-8") == render(build_catalog(template=False))
    po = read_catalog(PO_PATH)
    by_key = {m.context: m for m in po if m.id}
    assert set(by_key) == set(STRINGS) | set(PLURALS)
    for key, entry in STRINGS.items():
        assert (by_key[key].id, by_key[key].string) == (entry["en"], entry["es"])
    for key, forms in PLURALS.items():
        assert by_key[key].id == forms["en"] and by_key[key].string[0] == forms["es"][0]
        assert by_key[key].string[-1] == forms["es"][1]
        assert not [f for f in by_key[key].string if not f], f"{key}: an empty plural form"


def test_plurals_follow_the_number() -> None:
    from tui.i18n import tn

    assert tn("why_limit", 1, "es") == "ya se dio (solo se puede dar una vez)"
    assert tn("why_limit", 2, "es") == "ya se dio 2 veces (el máximo)"
    assert tn("why_units", 2, "es", res="Escuadra CERT", free=0) == "requiere 2 unidades libres de «Escuadra CERT»; hay 0"
    assert tn("fix_fields", 1, "en").startswith("Not recorded: check the field marked")
    assert "(s)" not in "".join(f for forms in __import__("tui.i18n").i18n.PLURALS.values()
                                for lang in forms.values() for f in lang)


@sync
async def test_launcher_has_a_role_field_and_the_default_team_name_follows_the_language(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    app, wall = make_app(tmp_path, scenario=None, journal=None, team=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        launcher = app.screen
        assert launcher.query_one("#team").value == "Equipo 1"
        await pilot.press("f2")
        await pilot.pause()
        assert launcher.query_one("#team").value == "Team 1"
        assert str(launcher.query_one("#role-instructor").render()).startswith("( ) Instructor")
        launcher.query_one("#role-instructor").value = True
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.session.instructor and app.session.exercise.team == "Team 1"
        await pilot.press("enter", "space")  # past the briefing; Space pauses: an instructor session
        assert not app.session.clock.running


def test_a_scenarios_own_ending_is_named_by_its_message_in_the_room() -> None:
    """C1's `recovered` ending: the end screen and the feed said "recovered", the ending's id."""
    from tui.feed import end_reason_text

    data = {"message": {"es": "La ola terminó y las rutas están abiertas.", "en": "The wave is over."}}
    assert end_reason_text("recovered", data, "es") == "La ola terminó y las rutas están abiertas"
    assert end_reason_text("recovered", data, "en") == "The wave is over"
    assert end_reason_text("recovered", {}, "en") == "recovered"
    assert end_reason_text("time_limit", data, "es") == "tiempo límite"


@sync
async def test_a_resumed_room_does_not_announce_decisions_answered_before(tmp_path: Path) -> None:
    """On resume every past event comes again; a "new decision" toast for DP1, answered before the
    stop, said something false (while the panel said no decision was pending)."""
    app, wall = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await run_minutes(app, wall, pilot, 4)  # DP1 opens at T+3
        app.session.exercise.decide("DP1", "withdraw_seal", force=2, check=False)
        await run_minutes(app, wall, pilot, 1)
        app.session.close()
    app2, wall2 = make_app(tmp_path, resume=str(tmp_path / "j.sitroom"), scenario=None, journal=None)
    said: list[str] = []
    real = app2.notify

    def notify(message: str, *a: object, **kw: object) -> None:
        said.append(str(message))
        real(message, *a, **kw)

    app2.notify = notify  # type: ignore[method-assign]
    async with app2.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app2.tick()
        await pilot.pause()
    assert app2.session.sim.decisions["DP1"].decided_at is not None
    assert not [m for m in said if "Respuesta inicial" in m]


@sync
async def test_the_units_subtitle_follows_the_highlighted_unit_as_it_moves(tmp_path: Path) -> None:
    """At 80x24 the subtitle is where a unit's whole task shows; it went stale until the cursor moved."""
    app, wall = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await run_minutes(app, wall, pilot, 1)
        room = app.screen
        units = room.query_one("#units")
        before = str(units.border_subtitle)
        order = next(o.id for o in app.session.scenario.orders.values() if o.task == "seal_block")
        assert app.give_order(order) is None  # one officer goes to seal the block
        await run_minutes(app, wall, pilot, 2)
        row = units.coordinate_to_cell_key((units.cursor_row, 0)).row_key.value
        busy = [u for u in app.session.sim.units.values() if u.task == "seal_block"]
        assert busy and row == busy[0].id  # (the first officer: the highlighted row)
        assert str(units.border_subtitle) != before
        assert room._unit_text[row][:30] in str(units.border_subtitle)


def test_a_class_teams_help_does_not_promise_a_journal_it_does_not_keep() -> None:
    """In a class the host keeps the team's journal: the team's F1 said Ctrl+Q saves it for --resume."""
    from tui.actions import help_rows

    local = {key: text for _, key, text in help_rows("es", instructor=False)}
    joined = {key: text for _, key, text in help_rows("es", instructor=False, remote=True)}
    assert "--resume" in local["Ctrl+Q"]
    assert "--resume" not in joined["Ctrl+Q"] and "anfitrión" in joined["Ctrl+Q"]
    assert {k: v for k, v in joined.items() if k != "Ctrl+Q"} == {k: v for k, v in local.items() if k != "Ctrl+Q"}


@sync
async def test_order_window_keeps_its_hint_on_screen_at_80x24_whatever_the_description(tmp_path: Path) -> None:
    """A long description (or a refusal) under the list never pushes 'Enter gives the order' off."""
    from textual.widgets import OptionList

    app, wall = make_app(tmp_path, scenario="C3-ano-nuevo")
    async with app.run_test(size=(80, 24)) as pilot:
        await run_minutes(app, wall, pilot, 20)
        await pilot.press("o")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ListDialog)
        tall = 0
        for i, (_, _, ok) in enumerate(dialog.items):
            dialog.query_one("#list", OptionList).highlighted = i
            await pilot.pause()
            if not ok:
                await pilot.press("enter")  # refused: the reason appears under the list too
                await pilot.pause()
            await pilot.pause()
            box = dialog.query_one(".dialog").region
            hint = dialog.query(".hint").last().region
            tall = max(tall, dialog.query_one("#describe").region.height)
            assert hint.height == 1 and box.y < hint.y < box.bottom - 1, (i, hint, box)
        assert tall >= 5  # the check met a description of several lines
