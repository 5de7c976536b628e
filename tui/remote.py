"""A remote session: a team's exercise running on the class host, rendered by the same room screens.

`RemoteSession` offers what the room reads from `tui.session.Session` (the scenario, a
`sim` with `snapshot`, `events`, `now`, `decisions`...; `decide`, `order`), but holds only
what the host sent for the team's role: its scenario catalog, its latest snapshot and its
events. The engine runs on the host; the client (`classroom.client.ClassClient`) runs on
its own event loop in a thread, and a command here waits for the host's acknowledgement,
so a decision the room says is recorded is in the team's journal on the host.

In a class the host owns the clock: the briefing stays up until the instructor starts the
class (a team's `begin()` starts nothing), and when a decision opens above the alert speed
it is the host that drops the team's clock (the room only says so, as it does locally).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import threading
from collections.abc import Coroutine
from typing import Any

from textual.css.query import NoMatches
from textual.widgets import Static

from classroom.client import ClassClient, HostRefused, TeamView
from simulator import CommandRejected, Event, OrderStatus, Scenario, Snapshot, UnitView, tr
from simulator.model import DecisionState
from simulator.orders import resolve_params

from .app import SitroomApp
from .briefing import BriefingScreen
from .session import Draft, Session

COMMAND_TIMEOUT_S = 10.0
RECONNECT_FOR_S = 900.0  # long enough for the instructor to notice a dead host and `sitroom class resume` it

WORDS: dict[str, dict[str, str]] = {
    "connecting": {"es": "Conectando con el anfitrión de la clase…", "en": "Connecting to the class host…"},
    "reconnecting": {"es": "Se perdió la conexión con el anfitrión; reconectando…",
                     "en": "Lost the connection to the host; reconnecting…"},
    "reconnected": {"es": "Conexión restablecida.", "en": "Connection restored."},
    "host_gone": {"es": "El anfitrión ya no responde. El ejercicio sigue guardado en el anfitrión.",
                  "en": "The host no longer answers. The exercise is still saved on the host."},
    "briefing_wait": {"es": "Lea el informe inicial. El reloj empieza cuando el instructor inicie la clase.",
                      "en": "Read the briefing. The clock starts when the instructor starts the class."},
    "journal_remote": {"es": "{team}.sitroom, en el anfitrión de la clase",
                       "en": "{team}.sitroom, on the class host"},
    "debrief_remote": {"es": "El instructor genera el informe de toda la clase: sitroom debrief DIRECTORIO_DE_CLASE",
                       "en": "The instructor debriefs the whole class: sitroom debrief CLASS_DIRECTORY"},
    "not_a_team": {"es": "Este enlace es del personal (instructor o evaluador).",
                   "en": "This link is for staff (instructor or evaluator)."},
    "refused": {"es": "El anfitrión rechazó el enlace: {why}", "en": "The host refused the link: {why}"},
    "unreachable": {"es": "No se pudo contactar al anfitrión: {why}", "en": "Cannot reach the host: {why}"},
    "host_timeout": {"es": "el anfitrión no respondió a tiempo", "en": "the host did not answer in time"},
}


def rw(key: str, lang: str, **fields: object) -> str:
    """A remote-session text in `lang`."""
    return WORDS[key][lang].format(**fields)


class ClientThread:
    """A `ClassClient` on its own event loop in a daemon thread; the UI thread calls it synchronously."""

    def __init__(self, client: ClassClient) -> None:
        self.client = client
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="sitroom-class-client", daemon=True)
        self._thread.start()

    def call(self, coro: Coroutine[Any, Any, Any], timeout: float = COMMAND_TIMEOUT_S) -> Any:
        """Run a coroutine on the client's loop and wait for its result (raises what it raised)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        """Close the connection and the loop."""
        if self.loop.is_running():
            with contextlib.suppress(Exception):  # best effort: the host keeps the exercise either way
                self.call(self.client.close(), 5.0)
            self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5.0)


class RemoteClock:
    """The team's clock as the host last described it (read-only: only the instructor moves it)."""

    def __init__(self, session: RemoteSession) -> None:
        self._session = session

    @property
    def running(self) -> bool:
        view = self._session.view
        return bool(view and view.running and view.status == "running")

    @property
    def speed(self) -> float:
        """The speed as the room last took it (see `RemoteSession.sync_speed`)."""
        return self._session.shown_speed


