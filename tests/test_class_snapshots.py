"""The class screens as pictures at 120x36, in Spanish and English: the team's briefing and the console.

No host runs here: the client holds a fixed view and overview, computed by the engine and the
host's own view code from a seeded simulation, so the pictures are the same on every run.
Update after a deliberate change with `pytest tests/test_class_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

import pytest

from classroom import views
from classroom.client import ClassClient, TeamView
from classroom.protocol import snapshot_from_json, snapshot_to_json
from simulator import Simulation, load_scenario, resolve_scenario
from tui.console import ConsoleApp
from tui.remote import RemoteApp, RemoteSession

SIZE = (120, 36)
LANGS = ["es", "en"]


class FixedLink:
    """What the screens read of a client thread, with nothing behind it."""

    def __init__(self, client: ClassClient) -> None:
        self.client = client

    def call(self, coro, timeout: float = 0.0):  # noqa: ANN001, ANN201 - never awaited in these pictures
        coro.close()
        raise TimeoutError

    def stop(self) -> None:
        """Nothing to stop."""


def fixed_client(kind: str, team_status: str = "briefing") -> ClassClient:
    scenario = load_scenario(resolve_scenario("tutorial"))
    role = scenario.team_role
    client = ClassClient("http://127.0.0.1:1/join/fixed")
    client.connected = True
    sims = {}
    for n, name in enumerate(("Alfa", "Bravo", "Charlie")):
        sim = Simulation(scenario, 7, honour_pauses=True)
        sim.advance(0 if team_status == "briefing" else 4 + 3 * n)
        sims[name] = sim
    if kind == "team":
        sim = sims["Alfa"]
        client.welcome = {"kind": "team", "team": "Alfa", "role": role, "seed": 7}
        client.scenario = views.scenario_from_catalog(views.catalog(scenario, role))
        view = TeamView("Alfa", status=team_status, t=sim.now, speed=60.0, running=False,
                        snapshot=snapshot_from_json(snapshot_to_json(sim.snapshot(role))),
                        events=list(sim.visible_events(role)))
        client.views["Alfa"] = view
    else:
        client.welcome = {"kind": kind}
        client.scenario = views.scenario_from_catalog(views.catalog(scenario, None))
        statuses = {"Alfa": "running", "Bravo": "paused", "Charlie": "halted"}
        client.overview = {"title": scenario.title, "seed": 7, "seeds": "common", "started": True,
                           "teams": [views.team_summary(name, sim, statuses[name], 60.0, name == "Alfa",
                                                        1 if name != "Charlie" else 0)
                                     for name, sim in sims.items()]}
    return client


@pytest.mark.parametrize("lang", LANGS)
def test_team_briefing_before_the_class_starts(snap_compare, lang):
    session = RemoteSession(FixedLink(fixed_client("team")), lang)  # type: ignore[arg-type]
    app = RemoteApp(session, lang, theme="textual-dark", tick_interval=3600)
    app.notify = lambda *a, **k: None  # type: ignore[method-assign]

    async def first_frame(pilot) -> None:  # noqa: ANN001
        app.tick()
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=first_frame)


@pytest.mark.parametrize("lang", LANGS)
def test_console_overview_of_three_teams(snap_compare, lang):
    app = ConsoleApp(FixedLink(fixed_client("instructor", "running")), lang)  # type: ignore[arg-type]
    assert snap_compare(app, terminal_size=SIZE)
