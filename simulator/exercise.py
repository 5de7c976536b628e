"""Exercises: a simulation bound to its journal, plus replay, resume and headless runs.

`Exercise` is what the TUI and the headless runner drive. Every input is
validated, then committed to the journal, then applied; events are journaled
as the clock advances. `replay` re-executes a journal and checks that the event
stream is identical; `Exercise.resume` rebuilds a session after a crash.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import __version__
from .decisionlog import check_rationale
from .errors import CommandRejected, JournalError, Problem, ReplayMismatch, ScenarioError
from .journal import MODEL_INPUTS, ChainReport, Input, Journal, event_row
from .model import MODEL_VERSION, Event, Simulation
from .orders import resolve_params
from .policy import Policy, policy_from_dict
from .scenario import Scenario, load_scenario_text

# A running exercise also checkpoints this often (wall seconds), so that a copy of the main file
# taken mid-exercise lacks at most this much of the clock (events are re-derivable anyway).
CHECKPOINT_EVERY_S = 5.0


class Exercise:
    """A live (or headless) exercise: the model, its journal, and who is playing."""

    def __init__(self, scenario: Scenario, seed: int, *, journal: Journal | None = None,
                 policy: Policy | None = None, honour_pauses: bool = True, team: str = "team") -> None:
        self.scenario = scenario
        self.seed = seed
        self.team = team
        self.policy = policy
        self.journal = journal
        self.sim = Simulation(scenario, seed, policy=policy, honour_pauses=honour_pauses)
        self._written = 0  # events already in the journal
        self._progress = -1.0  # clock time last written
        # Why the newest events are not yet in the journal (the disk failed); they are
        # re-derivable from the inputs, so the exercise goes on and the next flush retries.
        self.journal_warning: str | None = None
        self._checkpointed = time.monotonic()

    # ---------------------------------------------------------------- creation
    @classmethod
    def start(cls, scenario: Scenario, seed: int, journal_path: str | Path | None = None, *,
              team: str = "team", policy: Policy | None = None, honour_pauses: bool = True,
              extra_meta: dict[str, Any] | None = None, sign_key: bytes | None = None) -> Exercise:
        """A new exercise; with `journal_path`, journaled there (signed when a key is given)."""
        journal = None
        if journal_path is not None:
            meta: dict[str, Any] = {
                "software_version": __version__,
                "model_version": MODEL_VERSION,
                "scenario_id": scenario.id,
                "scenario_version": scenario.version,
                "scenario_sha256": scenario.sha256,
                "scenario_text": scenario.text,
                "scenario_path": scenario.path,
                "seed": seed,
                "team": team,
                "honour_pauses": honour_pauses,
                "policy": policy.to_dict() if policy is not None else None,
            }
            meta.update(extra_meta or {})
            journal = Journal.create(journal_path, meta, key=sign_key)
        ex = cls(scenario, seed, journal=journal, policy=policy, honour_pauses=honour_pauses, team=team)
        ex.flush()
        return ex

    @classmethod
    def resume(cls, journal_path: str | Path, *, sign_key: bytes | None = None) -> Exercise:
        """Rebuild a session from its journal: every acknowledged input is re-applied.

        The chain is verified first; events after the last input that a copy of the file may
        lack (they are re-derivable) are re-derived and written again.
        """
        journal = Journal.open(journal_path, writable=True, key=sign_key)
        try:
            scenario, seed, policy, pauses = read_setup(journal)
            report = journal.verify()
            if not report.ok:
                raise JournalError([Problem(journal.path, 0, 0, f"the record is broken: {report.problem}")])
            ex = cls(scenario, seed, journal=journal, policy=policy, honour_pauses=pauses,
                     team=journal.meta.get("team", "team"))
            stored = journal.event_rows()
            _reexecute(ex.sim, journal.inputs(), journal.progress(), journal.path)
            _compare(stored, ex.sim.events, journal.path, prefix_only=True)
        except BaseException:
            journal.close()
            raise
        ex._written = len(stored)
        ex.flush()
        return ex

    # ---------------------------------------------------------------- clock
    def advance(self, until: float, max_steps: int | None = None) -> list[Event]:
        """Run the engine to `until` (see `Simulation.advance`) and journal what it produced."""
        events = self.sim.advance(until, max_steps)
        self.flush()
        return events

    def flush(self) -> None:
        """Write the events not yet in the journal, and how far the clock got."""
        if self.journal is None:
            return
        if self._written == len(self.sim.events) and self._progress == self.sim.now:
            return
        new = self.sim.events[self._written:]
        try:
            self.journal.append_events(new, self.sim.now)
        except JournalError as exc:
            self.journal_warning = str(exc.problems[0]) if exc.problems else str(exc)
            return
        self.journal_warning = None
        self._written = len(self.sim.events)
        self._progress = self.sim.now
        if time.monotonic() - self._checkpointed > CHECKPOINT_EVERY_S:
            self._checkpoint()

    def _checkpoint(self) -> None:
        assert self.journal is not None
        self.journal.checkpoint()
        self._checkpointed = time.monotonic()

    def _acknowledge(self) -> None:
        """Journal what the input caused, then make the main file hold it all: only then return."""
        if self.journal is not None:
            self.flush()
            self._checkpoint()


    # ---------------------------------------------------------------- inputs
    def _record(self, kind: str, actor: str, payload: dict[str, Any]) -> Input | None:
        if self.journal is None:
            return None
        # Events first, so the input's place in the chain follows what the team had seen.
        self.flush()
        return self.journal.append_input(self.sim.now, kind, actor, payload, step=self.sim.steps,
                                         checkpoint=kind not in MODEL_INPUTS)

    def decide(self, point: str, option: str, *, rationale: dict[str, Any] | None = None,
               force: int | None = None, actor: str | None = None, role: str | None = None,
               check: bool = True, lang: str = "en") -> Event:
        """Validate, journal (durably), then apply a decision. Raises CommandRejected."""
        sim = self.sim
        dp = sim.check_decision(point, option, force)
        st = sim.decisions[point]
        if check:
            problems = check_rationale(dp, option, rationale or {}, force, lang, sim.offered_options(point))
            if problems:
                f, msg = next(iter(problems.items()))
                raise CommandRejected(msg, field=f)
        self._record("decision", actor or self.team,
                     {"point": point, "option": option, "force": force, "role": role, "cause": "team",
                      "rationale": rationale or {}, "opened_at": st.opened_at})
        ev = sim.decide(point, option, by=actor or self.team, force=force, cause="team")
        self._acknowledge()
        return ev

    def order(self, order_id: str, *, actor: str | None = None, params: dict[str, Any] | None = None) -> Event:
        """Validate, journal (durably), then apply an order with its parameters. Raises CommandRejected."""
        sim = self.sim
        sim.check_order(order_id, params)
        payload: dict[str, Any] = {"order": order_id, "cause": "team"}
        order = self.scenario.orders[order_id]
        if order.params is not None:  # the full set, so the journal says what was ordered without the defaults
            payload["params"] = resolve_params(order, params)
        self._record("order", actor or self.team, payload)
        ev = sim.order(order_id, by=actor or self.team, cause="team", params=payload.get("params"))
        self._acknowledge()
        return ev

    def inject(self, inject_id: str, *, actor: str = "instructor") -> Event:
        """Fire an inject now (journaled first, acknowledged once written)."""
        if inject_id not in self.scenario.injects:
            raise CommandRejected(f"no inject called {inject_id!r}")
        if self.sim.ended:
            raise CommandRejected("the exercise has ended")
        self._record("inject", actor, {"inject": inject_id})
        ev = self.sim.fire_inject(inject_id, by=actor)
        self._acknowledge()
        return ev

    def end(self, *, actor: str = "instructor") -> Event:
        """End the exercise now (journaled first, acknowledged once written)."""
        if self.sim.ended:
            raise CommandRejected("the exercise has already ended")
        self._record("end", actor, {})
        ev = self.sim.end("instructor")
        self._acknowledge()
        return ev

    def note(self, text: str, *, actor: str = "instructor", at: float | None = None) -> Input | None:
        """A timed observation note (instructor) — journaled, never seen by the model.

        `at`: the minute the note is about, when it was begun earlier than it is saved (the note
        dialog opens at a minute and says so); the input itself is placed now, as every input is.
        """
        text = text.strip()
        if not text:
            raise CommandRejected("the note is empty", field="text")
        if len(text) > 4000:
            raise CommandRejected("the note is longer than 4000 characters", field="text")
        payload: dict[str, Any] = {"text": text}
        if at is not None and 0.0 <= at < self.sim.now:
            payload["at"] = round(float(at), 6)
        return self._record("note", actor, payload)

    def correct(self, entry_seq: int, text: str, *, actor: str | None = None) -> Input | None:
        """Append a correction to an earlier decision-log entry (entries are never edited)."""
        if self.journal is None:
            return None
        text = text.strip()
        if not text:
            raise CommandRejected("the correction is empty", field="text")
        if not any(i.seq == entry_seq and i.kind == "decision" for i in self.journal.inputs()):
            raise CommandRejected(f"there is no decision entry #{entry_seq}", field="entry")
        return self._record("correction", actor or self.team, {"entry": entry_seq, "text": text[:4000]})

    def record(self, kind: str, payload: dict[str, Any], *, actor: str = "instructor") -> Input | None:
        """Journal a clock action (pause, resume, speed) for the debrief."""
        if kind not in ("pause", "resume", "speed", "session"):
            raise ValueError(f"not a clock action: {kind}")
        return self._record(kind, actor, payload)

    def close(self) -> None:
        """Write what is left and close the journal, sealing its chain."""
        if self.journal is not None:
            self.flush()
            self.journal.close(seal=self.journal_warning is None)


# -------------------------------------------------------------------- journals


def read_setup(journal: Journal) -> tuple[Scenario, int, Policy | None, bool]:
    """Scenario, seed, policy and pause mode stored in a journal."""
    made_by = journal.meta_json("model_version", 1)
    if made_by != MODEL_VERSION:
        # The version is part of the set-up the chain starts from: an edited one is a broken record,
        # not a journal of another release.
        chain = journal.verify()
        if not chain.ok:
            raise JournalError([Problem(journal.path, 0, 0, f"the record is broken: {chain.problem}")])
        raise JournalError([Problem(journal.path, 0, 0, f"this journal was made by model version {made_by}; "
                                    f"this sitroom runs model version {MODEL_VERSION}, whose events differ "
                                    "(see CHANGELOG.md), so it cannot replay it: use the sitroom release "
                                    "that made it")])
    text = journal.meta["scenario_text"]
    try:
        scenario = load_scenario_text(text, f"{journal.path} (stored scenario)")
    except ScenarioError as exc:
        raise JournalError([Problem(journal.path, 0, 0, "the scenario stored in the journal no longer "
                                    "validates:")] + exc.problems) from None
    if scenario.sha256 != journal.meta["scenario_sha256"]:
        raise JournalError([Problem(journal.path, 0, 0, "scenario text does not match its recorded hash")])
    try:
        seed = int(journal.meta_json("seed"))
    except (TypeError, ValueError):
        raise JournalError([Problem(journal.path, 0, 0, "journal seed is not a number")]) from None
    pdata = journal.meta_json("policy")
    policy = policy_from_dict(pdata, scenario, journal.path) if pdata else None
    pauses = bool(journal.meta_json("honour_pauses", False))
    return scenario, seed, policy, pauses


def _reexecute(sim: Simulation, inputs: list[Input], until: float, path: str = "journal") -> None:
    """Apply each model input at exactly the engine step and time it was applied live."""
    for inp in inputs:
        if inp.kind not in MODEL_INPUTS:
            continue
        sim.step_to(inp.step)
        if sim.now < inp.t:
            sim.advance(inp.t)
        if sim.steps != inp.step or abs(sim.now - inp.t) > 1e-9:
            raise ReplayMismatch(f"{path}: input #{inp.seq} ({inp.kind} at T+{inp.t:.2f}, step {inp.step}) cannot "
                                 f"be placed: the replay is at T+{sim.now:.2f}, step {sim.steps}")
        p = inp.payload
        try:
            if inp.kind == "decision":
                sim.decide(p["point"], p["option"], by=inp.actor, force=p.get("force"),
                           cause=p.get("cause", "team"))
            elif inp.kind == "order":
                sim.order(p["order"], by=inp.actor, cause=p.get("cause", "team"), params=p.get("params"))
            elif inp.kind == "inject":
                sim.fire_inject(p["inject"], by=inp.actor)
            elif inp.kind == "end":
                sim.end("instructor")
        except CommandRejected as exc:
            raise ReplayMismatch(f"input #{inp.seq} ({inp.kind} at T+{inp.t:.2f}) could not be re-applied: {exc}") \
                from None
        except KeyError as exc:
            raise JournalError([Problem(path, 0, 0, f"input #{inp.seq} lacks {exc}")]) from None
    sim.advance(until)


def _compare(stored: list[tuple], events: list[Event], path: str, *, prefix_only: bool = False) -> None:
    """The replayed events against the journal's rows (`Journal.event_rows`), as the journal writes them:
    the same sequence number, time (to 1e-6 min), kind, ref, audience and data, text for text."""
    n = min(len(stored), len(events))
    for i in range(n):
        a, b = stored[i], event_row(events[i])
        if a[0] != b[0] or round(a[1], 6) != round(b[1], 6) or a[2:] != b[2:]:
            raise ReplayMismatch(f"{path}: event #{i} differs: journal has {a[2]} {a[3]} "
                                 f"at {a[1]:.3f}, replay gives {b[2]} {b[3]} at {b[1]:.3f}")
    if len(stored) > len(events):
        raise ReplayMismatch(f"{path}: journal has {len(stored)} events, replay gives only {len(events)}")
    if not prefix_only and len(events) > len(stored):
        raise ReplayMismatch(f"{path}: replay gives {len(events)} events, journal has {len(stored)}")


@dataclass
class ReplayReport:
    """What a verified replay found."""

    path: str
    scenario: str
    seed: int
    events: int
    inputs: int
    end_time: float
    ended: bool
    sim: Simulation = field(repr=False)
    chain: ChainReport | None = None


def replay(path: str | Path, *, sign_key: bytes | None = None) -> ReplayReport:
    """Verify a journal's chain and re-execute it; raise ReplayMismatch on any difference."""
    journal = Journal.open(path, key=sign_key)
    try:
        scenario, seed, policy, pauses = read_setup(journal)
        chain = journal.verify()
        if not chain.ok:
            raise ReplayMismatch(f"{path}: {chain.problem}")
        sim = Simulation(scenario, seed, policy=policy, honour_pauses=pauses)
        inputs = journal.inputs()
        stored = journal.event_rows()
        _reexecute(sim, inputs, journal.progress(), str(path))
        _compare(stored, sim.events, str(path))
        return ReplayReport(str(path), scenario.id, seed, len(sim.events), len(inputs), sim.now, sim.ended, sim,
                            chain)
    finally:
        journal.close()


