"""The class wire protocol: versioned JSON messages, their checks, and the view codecs.

Every message is one JSON object in one websocket text frame, with a `type`. A client's
first message is `hello` (its token and the protocol version); everything after that is
checked here against the table of what each kind of client may send, field by field,
before the host acts on it. The full list, with the host's answers, is docs/class.md.

The codecs turn the engine's `Snapshot` and `Event` values into JSON and back, so a
client holds the same types the room renders from a local engine.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from simulator import Event, OpenDecision, OrderStatus, OrderView, QuantityView, Snapshot, UnitView
from simulator.orders import PARAM_NAMES, STATUS_CODES
from simulator.views import Estimate

PROTOCOL_VERSION = 3  # 2: order statuses as data inside the snapshot; the clock carries the alert speed.
# 3: format 2: quantities may carry an estimate (value null), open points their offered options, orders params
MAX_MESSAGE_BYTES = 16 * 1024  # a decision with a full rationale is about 3 KiB
RATE_PER_S = 20.0  # sustained messages per second per connection
RATE_BURST = 40.0
RATE_STRIKES = 20  # messages refused for rate before the host closes the connection
MAX_TEXT = 4000
MAX_ID = 100

CLIENT_KINDS = ("team", "instructor", "evaluator")
# Requests that change something. A client sends one again, with the same id, after reconnecting to the
# same host process; the host answers a repeated id from its record instead of acting twice.
COMMANDS = ("decide", "order", "note", "inject", "pause", "resume", "speed", "end", "start_class")


class ProtocolError(Exception):
    """A message the host (or client) will not act on: a code and a sentence for people."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.request_id: Any = None  # the offending message's id, when it had a usable one

    def reply(self, request_id: Any = None) -> dict[str, Any]:
        """The `error` message that answers the offending request."""
        msg: dict[str, Any] = {"type": "error", "id": request_id if request_id is not None else self.request_id, "code": self.code, "message": self.message}
        if self.field:
            msg["field"] = self.field
        return msg


# ---------------------------------------------------------------- field checks
def _text(limit: int) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, str) and len(v) <= limit


def _ident(v: Any) -> bool:
    return isinstance(v, str) and 0 < len(v) <= MAX_ID


def _team_or_all(v: Any) -> bool:
    return v is None or _ident(v)


def _number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _force(v: Any) -> bool:
    return v is None or (isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 5)


def _rationale(v: Any) -> bool:
    if not isinstance(v, dict) or len(v) > 10:
        return False
    for key, value in v.items():
        if not _ident(key):
            return False
        if isinstance(value, list):
            if len(value) > 20 or not all(_ident(x) for x in value):
                return False
        elif not _text(MAX_TEXT)(value):
            return False
    return True


def _params(v: Any) -> bool:
    if not isinstance(v, dict) or not set(v) <= set(PARAM_NAMES):
        return False
    count, site = v.get("count", 1), v.get("site", "x")
    return isinstance(count, int) and not isinstance(count, bool) and 0 <= count <= 1000 and _ident(site)


