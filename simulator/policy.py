"""Policies: scripted decisions (and optionally orders) for headless runs.

A policy says, for each decision point, which option to take and how many
minutes after the point opens; unlisted points take the scenario default at
their deadline. Policies ship beside a scenario (``policies/<scenario>.<name>.yaml``)
or come from any file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema

from .errors import CommandRejected, PolicyError, Problem
from .loading import suggest as _suggest
from .safeyaml import load_file, load_text
from .scenario import Scenario
from .schema import POLICY_SCHEMA

_VALIDATOR = jsonschema.Draft202012Validator(POLICY_SCHEMA)


@dataclass(frozen=True)
class PolicyDecision:
    """A scripted answer: the option, minutes after the point opens, and a force level."""

    option: str
    after: float = 0.0
    force: int | None = None


@dataclass(frozen=True)
class PolicyOrder:
    """A scripted order, the minute it is given and its parameters (None: the order's defaults)."""

    order: str
    at: float
    params: dict[str, Any] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Policy:
    """Scripted answers for a headless run; `warnings` say what of it will not take effect."""

    name: str
    decisions: dict[str, PolicyDecision] = field(default_factory=dict)
    orders: tuple[PolicyOrder, ...] = ()
    warnings: tuple[str, ...] = field(default=(), compare=False)

    def to_dict(self) -> dict[str, Any]:
        """The policy as the YAML/JSON mapping it is read from."""
        return {
            "policy": self.name,
            "decisions": {
                k: {"option": d.option, "after": d.after, **({"force": d.force} if d.force else {})}
                for k, d in self.decisions.items()
            },
            "orders": [{"order": o.order, "at": o.at, **({"params": dict(o.params)} if o.params else {})}
                       for o in self.orders],
        }


def policy_from_dict(data: Any, scenario: Scenario, file: str = "<policy>", loc: Any = None) -> Policy:
    """Check a policy mapping against the schema and the scenario's points and options."""
    problems: list[Problem] = []

    def prob(path: tuple, msg: str) -> None:
        if loc is not None:
            problems.append(loc.problem(path, msg))
        else:
            problems.append(Problem(file, 0, 0, msg))

    for err in _VALIDATOR.iter_errors(data):
        path = tuple(err.absolute_path)
        where = ".".join(map(str, path)) or "(top level)"
        prob(path, f"{where}: {err.message[:200]}")
    if problems:
        raise PolicyError(problems)
    decisions: dict[str, PolicyDecision] = {}
    for point, spec in (data.get("decisions") or {}).items():
        if point not in scenario.decisions:
            prob(("decisions", point), f"decisions.{point}: scenario {scenario.id!r} has no decision point {point!r}"
                 + _suggest(point, list(scenario.decisions)))
            continue
        if isinstance(spec, str):
            spec = {"option": spec}
        opt = spec["option"]
        if opt not in scenario.decisions[point].options:
            prob(("decisions", point), f"decisions.{point}: no option {opt!r}"
                 + _suggest(opt, list(scenario.decisions[point].options)))
            continue
        decisions[point] = PolicyDecision(opt, float(spec.get("after", 0.0)), spec.get("force"))
    orders = []
    for i, o in enumerate(data.get("orders") or []):
        if o["order"] not in scenario.orders:
            prob(("orders", i, "order"), f"orders.{i}: scenario has no order {o['order']!r}"
                 + _suggest(o["order"], list(scenario.orders)))
            continue
        params = o.get("params")
        if params:
            why = _params_problem(scenario, o["order"], params)
            if why:
                prob(("orders", i, "params"), f"orders.{i}.params: {why}")
                continue
        orders.append(PolicyOrder(o["order"], float(o["at"]), dict(params) if params else None))
    if problems:
        raise PolicyError(problems)
    return Policy(data["policy"], decisions, tuple(sorted(orders, key=lambda o: o.at)),
                  tuple(text["en"] for _, text in late_answers(decisions, scenario)))


def _params_problem(scenario: Scenario, order_id: str, params: dict[str, Any]) -> str:
    """What is wrong with a policy order's parameters ('' when nothing): they must fit the order."""
    from .orders import resolve_params

    order = scenario.orders[order_id]
    try:
        chosen = resolve_params(order, params)
    except CommandRejected as exc:
        return str(exc)
    pp = order.params
    assert pp is not None  # resolve_params refuses parameters of an order that takes none
    if pp.count is not None and not pp.count.lo <= int(chosen["count"]) <= pp.count.hi:
        return f"count {chosen['count']} is not from {pp.count.lo} to {pp.count.hi}"
    if "site" in chosen and pp.site(str(chosen["site"])) is None:
        return f"no site {chosen['site']!r} (sites: {', '.join(x.id for x in pp.sites)})" + _suggest(
            str(chosen["site"]), [x.id for x in pp.sites])
    return ""


def late_answers(decisions: dict[str, PolicyDecision], scenario: Scenario) -> list[tuple[str, dict[str, str]]]:
    """(point, {es, en} warning) for each answer timed after its point's deadline.

    The rule: an answer timed at the deadline or before it is taken; after it, never (the
    default is taken at the deadline).
    """
    out = []
    for point, pd in decisions.items():
        dp = scenario.decisions[point]
        if dp.deadline is not None and pd.after > dp.deadline:
            out.append((point, {
                "es": f"decisions.{point}: after {pd.after:g} pasa el plazo del punto ({dp.deadline:g} min tras "
                      f"abrirse): se tomará la opción por defecto {dp.default!r}",
                "en": f"decisions.{point}: after {pd.after:g} is past the point's deadline ({dp.deadline:g} min "
                      f"after it opens): the default {dp.default!r} will be taken instead",
            }))
    return out


def load_policy(path: str | Path, scenario: Scenario) -> Policy:
    """Load and check a policy file against its scenario (PolicyError on problems)."""
    loc = load_file(path)
    if isinstance(loc, Problem):
        raise PolicyError([loc])
    if not isinstance(loc.data, dict):
        raise PolicyError([loc.problem((), "a policy is a map with keys policy, decisions, orders")])
    return policy_from_dict(loc.data, scenario, str(path), loc)


def load_policy_text(text: str, scenario: Scenario, name: str = "<policy>") -> Policy:
    """Check policy text against its scenario (PolicyError on problems)."""
    loc = load_text(text, name)
    if isinstance(loc, Problem):
        raise PolicyError([loc])
    if not isinstance(loc.data, dict):
        raise PolicyError([loc.problem((), "a policy is a map with keys policy, decisions, orders")])
    return policy_from_dict(loc.data, scenario, name, loc)


def doctrine_policy(scenario: Scenario) -> Policy:
    """The first expected option of every point, answered at once: a fallback doctrine."""
    return Policy(
        "expected",
        {k: PolicyDecision(dp.expected[0]) for k, dp in scenario.decisions.items() if dp.expected},
    )
