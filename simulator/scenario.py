"""Scenario model: load a YAML file, validate it completely, build typed objects.

`load_scenario` either returns a `Scenario` whose every id, expression and
distribution has been checked, or raises `ScenarioError` listing every problem
as `path:line:col: message`. Nothing runs before the whole file is known good.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import jsonschema

from .errors import Problem, ScenarioError
from .expr import Expr, ExprError, compile_expr, constant
from .safeyaml import Located, PathKey, load_file, load_text
from .schema import DISTRIBUTIONS, RATIONALE_FIELDS, SCHEMA

Text = dict[str, str]  # {"es": ..., "en": ...}

_VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def tr(text: Text | None, lang: str) -> str:
    """The text in `lang`, falling back to the other language."""
    if not text:
        return ""
    return text.get(lang) or text.get("en") or text.get("es") or ""


_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.]*)\}")


def _number(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:.1f}"


def inject_text(inj: Inject, lang: str, values: dict[str, float] | None = None) -> str:
    """An inject's message in `lang`, with each {name} replaced by its value at delivery."""
    text = tr(inj.text, lang)
    if not inj.fields:
        return text
    vals = values or {}
    return _FIELD.sub(lambda m: _number(vals[m.group(1)]) if m.group(1) in vals else m.group(0), text)


@dataclass(frozen=True)
class Dist:
    """A distribution of a number; parameters may be expressions of the state."""

    kind: str
    params: dict[str, Expr]
    values: tuple[float, ...] = ()
    weights: tuple[float, ...] = ()
    lo: float | None = None
    hi: float | None = None
    source: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(sorted({n for e in self.params.values() for n in e.names}))


@dataclass(frozen=True)
class Effect:
    """One change an option, order, inject, process or task applies."""

    verb: str  # set | add | task | mobilise | release | inject | after | end
    target: str = ""
    amount: Expr | Dist | None = None
    count: int = 0  # mobilise: 0 means all standby units
    after: Dist | None = None
    do: tuple[Effect, ...] = ()
    cond: Expr | None = None
    where: str = ""  # "effects of DP1.retake #2", for messages and random stream keys


@dataclass(frozen=True)
class Quantity:
    id: str
    label: Text
    initial: float
    lo: float | None
    hi: float | None
    integer: bool
    audience: tuple[str, ...]
    report_delay: float
    chart: bool


@dataclass(frozen=True)
class Resource:
    id: str
    label: Text
    count: int
    standby: int
    mobilise: Dist | None
    travel: Dist
    audience: tuple[str, ...]
    base: Text | None = None


@dataclass(frozen=True)
class Task:
    id: str
    label: Text
    resource: str
    units: int
    travel: Dist | None
    work: Dist | None
    until: Expr | None
    on_arrival: tuple[Effect, ...]
    on_complete: tuple[Effect, ...]
    site: Text | None = None


@dataclass(frozen=True)
class Process:
    id: str
    label: Text
    rate: Expr  # events per hour
    when: Expr | None
    limit: int | None
    effects: tuple[Effect, ...]


@dataclass(frozen=True)
class Expectation:
    any_of: tuple[str, ...]
    within: float
    contingency: str | None
    note: Text | None


@dataclass(frozen=True)
class Inject:
    id: str
    at: float | None
    when: Expr | None
    delay: Dist | None
    manual: bool
    channel: str
    sender: Text | None
    audience: tuple[str, ...]
    text: Text
    effects: tuple[Effect, ...]
    expect: Expectation | None
    is_contingency: bool = False
    fields: tuple[str, ...] = ()  # names written as {name} in the text, filled in at delivery


@dataclass(frozen=True)
class Option:
    id: str
    label: Text
    detail: Text | None
    effects: tuple[Effect, ...]


@dataclass(frozen=True)
class DecisionPoint:
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


@dataclass(frozen=True)
class Order:
    id: str
    label: Text
    detail: Text | None
    audience: tuple[str, ...]
    task: str | None
    available: Expr | None
    limit: int | None
    effects: tuple[Effect, ...]
    irreversible: bool = False  # cannot be undone (an assault, a release): the UI asks to confirm


