"""The exercise journal: one SQLite file per exercise, the truth of what happened.

It holds the scenario text and its hash, the seed and run options, every input (decisions
with rationale, orders, instructor actions) and every emitted event. Four promises:

- **Durable.** An input is committed with `synchronous=FULL` and then checkpointed into the
  main file before the caller is told it was recorded: after that, the `.sitroom` file
  alone holds it (no `-wal` side file needed, so a copy of one file is a complete record).
  Events are re-derivable from the inputs, so they are committed without waiting for the
  disk and reach the main file at the next input's checkpoint (or at close).
- **Placed exactly.** Each input records the simulated time and the number of engine steps
  taken before it (`step`), so replay applies it at the same point of the event sequence,
  even between two events of the same minute or at T+0.
- **Tamper-evident.** Inputs and committed batches of events form a hash chain rooted in the
  scenario's hash and the run's set-up; `verify()` names the first record that breaks it.
  With a signing key the links are HMACs, so whoever holds the file but not the key cannot
  forge a consistent chain. `close()` seals the chain; an unsealed chain is a crash, a live
  session or a truncation, and `verify()` says so.
- **One writer.** A writable journal holds an exclusive `flock` on its file, which dies with
  its process: a second writer is refused at once with the holder's process id.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import hmac
import json
import os
import socket
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .errors import JournalError, Problem
from .events import Event

FORMAT = "sitroom-journal"
FORMAT_VERSION = 2

# Inputs that change the model; the rest (notes, pause, speed, ...) are for the record.
MODEL_INPUTS = ("decision", "order", "inject", "end")
INPUT_KINDS = MODEL_INPUTS + ("note", "pause", "resume", "speed", "session", "correction", "observation")

# The set-up keys the chain's root covers: editing any of them breaks the chain.
ROOT_KEYS = ("format", "format_version", "model_version", "scenario_sha256", "seed", "team",
             "honour_pauses", "policy", "created")

SIGN_KEY_ENV = "SITROOM_SIGN_KEY"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS inputs (
    seq INTEGER PRIMARY KEY, t REAL NOT NULL, step INTEGER NOT NULL, wall TEXT NOT NULL,
    kind TEXT NOT NULL, actor TEXT NOT NULL, payload TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY, t REAL NOT NULL, kind TEXT NOT NULL, ref TEXT NOT NULL,
    audience TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chain (
    n INTEGER PRIMARY KEY, kind TEXT NOT NULL, first INTEGER NOT NULL, last INTEGER NOT NULL,
    progress REAL NOT NULL, link TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS progress (id INTEGER PRIMARY KEY CHECK (id = 1), t REAL NOT NULL);
"""


