"""The loader's shared tools: schema errors mapped to places, and the `Builder` that each
concept module's `parse_*` function uses to read its section and report problems.

A concept module (state, units, hazards, injects, decisions, orders, metrics) owns the
checks of its own section; the helpers here are what they share: expressions, ids,
audiences, sources, distributions and effects, each with `path:line:col` messages.
"""

from __future__ import annotations

import math
from typing import Any

import jsonschema

from .distributions import Dist, parse_dist
from .errors import Problem
from .expr import MAX_NUMBER, SINCE, Expr, ExprError, compile_expr, constant
from .hints import constant_condition, key_hint, late_message, meant, name_hint, suggest, value_hint
from .safeyaml import Located, PathKey
from .state import derived_names, since_targets

# Keys that were once part of the format, with what to write instead.
REMOVED = {"missing": "'missing' is no longer part of the format: a measure that never happened has no "
                      "value; say how to rate that with the objective's 'if_missing' (default U); "
                      "`sitroom migrate FILE` converts it"}


def where(path: PathKey) -> str:
    """A data path written as dotted text."""
    return ".".join(str(p) for p in path) or "(top level)"


def number_problems(loc: Located) -> list[Problem]:
    """Every number in the file that is not finite or is beyond `MAX_NUMBER` in magnitude."""
    out: list[Problem] = []

    def walk(x: Any, path: PathKey) -> None:
        if isinstance(x, dict):
            for k, v in x.items():
                walk(v, path + (k,))
        elif isinstance(x, list):
            for i, v in enumerate(x):
                walk(v, path + (i,))
        elif isinstance(x, int | float) and not isinstance(x, bool):
            if isinstance(x, float) and not math.isfinite(x):
                out.append(loc.problem(path, f"{where(path)}: {x} is not a finite number"))
            elif abs(x) > MAX_NUMBER:
                out.append(loc.problem(path, f"{where(path)}: {x} is out of range (at most {MAX_NUMBER:g} "
                                             "in magnitude)"))

    walk(loc.data, ())
    return out


def schema_problems(loc: Located, validator: jsonschema.protocols.Validator) -> list[Problem]:
    """Every schema violation, each at the place it points to."""
    problems: list[Problem] = []
    seen: set[tuple[tuple[int, int], str]] = set()
    for err in sorted(validator.iter_errors(loc.data), key=lambda e: [str(p) for p in e.absolute_path]):
        for p in _explain(err, loc):
            key = ((p.line, p.col), p.message)
            if key not in seen:
                seen.add(key)
                problems.append(p)
    return problems


def _explain(err: jsonschema.ValidationError, loc: Located) -> list[Problem]:
    path = tuple(err.absolute_path)
    at = where(path)
    v = err.validator
    if v == "additionalProperties" and isinstance(err.instance, dict):
        allowed = list(err.schema.get("properties", {}))
        extra = [k for k in err.instance if k not in allowed]
        return [
            loc.problem(path + (k,), f"{at}: {REMOVED[k]}" if k in REMOVED and path[:1] == ("metrics",)
                        else f"{at}: unknown key {k!r}{key_hint(k, allowed)}", key=True) for k in extra
        ]
    if v == "required":
        if isinstance(err.instance, dict) and meant(err.instance, err.schema, err.validator_value):
            return []  # the unknown key that stands for it says what to write
        return [loc.problem(path, f"{at}: {err.message}")]
    if v in ("type", "enum", "minProperties"):
        hint = value_hint(err, loc)
        if hint:
            return [loc.problem(path, f"{at}: {hint}")]
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
        hint = value_hint(err, loc)
        return [loc.problem(path, f"{at}: {hint or schema_message(err)}")]
    if v == "propertyNames":
        bad = err.instance if isinstance(err.instance, str) else "?"
        return [loc.problem(path + (bad,), f"{at}: id {bad!r} must start with a letter and use only letters, digits and _", key=True)]
    if v == "if":
        return []
    return [loc.problem(path, f"{at}: {schema_message(err)}")]


def schema_message(err: jsonschema.ValidationError) -> str:
    """A schema violation in words: what was found and what is wanted (with a hint where one helps)."""
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
    if v in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
        bound = err.validator_value
        word = {"minimum": f"at least {bound}", "exclusiveMinimum": f"more than {bound}",
                "maximum": f"at most {bound}", "exclusiveMaximum": f"less than {bound}"}[v]
        hint = ""
        if err.path and err.path[-1] == "deadline" and v == "exclusiveMinimum":
            hint = " (a deadline of 0 would close the point as it opens; leave `deadline` out for no time limit)"
        return f"{inst!r} is out of range: it must be {word}{hint}"
    if v == "oneOf":
        if isinstance(inst, dict) and "dist" not in inst:
            return "expected a number or a distribution {dist: ..., ...}"
        if isinstance(inst, str | int | float):
            return f"{inst!r} is not valid here"
        return f"a {type(inst).__name__} is not valid here"
    return err.message[:300]


def audience_of(v: Any) -> tuple[str, ...]:
    """An `audience` value as a tuple (absent means everyone)."""
    if v is None:
        return ("all",)
    if isinstance(v, str):
        return (v,)
    return tuple(v)


