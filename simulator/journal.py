"""The exercise journal: one SQLite file (WAL) per exercise; the truth of what happened.

It holds the scenario text and its hash, the seed and run options, every input
(decisions with rationale, orders, instructor actions) and every emitted event.
Inputs are committed with `synchronous=FULL` before the caller is told they
were recorded, so a crash loses nothing that was acknowledged.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .errors import JournalError, Problem
from .model import Event

FORMAT = "sitroom-journal"
FORMAT_VERSION = 1

# Inputs that change the model; the rest (notes, pause, speed) are for the record.
MODEL_INPUTS = ("decision", "order", "inject", "end")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS inputs (
    seq INTEGER PRIMARY KEY, t REAL NOT NULL, wall TEXT NOT NULL, kind TEXT NOT NULL,
    actor TEXT NOT NULL, payload TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY, t REAL NOT NULL, kind TEXT NOT NULL, ref TEXT NOT NULL,
    audience TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS progress (id INTEGER PRIMARY KEY CHECK (id = 1), t REAL NOT NULL);
"""


def wall_now() -> str:
    """Wall-clock time for the record (never used by the model)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class Input:
    """One journaled input."""

    seq: int
    t: float
    wall: str
    kind: str
    actor: str
    payload: dict[str, Any]


def event_key(e: Event | dict[str, Any]) -> tuple:
    """What must be identical between a run and its replay."""
    if isinstance(e, Event):
        return (e.seq, round(e.t, 6), e.kind, e.ref, tuple(e.audience), json.dumps(e.data, sort_keys=True))
    return (e["seq"], round(e["t"], 6), e["kind"], e["ref"], tuple(e["audience"]),
            json.dumps(e["data"], sort_keys=True))


class Journal:
    """Read and append to a journal file."""

    def __init__(self, path: str | Path, conn: sqlite3.Connection, meta: dict[str, str]) -> None:
        self.path = str(path)
        self.conn = conn
        self.meta = meta
        self._next_input = self._scalar("SELECT COALESCE(MAX(seq) + 1, 0) FROM inputs")

    def _scalar(self, sql: str) -> Any:
        return self.conn.execute(sql).fetchone()[0]

    # ---------------------------------------------------------------- open/create
    @classmethod
    def create(cls, path: str | Path, meta: dict[str, Any]) -> Journal:
        p = Path(path)
        if p.exists():
            raise JournalError([Problem(str(path), 0, 0, "a file is already there; choose a new journal path "
                                        "(or use --resume to continue it)")])
        if p.parent and not p.parent.exists():
            p.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(p), isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.executescript(_SCHEMA)
        full = {"format": FORMAT, "format_version": str(FORMAT_VERSION), "created": wall_now()}
        full.update({k: v if isinstance(v, str) else json.dumps(v) for k, v in meta.items()})
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO meta(key, value) VALUES (?, ?)", sorted(full.items()))
        conn.execute("INSERT INTO progress(id, t) VALUES (1, 0)")
        conn.execute("COMMIT")
        return cls(p, conn, full)

    @classmethod
    def open(cls, path: str | Path, *, writable: bool = False) -> Journal:
        p = Path(path)
        if not p.exists():
            raise JournalError([Problem(str(path), 0, 0, "no such file")])
        if p.is_dir():
            raise JournalError([Problem(str(path), 0, 0, "is a directory, not a journal")])
        try:
            with p.open("rb") as fh:
                head = fh.read(16)
        except OSError as exc:
            raise JournalError([Problem(str(path), 0, 0, f"cannot read: {exc.strerror}")]) from None
        if head != b"SQLite format 3\x00":
            raise JournalError([Problem(str(path), 0, 0, "not a sitroom journal (not an SQLite file)")])
        try:
            uri = f"file:{p.resolve()}" + ("" if writable else "?mode=ro")
            conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
            if writable:
                conn.execute("PRAGMA synchronous=FULL")
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if not {"meta", "inputs", "events", "progress"} <= tables:
                raise JournalError([Problem(str(path), 0, 0, "not a sitroom journal (tables missing)")])
            meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
            check = conn.execute("PRAGMA quick_check").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise JournalError([Problem(str(path), 0, 0, f"damaged or truncated journal ({exc})")]) from None
        if check != "ok":
            raise JournalError([Problem(str(path), 0, 0, f"damaged journal: {check}")])
        if meta.get("format") != FORMAT:
            raise JournalError([Problem(str(path), 0, 0, "not a sitroom journal (format mark missing)")])
        if meta.get("format_version") != str(FORMAT_VERSION):
            raise JournalError([Problem(str(path), 0, 0, f"journal format version {meta.get('format_version')} "
                                        f"is not supported (this sitroom reads version {FORMAT_VERSION})")])
        for key in ("scenario_text", "scenario_sha256", "seed"):
            if key not in meta:
                raise JournalError([Problem(str(path), 0, 0, f"journal is incomplete: no {key}")])
        return cls(p, conn, meta)

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self.conn.close()

    # ---------------------------------------------------------------- writing
    def append_input(self, t: float, kind: str, actor: str, payload: dict[str, Any]) -> Input:
        """Commit one input durably; returns it once it is on disk."""
        seq = self._next_input
        wall = wall_now()
        self.conn.execute("INSERT INTO inputs(seq, t, wall, kind, actor, payload) VALUES (?, ?, ?, ?, ?, ?)",
                          (seq, t, wall, kind, actor, json.dumps(payload, sort_keys=True, ensure_ascii=False)))
        self._next_input += 1
        return Input(seq, t, wall, kind, actor, payload)

    def append_events(self, events: list[Event], progress: float) -> None:
        """Write events (idempotent by sequence number) and how far the clock got."""
        c = self.conn
        # Events can be re-derived from the inputs, so they need not wait for the disk;
        # inputs (append_input) are committed with synchronous=FULL.
        c.execute("PRAGMA synchronous=NORMAL")
        c.execute("BEGIN")
        c.executemany(
            "INSERT OR IGNORE INTO events(seq, t, kind, ref, audience, data) VALUES (?, ?, ?, ?, ?, ?)",
            [(e.seq, e.t, e.kind, e.ref, json.dumps(list(e.audience)), json.dumps(e.data, sort_keys=True,
                                                                                   ensure_ascii=False))
             for e in events],
        )
        c.execute("UPDATE progress SET t = MAX(t, ?) WHERE id = 1", (progress,))
        c.execute("COMMIT")
        c.execute("PRAGMA synchronous=FULL")

    def set_meta(self, key: str, value: Any) -> None:
        v = value if isinstance(value, str) else json.dumps(value)
        self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, v))
        self.meta[key] = v

    # ---------------------------------------------------------------- reading
    def inputs(self) -> list[Input]:
        try:
            rows = self.conn.execute("SELECT seq, t, wall, kind, actor, payload FROM inputs ORDER BY seq").fetchall()
            return [Input(r[0], r[1], r[2], r[3], r[4], json.loads(r[5])) for r in rows]
        except (sqlite3.DatabaseError, json.JSONDecodeError) as exc:
            raise JournalError([Problem(self.path, 0, 0, f"damaged inputs table ({exc})")]) from None

    def events(self) -> list[dict[str, Any]]:
        try:
            rows = self.conn.execute("SELECT seq, t, kind, ref, audience, data FROM events ORDER BY seq").fetchall()
            return [{"seq": r[0], "t": r[1], "kind": r[2], "ref": r[3], "audience": json.loads(r[4]),
                     "data": json.loads(r[5])} for r in rows]
        except (sqlite3.DatabaseError, json.JSONDecodeError) as exc:
            raise JournalError([Problem(self.path, 0, 0, f"damaged events table ({exc})")]) from None

    def progress(self) -> float:
        return float(self._scalar("SELECT t FROM progress WHERE id = 1") or 0.0)

    def meta_json(self, key: str, default: Any = None) -> Any:
        v = self.meta.get(key)
        if v is None:
            return default
        try:
            return json.loads(v)
        except json.JSONDecodeError:
            return v