@dataclass(frozen=True)
class Metric:
    id: str
    label: Text
    unit: Text | None
    kind: str  # value | first | max | min | mean | latency | between
    expr: Expr | None
    decision: str | None
    missing: float | None
    better: str
    until: Expr | None = None  # `between`: the second condition


@dataclass(frozen=True)
class Objective:
    id: str
    label: Text
    capability: str
    metric: str
    thresholds: dict[str, float]


@dataclass(frozen=True)
class Ending:
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
    alert_speed: float = 60.0  # highest speed the clock keeps when a decision opens

    def start_datetime(self) -> datetime:
        return datetime.fromisoformat(self.start)

    def visible(self, audience: tuple[str, ...], role: str | None) -> bool:
        """May `role` (None = instructor) see something addressed to `audience`?"""
        if role is None:
            return True
        if "instructor" in audience:
            return False
        return "all" in audience or role in audience


# --------------------------------------------------------------------------- loading


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


def _suggest(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _schema_problems(loc: Located) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[tuple[PathKey, str]] = set()
    for err in sorted(_VALIDATOR.iter_errors(loc.data), key=lambda e: [str(p) for p in e.absolute_path]):
        for p in _explain(err, loc):
            key = ((p.line, p.col), p.message)
            if key not in seen:
                seen.add(key)  # type: ignore[arg-type]
                problems.append(p)
    return problems


def _where(path: PathKey) -> str:
    return ".".join(str(p) for p in path) or "(top level)"


def _explain(err: jsonschema.ValidationError, loc: Located) -> list[Problem]:
    path = tuple(err.absolute_path)
    at = _where(path)
    v = err.validator
    if v == "additionalProperties" and isinstance(err.instance, dict):
        allowed = list(err.schema.get("properties", {}))
        extra = [k for k in err.instance if k not in allowed]
        return [
            loc.problem(path + (k,), f"{at}: unknown key {k!r}{_suggest(k, allowed)}", key=True) for k in extra
        ]
    if v == "required":
        return [loc.problem(path, f"{at}: {err.message}")]
    if v == "oneOf":
        # Report the alternative that went deepest: usually what the author meant.
        ctx = list(err.context or [])
        if isinstance(err.instance, dict):  # the author wrote a map: explain the map form
            ctx = [c for c in ctx if not (c.validator == "type" and not c.relative_path)] or ctx
        best = jsonschema.exceptions.best_match(ctx) if ctx else None
        if best is not None and tuple(best.absolute_path) != path:
            return _explain(best, loc)
        if best is not None and best.validator in ("additionalProperties", "required", "enum"):
            return _explain(best, loc)
        return [loc.problem(path, f"{at}: {_short(err)}")]
    if v == "propertyNames":
        bad = err.instance if isinstance(err.instance, str) else "?"
        return [loc.problem(path + (bad,), f"{at}: id {bad!r} must start with a letter and use only letters, digits and _", key=True)]
    if v == "if":
        return []
    return [loc.problem(path, f"{at}: {_short(err)}")]


def _short(err: jsonschema.ValidationError) -> str:
    v = err.validator
    inst = err.instance
    if v == "type":
        want = err.validator_value
        want_s = " or ".join(want) if isinstance(want, list) else want
        return f"expected {want_s}, got {type(inst).__name__} {inst!r}"[:200]
    if v == "enum":
        return f"{inst!r} is not one of {', '.join(map(repr, err.validator_value))}"[:300]
    if v == "const":
        return f"must be {err.validator_value!r}, got {inst!r}"
    if v == "oneOf":
        if isinstance(inst, dict) and "dist" not in inst:
            return "expected a number or a distribution {dist: ..., ...}"
        if isinstance(inst, str | int | float):
            return f"{inst!r} is not valid here"
        return f"a {type(inst).__name__} is not valid here"
    return err.message[:300]


def _audience(v: Any) -> tuple[str, ...]:
    if v is None:
        return ("all",)
    if isinstance(v, str):
        return (v,)
    return tuple(v)


class _Builder:
    """Second pass: typed objects, id cross-references and expressions."""

    def __init__(self, loc: Located, raw: str) -> None:
        self.loc = loc
        self.raw = raw
        self._lines = raw.splitlines()
        self.d: dict[str, Any] = loc.data
        self.problems: list[Problem] = []
        self.names: set[str] = {"t"}
        self._collect_names()

    def err(self, path: PathKey, msg: str, *, key: bool = False) -> None:
        self.problems.append(self.loc.problem(path, f"{_where(path)}: {msg}", key=key))

    def _collect_names(self) -> None:
        d = self.d
        self.names.update(d.get("state", {}))
        for r in d.get("resources", {}):
            self.names.update(f"{r}.{s}" for s in ("ready", "standby", "mobilising", "en_route", "on_scene", "returning", "busy", "total"))
        for t in d.get("tasks", {}):
            self.names.update(f"{t}.{s}" for s in ("active", "on_scene", "done", "queued"))
        for dp, spec in d.get("decisions", {}).items():
            self.names.update(f"{dp}.{s}" for s in ("open", "decided", "at", "opened_at", "defaulted"))
            self.names.update(f"{dp}.{o}" for o in (spec.get("options") or {}))
        for o in d.get("orders", {}):
            self.names.add(f"{o}.count")
        for i in d.get("injects", {}):
            self.names.add(f"{i}.fired")
        for p in d.get("processes", {}):
            self.names.add(f"{p}.count")

    def known(self, name: str) -> bool:
        return name in self.names

    def expr(self, path: PathKey, value: Any) -> Expr | None:
        if isinstance(value, bool):
            return constant(float(value))
        if isinstance(value, int | float):
            return constant(float(value))
        if not isinstance(value, str):
            self.err(path, "expected an expression")
            return None
        try:
            return compile_expr(value, self.known)
        except ExprError as exc:
            msg = str(exc)
            if msg.startswith("unknown name"):
                bad = msg.split("'")[1] if "'" in msg else ""
                msg += _suggest(bad, sorted(self.names))
            line, col = self.loc.where(path)
            # Point inside the expression when it sits on one line (plain or quoted scalar).
            line_text = self._line(line)
            shift = 1 if line_text[col - 1 : col] in ("'", '"') else 0
            self.problems.append(Problem(self.loc.file, line, col + shift + exc.offset, f"{_where(path)}: {msg}"))
            return None

    def _line(self, n: int) -> str:
        return self._lines[n - 1] if 0 < n <= len(self._lines) else ""

    def dist(self, path: PathKey, value: Any) -> Dist | None:
        if value is None:
            return None
        if isinstance(value, int | float) and not isinstance(value, bool):
            if value < 0:
                self.err(path, f"a time or amount cannot be negative ({value})")
            return Dist("fixed", {"value": constant(float(value))})
        spec = dict(value)
        kind = spec.pop("dist")
        lo, hi = spec.pop("min", None), spec.pop("max", None)
        source = spec.pop("source", None)
        weights = tuple(float(w) for w in spec.pop("weights", []) or [])
        values = tuple(float(v) for v in spec.pop("values", []) or [])
        params: dict[str, Expr] = {}
        allowed = DISTRIBUTIONS[kind]
        for k, v in spec.items():
            if k not in allowed:
                self.err(path + (k,), f"{kind} distribution takes {', '.join(allowed)}, not {k!r}", key=True)
                continue
            e = self.expr(path + (k,), v)
            if e is not None:
                params[k] = e
        self._check_dist_constants(path, kind, params, values, weights)
        if source is not None:
            self.source_ref(path + ("source",), source)
        if lo is not None and hi is not None and lo > hi:
            self.err(path, f"min {lo} is above max {hi}")
        return Dist(kind, params, values, weights, lo, hi, source)

    def _check_dist_constants(self, path: PathKey, kind: str, p: dict[str, Expr], values: tuple, weights: tuple) -> None:
        def c(name: str) -> float | None:
            e = p.get(name)
            return e({}) if e is not None and e.is_constant else None

        if kind == "uniform" and None not in (c("low"), c("high")) and c("low") > c("high"):  # type: ignore[operator]
            self.err(path, "uniform: low is above high")
        if kind == "triangular":
            lo, mo, hi = c("low"), c("mode"), c("high")
            if None not in (lo, mo, hi) and not lo <= mo <= hi:  # type: ignore[operator]
                self.err(path, "triangular: needs low <= mode <= high")
        for name in ("sd", "sigma", "mean", "median"):
            v = c(name)
            if v is not None and v < 0:
                self.err(path + (name,), f"{name} cannot be negative")
        if kind == "lognormal" and c("median") == 0:
            self.err(path + ("median",), "lognormal median must be above 0")
        if kind == "binomial" and c("p") is not None and not 0 <= c("p") <= 1:  # type: ignore[operator]
            self.err(path + ("p",), "binomial p must be between 0 and 1")
        if kind == "empirical" and weights and len(weights) != len(values):
            self.err(path, f"empirical: {len(values)} values but {len(weights)} weights")
        if kind == "empirical" and weights and sum(weights) <= 0:
            self.err(path, "empirical: weights must not all be 0")

    def source_ref(self, path: PathKey, key: str) -> None:
        if key != "assumption" and key not in self.d.get("sources", {}):
            self.err(path, f"unknown source {key!r}; add it under `sources` or write `assumption`"
                     + _suggest(key, list(self.d.get("sources", {}))))

    def ref(self, path: PathKey, kind: str, value: str) -> None:
        table = self.d.get(kind, {}) or {}
        if value not in table:
            self.err(path, f"no {kind[:-1] if kind.endswith('s') else kind} called {value!r}{_suggest(value, list(table))}")

    def audience(self, path: PathKey, v: Any) -> tuple[str, ...]:
        aud = _audience(v)
        if aud not in (("all",), ("instructor",)):
            for i, role in enumerate(aud):
                if role not in (self.d.get("roles") or {}):
                    self.err(path + (i,), f"no role called {role!r}{_suggest(role, list(self.d.get('roles') or {}))}")
        return aud

    def effects(self, path: PathKey, items: list | None, where: str) -> tuple[Effect, ...]:
        out = []
        for i, spec in enumerate(items or []):
            e = self.effect(path + (i,), spec, f"{where}#{i}")
            if e is not None:
                out.append(e)
        return tuple(out)

    def effect(self, path: PathKey, spec: dict[str, Any], where: str) -> Effect | None:
        verbs = [v for v in ("set", "add", "task", "mobilise", "release", "inject", "after", "end") if v in spec]
        if len(verbs) != 1:
            self.err(path, "an effect needs exactly one of set, add, task, mobilise, release, inject, after, end"
                     + (f" (found {', '.join(verbs)})" if verbs else ""))
            return None
        verb = verbs[0]
        allowed_extra = {"set": {"to"}, "add": {"by"}, "mobilise": {"count"}, "after": {"do"}}.get(verb, set()) | {"if"}
        for k in spec:
            if k != verb and k not in allowed_extra:
                self.err(path + (k,), f"{k!r} does not go with {verb!r}", key=True)
        cond = self.expr(path + ("if",), spec["if"]) if "if" in spec else None
        target = spec[verb] if verb != "after" else ""
        amount: Expr | Dist | None = None
        if verb in ("set", "add"):
            if target not in self.d.get("state", {}):
                self.err(path + (verb,), f"no state quantity called {target!r}{_suggest(target, list(self.d.get('state', {})))}")
            other = "to" if verb == "set" else "by"
            if other not in spec:
                self.err(path, f"{verb!r} needs {other!r}")
                return None
            raw = spec[other]
            amount = self.expr(path + (other,), raw) if isinstance(raw, str | int | float) and not isinstance(raw, dict) else self.dist(path + (other,), raw)
        elif verb == "task" or verb == "release":
            self.ref(path + (verb,), "tasks", target)
        elif verb == "mobilise":
            self.ref(path + (verb,), "resources", target)
        elif verb == "inject":
            self.ref(path + (verb,), "injects", target)
        elif verb == "after":
            if "do" not in spec:
                self.err(path, "'after' needs 'do'")
                return None
            return Effect("after", after=self.dist(path + ("after",), spec["after"]),
                          do=self.effects(path + ("do",), spec["do"], where + ".do"), cond=cond, where=where)
        return Effect(verb, target=target, amount=amount, count=int(spec.get("count", 0)), cond=cond, where=where)

    def build(self, raw: str, file: str) -> Scenario | None:
        d = self.d
        state = {}
        for k, s in (d.get("state") or {}).items():
            p = ("state", k)
            lo, hi, init = s.get("min"), s.get("max"), s["initial"]
            if lo is not None and hi is not None and lo > hi:
                self.err(p, f"min {lo} is above max {hi}")
            if (lo is not None and init < lo) or (hi is not None and init > hi):
                self.err(p + ("initial",), f"initial {init} is outside [{lo}, {hi}]")
            if "source" in s:
                self.source_ref(p + ("source",), s["source"])
            state[k] = Quantity(k, s["label"], float(init), lo, hi, bool(s.get("integer", False)),
                                self.audience(p + ("audience",), s.get("audience")), float(s.get("report_delay", 0)),
                                bool(s.get("chart", True)))
        resources = {}
        for k, r in (d.get("resources") or {}).items():
            p = ("resources", k)
            standby = int(r.get("standby", 0))
            if standby > r["count"]:
                self.err(p + ("standby",), f"standby {standby} is more than count {r['count']}")
            if standby and "mobilise" not in r:
                self.err(p, "units on standby need a 'mobilise' time")
            if "source" in r:
                self.source_ref(p + ("source",), r["source"])
            resources[k] = Resource(k, r["label"], int(r["count"]), standby, self.dist(p + ("mobilise",), r.get("mobilise")),
                                    self.dist(p + ("travel",), r["travel"]), self.audience(p + ("audience",), r.get("audience")),
                                    r.get("base"))
        tasks = {}
        for k, t in (d.get("tasks") or {}).items():
            p = ("tasks", k)
            self.ref(p + ("resource",), "resources", t["resource"])
            units = int(t.get("units", 1))
            res = (d.get("resources") or {}).get(t["resource"])
            if res and units > res["count"]:
                self.err(p + ("units",), f"needs {units} units but {t['resource']} has only {res['count']}")
            if "work" in t and "until" in t:
                self.err(p, "give either 'work' (a duration) or 'until' (a condition), not both")
            tasks[k] = Task(k, t["label"], t["resource"], units, self.dist(p + ("travel",), t.get("travel")),
                            self.dist(p + ("work",), t.get("work")),
                            self.expr(p + ("until",), t["until"]) if "until" in t else None,
                            self.effects(p + ("on_arrival",), t.get("on_arrival"), f"task.{k}.on_arrival"),
                            self.effects(p + ("on_complete",), t.get("on_complete"), f"task.{k}.on_complete"),
                            t.get("site"))
        processes = {}
        for k, pr in (d.get("processes") or {}).items():
            p = ("processes", k)
            if "source" in pr:
                self.source_ref(p + ("source",), pr["source"])
            rate = self.expr(p + ("rate",), pr["rate"])
            processes[k] = Process(k, pr.get("label") or {"es": k, "en": k}, rate or constant(0.0),
                                   self.expr(p + ("when",), pr["when"]) if "when" in pr else None,
                                   pr.get("limit"), self.effects(p + ("effects",), pr["effects"], f"process.{k}"))
        contingencies = set()
        for i in (d.get("injects") or {}).values():
            ex = i.get("expect")
            if ex and ex.get("contingency"):
                contingencies.add(ex["contingency"])
        injects = {}
        for k, i in (d.get("injects") or {}).items():
            p = ("injects", k)
            triggers = [x for x in ("at", "when") if x in i]
            if len(triggers) > 1:
                self.err(p, "give either 'at' or 'when', not both")
            if not triggers and not i.get("manual") and k not in contingencies and not self._targeted(k):
                self.err(p, "this inject never fires: give 'at', 'when', 'manual: true', or use it as a contingency or an effect")
            expect = None
            if i.get("expect"):
                e = i["expect"]
                for j, a in enumerate(e["any_of"]):
                    if a not in (d.get("orders") or {}) and a not in (d.get("decisions") or {}):
                        self.err(p + ("expect", "any_of", j), f"{a!r} is neither an order nor a decision point")
                if e.get("contingency"):
                    self.ref(p + ("expect", "contingency"), "injects", e["contingency"])
                    if e["contingency"] == k:
                        self.err(p + ("expect", "contingency"), "an inject cannot be its own contingency")
                expect = Expectation(tuple(e["any_of"]), float(e["within"]), e.get("contingency"), e.get("note"))
            at = i.get("at")
            if at is not None and at > d.get("clock", {}).get("limit", float("inf")):
                self.err(p + ("at",), f"at {at} is after the time limit")
            fields: list[str] = []
            for lang in ("es", "en"):
                for mt in _FIELD.finditer(i["text"][lang]):
                    name = mt.group(1)
                    if not self.known(name):
                        self.err(p + ("text", lang), f"{{{name}}}: unknown name{_suggest(name, sorted(self.names))}")
                    elif name not in fields:
                        fields.append(name)
            injects[k] = Inject(k, float(at) if at is not None else None,
                                self.expr(p + ("when",), i["when"]) if "when" in i else None,
                                self.dist(p + ("delay",), i.get("delay")), bool(i.get("manual", False)), i["channel"],
                                i.get("from"), self.audience(p + ("audience",), i.get("audience")), i["text"],
                                self.effects(p + ("effects",), i.get("effects"), f"inject.{k}"), expect, k in contingencies,
                                tuple(sorted(fields)))
        decisions = {}
        for k, dp in (d.get("decisions") or {}).items():
            p = ("decisions", k)
            opts = {}
            for ok, o in dp["options"].items():
                opts[ok] = Option(ok, o["label"], o.get("detail"),
                                  self.effects(p + ("options", ok, "effects"), o.get("effects"), f"decision.{k}.{ok}"))
            if dp["default"] not in opts:
                self.err(p + ("default",), f"default {dp['default']!r} is not one of the options{_suggest(dp['default'], list(opts))}")
            for j, e in enumerate(dp.get("expected", [])):
                if e not in opts:
                    self.err(p + ("expected", j), f"expected option {e!r} is not one of the options{_suggest(e, list(opts))}")
            if ("at" in dp) == ("when" in dp):
                self.err(p, "give exactly one of 'at' (minute) or 'when' (condition)")
            if "max_force" in dp and not dp.get("force"):
                self.err(p + ("max_force",), "max_force needs 'force: true'")
            decisions[k] = DecisionPoint(k, dp["title"], dp["prompt"], self.audience(p + ("audience",), dp.get("audience")),
                                         float(dp["at"]) if "at" in dp else None,
                                         self.expr(p + ("when",), dp["when"]) if "when" in dp else None,
                                         float(dp["deadline"]) if "deadline" in dp else None, dp["default"],
                                         bool(dp.get("pause", False)), tuple(dp.get("expected", [])),
                                         tuple(dp.get("required", RATIONALE_FIELDS)), bool(dp.get("force", False)),
                                         dp.get("max_force"), opts)
        orders = {}
        for k, o in (d.get("orders") or {}).items():
            p = ("orders", k)
            if "task" in o:
                self.ref(p + ("task",), "tasks", o["task"])
            orders[k] = Order(k, o["label"], o.get("detail"), self.audience(p + ("audience",), o.get("audience")),
                              o.get("task"), self.expr(p + ("available",), o["available"]) if "available" in o else None,
                              o.get("limit"), self.effects(p + ("effects",), o.get("effects"), f"order.{k}"),
                              irreversible=bool(o.get("irreversible", False)))
        metrics = {}
        for k, m in (d.get("metrics") or {}).items():
            p = ("metrics", k)
            kinds = [x for x in ("value", "first", "max", "min", "mean", "latency", "between") if x in m]
            if len(kinds) != 1:
                self.err(p, "a metric needs exactly one of value, first, max, min, mean, latency, between")
                continue
            kind = kinds[0]
            ex = until = None
            dec = None
            if kind == "latency":
                dec = m["latency"]
                self.ref(p + ("latency",), "decisions", dec)
            elif kind == "between":
                ex = self.expr(p + ("between", 0), m["between"][0])
                until = self.expr(p + ("between", 1), m["between"][1])
            else:
                ex = self.expr(p + (kind,), m[kind])
            metrics[k] = Metric(k, m["label"], m.get("unit"), kind, ex, dec, m.get("missing"),
                                m.get("better", "lower"), until)
        objectives = {}
        for k, o in (d.get("objectives") or {}).items():
            p = ("objectives", k)
            self.ref(p + ("metric",), "metrics", o["metric"])
            th = o["thresholds"]
            better = (d.get("metrics") or {}).get(o["metric"], {}).get("better", "lower")
            ordered = th["P"] <= th["S"] <= th["M"] if better == "lower" else th["P"] >= th["S"] >= th["M"]
            if not ordered:
                self.err(p + ("thresholds",), f"thresholds must run P {'<=' if better == 'lower' else '>='} S "
                         f"{'<=' if better == 'lower' else '>='} M for a metric where {better} is better")
            objectives[k] = Objective(k, o["label"], o["capability"], o["metric"], {x: float(th[x]) for x in "PSM"})
        endings = []
        for j, e in enumerate(d.get("end") or []):
            ex = self.expr(("end", j, "when"), e["when"])
            if ex is not None:
                endings.append(Ending(ex, e["reason"], e.get("message")))
        try:
            datetime.fromisoformat(d["clock"]["start"])
        except ValueError:
            self.err(("clock", "start"), f"not an ISO date-time: {d['clock']['start']!r}")
        if self.problems:
            return None
        return Scenario(
            id=d["id"], version=str(d.get("version", "1")), title=d["title"], summary=d["summary"],
            briefing=d.get("briefing"), kind=d["kind"], incident_types=tuple(d.get("incident_types", [])),
            sources=d.get("sources") or {}, roles={k: v["name"] for k, v in (d.get("roles") or {}).items()},
            start=d["clock"]["start"], limit=float(d["clock"]["limit"]), speed=float(d["clock"].get("speed", 8.0)),
            state=state, resources=resources, tasks=tasks, processes=processes, injects=injects,
            decisions=decisions, orders=orders, metrics=metrics, objectives=objectives, endings=tuple(endings),
            text=raw, sha256=hashlib.sha256(raw.encode("utf-8")).hexdigest(), path=file,
            alert_speed=float(d["clock"].get("alert_speed", 60.0)),
        )

    def _targeted(self, inject_id: str) -> bool:
        """Is this inject fired by some effect (`inject: id`)?"""
        found = False

        def walk(x: Any) -> None:
            nonlocal found
            if isinstance(x, dict):
                if x.get("inject") == inject_id:
                    found = True
                for v in x.values():
                    walk(v)
            elif isinstance(x, list):
                for v in x:
                    walk(v)

        walk({k: v for k, v in self.d.items() if k != "injects"})
        for v in (self.d.get("injects") or {}).values():
            walk(v.get("effects"))
        return found


def _build(loc: Located, raw: str, file: str) -> Scenario:
    if not isinstance(loc.data, dict):
        raise ScenarioError([loc.problem((), "a scenario is a map of keys (sitroom, id, title, ...)")])
    problems = _schema_problems(loc)
    if problems:
        raise ScenarioError(problems)
    b = _Builder(loc, raw)
    scn = b.build(raw, file)
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

