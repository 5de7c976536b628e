"""The room's order window with parameters, driven with Pilot on P1 (format 2): the count within
its limits and the site, keyboard only, in both languages; what was ordered reaches the journal."""

from __future__ import annotations

from pathlib import Path

from test_tui import SIZE, make_app, run_minutes, sync

from simulator import Journal
from tui.dialogs import ListDialog, OrderParamsScreen
from tui.room import RoomScreen


def highlight(dialog: ListDialog, key: str) -> None:
    dialog.query_one("#list").highlighted = [k for k, _, _ in dialog.items].index(key)


@sync
async def test_the_team_chooses_how_many_and_where_and_the_limits_are_shown(tmp_path: Path) -> None:
    app, wall = make_app(tmp_path, scenario="P1-unidad-c")
    async with app.run_test(size=SIZE) as pilot:
        await run_minutes(app, wall, pilot, 1)
        await pilot.press("o")
        highlight(app.screen, "reinforce_d")
        await pilot.pause()
        assert "al darla elige cuántas (1-2)" in str(app.screen.query_one("#describe").render())
        await pilot.press("enter")
        params = app.screen
        assert isinstance(params, OrderParamsScreen)
        count = str(params.query_one("#count").render())
        assert "◀ 1 ▶" in count and "de 1 a 2 · libres ahora: 6" in count
        await pilot.press("right", "right", "plus")  # no further than the order's maximum
        assert params.count == 2
        await pilot.press("3")
        assert "de 1 a 2" in str(params.query_one("#error").render()) and params.count == 2
        await pilot.press("left", "2", "enter")
        await pilot.pause()
        assert isinstance(app.screen, RoomScreen)  # the list closed with the window
        assert app.session.sim.v["officers.en_route"] == 2
        # The site: up and down pick it, Enter gives the order there.
        await pilot.press("o")
        highlight(app.screen, "medical")
        await pilot.press("enter")
        sites = app.screen
        assert isinstance(sites, OrderParamsScreen)
        ol = sites.query_one("#sites")
        assert ol.highlighted == 0  # the author's default: the triage point
        assert str(ol.get_option_at_index(1).prompt) == "Reja de la Unidad C (perímetro interior) · traslado 2 min"
        await pilot.press("down", "down", "up", "enter")
        await pilot.pause()
        assert isinstance(app.screen, RoomScreen)
        med = app.session.sim.units["medical_1"]
        assert med.site == {"es": "Reja de la Unidad C (perímetro interior)", "en": "Unidad C gate (inner perimeter)"}
        # Escape goes back to the list and gives nothing.
        await pilot.press("o")
        highlight(app.screen, "reinforce_d")
        await pilot.press("enter")
        assert "ya se dio" in str(app.screen.query_one("#error").render())  # limit 1: no window opens
        await pilot.press("escape")
    j = Journal.open(tmp_path / "j.sitroom")
    try:
        orders = [i.payload for i in j.inputs() if i.kind == "order"]
    finally:
        j.close()
    assert orders == [{"order": "reinforce_d", "cause": "team", "params": {"count": 2}},
                      {"order": "medical", "cause": "team", "params": {"site": "unit_c_gate"}}]


@sync
async def test_the_order_window_speaks_english_and_says_when_too_few_are_free(tmp_path: Path) -> None:
    app, wall = make_app(tmp_path, scenario="P1-unidad-c", lang="en")
    async with app.run_test(size=SIZE) as pilot:
        await run_minutes(app, wall, pilot, 1)
        sim = app.session.sim
        for order in ("seal", "lockdown"):
            sim.order(order)  # four of the six officer teams leave
        sim.order("protect_informants")
        await pilot.press("o")
        highlight(app.screen, "reinforce_d")
        await pilot.press("enter")
        params = app.screen
        assert isinstance(params, OrderParamsScreen)
        assert "How many units of Team of 4 officers?" in str(params.query_one(".field").render())
        count = str(params.query_one("#count").render())
        assert "◀ 1 ▶" in count and "1 to 2 · free now: 1" in count
        await pilot.press("right")
        assert params.count == 1  # at most what is free
        assert "changes the count" in str(params.query(".hint").last().render())
        await pilot.press("escape")
        assert isinstance(app.screen, ListDialog) and not sim.order_times["reinforce_d"]


def test_what_an_order_for_a_several_kind_task_commits_is_said_in_one_phrase(tmp_path: Path) -> None:
    from engine_fixtures import tiny_text

    from simulator import load_scenario_text
    from tui.dialogs import order_detail

    text = tiny_text("""\
roles:
  team: {name: {es: Equipo, en: Team}}
resources:
  cert: {label: {es: Escuadra CERT, en: CERT squad}, count: 2, travel: 3}
  negotiator: {label: {es: Negociador, en: Negotiator}, count: 1, travel: 2, audience: instructor}
tasks:
  entry: {label: {es: Entrada, en: Entry}, needs: {cert: 2, negotiator: 1}, work: 5}
orders:
  go_in: {label: {es: Entrar, en: Go in}, task: entry}
""").replace("sitroom: 1", "sitroom: 2")
    path = tmp_path / "x.yaml"
    path.write_text(text, encoding="utf-8")
    app, _ = make_app(tmp_path, scenario=str(path), role="trainee")
    session = app.session
    assert session.scenario.tasks["entry"].kinds == (("cert", 2), ("negotiator", 1))
    assert order_detail(session, "go_in", "en").startswith(
        "sends together 2 units of CERT squad (2 free now) and 1 unit of Negotiator to “Entry”")
    assert order_detail(session, "go_in", "es").startswith(
        "envía juntas 2 unidades de «Escuadra CERT» (libres ahora: 2) y 1 unidad de «Negociador» a «Entrada»")
    assert load_scenario_text(text).format == 2


@sync
async def test_a_frame_landing_while_the_window_closes_does_not_crash_the_room(tmp_path: Path) -> None:
    app, wall = make_app(tmp_path, scenario="P1-unidad-c", lang="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await run_minutes(app, wall, pilot, 1)
        await pilot.press("o")
        highlight(app.screen, "reinforce_d")
        await pilot.press("enter")
        params = app.screen
        assert isinstance(params, OrderParamsScreen)
        await params.query_one("#count").remove()  # as when Esc has begun taking the window down
        params.refresh_limits()  # the app's frame calls this on the top screen: it must just return
        await pilot.press("escape")
        await run_minutes(app, wall, pilot, 1)
        assert isinstance(app.screen, ListDialog)
