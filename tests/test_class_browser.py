"""A team in a browser: textual-serve serves the team client, headless Chromium loads it, the room is there.

Chromium is Debian's `chromium`; when it is missing the set-up installs it with
`apt-get install -y chromium` if it can, else the test is skipped saying why. The page
draws on a canvas, so the test reads what the terminal was sent (a hook on the page's
WebSocket, installed through the DevTools protocol) and saves a screenshot for people to
look at (`SITROOM_SCREENSHOT_DIR`, else the test's temporary directory).
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest
from class_fixtures import run
from engine_fixtures import REPO
from test_class_resume import finish, first_line

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]

# Keep what the page's websockets receive, as text, so the test can read the terminal's output.
HOOK = """
window.__terminal = [];
const Native = window.WebSocket;
window.WebSocket = function (...args) {
  const ws = new Native(...args);
  ws.addEventListener('message', (e) => {
    if (typeof e.data === 'string') { window.__terminal.push(e.data); }
    else if (e.data instanceof ArrayBuffer) { window.__terminal.push(new TextDecoder().decode(e.data)); }
    else if (e.data && e.data.text) { e.data.text().then((t) => window.__terminal.push(t)); }
  });
  return ws;
};
window.WebSocket.prototype = Native.prototype;
Object.assign(window.WebSocket, Native);
"""
EXPECT = ("Tutorial: smoke in the kitchen", "Briefing", "Alfa")  # the room's title, the briefing, the team
ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07|\x1b[()][0-9A-Za-z]")


def chromium() -> str:
    """The chromium binary, installing Debian's package when it is missing and we may; else skip."""
    found = shutil.which("chromium")
    if found:
        return found
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        pytest.skip("chromium is not installed and this account cannot install it (apt-get install -y chromium)")
    r = subprocess.run(["apt-get", "install", "-y", "chromium"], capture_output=True, text=True, timeout=600)
    found = shutil.which("chromium")
    if r.returncode != 0 or not found:
        pytest.skip(f"chromium could not be installed: {r.stderr.strip()[-300:]}")
    return found


def free_port() -> int:
    """A port free now (another process may still take it before it is used)."""
    return free_ports(1)[0]


def free_ports(n: int) -> list[int]:
    """`n` distinct ports free now: all held open while they are picked, so no two are the same."""
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [int(s.getsockname()[1]) for s in socks]
    finally:
        for s in socks:
            s.close()


async def load_page(browser: str, url: str, expect: tuple[str, ...], screenshot: Path, limit: float = 40.0) -> str:
    """Open `url` in headless Chromium until the terminal has drawn every text in `expect`; the text it was sent."""
    port = free_port()
    proc = subprocess.Popen([browser, *CHROMIUM_FLAGS, f"--remote-debugging-port={port}", "--window-size=1280,800",
                             "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        async with aiohttp.ClientSession() as http:
            targets: list[dict] = []
            for _ in range(100):
                try:
                    async with http.get(f"http://127.0.0.1:{port}/json/list") as r:
                        targets = await r.json()
                    if any(t["type"] == "page" for t in targets):
                        break
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.2)
            page = next(t for t in targets if t["type"] == "page")
            async with http.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=0) as devtools:
                counter = 0

                async def call(method: str, **params: object) -> dict:
                    nonlocal counter
                    counter += 1
                    await devtools.send_json({"id": counter, "method": method, "params": params})
                    while True:
                        msg = await devtools.receive_json()
                        if msg.get("id") == counter:
                            return msg.get("result", {})

                await call("Page.enable")
                await call("Page.addScriptToEvaluateOnNewDocument", source=HOOK)
                await call("Page.navigate", url=url)
                text = ""
                for _ in range(int(limit / 0.5)):
                    await asyncio.sleep(0.5)
                    got = await call("Runtime.evaluate", expression="(window.__terminal || []).join('')")
                    text = ANSI.sub("", got.get("result", {}).get("value", ""))
                    if all(e in text for e in expect):
                        break
                await asyncio.sleep(1.0)  # let the last frame reach the canvas before the picture
                shot = await call("Page.captureScreenshot", format="png")
                screenshot.write_bytes(base64.b64decode(shot["data"]))
                return text
    finally:
        proc.kill()
        proc.wait(10)


def test_a_team_in_a_browser_gets_its_room_from_the_running_class(tmp_path):
    browser = chromium()
    # Both ports chosen here, and distinct: left to pick its own, the host once took the very port
    # chosen for --web (free a moment earlier) and could not serve browsers there.
    port, web = free_ports(2)
    d = tmp_path / "class"
    host = subprocess.Popen([sys.executable, "-m", "sitroom", "class", "start", "tutorial", "--teams", "Alfa,Bravo",
                             "--headless", "--dir", str(d), "--port", str(port), "--web", str(web), "--lang", "en",
                             "--seed", "9"],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    shots = Path(os.environ.get("SITROOM_SCREENSHOT_DIR", tmp_path))
    try:
        links = first_line(host)
        url = links["browser"]["Alfa"]
        assert url.startswith(f"http://127.0.0.1:{web}/t/")
        text = run(lambda: load_page(browser, url, EXPECT, shots / "class-browser-alfa.png"), 60)
        assert "Tutorial: smoke in the kitchen" in text  # the room's title (briefing and feed) was drawn
        assert "Alfa" in text and "Briefing" in text
        assert (shots / "class-browser-alfa.png").stat().st_size > 10_000
        # A reload is a new client of the same running exercise: the host still has one Alfa, at its clock.
        again = run(lambda: load_page(browser, url, EXPECT, shots / "class-browser-reload.png"), 60)
        assert "Tutorial: smoke in the kitchen" in again
        log = (d / "host.log").read_text()
        assert log.count("team Alfa joined") >= 2
        assert json.loads((d / "class.json").read_text())["teams"][0]["name"] == "Alfa"
        wrong = run(lambda: _get(f"http://127.0.0.1:{web}/t/not-a-token/"), 20)
        assert wrong == 404
        host.terminate()
        assert finish(host) == 0
    finally:
        if host.poll() is None:
            host.kill()
            host.wait(5)


async def _get(url: str) -> int:
    async with aiohttp.ClientSession() as http, http.get(url) as r:
        return r.status