class RemoteSim:
    """The reading side of a `Simulation`, answered from the host's latest view of one team."""

    def __init__(self, session: RemoteSession) -> None:
        self._session = session

    @property
    def _view(self) -> TeamView:
        view = self._session.view
        assert view is not None and view.snapshot is not None, "no view from the host yet"
        return view

    @property
    def now(self) -> float:
        return self._view.clock_now()

    @property
    def events(self) -> list[Event]:
        return self._view.events

    @property
    def halted_for(self) -> str | None:
        snap = self._view.snapshot
        return snap.halted_for if snap else None

    @property
    def ended(self) -> bool:
        view = self._view
        return view.status == "ended" or bool(view.snapshot and view.snapshot.ended)

    @property
    def end_reason(self) -> str | None:
        snap = self._view.snapshot
        return snap.end_reason if snap else None

    @property
    def end_time(self) -> float | None:
        return next((e.t for e in reversed(self.events) if e.kind == "end"), None)

    @property
    def fired(self) -> dict[str, float]:
        return {e.ref: e.t for e in self.events if e.kind == "inject"}

    @property
    def decisions(self) -> dict[str, DecisionState]:
        """Decision states rebuilt from the snapshot (open and decided points the role sees)."""
        snap = self._view.snapshot
        assert snap is not None
        opened = {e.ref: e.t for e in self.events if e.kind == "decision_open"}
        out = {d.id: DecisionState(d.opened_at, d.deadline_at) for d in snap.open_decisions}
        for point, option, at, cause in snap.decided:
            out[point] = DecisionState(opened.get(point, at), None, at, option, None, None, cause)
        return out

    def offered_options(self, point: str) -> tuple[str, ...]:
        """The options the point offers now, as the host last said (none when it is not open)."""
        snap = self._view.snapshot
        return next((d.offered for d in snap.open_decisions if d.id == point), ()) if snap else ()

    def snapshot(self, role: str | None = None) -> Snapshot:
        """The host's snapshot for this team's role (the host decides what the role sees)."""
        snap = self._view.snapshot
        assert snap is not None
        return snap

    @property
    def units(self) -> dict[str, UnitView]:
        """The units the role sees, by id (from the snapshot)."""
        snap = self._view.snapshot
        return {u.id: u for u in snap.units} if snap else {}

    def order_check(self, order_id: str, role: str | None = None,
                    params: dict[str, Any] | None = None) -> OrderStatus:
        """The order's status as the host computed it for this team's role (not in the view: unavailable).

        With `params`, also their bounds and, for units the role sees, the free count in its view;
        the host checks them again when the order is given."""
        snap = self._view.snapshot
        found = next((o.status for o in snap.orders if o.id == order_id), None) if snap else None
        status = found or OrderStatus("unavailable")
        order = self._session.scenario.orders.get(order_id)
        if not status.ok or params is None or order is None or order.params is None:
            return status
        chosen = resolve_params(order, params)
        count = order.params.count
        if count is not None:
            n = chosen["count"]
            if not isinstance(n, int) or not count.lo <= n <= count.hi:
                return OrderStatus("params", param="count")
            free = sum(1 for u in snap.units if u.resource == count.resource and u.status == "ready") if snap else 0
            if count.resource in self._session.scenario.resources and free < n:
                return OrderStatus("units", count.resource, free, n)
        if "site" in chosen and order.params.site(str(chosen["site"])) is None:
            return OrderStatus("params", param="site")
        return status

    def objective_ratings(self) -> list[Any]:
        return []  # ratings are for the debrief; a team's client has none


class RemoteTeam:
    """What the room reads of `session.exercise`: the team's name and seed."""

    def __init__(self, team: str, seed: int) -> None:
        self.team = team
        self.seed = seed


