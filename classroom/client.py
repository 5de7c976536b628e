"""An asyncio client of the class host: what `sitroom join`, the console, scripts, tests and the bench use.

It opens the websocket of a join link, says `hello` with the token, and from then on keeps
the latest view of each team it sees (the engine's own `Snapshot` and `Event` types, as
the host computed them for its role) and the class overview. Commands are requests that
return the host's `ack` or raise `HostRefused` with the host's code and message. When the
connection drops, the client reconnects with the same token and asks only for the events
it does not hold yet, so a reload is the same team in the same state.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from simulator import Event, Scenario, Snapshot

from . import views
from .protocol import (
    COMMANDS,
    PROTOCOL_VERSION,
    ProtocolError,
    encode,
    event_from_json,
    snapshot_from_json,
)


class HostRefused(Exception):
    """The host answered a request with an error (its code, message and the field at fault)."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(f"{message} ({code})")
        self.code = code
        self.message = message
        self.field = field


@dataclass
class TeamView:
    """What the client holds of one team: the host's latest snapshot and every event it was sent."""

    team: str
    truth: bool = False
    t: float = 0.0
    status: str = "waiting"
    speed: float = 1.0
    running: bool = False
    target: float = 0.0  # where the team's clock was when the host sent the view
    received: float = 0.0  # monotonic time the view arrived (to run the clock on between views)
    sent: float | None = None  # the host's wall time (time.time()) when it sent the view
    snapshot: Snapshot | None = None
    alert_speed: float | None = None  # the host drops the team's clock to this when a decision opens
    slowed_for: str | None = None  # the decision the host last slowed the clock for (None after any other change)
    events: list[Event] = field(default_factory=list)

    def clock_now(self, now: float | None = None) -> float:
        """The team's clock as of now, run on from the last view at its speed (capped one minute ahead)."""
        if not self.running or self.status != "running":
            return self.t
        dt = (time.monotonic() if now is None else now) - self.received
        return max(self.t, min(self.target + dt * self.speed / 60.0, self.t + 1.0))


