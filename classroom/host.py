"""The class host: one process that owns every team's exercise, the class clock and every command.

One `simulator.Exercise` (and its journal `DIR/<team>.sitroom`) per team, all on the class
seed unless the instructor asked for distinct seeds. A pacing task advances each team's
engine towards its clock in small slices, taking the teams in a rotating order so that
none starves the others, then pushes each connected client the view its role may see:
a team's clients get `snapshot(role)` and `visible_events(role, ...)`, computed here, never
more. Commands arrive over websockets (aiohttp), are checked by `classroom.protocol`, run
one at a time on this loop (so two clients of one team are serialised), and are
acknowledged only once the exercise has journaled them durably.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import time
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

from simulator import (
    CommandRejected,
    Exercise,
    InputError,
    JournalError,
    Problem,
    ReplayMismatch,
    Scenario,
    load_scenario,
    resolve_scenario,
    tr,
)
from simulator.clock import ExerciseClock, SystemClock, WallClock, pace

from . import views
from .config import ClassConfig, ClassError, TeamEntry, Tokens, parse_teams, same_hash, token_hash
from .protocol import (
    COMMANDS,
    MAX_MESSAGE_BYTES,
    PROTOCOL_VERSION,
    RATE_STRIKES,
    ProtocolError,
    RateLimiter,
    encode,
    parse,
    snapshot_to_json,
)

log = logging.getLogger("sitroom.class")

TICK_S = 0.05  # the pacing loop's period; a view reaches clients within about one tick of its event
CPU_BUDGET_S = 0.025  # engine work per tick, shared by every team (half the tick: commands get the rest)
CLOCK_PUSH_S = 1.0  # a view goes out at least this often while a team's clock runs
OVERVIEW_MIN_S = 0.25  # the staff's overview (a snapshot of every team) goes out at most this often
PROGRESS_FLUSH_S = 1.0  # clock progress alone is journaled at most this often (inputs: at once, durably)
HELLO_TIMEOUT_S = 10.0
SEND_QUEUE = 400  # messages waiting for a slow client before the host drops it
REPLIES_KEPT = 4096  # answers to commands kept to answer a resent id (after a reconnect) without redoing it
MAX_SOCKETS = 512  # open websockets (joined or not yet) before the host turns new ones away


class Connection:
    """One websocket client: who it is, what it watches, and its outgoing queue."""

    def __init__(self, ws: web.WebSocketResponse, peer: str) -> None:
        self.ws = ws
        self.peer = peer
        self.kind: str | None = None  # team, instructor or evaluator, once the hello is accepted
        self.team: str | None = None  # the team of a team client
        self.watching: str | None = None  # the team an instructor or evaluator drilled into
        self.lang = "es"
        self.cursor: dict[str, int] = {}  # events already sent, per team
        self.limiter = RateLimiter()
        self.queue: asyncio.Queue[str | None] = asyncio.Queue(maxsize=SEND_QUEUE)
        self.dropped = False

    def send(self, msg: dict[str, Any]) -> None:
        """Queue a message; a client too slow to take its messages is dropped, never waited for."""
        if self.dropped:
            return
        try:
            self.queue.put_nowait(encode(msg))
        except asyncio.QueueFull:
            self.dropped = True
            log.warning("dropped %s (%s %s): it was not reading its messages", self.peer, self.kind, self.team or "")
            with contextlib.suppress(asyncio.QueueFull):
                self.queue.put_nowait(None)

    async def write_loop(self) -> None:
        """Send queued messages in order until told to stop."""
        while True:
            text = await self.queue.get()
            if text is None or self.ws.closed:
                break
            try:
                await self.ws.send_str(text)
            except (ConnectionError, RuntimeError):
                break
        if not self.ws.closed:
            await self.ws.close()


class TeamRun:
    """One team's exercise on the host: the engine, its journal, its clock and its clients."""

    def __init__(self, name: str, exercise: Exercise, clock: ExerciseClock, *, started: bool,
                 held: bool = False, alert_speed: float | None = None) -> None:
        self.name = name
        self.exercise = exercise
        self.sim = exercise.sim
        self.scenario = exercise.scenario
        self.role = self.scenario.team_role
        self.clock = clock
        # When a decision the team can see opens above this speed, its clock drops to it (as in the room).
        self.alert_speed = alert_speed or self.scenario.alert_speed
        self.slowed_for: str | None = None  # the decision the clock last dropped for, until the speed changes again
        self.started = started
        self.held = held  # paused by the host because the team's last client left (--hold-on-disconnect)
        self.clients: set[Connection] = set()
        self.joined = False
        self._flushed_events = len(self.sim.events)
        self._flushed_wall = time.monotonic()
        self.pushed_events = -1
        self.pushed_status = ""
        self.pushed_speed = 0.0
        self.pushed_wall = 0.0

    def status(self) -> str:
        """waiting, briefing, running, paused, halted or ended."""
        if self.sim.ended:
            return "ended"
        if not self.started:
            return "briefing" if self.joined else "waiting"
        if self.sim.halted_for is not None:
            return "halted"
        return "running" if self.clock.running else "paused"

    def tick(self, budget_s: float) -> None:
        """Advance the engine towards the clock's target for at most `budget_s` of CPU (`clock.pace`)."""
        if self.sim.ended or not self.started:
            return
        slowed = pace(self.sim, self.clock, self.scenario.limit, self.alert_speed, budget_s,
                      lambda ev: self.scenario.visible(ev.audience, self.role))
        if slowed is not None:
            self.slowed_for = slowed
            self.record("speed", {"speed": self.alert_speed, "cause": "decision_open", "point": slowed}, "sitroom")
        self.flush()

    def flush(self, force: bool = False) -> None:
        """Journal new events now; clock progress alone at most once a second."""
        wall = time.monotonic()
        if force or len(self.sim.events) > self._flushed_events or wall - self._flushed_wall >= PROGRESS_FLUSH_S \
                or self.sim.ended:
            self.exercise.flush()
            self._flushed_events = len(self.sim.events)
            self._flushed_wall = wall

    def record(self, kind: str, payload: dict[str, Any], actor: str) -> None:
        """Journal a clock action for the debrief."""
        self.exercise.record(kind, payload, actor=actor)

    def pause(self, actor: str, reason: str | None = None) -> bool:
        """Stop this team's clock where the engine is; False when it was not running."""
        if not self.started or self.sim.ended or not self.clock.running:
            return False
        self.tick(0.05)
        self.clock.pause(self.sim.now)
        payload: dict[str, Any] = {"speed": self.clock.speed}
        if reason:
            payload["reason"] = reason
        self.record("pause", payload, actor)
        return True

    def resume(self, actor: str, reason: str | None = None) -> bool:
        """Restart this team's clock; False when it was running (or never started, or ended)."""
        if not self.started or self.sim.ended or self.clock.running:
            return False
        self.held = False
        self.clock.resume(self.sim.now)
        payload: dict[str, Any] = {"speed": self.clock.speed}
        if reason:
            payload["reason"] = reason
        self.record("resume", payload, actor)
        return True

    def set_speed(self, speed: float, actor: str) -> None:
        """Change this team's clock speed from now on."""
        if speed == self.clock.speed:
            return
        self.tick(0.05)
        self.clock.set_speed(speed, self.sim.now)
        self.slowed_for = None
        self.record("speed", {"speed": speed}, actor)

    def begin(self) -> bool:
        """The class starts: the briefing is over and this team's clock runs."""
        if self.started or self.sim.ended:
            return False
        self.started = True
        self.clock.resume(self.sim.now)
        self.record("session", {"action": "class_start", "speed": self.clock.speed}, "instructor")
        return True

    def close(self) -> None:
        self.flush(force=True)
        self.exercise.close()


