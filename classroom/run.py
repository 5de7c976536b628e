"""Running a class host from the command line: headless, or in a thread beside the instructor's console.

`sitroom class start|resume|status|end` call these. The host logs to `DIR/host.log`
(and, headless, to standard error); the join links go to `DIR/join.txt` for people and
`DIR/join.json` for scripts, both readable by the instructor's account only.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from simulator.clock import fmt_elapsed

from .client import ClassClient, HostRefused
from .config import Tokens
from .host import ClassHost, log
from .words import refusal, w


def links(host: ClassHost, tokens: Tokens, web: Any | None = None) -> dict[str, Any]:
    """The `--headless` JSON line: the host's URL and every join link."""
    out: dict[str, Any] = {"url": host.base_url, "instructor": host.join_url(tokens.instructor),
                           "evaluator": host.join_url(tokens.evaluator),
                           "teams": {n: host.join_url(tok) for n, tok in tokens.teams.items()},
                           "dir": str(host.config.directory)}
    if web is not None:
        out["browser"] = {n: web.team_url(tok) for n, tok in tokens.teams.items()}
    return out


def write_links(host: ClassHost, info: dict[str, Any], lang: str) -> Path:
    """Write DIR/join.txt (for people) and DIR/join.json (for scripts); the path of join.txt."""
    d = host.config.directory
    cfg = host.config
    seeds = w("seeds_common", lang, seed=cfg.seed) if cfg.seeds == "common" else w("seeds_distinct", lang)
    rows = [w("join_head", lang, scenario=host.scenario.id, seeds=seeds), "",
            f"{w('instructor', lang)}: sitroom join {info['instructor']}",
            f"{w('evaluator', lang)}: sitroom join {info['evaluator']}", ""]
    for name, url in info["teams"].items():
        rows.append(f"{name}: sitroom join {url}")
        if "browser" in info:
            rows.append(f"{' ' * len(name)}  {w('browser', lang)}: {info['browser'][name]}")
    text = "\n".join(rows) + "\n"
    for path, body in ((d / "join.txt", text), (d / "join.json", json.dumps(info, indent=2) + "\n")):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(body)
    return d / "join.txt"


def setup_logging(directory: Path, to_stderr: bool) -> None:
    """The host's log: DIR/host.log always; standard error too when headless."""
    log.setLevel(logging.INFO)
    for h in list(log.handlers):
        log.removeHandler(h)
    fh = logging.FileHandler(directory / "host.log", encoding="utf-8")
    fh.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(fh)
    if to_stderr:
        sh = logging.StreamHandler(sys.stderr)
        sh.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
        log.addHandler(sh)
    log.propagate = False


def warn_if_exposed(host: ClassHost, lang: str) -> None:
    """Binding anything but loopback makes the class reachable on that network: say so."""
    if host.config.host not in ("127.0.0.1", "localhost", "::1"):
        print(w("exposed", lang, host=host.config.host), file=sys.stderr)
        log.warning("listening on %s: the class is reachable on that network", host.config.host)


@contextlib.contextmanager
def _keep_free(port: int | None, address: str) -> Any:
    """Hold `port` while the host binds its own (a free one, when not given), so that the system does
    not hand the host the very port the browsers are to be served on (seen once in a test run)."""
    if not port:
        yield
        return
    import socket

    sock = socket.socket()
    try:
        sock.bind((address, port))
    except OSError:
        sock.close()
        yield  # taken already: the web gateway will say so, with the reason
        return
    try:
        yield
    finally:
        sock.close()


async def _start_all(host: ClassHost, tokens: Tokens | None, web_port: int | None) -> Any | None:
    """Start the host, then its web gateway (when asked): the gateway's port never given to the host."""
    with _keep_free(web_port, host.config.host):
        await host.start()
    return await _start_web(host, tokens, web_port)