def parse_join_url(url: str) -> tuple[str, str]:
    """`http://HOST:PORT/join/TOKEN` -> (websocket URL, token). Raises ValueError saying what is wrong."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https", "ws", "wss") or not parts.netloc:
        raise ValueError(f"{url!r} is not a join link (it looks like http://HOST:PORT/join/TOKEN)")
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) != 2 or segments[0] != "join" or not segments[1]:
        raise ValueError(f"{url!r} is not a join link: its path should be /join/TOKEN")
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)
    return f"{scheme}://{parts.netloc}/ws", segments[1]


class ClassClient:
    """One connection to a class host, kept open (and re-opened) until `close`."""

    def __init__(self, url: str, *, lang: str = "es", reconnect: bool = True, reconnect_for: float = 60.0,
                 on_update: Callable[[str], None] | None = None) -> None:
        self.ws_url, self.token = parse_join_url(url)
        self.lang = lang
        self.reconnect = reconnect
        self.reconnect_for = reconnect_for
        self.on_update = on_update  # called with "view", "overview", "connection" or "bye"
        self.welcome: dict[str, Any] = {}
        self.views: dict[str, TeamView] = {}
        self.overview: dict[str, Any] | None = None
        self.connected = False
        self.closed = False
        self.bye: str | None = None
        self.reconnects = 0
        self.gave_up = False  # the host stayed away longer than `reconnect_for`, or refused the token
        self.scenario: Scenario | None = None
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._nonce = secrets.token_hex(4)  # request ids are unique to this client, so the host can dedupe them
        self._ids = itertools.count(1)
        self._pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._unanswered: dict[str, str] = {}  # id -> the frame, for commands sent but not yet answered
        self._instance: str | None = None  # the host process we talk to (a restart is another one)
        self._changed = asyncio.Condition()
        self._reader: asyncio.Task[None] | None = None
        self._watching: str | None = None

    # ---------------------------------------------------------------- who we are
    @property
    def kind(self) -> str:
        return str(self.welcome.get("kind", ""))

    @property
    def team(self) -> str | None:
        return self.welcome.get("team")

    @property
    def view(self) -> TeamView | None:
        """A team client's own team; a staff client's drilled-in team."""
        name = self.team or self._watching
        return self.views.get(name) if name else None

    # ---------------------------------------------------------------- connection
    async def connect(self, timeout: float = 10.0) -> dict[str, Any]:
        """Open the connection and say hello; the welcome. Raises HostRefused or OSError."""
        self._session = self._session or aiohttp.ClientSession()
        await asyncio.wait_for(self._open(), timeout)
        self._reader = asyncio.create_task(self._read_forever())
        return self.welcome

    async def _open(self) -> None:
        assert self._session is not None
        try:
            ws = await self._session.ws_connect(self.ws_url, heartbeat=20, max_msg_size=0)
        except aiohttp.ClientError as exc:
            raise OSError(f"cannot reach the class host at {self.ws_url}: {exc}") from None
        hello: dict[str, Any] = {"type": "hello", "v": PROTOCOL_VERSION, "token": self.token, "lang": self.lang}
        own = self.views.get(self.team or "")
        if own is not None:
            hello["since"] = own.events[-1].seq + 1 if own.events else 0
        await ws.send_str(encode(hello))
        first = await ws.receive()
        if first.type != aiohttp.WSMsgType.TEXT:
            await ws.close()
            raise OSError("the class host closed the connection before answering")
        msg = first.json()
        if msg.get("type") == "error":
            await ws.close()
            raise HostRefused(msg.get("code", "error"), msg.get("message", ""), msg.get("field"))
        if msg.get("type") != "welcome":
            await ws.close()
            raise HostRefused("bad_message", f"the host answered hello with {msg.get('type')!r}")
        self.welcome = msg
        if self.scenario is None and isinstance(msg.get("catalog"), dict):
            self.scenario = views.scenario_from_catalog(msg["catalog"])
        self._ws = ws
        self.connected = True
        if self._watching is not None:
            await ws.send_str(encode({"type": "watch", "id": self._next_id(), "team": self._watching}))
        instance = msg.get("instance")
        if self._unanswered and instance == self._instance:
            # The same host: commands that were in flight when the connection dropped are sent again with
            # their ids; the host answers each from its record if it had already carried it out.
            for frame in list(self._unanswered.values()):
                await ws.send_str(frame)
        elif self._unanswered:
            self._fail_unanswered(HostRefused("host_restarted", "the host restarted before answering; "
                                              "check the view to see whether the command took effect"))
        self._instance = instance

    async def _read_forever(self) -> None:
        while not self.closed:
            ws = self._ws
            assert ws is not None
            async for msg in ws:
                if msg.type == aiohttp.WSMsgType.TEXT:
                    try:
                        self._dispatch(msg.json())
                    except (ProtocolError, ValueError) as exc:
                        self._fail_pending(HostRefused("bad_view", str(exc)))
                elif msg.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                    break
            self.connected = False
            self._fail_pending(HostRefused("disconnected", "the connection to the host dropped"), keep_commands=True)
            await self._notify("connection")
            if self.closed or not self.reconnect or self.bye == "class_ended":
                return
            if not await self._reconnect():
                self.gave_up = True
                self._fail_unanswered(HostRefused("disconnected", "the host stayed away; the command may not "
                                                  "have been carried out"))
                await self._notify("connection")
                return

    async def _reconnect(self) -> bool:
        deadline = time.monotonic() + self.reconnect_for
        delay = 0.1
        while not self.closed and time.monotonic() < deadline:
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)
            try:
                await asyncio.wait_for(self._open(), 5.0)
            except (OSError, TimeoutError, aiohttp.ClientError):
                continue
            except HostRefused:
                return False
            self.reconnects += 1
            self.bye = None
            await self._notify("connection")
            return True
        return False

    async def close(self) -> None:
        """Close the connection for good."""
        self.closed = True
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        if self._session is not None:
            await self._session.close()
        self._fail_pending(HostRefused("closed", "the client was closed"))

    # ---------------------------------------------------------------- receiving
    def _dispatch(self, msg: dict[str, Any]) -> None:
        kind = msg.get("type")
        if kind in ("ack", "error") and msg.get("id") in self._pending:
            self._unanswered.pop(msg["id"], None)
            fut = self._pending.pop(msg["id"])
            if not fut.done():
                if kind == "ack":
                    fut.set_result(msg)
                else:
                    fut.set_exception(HostRefused(msg.get("code", "error"), msg.get("message", ""), msg.get("field")))
            return
        if kind == "view":
            self._take_view(msg)
            self._schedule_notify("view")
        elif kind == "overview":
            self.overview = msg
            self._schedule_notify("overview")
        elif kind == "bye":
            self.bye = str(msg.get("reason", ""))
            self._schedule_notify("bye")

    def _take_view(self, msg: dict[str, Any]) -> None:
        name = str(msg["team"])
        view = self.views.get(name)
        if view is None or view.truth != bool(msg.get("truth")):
            view = self.views[name] = TeamView(name, truth=bool(msg.get("truth")))
        last = view.events[-1].seq if view.events else -1
        for rec in msg.get("events", []):
            if self.scenario is not None:
                views.learn_inject(self.scenario, rec)
            ev = event_from_json(rec)
            if ev.seq > last:
                view.events.append(ev)
                last = ev.seq
        view.snapshot = snapshot_from_json(msg["snapshot"])
        view.t = float(msg["t"])
        view.status = str(msg["status"])
        clock = msg.get("clock") or {}
        view.speed = float(clock.get("speed", view.speed))
        view.running = bool(clock.get("running", False))
        alert = clock.get("alert_speed")
        view.alert_speed = float(alert) if isinstance(alert, int | float) and alert > 0 else None
        slowed = clock.get("slowed_for")
        view.slowed_for = str(slowed) if isinstance(slowed, str) else None
        view.target = float(msg.get("target", view.t))
        view.received = time.monotonic()
        sent = msg.get("sent")
        view.sent = float(sent) if isinstance(sent, int | float) else None

    def _schedule_notify(self, what: str) -> None:
        asyncio.get_running_loop().create_task(self._notify(what))

    async def _notify(self, what: str) -> None:
        async with self._changed:
            self._changed.notify_all()
        if self.on_update is not None:
            self.on_update(what)

    def _fail_pending(self, exc: HostRefused, keep_commands: bool = False) -> None:
        """Fail the waiting requests; with `keep_commands`, commands wait to be sent again on reconnect."""
        for rid, fut in list(self._pending.items()):
            if keep_commands and rid in self._unanswered and self.reconnect and not self.closed:
                continue
            if not fut.done():
                fut.set_exception(exc)
            self._pending.pop(rid, None)
            self._unanswered.pop(rid, None)

    def _fail_unanswered(self, exc: HostRefused) -> None:
        for rid in list(self._unanswered):
            fut = self._pending.pop(rid, None)
            if fut is not None and not fut.done():
                fut.set_exception(exc)
        self._unanswered.clear()

    def _next_id(self) -> str:
        return f"{self._nonce}-{next(self._ids)}"

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        """Wait until `predicate()` holds after some message arrives. Raises TimeoutError."""
        async def _wait() -> None:
            async with self._changed:
                await self._changed.wait_for(predicate)
        await asyncio.wait_for(_wait(), timeout)

    # ---------------------------------------------------------------- requests
    async def request(self, kind: str, timeout: float = 10.0, **fields: Any) -> dict[str, Any]:
        """Send one message and wait for its ack. Raises HostRefused (also when disconnected)."""
        if self._ws is None or not self.connected:
            raise HostRefused("disconnected", "not connected to the class host")
        rid = self._next_id()
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        frame = encode({"type": kind, "id": rid, **fields})
        self._pending[rid] = fut
        if kind in COMMANDS:
            self._unanswered[rid] = frame
        await self._ws.send_str(frame)
        try:
            return await asyncio.wait_for(fut, timeout)
        finally:
            self._pending.pop(rid, None)
            self._unanswered.pop(rid, None)

    async def send_raw(self, text: str) -> None:
        """Send a frame as is (tests of the host's checks)."""
        assert self._ws is not None
        await self._ws.send_str(text)

    async def decide(self, point: str, option: str, rationale: dict[str, Any] | None = None,
                     force: int | None = None) -> dict[str, Any]:
        """Answer an open decision point (team clients)."""
        fields: dict[str, Any] = {"point": point, "option": option, "rationale": rationale or {}}
        if force is not None:
            fields["force"] = force
        return await self.request("decide", **fields)

    async def order(self, order_id: str, params: dict[str, int | str] | None = None) -> dict[str, Any]:
        """Give an order, with its parameters when it takes some (team clients)."""
        if params is not None:
            return await self.request("order", order=order_id, params=params)
        return await self.request("order", order=order_id)

    async def start_class(self) -> dict[str, Any]:
        """End the briefing: every team's clock starts (instructor)."""
        return await self.request("start_class")

    async def pause(self, team: str | None = None) -> dict[str, Any]:
        """Pause one team's clock, or every team's (instructor)."""
        return await self.request("pause", team=team)

    async def resume(self, team: str | None = None) -> dict[str, Any]:
        """Resume one team's clock, or every team's (instructor)."""
        return await self.request("resume", team=team)

    async def set_speed(self, speed: float, team: str | None = None) -> dict[str, Any]:
        """Set the speed of one team's clock, or every team's (instructor)."""
        return await self.request("speed", speed=speed, team=team)

    async def inject(self, inject_id: str, team: str | None = None) -> dict[str, Any]:
        """Fire a manual inject to one team, or to every team (instructor)."""
        return await self.request("inject", inject=inject_id, team=team)

    async def note(self, team: str, text: str) -> dict[str, Any]:
        """A timed observation, journaled to that team (instructor, evaluator)."""
        return await self.request("note", team=team, text=text)

    async def end(self, team: str | None = None) -> dict[str, Any]:
        """End one team's exercise, or the class (instructor)."""
        return await self.request("end", team=team)

    async def watch(self, team: str | None) -> dict[str, Any]:
        """Drill into one team's full view, or back to the overview only (instructor, evaluator)."""
        self._watching = team
        return await self.request("watch", team=team)

    async def status(self) -> dict[str, Any]:
        """The class overview, on request (instructor)."""
        return (await self.request("status"))["status"]
