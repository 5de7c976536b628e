"""Scenarios: load a YAML file, validate it completely, and build the typed `Scenario`.

`load_scenario` either returns a `Scenario` whose every id, expression and distribution
has been checked, or raises `ScenarioError` listing every problem as `path:line:col:
message`. Nothing runs before the whole file is known good. Each section is read and
checked by its concept module (`state`, `units`, `hazards`, `injects`, `decisions`,
`orders`, `metrics`); this module holds the whole and the clock.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import jsonschema

from .decisions import DecisionPoint, Option, parse_decisions
from .distributions import Dist
from .effects import Effect, check_end_reason
from .errors import Problem, ScenarioError
from .expr import Expr
from .hazards import Process, parse_processes
from .injects import Expectation, Inject, inject_text, parse_injects
from .loading import Builder, number_problems, schema_problems
from .metrics import Metric, Objective, parse_metrics, parse_objectives
from .orders import Order, parse_orders
from .safeyaml import Located, load_file, load_text
from .schema import SCHEMA
from .state import Quantity, parse_state
from .text import Text, tr
from .units import Resource, Task, parse_resources, parse_tasks

__all__ = [
    "DecisionPoint", "Dist", "Effect", "Ending", "Expectation", "Inject", "Metric", "Objective", "Option", "Order",
    "Process", "Quantity", "Resource", "Scenario", "Task", "Text", "inject_text", "load_scenario",
    "load_scenario_text", "tr", "validate_paths",
]

_VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
DEFAULT_ALERT_SPEED = 60.0


@dataclass(frozen=True)
class Ending:
    """A condition that ends the run, with its reason and message."""

    when: Expr
    reason: str
    message: Text | None


@dataclass(frozen=True)
class Scenario:
    """A validated scenario. `text` and `sha256` make a journal self-contained."""

    id: str
    version: str
    title: Text
    summary: Text
    briefing: Text | None
    kind: str
    incident_types: tuple[str, ...]
    sources: dict[str, dict[str, str]]
    roles: dict[str, Text]
    start: str
    limit: float
    speed: float
    state: dict[str, Quantity]
    resources: dict[str, Resource]
    tasks: dict[str, Task]
    processes: dict[str, Process]
    injects: dict[str, Inject]
    decisions: dict[str, DecisionPoint]
    orders: dict[str, Order]
    metrics: dict[str, Metric]
    objectives: dict[str, Objective]
    endings: tuple[Ending, ...]
    text: str = field(repr=False)
    sha256: str
    path: str
    alert_speed: float = DEFAULT_ALERT_SPEED  # highest speed at which the room keeps running when a decision opens
    exercise: dict[str, Any] = field(default_factory=dict)  # HSEEP overview: scope, mission_areas, threat, ...
    format: int = 1  # the file's `sitroom:` format version
    since: dict[str, str] = field(default_factory=dict)  # ids read by since(id) -> the name whose change restarts it
    cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)  # run templates (model)

    def start_datetime(self) -> datetime:
        """T0 as a datetime."""
        return datetime.fromisoformat(self.start)

    @property
    def team_role(self) -> str:
        """The role whose view a team gets: the scenario's first role, else 'team'."""
        return next(iter(self.roles), "team")

    def visible(self, audience: tuple[str, ...], role: str | None) -> bool:
        """May `role` (None = instructor) see something addressed to `audience`?"""
        if role is None:
            return True
        if "instructor" in audience:
            return False
        return "all" in audience or role in audience


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate a scenario file; raise ScenarioError listing every problem."""
    loc = load_file(path)
    if isinstance(loc, Problem):
        raise ScenarioError([loc])
    raw = Path(path).read_bytes().decode("utf-8")
    return _build(loc, raw, str(path))


def load_scenario_text(text: str, name: str = "<scenario>") -> Scenario:
    """Validate scenario text (e.g. the copy stored in a journal)."""
    loc = load_text(text, name)
    if isinstance(loc, Problem):
        raise ScenarioError([loc])
    return _build(loc, text, name)


def _endings(b: Builder) -> tuple[Ending, ...]:
    out = []
    for j, e in enumerate(b.d.get("end") or []):
        check_end_reason(b, ("end", j, "reason"), e["reason"])
        ex = b.expr(("end", j, "when"), e["when"])
        if ex is not None:
            out.append(Ending(ex, e["reason"], e.get("message")))
    return tuple(out)


def _scenario(b: Builder, raw: str, file: str) -> Scenario | None:
    d = b.d
    state = parse_state(b)
    resources = parse_resources(b)
    tasks = parse_tasks(b)
    processes = parse_processes(b)
    injects = parse_injects(b)
    decisions = parse_decisions(b)
    orders = parse_orders(b)
    metrics = parse_metrics(b)
    objectives = parse_objectives(b)
    endings = _endings(b)
    clock = d["clock"]
    try:
        datetime.fromisoformat(clock["start"])
    except ValueError:
        b.err(("clock", "start"), f"not an ISO date-time: {clock['start']!r}; write the date, the local time and "
              "its UTC offset, e.g. \"2025-03-14T20:00:00-06:00\"")
    if b.problems:
        return None
    return Scenario(
        id=d["id"], version=str(d.get("version", "1")), title=d["title"], summary=d["summary"],
        briefing=d.get("briefing"), kind=d["kind"], incident_types=tuple(d.get("incident_types", [])),
        sources=d.get("sources") or {}, roles={k: v["name"] for k, v in (d.get("roles") or {}).items()},
        start=clock["start"], limit=float(clock["limit"]), speed=float(clock.get("speed", 8.0)),
        state=state, resources=resources, tasks=tasks, processes=processes, injects=injects,
        decisions=decisions, orders=orders, metrics=metrics, objectives=objectives, endings=endings,
        text=raw, sha256=hashlib.sha256(raw.encode("utf-8")).hexdigest(), path=file,
        alert_speed=float(clock.get("alert_speed", DEFAULT_ALERT_SPEED)),
        exercise=dict(d.get("exercise") or {}), format=b.format,
        since={k: b.since_targets[k] for k in sorted(b.since_used)},
    )


def _build(loc: Located, raw: str, file: str) -> Scenario:
    if not isinstance(loc.data, dict):
        raise ScenarioError([loc.problem((), "a scenario is a map of keys (sitroom, id, title, ...)")])
    problems = number_problems(loc) or schema_problems(loc, _VALIDATOR)
    if problems:
        raise ScenarioError(problems)
    b = Builder(loc, raw)
    scn = _scenario(b, raw, file)
    if scn is None:
        raise ScenarioError(sorted(b.problems, key=lambda p: (p.line, p.col)))
    return scn


def validate_paths(paths: list[str]) -> list[Problem]:
    """Every problem in every file (empty when all are valid)."""
    out: list[Problem] = []
    for p in paths:
        try:
            load_scenario(p)
        except ScenarioError as exc:
            out.extend(exc.problems)
    return out
