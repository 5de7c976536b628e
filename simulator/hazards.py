"""Hazards (the scenario's `processes`): stochastic occurrences at a rate that depends on the state.

Each occurrence happens after a unit-rate exponential amount of integrated rate, drawn
from the process's own stream. When the state changes the rate, the hazard accumulated so
far is kept and the firing is rescheduled, so a decision that slows escalation delays the
same random draw rather than re-rolling it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .effects import Effect, apply
from .expr import Expr, constant
from .text import Text

if TYPE_CHECKING:
    import numpy as np
    import simpy

    from .loading import Builder
    from .model import Simulation
    from .state import Watcher


@dataclass(frozen=True)
class Process:
    """A hazard: rate (events per hour, an expression), optional condition, limit and effects."""

    id: str
    label: Text
    rate: Expr  # events per hour
    when: Expr | None
    limit: int | None
    effects: tuple[Effect, ...]


def parse_processes(b: Builder) -> dict[str, Process]:
    """The scenario's `processes` section, checked."""
    out = {}
    for k, pr in (b.d.get("processes") or {}).items():
        p = ("processes", k)
        if "source" in pr:
            b.source_ref(p + ("source",), pr["source"])
        rate = b.expr(p + ("rate",), pr["rate"])
        out[k] = Process(k, pr.get("label") or {"es": k, "en": k}, rate or constant(0.0),
                         b.opt_expr(p, pr, "when"), pr.get("limit"),
                         b.effects(p + ("effects",), pr["effects"], f"process.{k}"))
    return out


class Hazard:
    """The run-time state of one process: its target, accumulated hazard and current rate."""

    __slots__ = ("sim", "p", "rng", "target", "acc", "since", "rate", "token", "count", "alive")

    def __init__(self, sim: Simulation, p: Process, rng: np.random.Generator) -> None:
        self.sim = sim
        self.p = p
        self.rng = rng
        self.target = self.acc = self.since = self.rate = 0.0
        self.token = 0
        self.count = 0
        self.alive = True

    def current_rate(self) -> float:
        """The rate now, per minute (0 when its condition is false or the rate is not positive)."""
        p = self.p
        v = self.sim.v
        if p.when is not None and not p.when(v):
            return 0.0
        r = float(p.rate(v)) / 60.0
        return r if r > 0 else 0.0  # negative or NaN rates mean "not now"

    def cycle(self) -> None:
        """Draw the next target and schedule the firing."""
        self.target = float(self.rng.standard_exponential())
        self.acc = 0.0
        self.since = self.sim.env.now
        self.rate = self.current_rate()
        self._schedule()

    def _schedule(self) -> None:
        self.token += 1
        if self.rate <= 0:
            return
        delay = 0.0 if math.isinf(self.rate) else max((self.target - self.acc) / self.rate, 0.0)
        ev = self.sim.env.timeout(delay, self.token)
        ev.callbacks.append(self._fire)

    def recheck(self, w: Watcher | None = None) -> None:
        """The state changed: keep the hazard accumulated so far and reschedule at the new rate."""
        if not self.alive:
            return
        new = self.current_rate()
        if new == self.rate:
            return
        now = self.sim.env.now
        if not math.isinf(self.rate):
            self.acc += self.rate * (now - self.since)
        self.since = now
        self.rate = new
        self._schedule()

    def _fire(self, ev: simpy.Event) -> None:
        sim = self.sim
        if ev.value != self.token or not self.alive or sim.ended:
            return  # superseded by a reschedule
        self.count += 1
        p = self.p
        sim.state.set(f"{p.id}.count", float(self.count))
        sim.emit("process", p.id, ("instructor",), {"n": self.count})
        if p.limit is not None and self.count >= p.limit:
            self.alive = False
        else:
            self.cycle()
        # If the effects change what the rate reads, the watchers reschedule it after this step.
        apply(sim, p.effects, f"process.{p.id}")


class Hazards:
    """Every hazard of one run."""

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.by_id: dict[str, Hazard] = {}
        for p in sim.scn.processes:
            sim.v[f"{p}.count"] = 0.0

    def watch(self) -> None:
        """Register each rate (and its condition) as a watcher."""
        st = self.sim.state
        for p in self.sim.scn.processes.values():
            h = Hazard(self.sim, p, self.sim.streams.get("process", p.id))
            self.by_id[p.id] = h
            st.add_watcher(p.rate, h.recheck, p.when.names if p.when is not None else ())

    def start(self) -> None:
        """Draw every hazard's first target."""
        for h in self.by_id.values():
            h.cycle()


