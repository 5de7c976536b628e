"""Messages that tell the fix: what to write instead, for the mistakes scenario authors make most.

The loader (`loading`) calls these only once something has failed, so a valid file is never
second-guessed: a unit after a number ("5 min", "3/h"), a clock time for a minute, a key or a
value written in Spanish, a text in one language, a bare id read as a value, a condition
that cannot be meant, a minute after the time limit. Expression slips (`=` for `==`, `&&`,
`50%`) are `expr.fix_hint`'s.
"""

from __future__ import annotations

import difflib
import json
import math
import re
import unicodedata
from datetime import datetime
from typing import Any

import jsonschema

from .expr import MAX_NUMBER, unit_fix
from .safeyaml import Located, PathKey


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
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c)).lower()


def key_hint(key: str, allowed: list[str]) -> str:
    """What to write for an unknown key: its English name when it is Spanish, else a close key."""
    english = SPANISH_KEYS.get(_plain(key))
    if english in allowed:
        return f": keys are written in English: write {english!r}"
    return suggest(key, allowed)


def meant(instance: dict[str, Any], schema: dict[str, Any], required: list[str]) -> bool:
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
    inst, path = err.instance, tuple(err.absolute_path)
    field = str(path[-1]) if path else ""
    if err.validator == "minProperties" and field == "options" and len(path) == 3 and path[0] == "decisions":
        n = len(inst) if isinstance(inst, dict) else 0
        return (f"a decision point needs at least {err.validator_value} options to choose between (it has {n}); "
                "one of them is its default")
    props = err.schema.get("properties", {}) if isinstance(err.schema, dict) else {}
    if isinstance(inst, str) and set(props) == {"es", "en"}:
        return f"a text is written in both languages: {{es: \"...\", en: {json.dumps(inst, ensure_ascii=False)}}}"
    if isinstance(inst, str) and (err.validator == "type" and "number" in str(err.validator_value)
                                  or err.validator == "oneOf" and field in _TIME_KEYS):
        found = unit_fix(inst)
        if found is not None:
            return found[1]
        m = _CLOCK.match(inst)
        if m and field == "at":
            return f"{inst!r}: {field} is minutes after T0, not a clock time{minute_of(loc, m)}"
        if m and field in _TIME_KEYS:
            h, mm = int(m.group(1)), int(m.group(2))
            return (f"{inst!r}: {field} is a number of minutes, not hours:minutes; for {h} h {mm} min "
                    f"write {h * 60 + mm}")
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


def minute_of(loc: Located, m: re.Match[str]) -> str:
    """'; with clock.start 20:00, 19:45 is minute N' when the scenario's start can be read."""
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




def late_message(at: float, limit: float) -> str:
    """Why a minute `at` after the time limit was likely written.

    (An unquoted 20:15 never arrives here as 1215: the YAML loader keeps it as the text written.)
    """
    msg = f"at {at:g} is after the time limit (clock.limit: {limit:g} min), so it never happens"
    if at / 60 <= limit:
        return msg + f"; times are minutes after T0 (if {at:g} is seconds, write {at / 60:.4g})"
    return msg + "; times are minutes after T0"


def constant_condition(path: PathKey, value: bool) -> str:
    """For a condition that reads no name: why it cannot be meant and what to write, or '' when it may be."""
    section = path[0]
    if not value:
        return ("this condition reads no name and is never true, so what it guards never happens: "
                "write a condition of the state (e.g. agitation >= 5), or remove it")
    if section == "end":
        return ("this condition reads no name and is always true, so the exercise would end at T0: "
                "write a condition of the state (e.g. control == 1)")
    if path[-1] == "until":
        return ("this condition reads no name and is always true, so the work would stop as it "
                "starts: write a condition of the state, or use `work` for a duration")
    if section in ("injects", "decisions") and len(path) == 3:
        return ("this condition reads no name and is always true: to deliver it at the start write "
                "`at: 0` instead of `when`")
    return ""
