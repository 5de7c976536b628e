"""The loader's shared tools: schema errors mapped to places, and the `Builder` that each
concept module's `parse_*` function uses to read its section and report problems.

A concept module (state, units, hazards, injects, decisions, orders, metrics) owns the
checks of its own section; the helpers here are what they share: expressions, ids,
audiences, sources, distributions and effects, each with `path:line:col` messages.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from typing import Any

import jsonschema

from .distributions import Dist, parse_dist
from .errors import Problem
from .expr import MAX_NUMBER, Expr, ExprError, compile_expr, constant
from .safeyaml import Located, PathKey
from .state import derived_names

# Keys that were once part of the format, with what to write instead.
REMOVED = {"missing": "'missing' is no longer part of the format: a measure that never happened has no "
                      "value; say how to rate that with the objective's 'if_missing' (default U); "
                      "`sitroom migrate FILE` converts it"}


def suggest(word: str, choices: list[str]) -> str:
    """' (did you mean X?)' for the closest of `choices`, or ''."""
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


# What an expression reads of each kind of id (a bare id is not a value), first the likeliest.
_READS = (("resources", "a resource", ("ready", "on_scene", "busy", "standby", "total")),
          ("tasks", "a task", ("active", "on_scene", "done", "queued")),
          ("orders", "an order", ("count",)), ("injects", "an inject", ("fired",)),
          ("processes", "a process", ("count",)))


def name_hint(d: dict[str, Any], name: str, names: set[str]) -> str:
    """What to write for an unknown name: a bare id's dotted names, an option's point, or a close name."""
    for section, what, suffixes in _READS:
        if name in (d.get(section) or {}):
            return (f": {name!r} is {what}, not a value; read one of its counts: "
                    + ", ".join(f"{name}.{s}" for s in suffixes))
    points = d.get("decisions") or {}
    if name in points:
        opts = [f"{name}.{o}" for o in ((points[name] or {}).get("options") or {})]
        return (f": {name!r} is a decision point, not a value; {' or '.join(opts[:3]) or f'{name}.OPTION'} is 1 once "
                f"that option was chosen ({name}.decided, {name}.open: see the reference page)")
    for dp, spec in points.items():
        if name in ((spec or {}).get("options") or {}):
            return f": {name!r} is an option of {dp}: write {dp}.{name} (1 once it was chosen)"
    return suggest(name, sorted(names))


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
        if isinstance(err.instance, dict) and _meant(err.instance, err.schema, err.validator_value):
            return []  # the unknown key that stands for it says what to write
        return [loc.problem(path, f"{at}: {err.message}")]
    if v in ("type", "enum"):
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
        return [loc.problem(path, f"{at}: {hint or _short(err)}")]
    if v == "propertyNames":
        bad = err.instance if isinstance(err.instance, str) else "?"
        return [loc.problem(path + (bad,), f"{at}: id {bad!r} must start with a letter and use only letters, digits and _", key=True)]
    if v == "if":
        return []
    return [loc.problem(path, f"{at}: {_short(err)}")]


# Keys an author may write in Spanish, with the format's (English) key.
SPANISH_KEYS = {
    "etiqueta": "label", "titulo": "title", "resumen": "summary", "informe": "briefing", "tipo": "kind",
    "fuentes": "sources", "fuente": "source", "reloj": "clock", "inicio": "start", "limite": "limit",
    "velocidad": "speed", "estado": "state", "inicial": "initial", "minimo": "min", "maximo": "max",
    "entero": "integer", "audiencia": "audience", "publico": "audience", "retraso_reporte": "report_delay",
    "grafica": "chart", "recursos": "resources", "cantidad": "count", "numero": "count", "reserva": "standby",
    "movilizacion": "mobilise", "traslado": "travel", "viaje": "travel", "tareas": "tasks", "recurso": "resource",
    "sitio": "site", "lugar": "site", "unidades": "units", "trabajo": "work", "hasta": "until",
    "al_llegar": "on_arrival", "al_terminar": "on_complete", "procesos": "processes", "tasa": "rate",
    "cuando": "when", "efectos": "effects", "canal": "channel", "texto": "text", "de": "from", "desde": "from",
    "retraso": "delay", "espera": "expect", "esperado": "expect", "decisiones": "decisions",
    "pregunta": "prompt", "opciones": "options", "plazo": "deadline", "por_defecto": "default",
    "predeterminada": "default", "pausa": "pause", "esperadas": "expected", "ordenes": "orders",
    "detalle": "detail", "disponible": "available", "metricas": "metrics", "valor": "value",
    "primero": "first", "mejor": "better", "unidad": "unit", "objetivos": "objectives", "capacidad": "capability",
    "metrica": "metric", "umbrales": "thresholds", "fin": "end", "razon": "reason", "motivo": "reason",
    "mensaje": "message", "nombre": "name", "poner": "set", "fijar": "set", "sumar": "add", "agregar": "add",
    "por": "by", "tarea": "task", "movilizar": "mobilise", "convocar": "mobilise", "liberar": "release",
    "tras": "after", "despues": "after", "hacer": "do", "si": "if", "terminar": "end", "dentro_de": "within",
    "contingencia": "contingency", "nota": "note", "ejercicio": "exercise", "escenario": "sitroom",
}


def _plain(word: str) -> str:
    """Lower case without accents (`Límite` -> `limite`)."""
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c)).lower()


def key_hint(key: str, allowed: list[str]) -> str:
    """What to write for an unknown key: its English name when it is Spanish, else a close key."""
    english = SPANISH_KEYS.get(_plain(key))
    if english in allowed:
        return f": keys are written in English: write {english!r}"
    return suggest(key, allowed)


def _meant(instance: dict[str, Any], schema: dict[str, Any], required: list[str]) -> bool:
    """Does an unknown key of `instance` stand for a missing required key (a typo or its Spanish name)?"""
    allowed = list(schema.get("properties", {}))
    missing = [r for r in required if r not in instance]
    for k in instance:
        if k not in allowed:
            english = SPANISH_KEYS.get(_plain(k))
            close = difflib.get_close_matches(k, allowed, n=1, cutoff=0.6)
            if english in missing or (close and close[0] in missing):
                return True
    return False


_CLOCK = re.compile(r"^\s*(\d{1,2}):(\d{2})(?::\d{2})?\s*$")
_TIME_KEYS = ("at", "deadline", "within", "limit", "report_delay", "after", "delay", "travel", "work", "mobilise")
_SPANISH_VALUES = {"prision": "prison", "penitenciario": "prison", "carcel": "prison", "cartel": "cartel",
                   "tutorial": "tutorial", "todos": "all", "todo": "all", "instructores": "instructor",
                   "menor": "lower", "mayor": "higher", "bajo": "lower", "alto": "higher"}


def value_hint(err: jsonschema.ValidationError, loc: Located) -> str:
    """A message that says what to write for a value of the wrong type or not in its list, or ''."""
    from .expr import unit_fix

    inst, path = err.instance, tuple(err.absolute_path)
    field = str(path[-1]) if path else ""
    props = err.schema.get("properties", {}) if isinstance(err.schema, dict) else {}
    if isinstance(inst, str) and set(props) == {"es", "en"}:
        return f"a text is written in both languages: {{es: \"...\", en: {json.dumps(inst, ensure_ascii=False)}}}"
    if isinstance(inst, str) and (err.validator == "type" and "number" in str(err.validator_value)
                                  or err.validator == "oneOf" and field in _TIME_KEYS):
        found = unit_fix(inst)
        if found is not None:
            return found[1]
        m = _CLOCK.match(inst)
        if m and field in _TIME_KEYS:
            return f"{inst!r}: {field} is minutes after T0, not a clock time{_minute_of(loc, m)}"
        try:
            number = float(inst.replace(",", "."))
        except ValueError:
            return ""
        if not math.isfinite(number) or abs(number) > MAX_NUMBER:
            return ""
        return f"{inst!r} is in quotes: write the number without them ({inst.replace(',', '.')})"
    if isinstance(inst, str) and err.validator == "type" and err.validator_value == "boolean":
        return f"{inst!r} is not true or false: write true or false (sí/no are not YAML's words)"
    if isinstance(inst, str) and (err.validator == "enum" and err.validator_value == ["all", "instructor"]):
        roles = list((loc.data.get("roles") or {}) if isinstance(loc.data, dict) else {})
        if inst in roles:
            return f"an audience of roles is a list: write [{inst}]"
        return (f"{inst!r} is not an audience: write all, instructor, or a list of roles such as "
                f"[{roles[0] if roles else 'ROLE'}]{suggest(inst, roles)}")
    if isinstance(inst, str) and err.validator == "enum":
        choices = [c for c in err.validator_value if isinstance(c, str)]
        plain = _plain(inst)
        english = _SPANISH_VALUES.get(plain) or _channel_word(plain)
        if english in choices:
            return f"{inst!r}: values are written in English: write {english}"
        close = suggest(inst, choices)
        if close:
            return f"{inst!r} is not one of {', '.join(map(repr, choices))}{close}"[:300]
    return ""


def _channel_word(plain: str) -> str | None:
    """The channel a Spanish or informal word names (the MSEL importer's table), or None."""
    from .msel import _CHANNEL_WORDS, _norm  # the one table of channel words

    return _CHANNEL_WORDS.get(_norm(plain))


def _minute_of(loc: Located, m: re.Match[str]) -> str:
    """'; with clock.start 20:00, 19:45 is minute N' when the scenario's start can be read."""
    from datetime import datetime

    try:
        start = datetime.fromisoformat(loc.data["clock"]["start"])
    except (KeyError, TypeError, ValueError):
        return ": write the minute (T0 is clock.start)"
    minute = int(m.group(1)) * 60 + int(m.group(2)) - start.hour * 60 - start.minute
    said = f"{m.group(1)}:{m.group(2)}"
    if minute < 0:
        return (f"; {said} is before T0 (clock.start is {start:%H:%M}); the {said} after it is minute "
                f"{minute + 1440}")
    return f"; with clock.start at {start:%H:%M}, {said} is minute {minute}: write {minute}"


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


def audience_of(v: Any) -> tuple[str, ...]:
    """An `audience` value as a tuple (absent means everyone)."""
    if v is None:
        return ("all",)
    if isinstance(v, str):
        return (v,)
    return tuple(v)


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

    def needs_format(self, path: PathKey, feature: str, version: int = 2) -> bool:
        """True when the file's format has `feature`; else report it (with the fix) and return False."""
        if self.format >= version:
            return True
        self.err(path, f"{feature} needs `sitroom: {version}` at the top of the file (this file says "
                 f"`sitroom: {self.format}`; `sitroom migrate FILE` converts it)", key=True)
        return False

    def within_limit(self, path: PathKey, at: float) -> None:
        """Report a minute `at` after the time limit: it would never happen (say why it may have been written)."""
        limit = (self.d.get("clock") or {}).get("limit", math.inf)
        if not at > limit:
            return
        msg = f"at {at:g} is after the time limit (clock.limit: {limit:g} min), so it never happens"
        line, col = self.loc.where(path)
        written = self.line(line)[col - 1:].split("#")[0].strip()
        clock = _CLOCK.match(written)
        if clock:
            msg += (f"; YAML reads an unquoted {written} as {at:g} (base 60): `at` is minutes after T0"
                    + _minute_of(self.loc, clock))
        elif at / 60 <= limit:
            msg += f"; times are minutes after T0 (if {at:g} is seconds, write {at / 60:.4g})"
        else:
            msg += "; times are minutes after T0"
        self.err(path, msg)

    def err(self, path: PathKey, msg: str, *, key: bool = False) -> None:
        """Report a problem at `path` (its key when `key`)."""
        self.problems.append(self.loc.problem(path, f"{where(path)}: {msg}", key=key))

    def known(self, name: str) -> bool:
        """May an expression read `name`?"""
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
            ex = compile_expr(value, self.known)
            conditions = ("when", "until", "available", "if", "applies_when")
            if ex.is_constant and path and path[-1] in conditions and self.format >= 2:  # format 1: as it was
                self._constant_condition(path, bool(ex({})))
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

    def _constant_condition(self, path: PathKey, value: bool) -> None:
        """A condition that reads no name: refuse the ones that cannot be meant (never true; an end at T0)."""
        section = path[0]
        if not value:
            self.err(path, "this condition reads no name and is never true, so what it guards never happens: "
                     "write a condition of the state (e.g. agitation >= 5), or remove it")
        elif section == "end":
            self.err(path, "this condition reads no name and is always true, so the exercise would end at T0: "
                     "write a condition of the state (e.g. control == 1)")
        elif path[-1] == "until":
            self.err(path, "this condition reads no name and is always true, so the work would stop as it "
                     "starts: write a condition of the state, or use `work` for a duration")
        elif section in ("injects", "decisions") and len(path) == 3:
            self.err(path, "this condition reads no name and is always true: to deliver it at the start write "
                     "`at: 0` instead of `when`")

    def opt_expr(self, path: PathKey, spec: dict[str, Any], key: str) -> Expr | None:
        """The expression under `spec[key]`, or None when the key is absent."""
        return self.expr(path + (key,), spec[key]) if key in spec else None

    def line(self, n: int) -> str:
        """Line `n` (1-based) of the source text."""
        return self._lines[n - 1] if 0 < n <= len(self._lines) else ""

    def dist(self, path: PathKey, value: Any) -> Dist | None:
        """The distribution at `path` (see `distributions.parse_dist`)."""
        return parse_dist(self, path, value)

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