class ClassHost:
    """The host of one class: the teams' exercises, the web server, the tokens and the clock."""

    def __init__(self, config: ClassConfig, scenario: Scenario, teams: dict[str, TeamRun], *,
                 wall: WallClock, class_started: bool) -> None:
        self.config = config
        self.scenario = scenario
        self.teams = teams
        self.wall = wall
        self.class_started = class_started
        self.connections: set[Connection] = set()
        self.port = config.port
        self.ended = asyncio.Event()  # set once every team has ended (the headless host then stops)
        self._runner: web.AppRunner | None = None
        self._pacer: asyncio.Task[None] | None = None
        self._turn = 0
        self._overview_wall = 0.0
        self._overview_sig: tuple[Any, ...] = ()
        self._closing = False
        self._sockets = 0
        self.instance = secrets.token_hex(8)  # this host process; a client that reconnects to it may resend
        self._replies: OrderedDict[tuple[str | None, str | None, Any], dict[str, Any]] = OrderedDict()

    # ---------------------------------------------------------------- creation
    @classmethod
    def create(cls, scenario_ref: str, teams: str | list[str], directory: str | Path, *, seed: int | None = None,
               seeds: str = "common", speed: float | None = None, lang: str = "es", host: str = "127.0.0.1",
               port: int = 0, web_port: int | None = None, hold_on_disconnect: bool = False,
               alert_speed: float | None = None, wall: WallClock | None = None) -> tuple[ClassHost, Tokens]:
        """A new class in `directory`: one journal per team, class.json, fresh tokens. Raises InputError."""
        names = parse_teams(teams) if isinstance(teams, str) else parse_teams(",".join(teams))
        if seeds not in ("common", "distinct"):
            raise ClassError([Problem("--seeds", 0, 0, "use 'common' or 'distinct'")])
        scenario = load_scenario(resolve_scenario(scenario_ref))
        d = Path(directory)
        if (d / "class.json").exists():
            raise ClassError([Problem(str(d / "class.json"), 0, 0, "a class is already in this directory; "
                                      "continue it with `sitroom class resume` or choose another --dir")])
        for n in names:
            if (d / f"{n}.sitroom").exists():
                raise ClassError([Problem(str(d / f"{n}.sitroom"), 0, 0, "a journal is already there; "
                                          "choose another --dir")])
        try:
            d.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ClassError([Problem(str(d), 0, 0, f"cannot create the class directory: {exc.strerror}")]) \
                from None
        class_seed = seed if seed is not None else _random_seed()
        team_seeds = {n: class_seed if seeds == "common" else _random_seed() for n in names}
        tokens = Tokens.fresh(names)
        wall = wall or SystemClock()
        speed = speed or scenario.speed
        config = ClassConfig(d, scenario_ref, scenario.sha256, class_seed, seeds, speed, lang, host, port, web_port,
                             hold_on_disconnect,
                             [TeamEntry(n, team_seeds[n], f"{n}.sitroom", token_hash(tokens.teams[n])) for n in names],
                             token_hash(tokens.instructor), token_hash(tokens.evaluator), alert_speed=alert_speed)
        runs: dict[str, TeamRun] = {}
        meta = {"class_seeds": seeds, "class_seed": class_seed, "class_teams": names}
        for entry in config.teams:
            ex = Exercise.start(scenario, entry.seed, d / entry.journal, team=entry.name, honour_pauses=True,
                                extra_meta=meta)
            ex.record("session", {"action": "class_open", "speed": speed, "role": "team"}, actor="host")
            runs[entry.name] = TeamRun(entry.name, ex, ExerciseClock(wall, speed, ex.sim.now, running=False),
                                       started=False, alert_speed=alert_speed)
        config.save()
        return cls(config, scenario, runs, wall=wall, class_started=False), tokens

    @classmethod
    def resume(cls, directory: str | Path, *, wall: WallClock | None = None) -> ClassHost:
        """Bring a class back from DIR/class.json and its journals (after a crash or a stop). Raises InputError."""
        config = ClassConfig.load(directory)
        wall = wall or SystemClock()
        runs: dict[str, TeamRun] = {}
        scenario: Scenario | None = None
        try:
            for entry in config.teams:
                path = config.directory / entry.journal
                if not path.exists():
                    raise ClassError([Problem(str(path), 0, 0, f"team {entry.name}'s journal is missing")])
                try:
                    ex = Exercise.resume(path)
                except ReplayMismatch as exc:
                    raise ClassError([Problem(str(path), 0, 0, f"cannot be resumed: {exc}")]) from None
                if ex.scenario.sha256 != config.scenario_sha256:
                    ex.close()
                    raise ClassError([Problem(str(path), 0, 0, "this journal is of another scenario than the class")])
                scenario = scenario or ex.scenario
                started, paused, speed, held = _clock_state(ex, config.speed)
                clock = ExerciseClock(wall, speed, ex.sim.now, running=started and not paused)
                ex.record("session", {"action": "host_resume", "speed": speed}, actor="host")
                runs[entry.name] = TeamRun(entry.name, ex, clock, started=started, held=held,
                                           alert_speed=config.alert_speed)
                runs[entry.name].joined = started
        except InputError:
            for run in runs.values():
                run.close()
            raise
        assert scenario is not None
        return cls(config, scenario, runs, wall=wall, class_started=any(r.started for r in runs.values()))

    # ---------------------------------------------------------------- serving
    def make_app(self) -> web.Application:
        """The aiohttp application: the protocol websocket, a status endpoint and join pages."""
        app = web.Application(client_max_size=MAX_MESSAGE_BYTES)
        app.add_routes([web.get("/ws", self.handle_ws), web.get("/status", self.handle_status),
                        web.get("/join/{token}", self.handle_join_page), web.get("/", self.handle_index)])
        return app

    async def start(self) -> None:
        """Bind the server, start the pacing loop, and record the port in class.json."""
        app = self.make_app()
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.config.host, self.config.port, reuse_address=True)
        try:
            await site.start()
        except OSError as exc:
            await self._runner.cleanup()
            raise ClassError([Problem(f"{self.config.host}:{self.config.port}", 0, 0,
                                      f"cannot listen there: {exc.strerror or exc}")]) from None
        addresses = self._runner.addresses
        if addresses:
            self.port = int(addresses[0][1])
        if self.config.port != self.port:
            self.config.port = self.port
            self.config.save()
        self._pacer = asyncio.create_task(self._pace())
        log.info("class host listening on %s:%s (%d teams)", self.config.host, self.port, len(self.teams))

    async def stop(self) -> None:
        """Close every connection, journal everything and release the port."""
        if self._closing:
            return
        self._closing = True
        if self._pacer is not None:
            self._pacer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pacer
        for conn in list(self.connections):
            conn.send({"type": "bye", "reason": "host_stopped"})
            with contextlib.suppress(asyncio.QueueFull):
                conn.queue.put_nowait(None)
        await asyncio.sleep(0.05)
        for conn in list(self.connections):
            with contextlib.suppress(Exception):
                await conn.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()
        for run in self.teams.values():
            run.close()

    @property
    def base_url(self) -> str:
        return f"http://{_url_host(self.config.host)}:{self.port}"

    def join_url(self, token: str) -> str:
        """The link a client opens with `sitroom join`."""
        return f"{self.base_url}/join/{token}"

    # ---------------------------------------------------------------- pacing
    async def _pace(self) -> None:
        while True:
            t0 = time.perf_counter()
            try:
                await self.advance_all()
                self.push_all()
            except Exception:  # a fault in one pass must not stop the class; it is logged with its cause
                log.exception("the pacing loop failed; continuing")
            await asyncio.sleep(max(TICK_S - (time.perf_counter() - t0), 0.005))

    async def advance_all(self) -> None:
        """Advance every team towards its clock, in a rotating order, sharing the CPU budget.

        The loop is given back after each team that did work, so a command waits for at most one
        team's slice, not for the whole class's."""
        runs = list(self.teams.values())
        if not runs:
            return
        share = max(CPU_BUDGET_S / len(runs), 0.001)
        start = self._turn % len(runs)
        self._turn += 1
        for run in runs[start:] + runs[:start]:
            before = run.sim.now
            run.tick(share)
            if run.sim.now != before:
                self._push_team(run, time.monotonic(), False)
                await asyncio.sleep(0)
        if all(r.sim.ended for r in runs):
            self.ended.set()

    def push_all(self, force: bool = False, teams: list[TeamRun] | None = None) -> None:
        """Send each client what changed for the teams it sees (all, or `teams`), and the overview to the staff."""
        wall = time.monotonic()
        for run in teams if teams is not None else self.teams.values():
            self._push_team(run, wall, force)
        self._push_overview(wall, force)

    def _viewers(self, run: TeamRun) -> Iterable[tuple[Connection, bool]]:
        """(connection, sees ground truth) for everyone looking at this team."""
        for conn in self.connections:
            if conn.kind == "team" and conn.team == run.name:
                yield conn, False
            elif conn.kind == "instructor" and conn.watching == run.name:
                yield conn, True
            elif conn.kind == "evaluator" and conn.watching == run.name:
                yield conn, False

    def _push_team(self, run: TeamRun, wall: float, force: bool) -> None:
        n = len(run.sim.events)
        status = run.status()
        clock_due = run.clock.running and run.started and wall - run.pushed_wall >= CLOCK_PUSH_S
        changed = n != run.pushed_events or status != run.pushed_status or run.clock.speed != run.pushed_speed
        if not (force or changed or clock_due):
            return
        run.pushed_events, run.pushed_status, run.pushed_wall, run.pushed_speed = n, status, wall, run.clock.speed
        snaps: dict[bool, dict[str, Any]] = {}
        for conn, truth in self._viewers(run):
            if truth not in snaps:
                snaps[truth] = _snapshot(run, truth)
            conn.send(self._view(run, conn, truth, snaps[truth]))

    def _view(self, run: TeamRun, conn: Connection, truth: bool, snap: dict[str, Any] | None = None) -> dict[str, Any]:
        since = conn.cursor.get(run.name, 0)
        events = run.sim.visible_events(None if truth else run.role, since)
        conn.cursor[run.name] = len(run.sim.events)
        if snap is None:
            snap = _snapshot(run, truth)
        return {"type": "view", "team": run.name, "truth": truth, "t": round(run.sim.now, 6),
                "status": run.status(), "clock": {"speed": run.clock.speed, "running": run.clock.running,
                                                      "alert_speed": run.alert_speed, "slowed_for": run.slowed_for},
                "target": round(min(run.clock.target(), run.scenario.limit), 6), "sent": time.time(),
                "snapshot": snap, "events": [views.event_json(self.scenario, e) for e in events], "next": len(run.sim.events)}

    def _push_overview(self, wall: float, force: bool) -> None:
        staff = [c for c in self.connections if c.kind in ("instructor", "evaluator")]
        if not staff:
            return
        sig = tuple((r.status(), len(r.sim.events), r.clock.speed, len(r.clients)) for r in self.teams.values())
        if not force and (wall - self._overview_wall < OVERVIEW_MIN_S or
                          (sig == self._overview_sig and wall - self._overview_wall < CLOCK_PUSH_S)):
            return
        self._overview_sig, self._overview_wall = sig, wall
        msg = {"type": "overview", **self.status()}
        for conn in staff:
            conn.send(msg)

    def status(self) -> dict[str, Any]:
        """The class at a glance: every team's clock, status, connection, open decisions, last decision."""
        return {
            "protocol": PROTOCOL_VERSION, "scenario": self.scenario.id,
            "title": {"es": tr(self.scenario.title, "es"), "en": tr(self.scenario.title, "en")},
            "seed": self.config.seed, "seeds": self.config.seeds, "started": self.class_started,
            "ended": bool(self.teams) and all(r.sim.ended for r in self.teams.values()),
            "alert_speed": self.config.alert_speed or self.scenario.alert_speed,
            "teams": [views.team_summary(r.name, r.sim, r.status(), r.clock.speed, r.clock.running,
                                         len(r.clients)) for r in self.teams.values()],
        }

    # ---------------------------------------------------------------- http
    async def handle_index(self, request: web.Request) -> web.Response:
        return web.Response(text=f"sitroom class host (protocol {PROTOCOL_VERSION}). "
                                 "Open your join link with `sitroom join URL`.\n")

    async def handle_join_page(self, request: web.Request) -> web.Response:
        # The page says nothing about whether the token is valid: that is checked on the websocket.
        return web.Response(text=f"Run:  sitroom join {self.base_url}/join/<token>\n")

    async def handle_status(self, request: web.Request) -> web.Response:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not token or not same_hash(token, self.config.instructor_sha256):
            log.warning("refused a status request from %s: not the instructor's token", request.remote)
            return web.json_response({"code": "unauthorized", "message": "this link does not open this class"},
                                     status=401)
        return web.json_response(self.status())

    # ---------------------------------------------------------------- websockets
    async def handle_ws(self, request: web.Request) -> web.StreamResponse:
        if self._sockets >= MAX_SOCKETS:
            log.warning("turned away %s: %d connections are open", request.remote, self._sockets)
            return web.Response(status=503, text="too many connections\n")
        ws = web.WebSocketResponse(heartbeat=20, max_msg_size=MAX_MESSAGE_BYTES * 2)
        await ws.prepare(request)
        peer = str(request.remote)
        conn = Connection(ws, peer)
        writer = asyncio.create_task(conn.write_loop())
        self._sockets += 1
        try:
            await self._serve(conn)
        finally:
            self._sockets -= 1
            self._leave(conn)
            with contextlib.suppress(asyncio.QueueFull):
                conn.queue.put_nowait(None)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer, 2.0)
            if not ws.closed:
                await ws.close()
        return ws

    async def _serve(self, conn: Connection) -> None:
        ws = conn.ws
        try:
            first = await ws.receive(timeout=HELLO_TIMEOUT_S)
        except TimeoutError:
            conn.send(ProtocolError("hello_first", "no 'hello' came in time").reply())
            return
        if first.type != WSMsgType.TEXT:
            return
        try:
            hello = parse(first.data, None)
        except ProtocolError as exc:
            log.warning("refused %s: %s", conn.peer, exc.message)
            conn.send(exc.reply())
            return
        if hello["v"] != PROTOCOL_VERSION:
            conn.send(ProtocolError("version", f"this host speaks protocol {PROTOCOL_VERSION}, the client "
                                    f"{hello['v']}: use the same sitroom release").reply(hello.get("id")))
            return
        if not self._admit(conn, hello):
            log.warning("refused %s: unknown token (sha256 %s...)", conn.peer, token_hash(hello["token"])[:8])
            conn.send(ProtocolError("unauthorized", "this link does not open any view of this class").reply(
                hello.get("id")))
            return
        self.connections.add(conn)
        self._welcome(conn, hello)
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                self._receive(conn, msg.data)
            elif msg.type == WSMsgType.BINARY:
                conn.send(ProtocolError("bad_message", "messages are JSON text, not binary").reply())
            else:
                break
            if conn.dropped or conn.limiter.strikes > RATE_STRIKES:
                if conn.limiter.strikes > RATE_STRIKES:
                    log.warning("closed %s (%s %s): too many messages", conn.peer, conn.kind, conn.team or "")
                break

    def _admit(self, conn: Connection, hello: dict[str, Any]) -> bool:
        token = hello["token"]
        conn.lang = hello.get("lang", self.config.lang)
        if same_hash(token, self.config.instructor_sha256):
            conn.kind = "instructor"
            return True
        if same_hash(token, self.config.evaluator_sha256):
            conn.kind = "evaluator"
            return True
        for entry in self.config.teams:
            if same_hash(token, entry.token_sha256):
                conn.kind, conn.team = "team", entry.name
                return True
        return False

    def _welcome(self, conn: Connection, hello: dict[str, Any]) -> None:
        info: dict[str, Any] = {"type": "welcome", "id": hello.get("id"), "v": PROTOCOL_VERSION, "kind": conn.kind,
                                "instance": self.instance,
                                "lang": conn.lang, "scenario": self.scenario.id, "seeds": self.config.seeds}
        if conn.kind == "team":
            assert conn.team is not None
            run = self.teams[conn.team]
            info.update(team=run.name, role=run.role, seed=run.exercise.seed,
                        catalog=views.catalog(self.scenario, run.role))
            first = not run.clients
            run.clients.add(conn)
            run.joined = True
            log.info("team %s joined from %s (%d client(s))", run.name, conn.peer, len(run.clients))
            conn.send(info)
            conn.cursor[run.name] = min(int(hello.get("since", 0)), len(run.sim.events))
            if first and run.held:
                run.resume("host", reason="reconnect")
            conn.send(self._view(run, conn, False))
        else:
            info.update(seed=self.config.seed, teams=[r.name for r in self.teams.values()],
                        catalog=views.catalog(self.scenario, None))
            log.info("%s joined from %s", conn.kind, conn.peer)
            conn.send(info)
            conn.send({"type": "overview", **self.status()})

    def _leave(self, conn: Connection) -> None:
        self.connections.discard(conn)
        if conn.kind == "team" and conn.team in self.teams:
            run = self.teams[conn.team]
            run.clients.discard(conn)
            log.info("team %s client %s left (%d left)", run.name, conn.peer, len(run.clients))
            if not run.clients and self.config.hold_on_disconnect and run.pause("host", reason="disconnect"):
                run.held = True

    def _receive(self, conn: Connection, raw: str) -> None:
        if not conn.limiter.allow():
            conn.send(ProtocolError("rate", "too many messages; slow down").reply())
            return
        try:
            msg = parse(raw, conn.kind)
        except ProtocolError as exc:
            conn.send(exc.reply())
            return
        request_id = msg.get("id")
        key = (conn.kind, conn.team, request_id)
        if request_id is not None and key in self._replies:
            conn.send(self._replies[key])  # a command sent again after a reconnect: answered, not redone
            return
        answer = self._answer(conn, msg)
        if request_id is not None and msg["type"] in COMMANDS:
            self._replies[key] = answer
            while len(self._replies) > REPLIES_KEPT:
                self._replies.popitem(last=False)
        conn.send(answer)
        self.push_all(teams=self._targets(conn.team) if conn.kind == "team" else None)

    def _answer(self, conn: Connection, msg: dict[str, Any]) -> dict[str, Any]:
        """Carry out one checked message; the ack or error that answers it."""
        request_id = msg.get("id")
        try:
            reply = self._handle(conn, msg)
        except ProtocolError as exc:
            return exc.reply(request_id)
        except CommandRejected as exc:
            return ProtocolError("rejected", str(exc), getattr(exc, "field", None)).reply(request_id)
        except (JournalError, OSError) as exc:
            # The input was not journaled, so it was not applied: the client is told and may retry.
            log.error("could not journal a %s from %s: %s", conn.kind, conn.peer, exc)
            return ProtocolError("journal", "the host could not record this; it was not applied").reply(request_id)
        except Exception:  # a bug must cost one reply, never the host or another team
            log.exception("internal error handling a message from %s", conn.peer)
            return ProtocolError("internal", "the host failed to handle this message").reply(request_id)
        return {"type": "ack", "id": request_id, **(reply or {})}

    # ---------------------------------------------------------------- commands
    def _targets(self, team: str | None) -> list[TeamRun]:
        if team is None:
            return list(self.teams.values())
        run = self.teams.get(team)
        if run is None:
            raise ProtocolError("no_team", f"there is no team {team[:40]!r} in this class", "team")
        return [run]

    def _handle(self, conn: Connection, msg: dict[str, Any]) -> dict[str, Any] | None:
        kind = msg["type"]
        if kind == "ping":
            return {}
        if conn.kind == "team":
            assert conn.team is not None
            run = self.teams[conn.team]
            if not run.started:
                raise ProtocolError("not_started", "the class has not started yet: read the briefing")
            run.tick(0.05)  # the command lands at the clock's present, not a tick behind
            if kind == "decide":
                ev = run.exercise.decide(msg["point"], msg["option"], rationale=msg.get("rationale") or {},
                                         force=msg.get("force"), actor=run.name, role=run.role, lang=conn.lang)
            else:
                ev = run.exercise.order(msg["order"], actor=run.name, params=msg.get("params"))
            log.info("team %s: %s %s at T+%.2f", run.name, kind, ev.ref, ev.t)
            return {"event": ev.seq, "t": round(ev.t, 6), "kind": ev.kind}
        actor = conn.kind or "instructor"
        if kind == "watch":
            team = msg["team"]
            if team is not None:
                run = self._targets(team)[0]
                conn.watching = run.name
                conn.cursor[run.name] = 0
                conn.send(self._view(run, conn, conn.kind == "instructor"))
            else:
                conn.watching = None
            return {"team": team}
        if kind == "status":
            return {"status": self.status()}
        if kind == "note":
            run = self._targets(msg["team"])[0]
            inp = run.exercise.note(msg["text"], actor=actor)
            return {"team": run.name, "t": round(run.sim.now, 6), "input": inp.seq if inp else None}
        if kind == "start_class":
            began = [r.name for r in self.teams.values() if r.begin()]
            self.class_started = True
            log.info("the class started (%s)", ", ".join(began) or "already running")
            return {"teams": began}
        targets = self._targets(msg.get("team"))
        done: list[str] = []
        if kind == "pause":
            done = [r.name for r in targets if r.pause(actor)]
        elif kind == "resume":
            done = [r.name for r in targets if r.resume(actor)]
        elif kind == "speed":
            for r in targets:
                if not r.sim.ended:
                    r.set_speed(float(msg["speed"]), actor)
                    done.append(r.name)
        elif kind == "inject":
            if msg["inject"] not in self.scenario.injects:
                raise ProtocolError("rejected", f"no inject called {msg['inject']!r}", "inject")
            for r in targets:
                if r.sim.ended:
                    continue
                r.tick(0.05)
                r.exercise.inject(msg["inject"], actor=actor)
                done.append(r.name)
        elif kind == "end":
            for r in targets:
                if not r.sim.ended:
                    r.tick(0.05)
                    r.exercise.end(actor=actor)
                    r.flush(force=True)
                    done.append(r.name)
            if all(r.sim.ended for r in self.teams.values()):
                self.ended.set()
        log.info("%s: %s %s -> %s", actor, kind, msg.get("team") or "(all teams)", ", ".join(done) or "nothing to do")
        return {"teams": done}


