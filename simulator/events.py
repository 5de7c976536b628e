"""Events: what happened in a run, when, and who may see it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Event:
    """Something that happened in the simulation, with who may see it."""

    seq: int
    t: float
    kind: str
    ref: str
    audience: tuple[str, ...]
    data: dict[str, Any]

    def record(self) -> dict[str, Any]:
        """The event as the journal stores it (a JSON-ready dict)."""
        return {"seq": self.seq, "t": round(self.t, 6), "kind": self.kind, "ref": self.ref,
                "audience": list(self.audience), "data": self.data}

    @classmethod
    def from_record(cls, rec: dict[str, Any]) -> Event:
        """The event back from its journal record (the inverse of `record`)."""
        return cls(int(rec["seq"]), float(rec["t"]), str(rec["kind"]), str(rec["ref"]),
                   tuple(rec["audience"]), dict(rec["data"]))