def _since(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def _request_id(v: Any) -> bool:
    return v is None or (isinstance(v, int) and not isinstance(v, bool)) or _text(64)(v)


@dataclass(frozen=True)
class Field:
    """One field of a message: its check, whether it must be there, and what it should be."""

    check: Callable[[Any], bool]
    required: bool
    expected: str


@dataclass(frozen=True)
class MessageSpec:
    """What a client may send: who may send it and its fields."""

    senders: tuple[str, ...]
    fields: dict[str, Field]


_ID = Field(_ident, True, "an identifier of 1 to 100 characters")
_TEAM = Field(_team_or_all, False, "a team name, or null for every team")

MESSAGES: dict[str, MessageSpec] = {
    "hello": MessageSpec(CLIENT_KINDS, {
        "token": Field(_text(200), True, "the token of the join link"),
        "v": Field(lambda v: isinstance(v, int) and not isinstance(v, bool), True, "the protocol version"),
        "since": Field(_since, False, "the number of events the client already holds"),
        "lang": Field(lambda v: v in ("es", "en"), False, "es or en"),
    }),
    "ping": MessageSpec(CLIENT_KINDS, {}),
    "decide": MessageSpec(("team",), {
        "point": _ID, "option": _ID,
        "rationale": Field(_rationale, False, "an object of short texts (and a list of option ids)"),
        "force": Field(_force, False, "an LNUF level from 1 to 5, or null"),
    }),
    "order": MessageSpec(("team",), {"order": _ID, "params": Field(
        _params, False, "an object with 'count' (a whole number) and/or 'site' (a site id)")}),
    "watch": MessageSpec(("instructor", "evaluator"), {
        "team": Field(_team_or_all, True, "a team name, or null for the overview only")}),
    "start_class": MessageSpec(("instructor",), {}),
    "pause": MessageSpec(("instructor",), {"team": _TEAM}),
    "resume": MessageSpec(("instructor",), {"team": _TEAM}),
    "speed": MessageSpec(("instructor",), {
        "team": _TEAM,
        "speed": Field(lambda v: _number(v) and 0.05 <= v <= 3600, True, "a speed from 0.05 to 3600"),
    }),
    "inject": MessageSpec(("instructor",), {"team": _TEAM, "inject": _ID}),
    "note": MessageSpec(("instructor", "evaluator"), {
        "team": Field(_ident, True, "the team the observation is about"),
        "text": Field(_text(MAX_TEXT), True, "a text of at most 4000 characters"),
    }),
    "end": MessageSpec(("instructor",), {"team": _TEAM}),
    "status": MessageSpec(("instructor",), {}),
}


def parse(raw: str | bytes, sender: str | None) -> dict[str, Any]:
    """Decode and check one client message; `sender` is None before `hello`. Raises ProtocolError."""
    size = len(raw.encode() if isinstance(raw, str) else raw)
    if size > MAX_MESSAGE_BYTES:
        raise ProtocolError("too_large", f"a message may be at most {MAX_MESSAGE_BYTES} bytes; this one is {size}")
    try:
        msg = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ProtocolError("bad_json", "the message is not JSON") from None
    if not isinstance(msg, dict):
        raise ProtocolError("bad_message", "a message is a JSON object")
    try:
        return _check(msg, sender)
    except ProtocolError as exc:
        if _request_id(msg.get("id")):
            exc.request_id = msg.get("id")
        raise


def _check(msg: dict[str, Any], sender: str | None) -> dict[str, Any]:
    kind = msg.get("type")
    if not isinstance(kind, str) or kind not in MESSAGES:
        raise ProtocolError("unknown_type", f"unknown message type {str(kind)[:40]!r}", "type")
    if not _request_id(msg.get("id")):
        raise ProtocolError("bad_field", "'id' must be a number or a short text", "id")
    spec = MESSAGES[kind]
    if sender is None and kind != "hello":
        raise ProtocolError("hello_first", "the first message must be 'hello'", "type")
    if sender is not None and kind == "hello":
        raise ProtocolError("bad_message", "'hello' was already sent", "type")
    if sender is not None and sender not in spec.senders:
        raise ProtocolError("forbidden", f"a {sender} client may not send '{kind}'", "type")
    for name in msg:
        if name not in spec.fields and name not in ("type", "id"):
            raise ProtocolError("bad_field", f"'{kind}' has no field '{str(name)[:40]}'", str(name)[:40])
    for name, fld in spec.fields.items():
        if name not in msg:
            if fld.required:
                raise ProtocolError("bad_field", f"'{kind}' needs '{name}': {fld.expected}", name)
            continue
        if not fld.check(msg[name]):
            raise ProtocolError("bad_field", f"'{kind}' field '{name}' must be {fld.expected}", name)
    return msg


class RateLimiter:
    """A token bucket per connection: `RATE_PER_S` messages a second, bursts of `RATE_BURST`."""

    def __init__(self, rate: float = RATE_PER_S, burst: float = RATE_BURST,
                 now: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.burst = burst
        self._now = now
        self._tokens = burst
        self._at = now()
        self.strikes = 0

    def allow(self) -> bool:
        """Take one token; False (and a strike) when the bucket is empty."""
        t = self._now()
        self._tokens = min(self.burst, self._tokens + (t - self._at) * self.rate)
        self._at = t
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        self.strikes += 1
        return False


def encode(msg: dict[str, Any]) -> str:
    """One message as compact JSON text."""
    return json.dumps(msg, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


# ---------------------------------------------------------------- views
def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 6)


def snapshot_to_json(snap: Snapshot) -> dict[str, Any]:
    """A role's snapshot as JSON (computed by the engine on the host, never widened)."""
    return {
        "t": _r(snap.t), "role": snap.role,
        # A sixth element when the quantity's audience knows it only as an estimate: [low, high], or [] for
        # unknown (the value is then null in a team's view; the truth in the instructor's).
        "quantities": [[q.id, q.value, q.previous, _r(q.changed_at), _r(q.as_of)]
                       + ([] if q.estimate is None else [[] if q.estimate.unknown else [q.estimate.low, q.estimate.high]])
                       for q in snap.quantities],
        "units": [[u.id, u.resource, u.status, u.task, _r(u.eta), _r(u.since), u.location] for u in snap.units],
        "open": [[d.id, _r(d.opened_at), _r(d.deadline_at), list(d.offered)] for d in snap.open_decisions],
        "decided": [list(d) for d in snap.decided],
        # Each order's status as the snapshot's viewer may know it (`OrderStatus.as_data()`).
        "orders": [[o.id, o.available, o.reason, o.status.as_data() if o.status else None] for o in snap.orders],
        "halted_for": snap.halted_for, "ended": snap.ended, "end_reason": snap.end_reason,
    }


def snapshot_from_json(d: dict[str, Any]) -> Snapshot:
    """The inverse of `snapshot_to_json`. Raises ProtocolError on a malformed view."""
    try:
        return Snapshot(
            float(d["t"]), d["role"],
            tuple(QuantityView(q[0], None if q[1] is None else float(q[1]), q[2], q[3], float(q[4]),
                               None if len(q) < 6 else Estimate(*(float(x) for x in q[5])) if q[5] else Estimate())
                  for q in d["quantities"]),
            tuple(UnitView(u[0], u[1], u[2], u[3], u[4], float(u[5]), u[6]) for u in d["units"]),
            tuple(OpenDecision(o[0], float(o[1]), o[2], tuple(str(x) for x in o[3])) for o in d["open"]),
            tuple((x[0], x[1], float(x[2]), x[3]) for x in d["decided"]),
            tuple(OrderView(o[0], bool(o[1]), o[2], None if o[3] is None else order_status_from_json(o[3]))
                  for o in d["orders"]),
            d["halted_for"], bool(d["ended"]), d["end_reason"],
        )
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise ProtocolError("bad_view", f"malformed snapshot from the host ({exc})") from None


def event_to_json(ev: Event) -> dict[str, Any]:
    """One engine event as JSON."""
    return ev.record()


def event_from_json(d: dict[str, Any]) -> Event:
    """The inverse of `event_to_json`. Raises ProtocolError on a malformed event."""
    try:
        return Event(int(d["seq"]), float(d["t"]), str(d["kind"]), str(d["ref"]), tuple(d["audience"]),
                     dict(d["data"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise ProtocolError("bad_view", f"malformed event from the host ({exc})") from None


def order_status_from_json(d: Any) -> OrderStatus:
    """An order's status from its `OrderStatus.as_data()` form. Raises ProtocolError when malformed."""
    try:
        code = str(d["reason"])
        if code not in STATUS_CODES:
            raise ValueError(f"unknown order status {code!r}")
        if code == "params":
            return OrderStatus(code, param=str(d["param"]))
        if code == "standby":
            return OrderStatus(code, str(d["resource"]))
        if code != "units":
            behind = d.get("behind")  # "ok", in line behind an earlier run (a key added within protocol 3)
            return OrderStatus(code, behind=None if behind is None else str(behind))
        more = tuple((str(m[0]), int(m[1]), int(m[2])) for m in d.get("more", ()))
        return OrderStatus(code, str(d["resource"]), int(d["free"]), int(d["need"]), more)
    except (KeyError, TypeError, ValueError) as exc:
        raise ProtocolError("bad_view", f"malformed order status from the host ({exc})") from None