class RemoteSession:
    """A team's exercise on the class host, with the reading and command interface of `Session`."""

    instructor = False
    remote = True  # the host keeps the team's journal
    resumed = False

    def __init__(self, link: ClientThread, lang: str) -> None:
        client = link.client
        assert client.scenario is not None and client.team is not None
        self.link = link
        self.client = client
        self.lang = lang
        self.scenario: Scenario = client.scenario
        self.role = str(client.welcome.get("role") or "team")
        self.exercise = RemoteTeam(client.team, int(client.welcome.get("seed", 0)))
        self.sim = RemoteSim(self)
        self.clock = RemoteClock(self)
        self.drafts: dict[str, Draft] = {}
        self.closed = False
        self._drained = 0
        view = client.view
        self.shown_speed = view.speed if view else 1.0

    # Pure readings shared with the local session: one definition each.
    local_time = Session.local_time
    status_key = Session.status_key
    visible = Session.visible
    order_why = Session.order_why
    order_check = Session.order_check
    speed_text = Session.speed_text
    elapsed_text = Session.elapsed_text

    @property
    def view(self) -> TeamView | None:
        return self.client.view

    @property
    def seed(self) -> int:
        return self.exercise.seed

    @property
    def actor(self) -> str:
        return self.exercise.team

    @property
    def ended(self) -> bool:
        return self.sim.ended

    @property
    def journal_path(self) -> str:
        return rw("journal_remote", self.lang, team=self.exercise.team)

    @property
    def begun(self) -> bool:
        """Has the instructor started the class for this team (the host's start)?"""
        return self.status not in ("waiting", "briefing")

    def begin(self) -> None:
        """Nothing: in a class the instructor starts the clock (`start_class` on the host), not the team."""

    @property
    def alert_speed(self) -> float:
        """The speed the host drops this team's clock to when a decision opens."""
        view = self.view
        return view.alert_speed if view and view.alert_speed else self.scenario.alert_speed

    def sync_speed(self) -> None:
        """Before a frame: take a speed change the host made for any reason but a decision alert.

        The room says "slowed for a decision" when the speed falls during `tick()`; only the
        host's alert drop (the view names the decision) is left for `tick()` to take."""
        view = self.view
        if view is None or view.speed == self.shown_speed:
            return
        if not (view.speed < self.shown_speed and view.slowed_for):
            self.shown_speed = view.speed

    @property
    def status(self) -> str:
        """The host's word for the team: waiting, briefing, running, paused, halted or ended."""
        view = self.view
        return view.status if view else "waiting"

    def drain(self) -> list[Event]:
        """Events not yet handed to the screen."""
        events = self.sim.events
        new = events[self._drained:]
        self._drained = len(events)
        return new

    def tick(self, budget_s: float = 0.0) -> None:
        """Nothing to advance here (the host runs the engine); take the host's latest speed."""
        view = self.view
        if view is not None:
            self.shown_speed = view.speed

    def now(self) -> float:
        return self.sim.now

    # ---------------------------------------------------------------- commands
    def _command(self, coro: Coroutine[Any, Any, dict[str, Any]]) -> dict[str, Any]:
        try:
            return self.link.call(coro)
        except HostRefused as exc:
            raise CommandRejected(exc.message, field=exc.field) from None
        except TimeoutError:
            raise CommandRejected(rw("host_timeout", self.lang)) from None

    def _wait_view(self, done: Any) -> None:
        """Wait (briefly) for the view that shows a command's effect; the host sends it right after the ack."""
        with contextlib.suppress(TimeoutError):
            self.link.call(self.client.wait_for(done, 2.0), 3.0)

    def decide(self, point: str, option: str, rationale: dict[str, Any], force: int | None) -> Event:
        ack = self._command(self.client.decide(point, option, rationale, force))
        self._wait_view(lambda: any(d[0] == point for d in (self.view.snapshot.decided if self.view and
                                                             self.view.snapshot else ())))
        self.drafts.pop(point, None)
        return self._event(ack)

    def order(self, order_id: str, params: dict[str, Any] | None = None) -> Event:
        ack = self._command(self.client.order(order_id, params))
        self._wait_view(lambda: bool(self.view and self.view.events and self.view.events[-1].seq >= ack["event"]))
        return self._event(ack)

    def _event(self, ack: dict[str, Any]) -> Event:
        seq = int(ack.get("event", -1))
        found = next((e for e in reversed(self.sim.events) if e.seq == seq), None)
        return found or Event(seq, float(ack.get("t", 0.0)), str(ack.get("kind", "")), "", (), {})

    def debrief_command(self, lang: str) -> str:
        return rw("debrief_remote", lang)

    def resume_command(self) -> str:
        return "sitroom join URL"

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.link.stop()


