"""Exercise records: what the debrief knows about one journal, read and verified once.

A record holds the journal's metadata, its stored inputs and events, and the
metric values and objective ratings obtained by re-executing the journal with
the engine (`simulator.replay`), so every number in a report comes from the
journal and is computed by the same code as `sitroom run --json`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from simulator import (
    DecisionState,
    Event,
    Input,
    InputError,
    Journal,
    JournalError,
    ObjectiveRating,
    Problem,
    ReplayMismatch,
    Scenario,
    replay,
)


@dataclass
class ExerciseRecord:
    """One team's exercise, as recorded in its journal."""

    path: str
    scenario: Scenario
    seed: int
    team: str
    label: str  # unique name of this record in a report (team, made unique)
    created: str
    software_version: str
    policy: str | None
    honour_pauses: bool
    inputs: list[Input]
    events: list[Event]
    end_time: float
    end_reason: str | None
    metrics: dict[str, float | None]
    ratings: list[ObjectiveRating]
    decisions: dict[str, DecisionState] = field(default_factory=dict)  # the engine's, after replay
    applied_at: dict[str, float] = field(default_factory=dict)  # objective -> first time its applies_when held
    from_start: set[str] = field(default_factory=set)  # metrics that held at T0, before anything happened
    meta: dict[str, str] = field(repr=False, default_factory=dict)

    @property
    def ended(self) -> bool:
        return self.end_reason is not None

    @cached_property
    def first_values(self) -> dict[str, dict[str, Any]]:
        """Inject id -> the values its message quoted at its first delivery (for words that quote it)."""
        out: dict[str, dict[str, Any]] = {}
        for e in self.events:
            if e.kind == "inject" and e.ref not in out:
                out[e.ref] = dict(e.data.get("values") or {})
        return out

    def events_of(self, *kinds: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e.kind in kinds]

    def inputs_of(self, *kinds: str) -> list[Input]:
        return [i for i in self.inputs if i.kind in kinds]

    def rating(self, objective: str) -> ObjectiveRating | None:
        """The engine's rating of one objective."""
        return next((r for r in self.ratings if r.id == objective), None)

    @property
    def scripted(self) -> bool:
        """Decisions came from a policy (a headless run), not from people at a keyboard."""
        return bool(self.policy) and not self.inputs_of("decision")


def _meta_str(journal: Journal, key: str, default: str = "") -> str:
    v = journal.meta_json(key, default)
    return default if v is None else str(v)


def load_record(path: str | Path) -> ExerciseRecord:
    """Open, verify (by replay) and read one journal. Raises `InputError` with `path: message` problems."""
    p = str(path)
    # `replay` opens the journal, loads its stored scenario and re-executes it; its simulation
    # gives the scenario, seed and policy too, so the scenario is parsed only once.
    try:
        rep = replay(p)
    except ReplayMismatch as exc:
        raise JournalError([Problem(p, 0, 0, f"the journal does not replay identically with this sitroom, "
                                    f"so its numbers cannot be trusted ({exc})")]) from None
    sim = rep.sim
    journal = Journal.open(p)
    try:
        inputs = journal.inputs()
        # The replay's own events: `replay` has just checked them against the journal's, row for row.
        events = sim.events
        progress = journal.progress()
        meta = dict(journal.meta)
        team = _meta_str(journal, "team", "team")
        created = _meta_str(journal, "created")
        software = _meta_str(journal, "software_version", "?")
    finally:
        journal.close()
    metrics = sim.metric_values()
    ends = [e for e in events if e.kind == "end"]
    end_time = float(ends[-1].t) if ends else max(progress, events[-1].t if events else 0.0)
    return ExerciseRecord(
        path=p, scenario=sim.scn, seed=rep.seed, team=team, label=team, created=created,
        software_version=software, policy=sim.policy.name if sim.policy is not None else None,
        honour_pauses=sim.honour_pauses, inputs=inputs, events=events, end_time=end_time,
        end_reason=ends[-1].ref if ends else None, metrics=metrics,
        ratings=sim.objective_ratings(metrics), decisions=dict(sim.decisions),
        applied_at=dict(sim.applied_at), from_start=sim.metrics.from_start(), meta=meta,
    )


def load_records(paths: list[str]) -> list[ExerciseRecord]:
    """Load every journal; all problems are collected before raising one `InputError`.

    Journals of different scenarios (id, version or text) cannot share a report.
    """
    records: list[ExerciseRecord] = []
    problems: list[Problem] = []
    seen: set[str] = set()
    for p in paths:
        key = str(Path(p).resolve())
        if key in seen:
            problems.append(Problem(p, 0, 0, "given twice; list each journal once"))
            continue
        seen.add(key)
        try:
            records.append(load_record(p))
        except InputError as exc:
            problems.extend(exc.problems)
        except (OSError, ValueError, json.JSONDecodeError) as exc:  # defensive: never a traceback
            problems.append(Problem(p, 0, 0, f"cannot be read as a sitroom journal ({exc})"))
    if problems:
        raise InputError(problems)
    if not records:
        raise InputError([Problem("debrief", 0, 0, "no journal given")])
    first = records[0]
    for r in records[1:]:
        if r.scenario.sha256 != first.scenario.sha256:
            same_id = r.scenario.id == first.scenario.id
            what = (f"scenario {r.scenario.id} v{r.scenario.version}"
                    + (" with different text" if same_id and r.scenario.version == first.scenario.version else ""))
            problems.append(Problem(r.path, 0, 0, f"mixes scenarios: this journal is of {what}, but "
                                    f"{first.path} is of scenario {first.scenario.id} v{first.scenario.version}; "
                                    "debrief journals of one scenario together"))
    if problems:
        raise InputError(problems)
    _unique_labels(records)
    return records


def _base_label(r: ExerciseRecord) -> str:
    """A record's name before it is made unique: the team, or for a headless run its policy.

    Every headless run is journaled as team "policy"; a report that named that word as a
    team, in Spanish too, would say nothing. Its policy's name is what tells it apart.
    """
    return r.policy if r.scripted and r.team == "policy" and r.policy else r.team


def _unique_labels(records: list[ExerciseRecord]) -> None:
    seen: dict[str, int] = {}
    for base in map(_base_label, records):
        seen[base] = seen.get(base, 0) + 1
    count: dict[str, int] = {}
    labels: set[str] = set()
    for r in records:
        base = label = _base_label(r)
        if seen[base] > 1:
            label = f"{base} ({r.policy})" if r.policy and r.policy != base else label
            if label in labels or label == base:
                count[base] = count.get(base, 0) + 1
                label = f"{base} ({count[base]})"
        r.label = label
        labels.add(label)
