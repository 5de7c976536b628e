"""Teams in a browser: textual-serve runs `sitroom join <team link>` for each browser connection.

Each team gets its own path, `http://HOST:WEB/t/<team token>/`, served by a textual-serve
`Server` whose command is that team's `sitroom join`. The browser page is textual-serve's;
the exercise is still the host's: every connection (a reload, a second tab, a dropped
network) starts a client that joins the team's running engine, never a new exercise.
Unknown paths get a plain 404 that names no team.
"""

from __future__ import annotations

import hashlib
import os
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import aiohttp_jinja2
import jinja2
from aiohttp import web
from rich.console import Console
from textual_serve.server import Server

from simulator import Problem

from .client import parse_join_url
from .config import ClassError

if TYPE_CHECKING:
    from .host import ClassHost


class BrowserGateway:
    """The web port of a class: one textual-serve app per team, mounted under the team's token."""

    def __init__(self, host: ClassHost, port: int, team_links: dict[str, str], lang: str = "es") -> None:
        self.host = host
        self.port = port
        self.team_links = team_links
        self.lang = lang
        self._runner: web.AppRunner | None = None

    @property
    def public_url(self) -> str:
        return f"http://{self.host.base_url.split('//', 1)[1].rsplit(':', 1)[0]}:{self.port}"

    def team_url(self, token: str) -> str:
        """The browser link of the team whose token this is."""
        return f"{self.public_url}/t/{token}/"

    def _link_file(self, name: str, link: str) -> Path:
        """The team's link in a file only this user can read: a command line is visible to all in `ps`."""
        folder = Path(self.host.config.directory) / ".links"
        folder.mkdir(mode=0o700, exist_ok=True)
        path = folder / f"{hashlib.sha256(name.encode('utf-8')).hexdigest()[:16]}.link"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(link + "\n")
        return path

    def _team_app(self, name: str, link: str) -> web.Application:
        command = " ".join(shlex.quote(p) for p in (sys.executable, "-m", "sitroom", "join", "--link-file",
                                                     str(self._link_file(name, link)), "--lang", self.lang))
        server = Server(command, host=self.host.config.host, port=self.port, title=f"sitroom · {name}",
                        public_url=self.public_url)
        server.console = Console(quiet=True)  # textual-serve would print the command, and so the token
        app = web.Application()
        aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(server.templates_path))
        app.add_routes([web.get("/", server.handle_index, name="index"),
                        web.get("/ws", server.handle_websocket, name="websocket"),
                        web.get("/download/{key}", server.handle_download, name="download"),
                        web.static("/static", server.statics_path, name="static")])
        return app

    async def start(self) -> None:
        """Listen on the web port."""
        root = web.Application()

        async def index(request: web.Request) -> web.Response:
            return web.Response(text="sitroom class: open your team's browser link.\n")

        root.add_routes([web.get("/", index)])
        for name, link in self.team_links.items():
            _, token = parse_join_url(link)
            root.add_subapp(f"/t/{token}/", self._team_app(name, link))
        self._runner = web.AppRunner(root, access_log=None, handle_signals=False)
        await self._runner.setup()
        try:
            await web.TCPSite(self._runner, self.host.config.host, self.port, reuse_address=True).start()
        except OSError as exc:
            await self._runner.cleanup()
            raise ClassError([Problem(f"--web {self.port}", 0, 0, f"cannot serve browsers there: "
                                      f"{exc.strerror or exc}")]) from None
        if self.port == 0 and self._runner.addresses:
            self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        """Stop serving (the browser clients' processes end with their connections)."""
        if self._runner is not None:
            await self._runner.cleanup()
