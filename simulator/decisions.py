"""Decision points: the prompt, options and default; when they open; and how they are answered.

`DecisionState.answered` and `.latency` are the one definition of "the team answered"
and "how long it took" that the model, the debrief and the what-if all use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .effects import Effect, apply
from .errors import CommandRejected
from .expr import Expr
from .loading import audience_of, suggest
from .schema import RATIONALE_FIELDS
from .state import DECISION_NAMES, name_audience, sees_all_of
from .text import Text

if TYPE_CHECKING:
    from .events import Event
    from .loading import Builder
    from .model import Simulation
    from .scenario import Scenario
    from .state import Watcher

LNUF_LEVELS = ("I", "II", "III", "IV", "V")

# Why a decision was taken: the team (or a policy standing in for it), its deadline's
# default, or the instructor. Who took it (the actor: a team name) is kept apart, so a team
# called "default" is still a team.
CAUSES = ("team", "policy", "default", "instructor")


@dataclass(frozen=True)
class Option:
    """One option of a decision point and what it does."""

    id: str
    label: Text
    detail: Text | None
    effects: tuple[Effect, ...]
    offered_while: Expr | None = None  # format 2: the option is offered only while this holds


@dataclass(frozen=True)
class DecisionPoint:
    """A decision the team must make: when it opens, its deadline and default, its options."""

    id: str
    title: Text
    prompt: Text
    audience: tuple[str, ...]
    at: float | None
    when: Expr | None
    deadline: float | None
    default: str
    pause: bool
    expected: tuple[str, ...]
    required: tuple[str, ...]
    force: bool
    max_force: int | None
    options: dict[str, Option]

    @property
    def conditional(self) -> bool:
        """True when some option is offered only under a condition (`offered_while`)."""
        return any(o.offered_while is not None for o in self.options.values())


def parse_decisions(b: Builder) -> dict[str, DecisionPoint]:
    """The scenario's `decisions` section, checked."""
    out = {}
    for k, dp in (b.d.get("decisions") or {}).items():
        p = ("decisions", k)
        opts = {}
        for ok, o in dp["options"].items():
            offered = None
            if "offered_while" in o and b.needs_format(p + ("options", ok, "offered_while"),
                                                       "an option offered only under a condition (`offered_while`)"):
                offered = _offered_while(b, p + ("options", ok), o["offered_while"], dp, ok)
            opts[ok] = Option(ok, o["label"], o.get("detail"),
                              b.effects(p + ("options", ok, "effects"), o.get("effects"), f"decision.{k}.{ok}"),
                              offered)
        if dp["default"] not in opts:
            b.err(p + ("default",), f"default {dp['default']!r} is not one of the options{suggest(dp['default'], list(opts))}")
        elif opts[dp["default"]].offered_while is not None:
            b.err(p + ("options", dp["default"], "offered_while"),
                  f"the default option {dp['default']!r} cannot be conditional: it is what happens when the team "
                  "does not decide, so it must always be offered (make another option the default, or drop "
                  "`offered_while` here)", key=True)
        for j, e in enumerate(dp.get("expected", [])):
            if e not in opts:
                b.err(p + ("expected", j), f"expected option {e!r} is not one of the options{suggest(e, list(opts))}")
        if ("at" in dp) == ("when" in dp):
            b.err(p, "give exactly one of 'at' (minute) or 'when' (condition)")
        if "at" in dp and b.format >= 2:  # a check format 1 did not make: its files keep loading
            b.within_limit(p + ("at",), dp["at"])
        if "max_force" in dp and not dp.get("force"):
            b.err(p + ("max_force",), "max_force needs 'force: true'")
        out[k] = DecisionPoint(k, dp["title"], dp["prompt"], b.audience(p + ("audience",), dp.get("audience")),
                               float(dp["at"]) if "at" in dp else None, b.opt_expr(p, dp, "when"),
                               float(dp["deadline"]) if "deadline" in dp else None, dp["default"],
                               bool(dp.get("pause", False)), tuple(dp.get("expected", [])),
                               tuple(dp.get("required", RATIONALE_FIELDS)), bool(dp.get("force", False)),
                               dp.get("max_force"), opts)
    return out


def _offered_while(b: Builder, path: tuple, value: Any, dp: dict[str, Any], option: str) -> Expr | None:
    """An option's `offered_while` condition, checked: it may read only what the point's audience sees."""
    ex = b.expr(path + ("offered_while",), value)
    if ex is None:
        return None
    audience = audience_of(dp.get("audience"))
    for name in ex.names:
        if not sees_all_of(b.d, audience, name_audience(b.d, name)):
            b.err(path + ("offered_while",), f"reads {name!r}, which some of those who decide this point may not "
                  "see: the options they are offered would reveal it (use a name they see, or give the point "
                  f"the audience of {name!r})")
            return None
    return ex