class ClassBriefingScreen(BriefingScreen):
    """The room's briefing; before the class starts it stays up and says the instructor starts the clock."""

    def on_mount(self) -> None:
        super().on_mount()
        if self.before_start:
            self.query_one("#brief-hint", Static).update(rw("briefing_wait", self.lang))

    def action_begin(self) -> None:
        if self.before_start:
            self.app.bell()  # the team cannot start a class: the hint on screen says who does
            return
        super().action_begin()


class RemoteApp(SitroomApp):
    """The exercise room on a remote session: the briefing until the class starts, and the connection's state."""

    TITLE = "sitroom"

    def __init__(self, session: RemoteSession, lang: str, *, theme: str | None = None,
                 tick_interval: float | None = None) -> None:
        args = argparse.Namespace(lang=lang, role="trainee", scenario=None, resume=None)
        if tick_interval is None:
            super().__init__(args, session=session, theme=theme)
        else:
            super().__init__(args, session=session, theme=theme, tick_interval=tick_interval)
        self.remote = session
        self._briefing: ClassBriefingScreen | None = None
        self._was_connected = True
        self._gave_up = False
        self.title = f"sitroom · {tr(session.scenario.title, lang)}"

    def briefing_screen(self, session: Session, before_start: bool) -> BriefingScreen:
        """The class's briefing: before the start it waits for the instructor, not for Enter."""
        screen = ClassBriefingScreen(session, before_start=before_start)
        if before_start:
            self._briefing = screen
        return screen

    def _tick(self) -> None:
        s = self.remote
        connected = s.client.connected
        if s.client.gave_up and not self._gave_up:
            self._gave_up = True
            self.notify(rw("host_gone", self.lang), severity="error", timeout=30)
        elif connected != self._was_connected:
            self._was_connected = connected
            self.notify(rw("reconnected" if connected else "reconnecting", self.lang),
                        severity="information" if connected else "warning")
        if self._briefing is not None and s.begun:
            if self._briefing not in self.screen_stack:
                self._briefing = None
            elif self.screen is self._briefing:  # under the help, say: dismissed once it is on top
                self._briefing.dismiss(None)
                self._briefing = None
        s.sync_speed()
        try:
            super()._tick()
        except NoMatches:
            return  # a screen is being torn down (quit); the host holds the exercise


def connect(url: str, lang: str) -> tuple[ClientThread | None, str]:
    """Open a join link on a client thread: (link, "") or (None, why not) in `lang`."""
    try:
        client = ClassClient(url, lang=lang, reconnect_for=RECONNECT_FOR_S)
    except ValueError as exc:
        return None, str(exc)
    link = ClientThread(client)
    try:
        link.call(client.connect(10.0), 12.0)
    except HostRefused as exc:
        link.stop()
        from classroom.words import refusal
        return None, rw("refused", lang, why=refusal(exc.code, exc.message, lang))
    except (OSError, TimeoutError) as exc:
        link.stop()
        return None, rw("unreachable", lang, why=str(exc) or type(exc).__name__)
    return link, ""


def run_join(url: str, lang: str) -> int:
    """`sitroom join URL`: a team's room, or (staff links) the instructor console / evaluator view."""
    link, why = connect(url, lang)
    if link is None:
        print(why, file=sys.stderr)
        return 1
    if link.client.kind != "team":
        from .console import ConsoleApp

        app = ConsoleApp(link, lang)
        try:
            app.run()
        finally:
            link.stop()
        return int(app.return_code or 0)
    link.call(link.client.wait_for(lambda: link.client.view is not None and link.client.view.snapshot is not None))
    session = RemoteSession(link, lang)
    app = RemoteApp(session, lang)
    try:
        app.run()
    finally:
        session.close()
    return int(app.return_code or 0)

