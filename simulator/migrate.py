"""`sitroom migrate`: a format-1 scenario rewritten as format 2, comments and layout kept.

The conversion is a text edit, never a YAML dump: the file is parsed once (with
`safeyaml`, which records the line and column of every key and value), and only the
lines that must change are touched. What it changes:

- `sitroom: 1` becomes `sitroom: 2` (a file without the key gets `sitroom: 2` before its
  first key);
- a metric's removed `missing: N` (the value a measure took when its event never
  happened) is deleted, and each objective rated by that metric gets the rating that
  value earned under its thresholds as `if_missing:` (unless it already says one).

The result is validated by the scenario loader before it is handed back; `Migration.changes`
says what was changed, where, in Spanish and English.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .errors import Problem, ScenarioError
from .metrics import rate
from .safeyaml import Located, load_text
from .scenario import Scenario, load_scenario_text
from .schema import FORMAT_VERSION, FORMATS
from .text import Text


class NotConvertible(ScenarioError):
    """The original file cannot be read as a scenario of a format this release knows (nothing to convert)."""


@dataclass(frozen=True)
class Change:
    """One edit: where in the original file (1-based line and column) and what, in es and en."""

    line: int
    col: int
    text: Text


@dataclass(frozen=True)
class Migration:
    """The converted text, the format it came from, what changed, and the validated scenario."""

    text: str
    source_format: int
    changes: tuple[Change, ...]
    scenario: Scenario

    @property
    def changed(self) -> bool:
        """True when the text differs from the original."""
        return bool(self.changes)


@dataclass
class _Edit:
    line: int  # 0-based
    kind: str  # "replace" (the line's text), "delete" (the line), "insert" (a line before it)
    text: str = ""


def migrate_text(text: str, name: str = "<scenario>", out_name: str | None = None) -> Migration:
    """Convert scenario `text` to format 2; raise ScenarioError when it cannot be read or the result is invalid.

    `name` names the original in messages; `out_name` the converted file (default: `name`).
    """
    text = text.removeprefix("\ufeff")  # positions are counted without a byte-order mark (the loader drops it too)
    loc = load_text(text, name)
    if isinstance(loc, Problem):
        raise NotConvertible([loc])
    if not isinstance(loc.data, dict):
        raise NotConvertible([loc.problem((), "a scenario is a map of keys (sitroom, id, title, ...)")])
    fmt = loc.data.get("sitroom", 1)
    if isinstance(fmt, str) and fmt.strip() in {str(f) for f in FORMATS}:
        fmt = int(fmt)  # `sitroom: "1"`: the number in quotes (the conversion writes it bare)
    if isinstance(fmt, bool) or fmt not in FORMATS:
        raise NotConvertible([loc.problem(("sitroom",), f"sitroom: {fmt!r} is not a format this release reads "
                                                         f"({' or '.join(map(str, FORMATS))})")])
    lines = text.splitlines(keepends=True)
    edits: list[_Edit] = []
    changes: list[Change] = []
    if fmt < FORMAT_VERSION:
        _version(loc, lines, edits, changes)
        _missing(loc, lines, edits, changes)
    new = _apply(lines, edits)
    scenario = load_scenario_text(new, out_name or name)  # raises ScenarioError listing every problem
    return Migration(new, int(fmt), tuple(sorted(changes, key=lambda c: (c.line, c.col))), scenario)


def _version(loc: Located, lines: list[str], edits: list[_Edit], changes: list[Change]) -> None:
    if "sitroom" in loc.data:
        line, col = loc.where(("sitroom",))
        old = lines[line - 1]
        m = re.compile(r"[\"']?1[\"']?").match(old, col - 1)
        if m is None:  # pragma: no cover - the loader placed the value here
            raise ScenarioError([loc.problem(("sitroom",), "cannot find the format number to change")])
        edits.append(_Edit(line - 1, "replace", old[: m.start()] + str(FORMAT_VERSION) + old[m.end():]))
        changes.append(Change(line, col, {"es": f"sitroom: 1 -> {FORMAT_VERSION}",
                                          "en": f"sitroom: 1 -> {FORMAT_VERSION}"}))
        return
    first = min((pos for (key, *rest), pos in loc.key_marks.items() if not rest), default=(1, 1))
    edits.append(_Edit(first[0] - 1, "insert", f"sitroom: {FORMAT_VERSION}{_newline(lines[first[0] - 1])}"))
    changes.append(Change(first[0], 1, {"es": f"se añadió sitroom: {FORMAT_VERSION} (el archivo no decía su formato)",
                                        "en": f"added sitroom: {FORMAT_VERSION} (the file did not say its format)"}))


def _missing(loc: Located, lines: list[str], edits: list[_Edit], changes: list[Change]) -> None:
    """Each metric's removed `missing: N` becomes its objectives' `if_missing` rating."""
    metrics = loc.data.get("metrics") or {}
    objectives = loc.data.get("objectives") or {}
    if not isinstance(metrics, dict) or not isinstance(objectives, dict):
        return
    for mid, spec in metrics.items():
        if not isinstance(spec, dict) or "missing" not in spec:
            continue
        value = spec["missing"]
        line, col = loc.where(("metrics", mid, "missing"), key=True)
        _delete_key(lines, edits, line - 1, col - 1, "missing")
        better = spec.get("better", "lower")
        rated = []
        for oid, o in objectives.items():
            if not isinstance(o, dict) or o.get("metric") != mid:
                continue
            th = o.get("thresholds")
            if "if_missing" in o or not isinstance(th, dict) or not isinstance(value, int | float):
                continue
            try:
                rating = rate(float(value), {k: float(th[k]) for k in ("P", "S", "M")}, better)
            except (KeyError, TypeError, ValueError):
                continue  # the loader will name what is wrong with these thresholds
            _add_key(loc, lines, edits, ("objectives", oid, "metric"), f"if_missing: {rating}")
            rated.append(f"{oid} ({rating})")
        if rated:
            many = len(rated) > 1
            where_es = (f"; {'los objetivos' if many else 'el objetivo'} {', '.join(rated)} "
                        f"{'dicen' if many else 'dice'} ahora if_missing con la calificación que daba ese valor")
            where_en = (f"; {'objectives' if many else 'objective'} {', '.join(rated)} now "
                        f"{'say' if many else 'says'} if_missing with the rating that value earned")
        else:
            where_es, where_en = "; ningún objetivo se califica con ella", "; no objective is rated by it"
        changes.append(Change(line, col, {
            "es": f"metrics.{mid}: se quitó missing: {value} (una medida que no ocurrió no tiene valor){where_es}",
            "en": f"metrics.{mid}: removed missing: {value} (a measure that never happened has no value){where_en}",
        }))


def _delete_key(lines: list[str], edits: list[_Edit], n: int, col: int, key: str) -> None:
    """Remove `key: scalar` at line `n`, column `col` (0-based): its whole line in block style."""
    old = lines[n]
    before = old[:col]
    if not before.strip():  # block style: the key starts its line; a comment after it stays, on its own line
        hash_at = old.find(" #", col)
        if hash_at < 0:
            edits.append(_Edit(n, "delete"))
        else:
            edits.append(_Edit(n, "replace", before + old[hash_at + 1:].lstrip()))
        return
    # flow style ({..., missing: 420, ...}): the key, its value and one comma beside them
    m = re.compile(rf"{re.escape(key)}\s*:\s*[^,}}\]\n]*").match(old, col)
    if m is None:  # pragma: no cover - the loader placed the key here
        return
    start, end = m.start(), m.end()
    after = old[end:]
    if after.lstrip().startswith(","):
        end += len(after) - len(after.lstrip()) + 1
        end += len(old[end:]) - len(old[end:].lstrip(" "))
    else:
        head = old[:start].rstrip()
        if head.endswith(","):
            start = len(head) - 1
    edits.append(_Edit(n, "replace", old[:start] + old[end:]))


def _add_key(loc: Located, lines: list[str], edits: list[_Edit], beside: tuple[Any, ...], entry: str) -> None:
    """Add `entry` to the map holding key `beside`: a line before it in block style, inline in flow style."""
    line, col = loc.where(beside, key=True)
    n, c = line - 1, col - 1
    old = lines[n]
    if not old[:c].strip():  # block style: a line after the key's (a one-line id)
        edits.append(_Edit(n + 1, "insert", old[:c] + entry + _newline(old)))
    else:
        edits.append(_Edit(n, "replace", old[:c] + entry + ", " + old[c:]))


def _newline(line: str) -> str:
    """The line ending the file uses on `line` (a Windows file keeps its CRLF)."""
    return "\r\n" if line.endswith("\r\n") else "\n"


def _apply(lines: list[str], edits: list[_Edit]) -> str:
    """The text with `edits` made: each replaces or deletes a different line, or inserts lines before one."""
    out = list(lines)
    inserts: dict[int, list[str]] = {}
    deleted: set[int] = set()
    touched: set[int] = set()
    for e in edits:
        if e.kind == "insert":
            inserts.setdefault(e.line, []).append(e.text)
            continue
        assert e.line not in touched, "two edits of one line"  # metrics and objectives never share a line
        touched.add(e.line)
        if e.kind == "replace":
            out[e.line] = e.text
        else:
            deleted.add(e.line)
    result: list[str] = []
    for i, text in enumerate(out):
        result.extend(inserts.get(i, []))
        if i not in deleted:
            result.append(text)
    return "".join(result)


# What `sitroom migrate` tells its user, in Spanish (es-MX) and English.
WORDS: dict[str, Text] = {
    "head": {"es": "{file}: formato {old} -> {new}, {n} cambio(s):", "en": "{file}: format {old} -> {new}, "
             "{n} change(s):"},
    "current": {"es": "{file}: ya está en el formato {new}; no hay nada que cambiar",
                "en": "{file}: already format {new}; nothing to change"},
    "valid": {"es": "el archivo convertido valida (como con `sitroom validate`)",
              "en": "the converted file validates (as `sitroom validate` would check it)"},
    "check": {"es": "no se escribió nada (--check): este archivo necesita `sitroom migrate`",
              "en": "nothing written (--check): this file needs `sitroom migrate`"},
    "dry": {"es": "no se escribió nada: --out NUEVO.yaml escribe la copia convertida; --in-place reemplaza {file}",
            "en": "nothing written: --out NEW.yaml writes the converted copy; --in-place replaces {file}"},
    "nofile": {"es": "{file}: no existe ese archivo", "en": "{file}: no such file"},
    "written": {"es": "escrito en {out}", "en": "written to {out}"},
    "exists": {"es": "{out}: ya hay un archivo ahí; elija otro --out (o --in-place para reemplazar {file})",
               "en": "{out}: a file is already there; choose another --out (or --in-place to replace {file})"},
    "same": {"es": "{out} es el archivo que se convierte: use --in-place para reemplazarlo",
             "en": "{out} is the file being converted: use --in-place to replace it"},
    "bundled": {"es": "{file} es un escenario incluido; dé --out ARCHIVO para escribir la copia convertida",
                "en": "{file} is a bundled scenario; give --out FILE to write the converted copy"},
    "unreadable": {"es": "{file}: no se puede convertir (arriba, por qué); no se escribió nada",
                   "en": "{file}: cannot be converted (why is above); nothing written"},
    "folder": {"es": "{file}: es una carpeta, no un archivo", "en": "{file}: is a folder, not a file"},
    "invalid": {"es": "{file}: el archivo convertido no valida (arriba, lo que falla); no se escribió nada",
                "en": "{file}: the converted file does not validate (what fails is above); nothing written"},
}


def say(key: str, lang: str, **values: object) -> str:
    """The message `key` of `WORDS` in `lang`, with `values` filled in."""
    text = WORDS[key]
    return (text.get(lang) or text["en"]).format(**values)