@dataclass(slots=True)
class DecisionState:
    """An opened decision point: when it opened, its deadline, and how it was answered."""

    opened_at: float
    deadline_at: float | None
    decided_at: float | None = None
    option: str | None = None
    by: str | None = None  # the actor: a team name, "policy", or None for a default
    force: int | None = None
    cause: str | None = None  # one of CAUSES once decided

    @property
    def answered(self) -> bool:
        """Decided by the team, or by the policy that stands for it in a headless run."""
        return self.decided_at is not None and self.cause in ("team", "policy")

    def open_at(self, t: float) -> bool:
        """Still open at minute `t` with time left to answer: undecided, and before its deadline (if any)."""
        return self.decided_at is None and (self.deadline_at is None or t < self.deadline_at)

    @property
    def latency(self) -> float | None:
        """Minutes from opening to the team's answer; None when the team did not answer."""
        if not self.answered:
            return None
        assert self.decided_at is not None
        return self.decided_at - self.opened_at


class DecisionDesk:
    """Opens the decision points of one run, applies their answers and defaults."""

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.states: dict[str, DecisionState] = {}
        # Open points with conditional options: the options offered now, in file order.
        self.offered: dict[str, tuple[str, ...]] = {}

    @staticmethod
    def init_names(scn: Scenario, v: dict[str, float]) -> None:
        """The names decision points derive, at their values at T0."""
        for d in scn.decisions.values():
            for n in DECISION_NAMES:  # "at" and "opened_at" are -1 until they happen
                v[f"{d.id}.{n}"] = -1.0 if n in ("at", "opened_at") else 0.0
            for o in d.options:
                v[f"{d.id}.{o}"] = 0.0

    def watch(self) -> None:
        """Register the `when` condition of each conditional point and each option's `offered_while`."""
        for dp in self.sim.scn.decisions.values():
            if dp.when is not None:
                self.sim.state.add_watcher(dp.when, lambda w, dp=dp: self._condition(w, dp))
            for o in dp.options.values():
                if o.offered_while is not None:
                    self.sim.state.add_watcher(o.offered_while, lambda w, dp=dp: self._reoffer(dp))

    def offers(self, point: str) -> tuple[str, ...]:
        """The options offered now at an open point, in file order (every option when none is conditional)."""
        found = self.offered.get(point)
        return found if found is not None else tuple(self.sim.scn.decisions[point].options)

    def _offered_now(self, dp: DecisionPoint) -> tuple[str, ...]:
        v = self.sim.v
        return tuple(o.id for o in dp.options.values() if o.offered_while is None or o.offered_while.fn(v))

    def _reoffer(self, dp: DecisionPoint) -> None:
        # A name an option's condition reads changed: while the point is open, say what is offered now.
        old = self.offered.get(dp.id)
        if old is None:
            return
        new = self._offered_now(dp)
        if new != old:
            self.offered[dp.id] = new
            self.sim.emit("decision_offer", dp.id, dp.audience, {
                "offered": list(new), "added": [o for o in new if o not in old],
                "removed": [o for o in old if o not in new]})

    def start(self) -> None:
        """Schedule the timed decision points."""
        for dp in self.sim.scn.decisions.values():
            if dp.at is not None:
                self.sim.later(dp.at, lambda dp=dp: self.open(dp))

    def _condition(self, w: Watcher, dp: DecisionPoint) -> None:
        if w.expr.fn(self.sim.v):
            w.active = False
            self.open(dp)

    def open(self, dp: DecisionPoint) -> None:
        """Open a decision point now (once), with its deadline and any policy answer."""
        sim = self.sim
        if dp.id in self.states or sim.ended:
            return
        now = sim.env.now
        deadline = now + dp.deadline if dp.deadline is not None else None
        self.states[dp.id] = DecisionState(now, deadline)
        sim.state.set(f"{dp.id}.open", 1.0)
        sim.state.set(f"{dp.id}.opened_at", now)
        data: dict[str, Any] = {"deadline": deadline, "pause": dp.pause}
        if dp.conditional:
            self.offered[dp.id] = self._offered_now(dp)
            data["offered"] = list(self.offered[dp.id])
        sim.emit("decision_open", dp.id, dp.audience, data)
        # The policy's answer is scheduled before the deadline, so an answer timed exactly at
        # the deadline is taken (a team answering at the last moment is still answering).
        if sim.policy is not None:
            pd = sim.policy.decisions.get(dp.id)
            if pd is not None:
                sim.later(max(pd.after, 0.0), lambda: self._policy(dp, pd.option, pd.force))
            elif dp.deadline is None:
                sim.later(0.0, lambda: self._policy(dp, dp.default, None, cause="default"))
        if dp.deadline is not None:
            sim.later(dp.deadline, lambda: self._deadline(dp))
        if dp.pause and sim.honour_pauses:
            sim.halted_for = dp.id

    def _deadline(self, dp: DecisionPoint) -> None:
        if self.states[dp.id].decided_at is None:
            self.apply(dp, dp.default, None, None, cause="default")

    def _policy(self, dp: DecisionPoint, option: str, force: int | None, cause: str = "policy") -> None:
        if self.states[dp.id].decided_at is not None:
            return
        if option not in self.offers(dp.id):
            # The policy names an option the point does not offer now: the policy did not answer, so the
            # default (always offered) is taken at the deadline, or now when the point has none.
            sim = self.sim
            offered = ", ".join(self.offers(dp.id))
            later = dp.deadline is not None
            sim.warn(f"policy.{dp.id}", "not_offered", {
                "es": f"política: {dp.id} no ofrece ahora la opción {option!r} (se ofrecen: {offered}); se tomará "
                      f"la opción por defecto {dp.default!r} " + ("al vencer el plazo" if later else "ahora"),
                "en": f"policy: {dp.id} does not offer {option!r} now (offered: {offered}); the default "
                      f"{dp.default!r} will be taken " + ("at the deadline" if later else "now"),
            })
            if not later:
                self.apply(dp, dp.default, None, None, cause="default")
            return
        self.apply(dp, option, "policy" if cause == "policy" else None, force, cause=cause)

    def check(self, point: str, option: str, force: int | None = None) -> DecisionPoint:
        """The decision point, if `option` can be taken there now; else CommandRejected saying why."""
        sim = self.sim
        if sim.ended:
            raise CommandRejected("the exercise has ended")
        dp = sim.scn.decisions.get(point)
        if dp is None:
            raise CommandRejected(f"no decision point called {point!r}", field="point")
        st = self.states.get(point)
        if st is None:
            raise CommandRejected(f"decision point {point} is not open yet", field="point")
        if st.decided_at is not None:
            how = {"default": "its default, at the deadline", "instructor": "by the instructor",
                   "policy": "by the policy"}.get(st.cause or "", f"by {st.by}")
            raise CommandRejected(f"decision point {point} was already decided at T+{st.decided_at:.1f}: "
                                  f"{st.option}, {how}", field="point")
        if option not in dp.options:
            raise CommandRejected(f"{point} has no option {option!r}", field="option")
        offered = self.offers(point)
        if option not in offered:
            cond = dp.options[option].offered_while
            raise CommandRejected(f"{point}: option {option!r} is not offered now (it is offered only while "
                                  f"{cond.text if cond else '?'}); offered now: {', '.join(offered)}",
                                  field="option")
        if force is not None and not 1 <= force <= 5:
            raise CommandRejected("force level must be I to V (1-5)", field="force")
        return dp

    def apply(self, dp: DecisionPoint, option: str, by: str | None, force: int | None, *,
              cause: str) -> Event:
        """Record the answer now and apply the option's effects."""
        sim = self.sim
        st = self.states[dp.id]
        now = sim.env.now
        st.decided_at, st.option, st.by, st.force, st.cause = now, option, by, force, cause
        s = sim.state
        s.set(f"{dp.id}.open", 0.0)
        s.set(f"{dp.id}.decided", 1.0)
        s.set(f"{dp.id}.at", now)
        s.set(f"{dp.id}.{option}", 1.0)
        if cause == "default":
            s.set(f"{dp.id}.defaulted", 1.0)
        # `latency` as DecisionState has it: minutes to the team's answer, None for a default or the instructor's.
        data: dict[str, Any] = {"option": option, "by": by, "cause": cause, "latency": st.latency}
        offered = self.offered.pop(dp.id, None)
        if offered is not None:  # a point with conditional options: what was on the table when it was decided
            data["offered"] = list(offered)
        if force is not None:
            data["force"] = force
            if dp.max_force is not None and force > dp.max_force:
                data["over_level"] = True
        ev = sim.emit("decision", dp.id, dp.audience, data)
        if sim.halted_for == dp.id:
            sim.halted_for = None
        apply(sim, dp.options[option].effects, f"decision.{dp.id}.{option}")
        return ev