def format_needed(feature: str, version: int, have: int, fix: str = "; `sitroom migrate FILE` converts it") -> str:
    """The message for a feature that a file's format version lacks (with the fix)."""
    return f"{feature} needs `sitroom: {version}` at the top of the file (this file says `sitroom: {have}`{fix})"


class Builder:
    """Second pass over schema-valid data: typed objects, id cross-references, expressions."""

    def __init__(self, loc: Located, raw: str) -> None:
        self.loc = loc
        self.raw = raw
        self._lines = raw.splitlines()
        self.d: dict[str, Any] = loc.data
        self.problems: list[Problem] = []
        self.names: set[str] = derived_names(self.d)
        self.format: int = int(self.d.get("sitroom", 1)) if isinstance(self.d, dict) else 1
        self.since_targets = since_targets(self.d) if isinstance(self.d, dict) else {}
        self.since_used: set[str] = set()  # the ids some `since(id)` names (format 2)
        self._since_seen = False

    def needs_format(self, path: PathKey, feature: str, version: int = 2) -> bool:
        """True when the file's format has `feature`; else report it (with the fix) and return False."""
        if self.format >= version:
            return True
        self.err(path, format_needed(feature, version, self.format), key=True)
        return False

    def within_limit(self, path: PathKey, at: float) -> None:
        """Report a minute `at` after the time limit: it would never happen (say why it may have been written)."""
        limit = (self.d.get("clock") or {}).get("limit", math.inf)
        if at > limit:
            self.err(path, late_message(at, limit))

    def err(self, path: PathKey, msg: str, *, key: bool = False) -> None:
        """Report a problem at `path` (its key when `key`)."""
        self.problems.append(self.loc.problem(path, f"{where(path)}: {msg}", key=key))

    def known(self, name: str) -> bool:
        """May an expression read `name`? (`since:X` only in format 2, for an inject, point or process X.)"""
        if name.startswith(SINCE):
            ident = name[len(SINCE):]
            if ident in self.since_targets:
                self.since_used.add(ident)
                self._since_seen = True
                return True
            return False
        return name in self.names

    def expr(self, path: PathKey, value: Any) -> Expr | None:
        """Compile the expression (or number) at `path`; None after reporting a problem."""
        if isinstance(value, bool):
            return constant(float(value))
        if isinstance(value, int | float):
            return constant(float(value))
        if not isinstance(value, str):
            self.err(path, "expected an expression")
            return None
        try:
            self._since_seen = False
            ex = compile_expr(value, self.known)
            if self._since_seen and not self.needs_format(path, "since(id)"):
                return None
            conditions = ("when", "until", "available", "if", "applies_when")
            if ex.is_constant and path and path[-1] in conditions and self.format >= 2:  # format 1: as it was
                said = constant_condition(path, bool(ex({})))
                if said:
                    self.err(path, said)
            return ex
        except ExprError as exc:
            msg = str(exc)
            if msg.startswith("unknown name") and msg.count("'") == 2:
                msg += name_hint(self.d, msg.split("'")[1], self.names)
            line, col = self.loc.where(path)
            # Point inside the expression when it sits on one line (plain or quoted scalar).
            line_text = self.line(line)
            shift = 1 if line_text[col - 1 : col] in ("'", '"') else 0
            self.problems.append(Problem(self.loc.file, line, col + shift + exc.offset, f"{where(path)}: {msg}"))
            return None

    def opt_expr(self, path: PathKey, spec: dict[str, Any], key: str) -> Expr | None:
        """The expression under `spec[key]`, or None when the key is absent."""
        return self.expr(path + (key,), spec[key]) if key in spec else None

    def line(self, n: int) -> str:
        """Line `n` (1-based) of the source text."""
        return self._lines[n - 1] if 0 < n <= len(self._lines) else ""

    def dist(self, path: PathKey, value: Any, amount: bool = False) -> Dist | None:
        """The distribution at `path` (see `distributions.parse_dist`); `amount`: not a time."""
        return parse_dist(self, path, value, amount)

    def source_ref(self, path: PathKey, key: str) -> None:
        """Check a `source:` names an entry of `sources` (or is `assumption`)."""
        if key != "assumption" and key not in self.d.get("sources", {}):
            self.err(path, f"unknown source {key!r}; add it under `sources` or write `assumption`"
                     + suggest(key, list(self.d.get("sources", {}))))

    def ref(self, path: PathKey, kind: str, value: str) -> None:
        """Check `value` is an id in the section `kind`."""
        table = self.d.get(kind, {}) or {}
        if value not in table:
            self.err(path, f"no {kind[:-1] if kind.endswith('s') else kind} called {value!r}{suggest(value, list(table))}")

    def audience(self, path: PathKey, v: Any) -> tuple[str, ...]:
        """An audience, each role checked against `roles`."""
        aud = audience_of(v)
        if aud not in (("all",), ("instructor",)):
            for i, role in enumerate(aud):
                if role not in (self.d.get("roles") or {}):
                    self.err(path + (i,), f"no role called {role!r}{suggest(role, list(self.d.get('roles') or {}))}")
        return aud

    def effects(self, path: PathKey, items: list | None, at: str) -> tuple[Any, ...]:
        """The effect list at `path` (see `effects.parse_effect`)."""
        from .effects import parse_effects  # effects use this builder: import at call time

        return parse_effects(self, path, items, at)