async def serve_headless(host: ClassHost, tokens: Tokens | None, lang: str, web_port: int | None) -> int:
    """Run the host until every team has ended, or SIGINT/SIGTERM; print the links as one JSON line."""
    web = await _start_all(host, tokens, web_port)
    info = links(host, tokens, web) if tokens is not None else _stored_links(host)
    if tokens is not None:
        write_links(host, info, lang)
    print(json.dumps(info, ensure_ascii=False), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    ended = asyncio.create_task(host.ended.wait())
    stopped = asyncio.create_task(stop.wait())
    await asyncio.wait({ended, stopped}, return_when=asyncio.FIRST_COMPLETED)
    for task in (ended, stopped):
        task.cancel()
    if host.ended.is_set():
        host.push_all(force=True)
        for conn in host.connections:
            conn.send({"type": "bye", "reason": "class_ended"})
        await asyncio.sleep(0.2)
    if web is not None:
        await web.stop()
    await host.stop()
    return 0


def _stored_links(host: ClassHost) -> dict[str, Any]:
    path = host.config.directory / "join.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {"url": host.base_url, "note": "the join links of this class are in join.txt when it was started"}


async def _start_web(host: ClassHost, tokens: Tokens | None, web_port: int | None) -> Any | None:
    if web_port is None:
        return None
    from .web import BrowserGateway

    if tokens is not None:
        team_links = {n: host.join_url(tok) for n, tok in tokens.teams.items()}
    else:
        team_links = dict(_stored_links(host).get("teams", {}))
    gateway = BrowserGateway(host, web_port, team_links, host.config.lang)
    await gateway.start()
    return gateway


class HostThread:
    """The host on its own event loop in a background thread (beside the console, which owns the terminal)."""

    def __init__(self, host: ClassHost, tokens: Tokens | None, web_port: int | None) -> None:
        self.host = host
        self.tokens = tokens
        self.web_port = web_port
        self.web: Any | None = None
        self.error: BaseException | None = None
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="sitroom-class-host", daemon=True)

    def start(self, timeout: float = 15.0) -> None:
        """Start the host and wait until it listens. Raises what the host raised."""
        self._thread.start()
        if not self._ready.wait(timeout):
            raise TimeoutError("the class host did not start in time")
        if self.error is not None:
            raise self.error

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._main())

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        try:
            self.web = await _start_all(self.host, self.tokens, self.web_port)
        except BaseException as exc:  # handed to the starting thread, which reports it
            self.error = exc
            self._ready.set()
            return
        self._ready.set()
        await self._stop.wait()
        if self.web is not None:
            await self.web.stop()
        await self.host.stop()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the host (journaling everything) and wait for the thread."""
        if self._stop is not None and self._loop.is_running():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout)


async def _with_client(url: str, lang: str, action: str) -> tuple[int, Any]:
    client = ClassClient(url, lang=lang, reconnect=False)
    try:
        await client.connect(timeout=10)
        if client.kind != "instructor":
            return 1, w("not_instructor", lang)
        if action == "status":
            return 0, await client.status()
        return 0, await client.end(None)
    except HostRefused as exc:
        return 1, w("refused", lang, why=refusal(exc.code, exc.message, lang))
    except (OSError, TimeoutError) as exc:
        return 1, w("unreachable", lang, why=str(exc) or type(exc).__name__)
    finally:
        await client.close()


def class_status(url: str, as_json: bool, lang: str) -> int:
    """`sitroom class status URL`: every team's clock, status, connection and decisions."""
    try:
        code, result = asyncio.run(_with_client(url, lang, "status"))
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    if code:
        print(result, file=sys.stderr)
        return code
    if as_json:
        print(json.dumps(result, ensure_ascii=False, sort_keys=True))
        return 0
    seeds = (w("seeds_common", lang, seed=result["seed"]) if result["seeds"] == "common"
             else w("seeds_distinct", lang))
    print(f"{result['scenario']} · {seeds}")
    for team in result["teams"]:
        last = team["last_decision"]
        lat = "" if not last or last["latency"] is None else f" {last['latency']:.1f} min"
        opened = ", ".join(d["id"] for d in team["open"]) or "-"
        print(f"  {team['team']:<12} T+{fmt_elapsed(team['t'])}  {w('st_' + team['status'], lang):<12} "
              f"{w('clients', lang, n=team['clients'])}  {w('open', lang)}: {opened}  "
              f"{w('last', lang)}: {(last['point'] + '=' + str(last['option']) + lat) if last else '-'}")
    return 0


def class_end(url: str, lang: str) -> int:
    """`sitroom class end URL`: end every team's exercise (the headless host then stops)."""
    try:
        code, result = asyncio.run(_with_client(url, lang, "end"))
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    if code:
        print(result, file=sys.stderr)
        return code
    print(w("ended", lang, teams=", ".join(result["teams"]) or "-"))
    return 0
