"""A class on disk: `DIR/class.json` (scenario, seeds, teams, token hashes, ports) and `DIR/join.txt`.

`class.json` holds everything `sitroom class resume DIR` needs besides the team journals
(`DIR/<team>.sitroom`); it keeps only the SHA-256 of each token, so the file can be read
without opening the class. The tokens themselves are printed once and written to
`DIR/join.txt` (readable by the instructor only), which is what people are given.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulator import InputError, Problem

FORMAT = "sitroom-class"
FORMAT_VERSION = 1
TEAM_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
MAX_TEAMS = 60


class ClassError(InputError):
    """A class directory or class option that cannot be used (`path:0:0: message` problems)."""


def new_token() -> str:
    """A fresh random token (128 bits, URL-safe)."""
    return secrets.token_urlsafe(16)


def token_hash(token: str) -> str:
    """What class.json keeps of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def same_hash(token: str, digest: str) -> bool:
    """Does `token` hash to `digest`? (constant time)"""
    return hmac.compare_digest(token_hash(token), digest)


def parse_teams(text: str) -> list[str]:
    """`Alfa,Bravo,Charlie` -> names; each 1-32 letters, digits, '-' or '_', distinct. Raises ClassError."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise ClassError([Problem("--teams", 0, 0, "give at least one team name, e.g. --teams Alfa,Bravo")])
    if len(names) > MAX_TEAMS:
        raise ClassError([Problem("--teams", 0, 0, f"at most {MAX_TEAMS} teams in one class")])
    seen: set[str] = set()
    for n in names:
        if not TEAM_NAME.match(n):
            raise ClassError([Problem("--teams", 0, 0, f"team name {n[:40]!r}: use 1 to 32 letters, digits, "
                                      "'-' or '_', starting with a letter or digit")])
        if n.lower() in seen:
            raise ClassError([Problem("--teams", 0, 0, f"team {n!r} is named twice")])
        seen.add(n.lower())
    return names


@dataclass
class TeamEntry:
    """One team of a class: its name, seed, journal file and token hash."""

    name: str
    seed: int
    journal: str  # file name inside the class directory
    token_sha256: str


@dataclass
class ClassConfig:
    """Everything about a class that is not in its journals."""

    directory: Path
    scenario: str  # the id or path it was started with
    scenario_sha256: str
    seed: int
    seeds: str  # "common" or "distinct"
    speed: float
    lang: str
    host: str
    port: int
    web_port: int | None
    hold_on_disconnect: bool
    teams: list[TeamEntry]
    instructor_sha256: str
    evaluator_sha256: str
    extra: dict[str, Any] = field(default_factory=dict)
    alert_speed: float | None = None  # the instructor's --alert-speed (None: the scenario's clock.alert_speed)

    @property
    def path(self) -> Path:
        return self.directory / "class.json"

    def team(self, name: str) -> TeamEntry | None:
        """The team of that name, or None."""
        return next((t for t in self.teams if t.name == name), None)

    def to_json(self) -> dict[str, Any]:
        """The class.json object."""
        return {
            "format": FORMAT, "format_version": FORMAT_VERSION, "scenario": self.scenario,
            "scenario_sha256": self.scenario_sha256, "seed": self.seed, "seeds": self.seeds,
            "speed": self.speed, "lang": self.lang, "host": self.host, "port": self.port, "web": self.web_port,
            "hold_on_disconnect": self.hold_on_disconnect, "alert_speed": self.alert_speed,
            "teams": [{"name": t.name, "seed": t.seed, "journal": t.journal, "token_sha256": t.token_sha256}
                      for t in self.teams],
            "instructor_sha256": self.instructor_sha256, "evaluator_sha256": self.evaluator_sha256,
        }

    def save(self) -> None:
        """Write class.json atomically (write, fsync, rename)."""
        tmp = self.path.with_suffix(".json.tmp")
        with tmp.open("w", encoding="utf-8") as fh:
            json.dump(self.to_json(), fh, indent=2, ensure_ascii=False)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(self.path)

    @classmethod
    def load(cls, directory: str | Path) -> ClassConfig:
        """Read DIR/class.json. Raises ClassError naming the file and what is wrong."""
        d = Path(directory)
        p = d / "class.json"
        if not p.is_file():
            raise ClassError([Problem(str(p), 0, 0, "no class here (class.json is missing); "
                                      "start one with `sitroom class start`")])
        try:
            raw = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ClassError([Problem(str(p), 0, 0, f"cannot read the class file: {exc}")]) from None
        if not isinstance(raw, dict) or raw.get("format") != FORMAT:
            raise ClassError([Problem(str(p), 0, 0, "not a sitroom class file")])
        if raw.get("format_version") != FORMAT_VERSION:
            raise ClassError([Problem(str(p), 0, 0, f"class file version {raw.get('format_version')} is not "
                                      f"supported (this sitroom reads version {FORMAT_VERSION})")])
        try:
            teams = [TeamEntry(str(t["name"]), int(t["seed"]), str(t["journal"]), str(t["token_sha256"]))
                     for t in raw["teams"]]
            return cls(d, str(raw["scenario"]), str(raw["scenario_sha256"]), int(raw["seed"]), str(raw["seeds"]),
                       float(raw["speed"]), str(raw["lang"]), str(raw["host"]), int(raw["port"]),
                       None if raw.get("web") is None else int(raw["web"]), bool(raw["hold_on_disconnect"]),
                       teams, str(raw["instructor_sha256"]), str(raw["evaluator_sha256"]),
                       alert_speed=None if raw.get("alert_speed") is None else float(raw["alert_speed"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise ClassError([Problem(str(p), 0, 0, f"the class file lacks or garbles {exc}")]) from None


@dataclass
class Tokens:
    """The plaintext tokens of a new class (shown once; class.json keeps their hashes)."""

    instructor: str
    evaluator: str
    teams: dict[str, str]

    @classmethod
    def fresh(cls, teams: list[str]) -> Tokens:
        """New random tokens for the instructor, the evaluators and every team."""
        return cls(new_token(), new_token(), {n: new_token() for n in teams})