def _snapshot(run: TeamRun, truth: bool) -> dict[str, Any]:
    """A team's snapshot as its role (or, with the truth, the instructor) sees it.

    Each order carries its status as the engine computed it for that role (`order_check(order,
    role)`): a shortage of units of a resource the role may not see is only "unavailable"."""
    return snapshot_to_json(run.sim.snapshot(None if truth else run.role))


def _clock_state(ex: Exercise, default_speed: float) -> tuple[bool, bool, float, bool]:
    """(class started, paused, speed, paused by the host for a disconnect) from a team's journal."""
    started, paused, held, speed = False, False, False, default_speed
    if ex.journal is None:
        return started, paused, speed, held
    for inp in ex.journal.inputs():
        v = inp.payload.get("speed")
        if inp.kind in ("speed", "session", "pause", "resume") and isinstance(v, int | float) and v > 0:
            speed = float(v)
        if inp.kind == "session" and inp.payload.get("action") == "class_start":
            started = True
        elif inp.kind == "pause":
            paused, held = True, inp.payload.get("reason") == "disconnect"
        elif inp.kind == "resume":
            paused, held = False, False
    return started, paused, speed, held


def _random_seed() -> int:
    return int.from_bytes(os.urandom(4), "big")


def _url_host(host: str) -> str:
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host