def wall_now() -> str:
    """Wall-clock time for the record (never used by the model)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class Input:
    """One journaled input: when (sim time and engine step), what, by whom."""

    seq: int
    t: float
    wall: str
    kind: str
    actor: str
    payload: dict[str, Any]
    step: int = 0


@dataclass(frozen=True)
class ChainReport:
    """What `Journal.verify` found: whether the chain holds, and where it first breaks."""

    ok: bool
    links: int
    sealed: bool
    signed: bool
    verified: bool  # False when the journal is signed and no key was given
    head: str
    inputs: int
    events: int
    progress: float
    broken_at: int | None = None  # the chain record number of the first break
    problem: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)


# `json.dumps(x, sort_keys=True, ensure_ascii=False)`, the same text, without building an encoder per call.
data_json = json.JSONEncoder(sort_keys=True, ensure_ascii=False).encode


@functools.lru_cache(maxsize=512)
def _audience_json(audience: tuple[str, ...]) -> str:
    return json.dumps(list(audience))  # a run has a handful of audiences: each is encoded once


def event_row(e: Event) -> tuple[int, float, str, str, str, str]:
    """An event as the journal writes its row: (seq, t, kind, ref, audience JSON, data JSON)."""
    return (e.seq, e.t, e.kind, e.ref, _audience_json(tuple(e.audience)), data_json(e.data))


def load_sign_key(path: str | Path | None = None) -> bytes | None:
    """The signing key from `path`, else from the file named by $SITROOM_SIGN_KEY, else None."""
    src = path if path is not None else os.environ.get(SIGN_KEY_ENV) or None
    if src is None:
        return None
    try:
        data = Path(src).read_bytes()
    except OSError as exc:
        raise JournalError([Problem(str(src), 0, 0, f"cannot read the signing key: {exc.strerror}")]) from None
    key = data.strip()
    if len(key) < 16:
        raise JournalError([Problem(str(src), 0, 0, "the signing key is too short (use at least 16 bytes, e.g. "
                                    "`head -c 32 /dev/urandom | base64 > class.key`)")])
    return key


def key_id(key: bytes) -> str:
    """A short public fingerprint of a signing key (never the key itself)."""
    return hashlib.sha256(b"sitroom-key-id:" + key).hexdigest()[:16]


def _canon(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def _disk_problem(path: str, exc: BaseException, doing: str) -> JournalError:
    """A sentence for a failure of the disk under the journal (never 'internal error')."""
    msg = str(exc).lower()
    if "full" in msg or getattr(exc, "errno", None) == 28:
        what = "the disk is full: free some space (or move the journal to another disk) and try again"
    elif "readonly" in msg or "read-only" in msg or getattr(exc, "errno", None) in (13, 30):
        what = "the journal's file or folder is read-only: choose a writable place (--journal PATH)"
    elif "unable to open" in msg or getattr(exc, "errno", None) == 2:
        what = "the journal's folder cannot be opened or created: check the path and its permissions"
    elif "locked" in msg or "busy" in msg:
        what = "another program holds the journal's database lock: close it and try again"
    else:
        what = f"the disk refused the write ({exc})"
    return JournalError([Problem(path, 0, 0, f"{doing} was NOT recorded: {what}")])


class _Chain:
    """Links of the hash chain: link_n = H(link_{n-1}, kind, content), rooted in the set-up."""

    def __init__(self, meta: dict[str, str], key: bytes | None) -> None:
        self.key = key
        root = {k: meta.get(k) for k in ROOT_KEYS}
        self.root = self.digest(b"sitroom-journal-root", _canon(root))

    def digest(self, prev: bytes | str, content: bytes) -> str:
        """The chain digest of `content` after `prev`: HMAC-SHA256 with a key, else SHA-256."""
        prev_b = prev.encode() if isinstance(prev, str) else prev
        if self.key is not None:
            return hmac.new(self.key, prev_b + b"\x00" + content, hashlib.sha256).hexdigest()
        return hashlib.sha256(prev_b + b"\x00" + content).hexdigest()

    def link(self, prev: str, kind: str, body: bytes) -> str:
        """The next link of the chain: a record of `kind` whose body is `body`."""
        return self.digest(prev, kind.encode() + b"\x00" + hashlib.sha256(body).digest())


def _input_body(seq: int, t: float, step: int, wall: str, kind: str, actor: str, payload_text: str) -> bytes:
    return _canon([seq, repr(float(t)), step, wall, kind, actor, payload_text])


def _events_body(rows: list[tuple], progress: float) -> bytes:
    return _canon([[r[0], repr(float(r[1])), r[2], r[3], r[4], r[5]] for r in rows] + [repr(float(progress))])


class Journal:
    """Read and append to a journal file (see the module docstring for its promises)."""

    def __init__(self, path: str | Path, conn: sqlite3.Connection, meta: dict[str, str], *,
                 key: bytes | None = None, lock_fd: int | None = None) -> None:
        self.path = str(path)
        self.conn = conn
        self.meta = meta
        self.key = key
        self._lock_fd = lock_fd
        self._chain = _Chain(meta, key)
        self._next_input = self._scalar("SELECT COALESCE(MAX(seq) + 1, 0) FROM inputs")
        row = conn.execute("SELECT n, link, kind FROM chain ORDER BY n DESC LIMIT 1").fetchone()
        self._next_link, self._head = (row[0] + 1, row[1]) if row else (0, self._chain.root)
        self._sealed = bool(row) and row[2] == "seal"

    def _scalar(self, sql: str) -> Any:
        return self.conn.execute(sql).fetchone()[0]

    @property
    def signed(self) -> bool:
        """True when the chain's links are HMACs under a signing key."""
        return self.meta.get("chain") == "hmac-sha256"

    @property
    def head(self) -> str:
        """The newest link of the chain: quote it to prove later that this is the file you saw."""
        return self._head

    # ---------------------------------------------------------------- open/create
    @classmethod
    def create(cls, path: str | Path, meta: dict[str, Any], *, key: bytes | None = None) -> Journal:
        """A new journal at `path` (refused if a file is there); signed when a key is given."""
        p = Path(path)
        if p.exists() or p.is_symlink():
            raise JournalError([Problem(str(path), 0, 0, "a file is already there; choose a new journal path "
                                        "(or use --resume to continue it)")])
        key = key if key is not None else load_sign_key()
        try:
            if p.parent and not p.parent.exists():
                p.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(str(p), os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
        except OSError as exc:
            raise _disk_problem(str(path), exc, "the new journal") from None
        lock_fd = fd
        fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        full = {"format": FORMAT, "format_version": str(FORMAT_VERSION), "created": wall_now(),
                "chain": "hmac-sha256" if key is not None else "sha256"}
        if key is not None:
            full["key_id"] = key_id(key)
        full.update({k: v if isinstance(v, str) else json.dumps(v) for k, v in meta.items()})
        try:
            conn = sqlite3.connect(str(p), isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA busy_timeout=2000")
            conn.executescript(_SCHEMA)
            conn.execute("BEGIN")
            conn.executemany("INSERT INTO meta(key, value) VALUES (?, ?)", sorted(full.items()))
            conn.execute("INSERT INTO progress(id, t) VALUES (1, 0)")
            conn.execute("COMMIT")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error as exc:
            os.close(lock_fd)
            with contextlib.suppress(OSError):
                p.unlink()
            raise _disk_problem(str(path), exc, "the new journal") from None
        j = cls(p, conn, full, key=key, lock_fd=lock_fd)
        j._note_writer()
        return j

    @classmethod
    def open(cls, path: str | Path, *, writable: bool = False, key: bytes | None = None) -> Journal:
        """Open a journal; a writable open takes the one-writer lock or is refused."""
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
        key = key if key is not None else load_sign_key()
        lock_fd = None
        if writable:
            lock_fd = _take_lock(p)
        try:
            conn = cls._connect(p, writable)
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if not {"meta", "inputs", "events", "progress"} <= tables:
                wal = Path(str(p) + "-wal")
                hint = "" if tables or wal.exists() else (
                    f" (an empty database: if it was copied from an older sitroom while it ran, its '{p.name}-wal'"
                    " side file holds the rest)")
                raise JournalError([Problem(str(path), 0, 0, f"not a sitroom journal (tables missing){hint}")])
            meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
            check = conn.execute("PRAGMA quick_check").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            _release(lock_fd)
            raise JournalError([Problem(str(path), 0, 0, f"damaged or truncated journal ({exc})")]) from None
        except JournalError:
            _release(lock_fd)
            raise
        problem = None
        if check != "ok":
            problem = f"damaged journal: {check}"
        elif meta.get("format") != FORMAT:
            problem = "not a sitroom journal (format mark missing)"
        elif meta.get("format_version") != str(FORMAT_VERSION):
            problem = (f"journal format version {meta.get('format_version')} is not supported (this sitroom "
                       f"reads version {FORMAT_VERSION}; use the sitroom release that wrote it)")
        elif "chain" not in tables:
            problem = "journal is incomplete: no chain table"
        else:
            missing = [k for k in ("scenario_text", "scenario_sha256", "seed") if k not in meta]
            if missing:
                problem = f"journal is incomplete: no {missing[0]}"
        if problem is None and writable and meta.get("chain") == "hmac-sha256":
            if key is None:
                problem = (f"this journal is signed (key {meta.get('key_id')}); give the key with --sign-key FILE "
                           f"or ${SIGN_KEY_ENV} to continue it")
            elif key_id(key) != meta.get("key_id"):
                problem = f"the signing key given is not the one this journal was signed with ({meta.get('key_id')})"
        if problem is not None:
            conn.close()
            _release(lock_fd)
            raise JournalError([Problem(str(path), 0, 0, problem)])
        if meta.get("chain") != "hmac-sha256" or (key is not None and key_id(key) != meta.get("key_id")):
            key = None  # unsigned, or (read-only) another key: the links cannot be checked with it
        j = cls(p, conn, meta, key=key, lock_fd=lock_fd)
        if writable:
            j._note_writer()
        return j

    @staticmethod
    def _connect(p: Path, writable: bool) -> sqlite3.Connection:
        if writable:
            conn = sqlite3.connect(str(p), isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA busy_timeout=2000")
            return conn
        wal = Path(str(p) + "-wal")
        if wal.exists() and os.access(p.parent, os.W_OK):
            # A -wal side file next to it holds work not yet in the main file: read it too.
            return sqlite3.connect(f"file:{p.resolve()}?mode=ro", uri=True, isolation_level=None,
                                   check_same_thread=False)
        # Nothing beside it (a copied file, a read-only medium): read the main file as it is.
        return sqlite3.connect(f"file:{p.resolve()}?mode=ro&immutable=1", uri=True, isolation_level=None,
                               check_same_thread=False)

    def _note_writer(self) -> None:
        info = {"pid": os.getpid(), "host": socket.gethostname(), "since": wall_now()}
        with contextlib.suppress(sqlite3.Error):
            self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('writer', ?)", (json.dumps(info),))

    def close(self, *, seal: bool = False) -> None:
        """Close the file; with `seal`, first append the chain's closing link (a finished record)."""
        if self._lock_fd is not None:
            with contextlib.suppress(sqlite3.Error, JournalError):
                if seal and not self._sealed:
                    self._append_link("seal", self._next_input, self._next_input, self.progress())
                self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        with contextlib.suppress(sqlite3.Error):
            self.conn.close()
        _release(self._lock_fd)
        self._lock_fd = None

    # ---------------------------------------------------------------- writing
    def _append_link(self, kind: str, first: int, last: int, progress: float, body: bytes | None = None) -> None:
        link = self._chain.link(self._head, kind, body if body is not None else _canon([kind, first, last]))
        self.conn.execute("INSERT INTO chain(n, kind, first, last, progress, link) VALUES (?, ?, ?, ?, ?, ?)",
                          (self._next_link, kind, first, last, progress, link))
        self._next_link += 1
        self._head = link
        if kind == "seal":
            self._sealed = True

    def append_input(self, t: float, kind: str, actor: str, payload: dict[str, Any], step: int = 0, *,
                     checkpoint: bool = True) -> Input:
        """Commit one input durably (and, unless told to wait, into the main file); returns it then.

        A caller that applies the input and journals its events first (`Exercise`) passes
        `checkpoint=False` and calls `checkpoint()` itself before acknowledging, so that the
        main file holds the input together with what it caused.
        """
        if self._lock_fd is None:
            raise JournalError([Problem(self.path, 0, 0, "the journal is open read-only")])
        seq = self._next_input
        wall = wall_now()
        text = json.dumps(payload, sort_keys=True, ensure_ascii=False)
        head, n = self._head, self._next_link
        c = self.conn
        try:
            c.execute("BEGIN IMMEDIATE")
            c.execute("INSERT INTO inputs(seq, t, step, wall, kind, actor, payload) VALUES (?, ?, ?, ?, ?, ?, ?)",
                      (seq, t, step, wall, kind, actor, text))
            self._append_link("input", seq, seq, t, _input_body(seq, t, step, wall, kind, actor, text))
            c.execute("COMMIT")
        except sqlite3.Error as exc:
            with contextlib.suppress(sqlite3.Error):
                c.execute("ROLLBACK")
            self._head, self._next_link = head, n
            raise _disk_problem(self.path, exc, f"the {kind}") from None
        self._next_input += 1
        self._sealed = False
        if checkpoint:
            self.checkpoint()
        return Input(seq, t, wall, kind, actor, payload, step)

    def checkpoint(self) -> None:
        """Move everything committed into the main file, so the .sitroom file alone holds it.

        A failed checkpoint leaves the work committed in the -wal file (still durable there).
        """
        with contextlib.suppress(sqlite3.Error):
            self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def append_events(self, events: list[Event], progress: float) -> None:
        """Write events and how far the clock got, as one link of the chain."""
        if self._lock_fd is None:
            raise JournalError([Problem(self.path, 0, 0, "the journal is open read-only")])
        rows = [event_row(e) for e in events]
        c = self.conn
        head, n = self._head, self._next_link
        try:
            # Events can be re-derived from the inputs, so they need not wait for the disk.
            c.execute("PRAGMA synchronous=NORMAL")
            c.execute("BEGIN IMMEDIATE")
            c.executemany("INSERT INTO events(seq, t, kind, ref, audience, data) VALUES (?, ?, ?, ?, ?, ?)", rows)
            c.execute("UPDATE progress SET t = ? WHERE id = 1", (progress,))
            first = rows[0][0] if rows else -1
            last = rows[-1][0] if rows else -1
            self._append_link("events", first, last, progress, _events_body(rows, progress))
            c.execute("COMMIT")
        except sqlite3.Error as exc:
            with contextlib.suppress(sqlite3.Error):
                c.execute("ROLLBACK")
            self._head, self._next_link = head, n
            raise _disk_problem(self.path, exc, "the newest events") from None
        finally:
            with contextlib.suppress(sqlite3.Error):
                c.execute("PRAGMA synchronous=FULL")
        self._sealed = False

    # ---------------------------------------------------------------- reading
    def inputs(self) -> list[Input]:
        """Every input in order, each checked for shape (a damaged one names its record)."""
        try:
            rows = self.conn.execute(
                "SELECT seq, t, wall, kind, actor, payload, step FROM inputs ORDER BY seq").fetchall()
        except sqlite3.DatabaseError as exc:
            raise JournalError([Problem(self.path, 0, 0, f"damaged inputs table ({exc})")]) from None
        out = []
        for r in rows:
            where = f"input #{r[0]}"
            try:
                payload = json.loads(r[5])
            except (json.JSONDecodeError, TypeError):
                raise JournalError([Problem(self.path, 0, 0, f"{where}: its payload is not JSON")]) from None
            if not isinstance(payload, dict):
                raise JournalError([Problem(self.path, 0, 0, f"{where}: its payload is a "
                                            f"{type(payload).__name__}, not an object")])
            if not isinstance(r[1], int | float) or not isinstance(r[6], int):
                raise JournalError([Problem(self.path, 0, 0, f"{where}: its time or step is not a number")])
            _check_payload(self.path, where, str(r[3]), payload)
            out.append(Input(r[0], float(r[1]), str(r[2]), str(r[3]), str(r[4]), payload, int(r[6])))
        return out

    def event_rows(self) -> list[tuple[int, float, str, str, str, str]]:
        """Every stored event as written: (seq, t, kind, ref, audience JSON, data JSON), in order."""
        try:
            return self.conn.execute("SELECT seq, t, kind, ref, audience, data FROM events ORDER BY seq").fetchall()
        except sqlite3.DatabaseError as exc:
            raise JournalError([Problem(self.path, 0, 0, f"damaged events table ({exc})")]) from None

    def events(self) -> list[dict[str, Any]]:
        """Every stored event as a record dict, in order."""
        try:
            return [{"seq": r[0], "t": r[1], "kind": r[2], "ref": r[3], "audience": json.loads(r[4]),
                     "data": json.loads(r[5])} for r in self.event_rows()]
        except (json.JSONDecodeError, TypeError) as exc:
            raise JournalError([Problem(self.path, 0, 0, f"damaged events table ({exc})")]) from None

    def read_events(self) -> list[Event]:
        """Every stored event as the engine's `Event` (the type the live room reads)."""
        return [Event.from_record(e) for e in self.events()]

    def progress(self) -> float:
        """How far the clock got (minutes)."""
        return float(self._scalar("SELECT t FROM progress WHERE id = 1") or 0.0)

    def meta_json(self, key: str, default: Any = None) -> Any:
        """A meta value decoded from JSON (or the raw text when it is not JSON)."""
        v = self.meta.get(key)
        if v is None:
            return default
        try:
            return json.loads(v)
        except json.JSONDecodeError:
            return v

    # ---------------------------------------------------------------- checking
    def verify(self) -> ChainReport:
        """Walk the chain from its root; report the first record that breaks it."""
        c = self.conn
        signed = self.signed
        can = not signed or self.key is not None
        notes: list[str] = []
        try:
            links = c.execute("SELECT n, kind, first, last, progress, link FROM chain ORDER BY n").fetchall()
            inputs = {r[0]: r for r in c.execute(
                "SELECT seq, t, step, wall, kind, actor, payload FROM inputs ORDER BY seq")}
            events = c.execute("SELECT seq, t, kind, ref, audience, data FROM events ORDER BY seq").fetchall()
        except sqlite3.DatabaseError as exc:
            raise JournalError([Problem(self.path, 0, 0, f"damaged journal ({exc})")]) from None
        progress = self.progress()
        base = dict(links=len(links), signed=signed, verified=can, inputs=len(inputs), events=len(events),
                    progress=progress)

        def broken(n: int, why: str, head: str) -> ChainReport:
            return ChainReport(False, sealed=False, head=head, broken_at=n, problem=why, **base)

        head = self._chain.root
        text = self.meta.get("scenario_text")
        if text is None or hashlib.sha256(text.encode("utf-8")).hexdigest() != self.meta.get("scenario_sha256"):
            # The chain is rooted in the scenario's hash, not its text: the text must still match it.
            return broken(0, "the stored scenario was changed after the journal was created (its text does not "
                             "match the hash the chain starts from)", head)
        seen_inputs = 0
        seen_events = 0
        last_progress = 0.0
        sealed = False
        at = 0
        try:
            for i, (n, kind, first, last, prog, link) in enumerate(links):
                at = i
                if n != i:
                    return broken(i, f"chain record #{i} is missing (records were deleted or reordered)", head)
                sealed = False  # a reopened journal goes on after its seal; the last link tells
                if kind == "input":
                    r = inputs.get(first)
                    if r is None or first != seen_inputs:
                        return broken(n, f"chain record #{n}: input #{first} is missing or out of order", head)
                    body = _input_body(*r)
                    seen_inputs += 1
                    last_progress = max(last_progress, float(r[1]))
                elif kind == "events":
                    if first == -1:
                        batch: list[tuple] = []
                    else:
                        if first != seen_events:
                            return broken(n, f"chain record #{n}: events from #{first} do not follow "
                                             f"#{seen_events - 1}", head)
                        batch = events[first:last + 1]
                        if len(batch) != last - first + 1 or (batch and batch[-1][0] != last):
                            have = {row[0] for row in batch}
                            gone = [k for k in range(first, last + 1) if k not in have]
                            what = _seq_ranges(gone) if gone else f"#{first}-#{last}"
                            return broken(n, f"chain record #{n} (events #{first}-#{last}): {what} "
                                             f"{'is' if len(gone) == 1 else 'are'} missing", head)
                        seen_events = last + 1
                    body = _events_body(batch, prog)
                    last_progress = prog
                elif kind == "seal":
                    body = _canon(["seal", first, last])
                    sealed = True
                else:
                    return broken(n, f"chain record #{n} has an unknown kind {kind!r}", head)
                expect = self._chain.link(head, kind, body)
                if can and not hmac.compare_digest(expect, link):
                    what = {"input": f"input #{first}", "events": f"events #{first}-#{last}",
                            "seal": "the seal"}[kind]
                    return broken(n, f"chain record #{n} ({what}) was changed after it was recorded", head)
                head = link if can else expect
        except (TypeError, ValueError):  # a time or number stored as text: an edited record, not a crash
            return broken(at, f"chain record #{at}: a stored value is not of its kind (a time or a number "
                              "written as text): the record was edited", head)
        if seen_inputs != len(inputs):
            extra = sorted(set(inputs) - set(range(seen_inputs)))
            return broken(len(links), f"input #{extra[0]} is not in the chain (added or edited after the fact)",
                          head)
        if seen_events != len(events):
            return broken(len(links), f"event #{seen_events} is not in the chain (added after the fact)", head)
        if abs(progress - last_progress) > 1e-9 and links:
            return broken(len(links), f"the clock progress (T+{progress:.2f}) does not match the chain's last "
                                      f"record (T+{last_progress:.2f})", head)
        if not sealed:
            notes.append("not sealed: the exercise is still open, crashed, or the file was cut short after "
                         f"T+{last_progress:.2f}; compare the chain head with the one shown when it closed")
        if signed and not can:
            notes.append(f"signed (key {self.meta.get('key_id')}): give --sign-key to verify the links")
        return ChainReport(True, sealed=sealed, head=head, notes=tuple(notes), **base)


def _seq_ranges(seqs: list[int]) -> str:
    """Sequence numbers as short ranges: [3, 4, 5, 9] -> "events #3-#5, #9" (one: "event #3")."""
    if len(seqs) == 1:
        return f"event #{seqs[0]}"
    parts: list[str] = []
    start = prev = seqs[0]
    for k in [*seqs[1:], None]:
        if k is not None and k == prev + 1:
            prev = k
            continue
        parts.append(f"#{start}" if start == prev else f"#{start}-#{prev}")
        if k is not None:
            start = prev = k
    shown = ", ".join(parts[:6]) + (" ..." if len(parts) > 6 else "")
    return f"events {shown}"


def _check_payload(path: str, where: str, kind: str, p: dict[str, Any]) -> None:
    """Model inputs must have the fields replay needs, of the right types."""
    need: dict[str, tuple[type, ...]] = {}
    if kind == "decision":
        need = {"point": (str,), "option": (str,)}
        if p.get("force") is not None and (not isinstance(p["force"], int) or isinstance(p["force"], bool)):
            raise JournalError([Problem(path, 0, 0, f"{where}: force must be a whole number")])
    elif kind == "order":
        need = {"order": (str,)}
        params = p.get("params")
        if params is not None and not (isinstance(params, dict) and all(
                isinstance(k, str) and isinstance(v, int | str) and not isinstance(v, bool)
                for k, v in params.items())):
            raise JournalError([Problem(path, 0, 0, f"{where}: params must map names to whole numbers or ids")])
    elif kind == "inject":
        need = {"inject": (str,)}
    for name, types in need.items():
        if name not in p:
            raise JournalError([Problem(path, 0, 0, f"{where} ({kind}) lacks its {name!r} field")])
        if not isinstance(p[name], types):
            raise JournalError([Problem(path, 0, 0, f"{where} ({kind}): {name!r} must be text, "
                                        f"not {type(p[name]).__name__}")])


def _take_lock(p: Path) -> int:
    try:
        fd = os.open(str(p), os.O_RDWR)
    except OSError as exc:
        raise _disk_problem(str(p), exc, "opening the journal for writing") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        holder = _holder(p)
        raise JournalError([Problem(str(p), 0, 0, f"already open for writing{holder}; close that sitroom "
                                    "first (one writer at a time; the lock ends with its process)")]) from None
    return fd


def _holder(p: Path) -> str:
    try:
        conn = sqlite3.connect(f"file:{p.resolve()}?mode=ro", uri=True)
        try:
            row = conn.execute("SELECT value FROM meta WHERE key = 'writer'").fetchone()
        finally:
            conn.close()
        info = json.loads(row[0]) if row else {}
        return f" by process {info['pid']} on {info['host']} (since {info['since']})"
    except (sqlite3.Error, KeyError, TypeError, json.JSONDecodeError):
        return " by another process"


def _release(fd: int | None) -> None:
    if fd is not None:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