def rebuild(path: str | Path) -> tuple[Journal, Simulation]:
    """Open a journal read-only and re-run its simulation (for debriefs and what-ifs)."""
    journal = Journal.open(path)
    try:
        scenario, seed, policy, pauses = read_setup(journal)
        sim = Simulation(scenario, seed, policy=policy, honour_pauses=pauses)
        _reexecute(sim, journal.inputs(), journal.progress(), journal.path)
    except BaseException:
        journal.close()
        raise
    return journal, sim


# -------------------------------------------------------------------- headless runs


def run_headless(scenario: Scenario, seed: int, policy: Policy | None = None,
                 journal_path: str | Path | None = None) -> Simulation:
    """Run a scenario to its end with scripted decisions (the policy, else defaults)."""
    if journal_path is None:
        sim = Simulation(scenario, seed, policy=policy or Policy("defaults"), honour_pauses=False)
        sim.run_to_end()
        return sim
    ex = Exercise.start(scenario, seed, journal_path, policy=policy or Policy("defaults"), honour_pauses=False,
                        team="policy")
    ex.advance(scenario.limit)
    ex.close()
    return ex.sim


def result(sim: Simulation) -> dict[str, Any]:
    """The `sitroom run --json` object."""
    metrics = sim.metric_values()
    decisions = [{"point": k, "option": st.option, "time": round(st.decided_at, 6), "by": st.by,
                  "cause": st.cause}
                 for k, st in sim.decisions.items() if st.decided_at is not None]
    # Orders given (by the team, its policy or the instructor), with what they chose when they take params.
    orders = [{"order": e.ref, "time": round(e.t, 6), "by": e.data.get("by"), "cause": e.data.get("cause"),
               **({"params": e.data["params"]} if e.data.get("params") else {})}
              for e in sim.events if e.kind == "order"]
    return {
        "scenario": sim.scn.id,
        "seed": sim.seed,
        "policy": sim.policy.name if sim.policy is not None else None,
        "end_time": round(sim.end_time if sim.end_time is not None else sim.now, 6),
        "end_reason": sim.end_reason,
        "end_message": sim.end_message,  # {es, en}: an ending's message, or why the budget stopped it
        "events": len(sim.events),
        "decisions": decisions,
        "orders": orders,
        "metrics": metrics,
        "objectives": [{"id": r.id, "metric": r.metric, "value": r.value, "rating": r.rating, "rule": r.rule,
                        "applicable": r.applicable, "reached": r.reached}
                       for r in sim.objective_ratings(metrics)],
        # Run-time values the engine had to correct (a parameter out of range, a non-finite result).
        "warnings": [{"time": round(e.t, 6), "where": e.ref, "key": e.data.get("key"), "text": e.data.get("text")}
                     for e in sim.events if e.kind == "warning"],
    }


def result_json(sim: Simulation) -> str:
    """The `sitroom run --json` object as canonical JSON (sorted keys): byte-identical for the same run."""
    return json.dumps(result(sim), sort_keys=True, ensure_ascii=False)
