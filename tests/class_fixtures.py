"""Helpers for the class tests: a real host on 127.0.0.1 (a free port), clients, and time bounds."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

from classroom.client import ClassClient
from classroom.config import Tokens
from classroom.host import ClassHost

RATIONALE = {"information": "smoke reported by the kitchen officer", "why": "people first"}
TEST_LIMIT_S = 40.0


def run(coro_fn: Callable[[], Awaitable[Any]], limit: float = TEST_LIMIT_S) -> Any:
    """Run one async test body, bounded in time."""
    async def bounded() -> Any:
        return await asyncio.wait_for(coro_fn(), limit)
    return asyncio.run(bounded())


def bounded(fn: Callable[..., Awaitable[Any]]) -> Callable[..., Any]:
    """An async test body run in its own event loop, bounded in time (no pytest-asyncio needed)."""
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return run(lambda: fn(*args, **kwargs))
    return wrapper


@contextlib.asynccontextmanager
async def running_class(directory: Path, teams: str = "Alfa,Bravo", *, speed: float = 120.0, seed: int = 11,
                        scenario: str = "tutorial", **kw: Any) -> AsyncIterator[tuple[ClassHost, Tokens]]:
    """A class host listening on 127.0.0.1:<free port>, stopped (and journaled) on exit."""
    host, tokens = ClassHost.create(scenario, teams, directory, seed=seed, speed=speed, port=0, **kw)
    await host.start()
    try:
        yield host, tokens
    finally:
        await host.stop()


@contextlib.asynccontextmanager
async def joined(url: str, **kw: Any) -> AsyncIterator[ClassClient]:
    """A connected client, closed on exit."""
    client = ClassClient(url, lang="en", **kw)
    await client.connect()
    try:
        yield client
    finally:
        await client.close()


async def until_open(client: ClassClient, point: str, timeout: float = 15.0) -> None:
    """Wait until the client's own view shows `point` open."""
    await client.wait_for(lambda: client.view is not None and client.view.snapshot is not None and any(
        d.id == point for d in client.view.snapshot.open_decisions), timeout)


def hidden_reserve_scenario(directory: Path) -> Path:
    """The tutorial with a reserve only the instructor may see, and an order the team sees that needs
    two of its units while one is free: a shortage of units the team's role cannot see."""
    from simulator import resolve_scenario

    text = Path(resolve_scenario("tutorial")).read_text(encoding="utf-8")
    text = text.replace("\ntasks:\n", """
  reserve:
    label: {es: "Reserva regional", en: "Regional reserve"}
    count: 3
    standby: 2
    mobilise: {dist: fixed, value: 30, source: assumption}
    audience: instructor
    travel: {dist: fixed, value: 5, source: assumption}

tasks:
  reinforce:
    label: {es: "Reforzar", en: "Reinforce"}
    resource: reserve
    units: 2
    work: {dist: fixed, value: 5, source: assumption}
""", 1).replace("\norders:\n", """
orders:
  call_reserve:
    label: {es: "Pedir la reserva", en: "Call the reserve"}
    task: reinforce
""", 1)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "hidden-reserve.yaml"
    path.write_text(text, encoding="utf-8")
    return path
