"""Every screen of the exercise room as a picture, at 100x30 and 80x24, in Spanish and in English.

The wall clock is frozen (FakeClock) and moved only by the test, the app's own
timer never fires during a snapshot, cursors do not blink and toasts are
cleared, so the pictures are the same on every run. Update them after a
deliberate change with `pytest tests/test_tui_snapshots.py --snapshot-update`
and look at the report.
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from simulator import bundled_scenarios
from simulator.clock import FakeClock
from tui.app import SitroomApp
from tui.session import Session

SIZES = [(100, 30), (80, 24)]
LANGS = ["es", "en"]


def build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lang: str, role: str = "trainee",
          scenario: str | None = "P0-modulo-b", briefed: bool = True) -> SitroomApp:
    monkeypatch.chdir(tmp_path)  # the journal path on screen is then the same on every run
    wall = FakeClock()
    args = argparse.Namespace(scenario=scenario, seed=7, speed=60.0, team="Equipo 1", role=role, lang=lang,
                              journal="j.sitroom", resume=None)
    session = Session.from_args(args, wall) if scenario else None
    if session is not None and briefed:
        session.begin()
    # The launcher lists two fixed scenarios, so new bundled scenarios do not change its picture.
    listed = [b for b in bundled_scenarios() if b.id in ("tutorial", "P0-modulo-b")] if not session else None
    app = SitroomApp(args, session=session, bundled=listed, wall=wall,
                     tick_interval=3600, theme="textual-dark")
    app.notify = lambda *a, **k: None  # type: ignore[method-assign]  # toasts vanish on a wall-clock timer
    return app


def at(minutes: float, keys: Iterable[str] = (),
       then: Callable[[SitroomApp], None] | None = None) -> Callable[[Pilot], Awaitable[None]]:
    """Run the scenario to T+minutes, press keys, then freeze the picture."""

    async def run_before(pilot: Pilot) -> None:
        app = pilot.app
        assert isinstance(app, SitroomApp)
        await pilot.pause()
        if app.session is not None:
            for _ in range(int(minutes * 2)):
                app.wall.advance(30 / app.session.clock.speed)  # type: ignore[attr-defined]
                app.tick()
        await pilot.pause()
        if keys:
            await pilot.press(*keys)
        if then is not None:
            then(app)
        for screen in app.screen_stack:
            for inp in screen.query(Input):
                inp.cursor_blink = False
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("size", SIZES, ids=["100x30", "80x24"])
@pytest.mark.parametrize("lang", LANGS)
def test_launcher(snap_compare, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lang: str, size: tuple[int, int]) -> None:
    app = build(tmp_path, monkeypatch, lang, scenario=None)
    assert snap_compare(app, terminal_size=size, run_before=at(0))


@pytest.mark.parametrize("size", SIZES, ids=["100x30", "80x24"])
@pytest.mark.parametrize("lang", LANGS)
def test_room_trainee(snap_compare, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lang: str, size: tuple[int, int]) -> None:
    app = build(tmp_path, monkeypatch, lang)
    assert snap_compare(app, terminal_size=size, run_before=at(15))


@pytest.mark.parametrize("size", SIZES, ids=["100x30", "80x24"])
@pytest.mark.parametrize("lang", LANGS)
def test_room_instructor_with_ground_truth(snap_compare, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           lang: str, size: tuple[int, int]) -> None:
    app = build(tmp_path, monkeypatch, lang, role="instructor")
    assert snap_compare(app, terminal_size=size, run_before=at(15, ["space", "g"]))


def _fill_with_errors(app: SitroomApp) -> None:
    screen = app.screen
    screen.query_one("#f-information", Input).value = "Dos custodios dentro; 40 internos en el patio"
    screen.action_commit()  # type: ignore[attr-defined]  # shows the inline messages


@pytest.mark.parametrize("size", SIZES, ids=["100x30", "80x24"])
@pytest.mark.parametrize("lang", LANGS)
def test_decision_window(snap_compare, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lang: str, size: tuple[int, int]) -> None:
    app = build(tmp_path, monkeypatch, lang)
    assert snap_compare(app, terminal_size=size, run_before=at(4, ["d", "1"], _fill_with_errors))


@pytest.mark.parametrize("size", SIZES, ids=["100x30", "80x24"])
@pytest.mark.parametrize("lang", LANGS)
def test_orders(snap_compare, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lang: str, size: tuple[int, int]) -> None:
    app = build(tmp_path, monkeypatch, lang)
    assert snap_compare(app, terminal_size=size, run_before=at(2, ["o"]))


@pytest.mark.parametrize("size", SIZES, ids=["100x30", "80x24"])
@pytest.mark.parametrize("lang", LANGS)
def test_help(snap_compare, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lang: str, size: tuple[int, int]) -> None:
    app = build(tmp_path, monkeypatch, lang, role="instructor")
    assert snap_compare(app, terminal_size=size, run_before=at(0, ["f1"]))


@pytest.mark.parametrize("size", SIZES, ids=["100x30", "80x24"])
@pytest.mark.parametrize("lang", LANGS)
def test_injects(snap_compare, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lang: str, size: tuple[int, int]) -> None:
    app = build(tmp_path, monkeypatch, lang, role="instructor")
    assert snap_compare(app, terminal_size=size, run_before=at(2, ["i"]))


@pytest.mark.parametrize("size", SIZES, ids=["100x30", "80x24"])
@pytest.mark.parametrize("lang", LANGS)
def test_note_with_error(snap_compare, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lang: str, size: tuple[int, int]) -> None:
    app = build(tmp_path, monkeypatch, lang, role="instructor")
    assert snap_compare(app, terminal_size=size, run_before=at(2, ["n", "enter"]))


@pytest.mark.parametrize("size", SIZES, ids=["100x30", "80x24"])
@pytest.mark.parametrize("lang", LANGS)
def test_end(snap_compare, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lang: str, size: tuple[int, int]) -> None:
    app = build(tmp_path, monkeypatch, lang, role="instructor")
    assert snap_compare(app, terminal_size=size, run_before=at(5, ["e", "y"]))


@pytest.mark.parametrize("size", SIZES, ids=["100x30", "80x24"])
@pytest.mark.parametrize("lang", LANGS)
def test_briefing(snap_compare, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lang: str,
                  size: tuple[int, int]) -> None:
    app = build(tmp_path, monkeypatch, lang, briefed=False)
    assert snap_compare(app, terminal_size=size, run_before=at(0))


@pytest.mark.parametrize("size", SIZES, ids=["100x30", "80x24"])
@pytest.mark.parametrize("lang", LANGS)
def test_decision_chooser(snap_compare, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lang: str,
                          size: tuple[int, int]) -> None:
    app = build(tmp_path, monkeypatch, lang)
    assert snap_compare(app, terminal_size=size, run_before=at(9, ["d"]))
