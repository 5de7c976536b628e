"""The MSEL spreadsheet: a scenario's injects out to xlsx/CSV and back in.

Instructors keep their Master Scenario Events List (HSEEP's MSEL) in a spreadsheet.
`export_msel` writes a scenario's injects as one row each; `merge_msel` reads a
spreadsheet (openpyxl for .xlsx, the csv module for .csv; a formula is never
evaluated, it is an error naming its cell), guesses which column holds what from
the headers in Spanish or English (overridable), and merges the rows into the
scenario's injects. The scenario text is edited in place: only the injects a row
changes are rewritten, so comments and layout elsewhere stay as the author left
them. The result is validated with the scenario loader before anything is
written; every bad row is reported as `FILE:ROW:COLUMN: message`, and nothing is
written unless every row is good.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import json
import math
import re
import unicodedata
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

# Only the package's public names: the loader's internals are not this module's business.
from . import InputError, Problem, Scenario, ScenarioError, load_scenario_text, tr

MAX_ROWS = 2000  # injects per sheet; far more than any MSEL, far less than a runaway sheet
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
MAX_CELL_CHARS = 4000

CHANNELS = ("radio", "phone", "cctv", "media", "social", "intel", "control", "report", "alarm")  # as the format's
# Words an author may write for a channel, accents and case aside.
_CHANNEL_WORDS = {
    "radio": "radio", "phone": "phone", "telefono": "phone", "tel": "phone", "llamada": "phone",
    "call": "phone", "telephone": "phone", "cctv": "cctv", "camara": "cctv", "camaras": "cctv",
    "video": "cctv", "media": "media", "medios": "media", "prensa": "media", "press": "media",
    "news": "media", "noticias": "media", "social": "social", "redes": "social",
    "redes sociales": "social", "social media": "social", "intel": "intel",
    "inteligencia": "intel", "intelligence": "intel", "control": "control",
    "control del ejercicio": "control", "exercise control": "control", "report": "report",
    "reporte": "report", "informe": "report", "parte": "report", "alarm": "alarm",
    "alarma": "alarm",
}
_YES = {"si", "yes", "y", "s", "true", "verdadero", "x", "1"}
_NO = {"no", "n", "false", "falso", "0", ""}
_ALL = {"all", "todos", "todas", "todo el mundo", "everyone"}
_INSTRUCTOR = {"instructor", "instructores", "instructors", "solo instructor", "instructor only"}


_ID = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


class MselError(InputError):
    """A spreadsheet cannot be read or merged; carries every problem found."""


@dataclass(frozen=True)
class SheetProblem:
    """One thing wrong in a spreadsheet: `FILE:ROW:COLUMN: message` (column as a letter)."""

    file: str
    row: int  # 1-based, as the spreadsheet program shows it; 0 when the whole file is meant
    column: str  # "C"; "" when the whole row or file is meant
    message: str

    def __str__(self) -> str:
        if not self.row:
            return f"{self.file}: {self.message}"
        if not self.column:
            return f"{self.file}:{self.row}: {self.message}"
        return f"{self.file}:{self.row}:{self.column}: {self.message}"


@dataclass(frozen=True)
class Column:
    """One MSEL column: the field it holds, its headers, and whether import reads it."""

    field: str
    header: dict[str, str]  # {"es", "en"}
    words: tuple[str, ...]  # other headers it is known by (normalised, without a language tag)
    lang: str = ""  # "es"/"en" for the bilingual texts
    stored: bool = True  # False: written for people, not read back (the format has no place for it)


def _pair(field_: str, es: str, en: str, words: tuple[str, ...]) -> tuple[Column, Column]:
    return (Column(f"{field_}_es", {"es": f"{es} (es)", "en": f"{en} (es)"}, words, "es"),
            Column(f"{field_}_en", {"es": f"{es} (en)", "en": f"{en} (en)"}, words, "en"))


COLUMNS: tuple[Column, ...] = (
    # HSEEP's "Event #" groups injects under an event: it is not an inject's number.
    Column("number", {"es": "#", "en": "#"}, ("#", "no", "num", "numero", "number", "n", "msel", "msel #",
           "msel no", "inject #", "inject no", "inject number", "numero de inject"), stored=False),
    Column("id", {"es": "ID", "en": "ID"}, ("id", "inject id", "id del inject", "clave", "identificador")),
    Column("time", {"es": "Tiempo de escenario (min)", "en": "Scenario time (min)"},
           ("scenario time", "tiempo de escenario", "tiempo del escenario", "tiempo", "time", "t",
            "t+", "minuto", "minute", "minutos", "minutes")),
    Column("local_time", {"es": "Hora local", "en": "Local time"},
           ("local time", "hora local", "hora", "fecha y hora", "date time", "day time", "dia hora",
            "time of day", "clock time")),
    Column("condition", {"es": "Condición", "en": "Condition"},
           ("condition", "condicion", "trigger", "disparador", "when", "cuando")),
    Column("delay", {"es": "Retraso (min)", "en": "Delay (min)"}, ("delay", "retraso", "demora", "retardo")),
    Column("manual", {"es": "Manual", "en": "Manual"}, ("manual",)),
    *_pair("from", "De", "From", ("from", "de", "remitente", "emisor", "sender", "origen")),
    Column("audience", {"es": "Para / audiencia", "en": "To / audience"},
           ("to", "para", "audience", "audiencia", "to audience", "para audiencia", "destinatario",
            "recipient", "recipients", "destinatarios", "player", "players")),
    Column("channel", {"es": "Canal", "en": "Channel"},
           ("channel", "canal", "mode", "inject mode", "modo", "medio", "delivery method",
            "metodo de entrega")),
    *_pair("text", "Mensaje", "Message", ("message", "mensaje", "inject", "texto", "text",
                                           "description", "descripcion")),
    Column("expect", {"es": "Acción esperada", "en": "Expected action"},
           ("expected action", "accion esperada", "expected player action", "respuesta esperada",
            "expected response", "accion esperada del jugador")),
    Column("within", {"es": "Plazo (min)", "en": "Within (min)"}, ("within", "plazo", "deadline", "limite")),
    Column("objective", {"es": "Objetivo", "en": "Objective"},
           ("objective", "objetivo", "objectives", "objetivos"), stored=False),
    Column("capability", {"es": "Capacidad", "en": "Capability"},
           ("capability", "capacidad", "core capability", "capacidad central", "capabilities",
            "capacidades"), stored=False),
    Column("contingency", {"es": "Contingencia", "en": "Contingency"},
           ("contingency", "contingencia", "contingency inject", "inject de contingencia")),
    *_pair("notes", "Notas", "Notes", ("notes", "notas", "note", "nota", "controller notes",
                                        "notas del controlador")),
    Column("effects", {"es": "Efectos (YAML)", "en": "Effects (YAML)"}, ("effects", "efectos")),
)
BY_FIELD = {c.field: c for c in COLUMNS}
FIELDS = tuple(c.field for c in COLUMNS)

# What each column holds, for the header notes and the Info sheet of an exported workbook.
COLUMN_HELP: dict[str, dict[str, str]] = {
    "number": {"es": "Número de renglón (no se importa).", "en": "Row number (not imported)."},
    "id": {"es": "Id del inject: letras, dígitos y _. Un id existente actualiza ese inject; uno nuevo lo añade.",
           "en": "Inject id: letters, digits and _. An existing id updates that inject; a new one adds it."},
    "time": {"es": "Minutos desde T0 (14, T+0:14).", "en": "Minutes after T0 (14, T+0:14)."},
    "local_time": {"es": "La misma hora como hora local; se usa si el tiempo de escenario está vacío.",
                   "en": "The same time as local clock time; used when the scenario time is empty."},
    "condition": {"es": "En lugar de un tiempo: se entrega cuando esta expresión se cumple.",
                  "en": "Instead of a time: delivered when this expression holds."},
    "delay": {"es": "Minutos de espera tras el tiempo o la condición, o una distribución YAML.",
              "en": "Minutes to wait after the time or condition, or a YAML distribution."},
    "manual": {"es": "sí: solo el instructor lo lanza.", "en": "yes: only the instructor fires it."},
    "from_es": {"es": "Remitente, en español.", "en": "Sender, in Spanish."},
    "from_en": {"es": "Remitente, en inglés.", "en": "Sender, in English."},
    "audience": {"es": "all, instructor, o ids o nombres de rol separados por comas.",
                 "en": "all, instructor, or role ids or names separated by commas."},
    "channel": {"es": "radio, phone, cctv, media, social, intel, control, report o alarm.",
                "en": "radio, phone, cctv, media, social, intel, control, report or alarm."},
    "text_es": {"es": "Mensaje en español; {nombre} cita un valor.", "en": "Message in Spanish; {name} quotes a value."},
    "text_en": {"es": "Mensaje en inglés; {nombre} cita un valor.", "en": "Message in English; {name} quotes a value."},
    "expect": {"es": "Órdenes o puntos de decisión esperados, separados por comas; un punto con las opciones "
                     "que cuentan se escribe DP1: opcion (o DP1: a|b).",
               "en": "Expected orders or decision points, separated by commas; a point with the options that "
                     "count is written DP1: option (or DP1: a|b)."},
    "within": {"es": "Minutos para la acción esperada.", "en": "Minutes allowed for the expected action."},
    "objective": {"es": "Objetivos que miden esta acción (solo lectura).",
                  "en": "Objectives that measure this action (read only)."},
    "capability": {"es": "Capacidades HSEEP de esos objetivos (solo lectura).",
                   "en": "HSEEP capabilities of those objectives (read only)."},
    "contingency": {"es": "Inject que se entrega si la acción esperada no llega a tiempo.",
                    "en": "Inject delivered if the expected action does not come in time."},
    "notes_es": {"es": "Nota para el evaluador, en español.", "en": "Note for the evaluator, in Spanish."},
    "notes_en": {"es": "Nota para el evaluador, en inglés.", "en": "Note for the evaluator, in English."},
    "effects": {"es": "Efectos en YAML: [{add: agitation, by: 1}].", "en": "Effects in YAML: [{add: agitation, by: 1}]."},
}

# Key order of an inject written back (the order of the bundled scenarios).
_INJECT_KEYS = ("at", "when", "delay", "manual", "channel", "from", "audience", "text", "effects", "expect")


# --------------------------------------------------------------------------- small helpers


def _norm(text: str) -> str:
    """Lower case, no accents, punctuation as spaces (but keep # and +)."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    return " ".join(re.sub(r"[^a-z0-9#+]+", " ", plain).split())


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    out = ""
    n = index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def _letter_index(letters: str) -> int | None:
    if not re.fullmatch(r"[A-Za-z]{1,3}", letters):
        return None
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n - 1


def _number_text(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def _plain_ok(s: str) -> bool:
    return bool(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", s)) and s.lower() not in {
        "true", "false", "yes", "no", "on", "off", "null", "y", "n"}


def _flow(value: Any) -> str:
    """A value as one line of YAML flow text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return _number_text(value)
    if value is None:
        return "null"
    if isinstance(value, str):
        return value if _plain_ok(value) else json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_flow(k)}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as YAML")


def _quoted(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


def _audience_tuple(v: Any) -> tuple[str, ...]:
    if v is None:
        return ("all",)
    if isinstance(v, str):
        return (v,)
    return tuple(v)


def _same(a: Any, b: Any) -> bool:
    """Equal as scenario data (6 and 6.0 are the same minute)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return float(a) == float(b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


# --------------------------------------------------------------------------- export


def _related_objectives(scenario: Scenario, inject_id: str, any_of: tuple[str, ...]) -> list[str]:
    """Objectives whose metric measures this inject or the action it expects."""
    out = []
    for obj in scenario.objectives.values():
        m = scenario.metrics.get(obj.metric)
        if m is None:
            continue
        names = set(m.expr.names if m.expr is not None else ()) | set(m.until.names if m.until is not None else ())
        reads = {n.split(".")[0] for n in names if "." in n}
        if (m.decision in any_of) or (reads & set(any_of)) or (f"{inject_id}.fired" in names):
            out.append(obj.id)
    return out


def _clock(when: dt.datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M:%S" if when.second or when.microsecond else "%Y-%m-%d %H:%M")


def msel_table(scenario: Scenario, lang: str = "es") -> tuple[list[str], list[list[Any]]]:
    """The scenario's injects as MSEL rows: (headers in `lang`, one row per inject, in time order)."""
    raw = (yaml.safe_load(scenario.text) or {}).get("injects") or {}
    start = scenario.start_datetime().replace(tzinfo=None)
    order = sorted(enumerate(scenario.injects.values()),
                   key=lambda p: (p[1].at if p[1].at is not None else math.inf, p[0]))
    rows = []
    for n, (_, inj) in enumerate(order, start=1):
        spec = raw.get(inj.id, {})
        expect = spec.get("expect") or {}
        objs = _related_objectives(scenario, inj.id, inj.expect.any_of if inj.expect else ())
        sender = spec.get("from") or {}
        note = expect.get("note") or {}
        values: dict[str, Any] = {
            "number": n,
            "id": inj.id,
            "time": spec.get("at"),
            "local_time": _clock(start + dt.timedelta(minutes=inj.at)) if inj.at is not None else None,
            "condition": spec.get("when"),
            "delay": spec["delay"] if isinstance(spec.get("delay"), int | float) else
            (_flow(spec["delay"]) if spec.get("delay") is not None else None),
            "manual": ("sí" if lang == "es" else "yes") if spec.get("manual") else None,
            "from_es": sender.get("es"), "from_en": sender.get("en"),
            "audience": ", ".join(inj.audience),
            "channel": inj.channel,
            "text_es": inj.text["es"], "text_en": inj.text["en"],
            "expect": ", ".join(_action_text(a) for a in expect.get("any_of", [])) or None,
            "within": expect.get("within"),
            "objective": "; ".join(f"{o}: {tr(scenario.objectives[o].label, lang)}" for o in objs) or None,
            "capability": "; ".join(dict.fromkeys(scenario.objectives[o].capability for o in objs)) or None,
            "contingency": expect.get("contingency"),
            "notes_es": note.get("es"), "notes_en": note.get("en"),
            "effects": _flow(spec["effects"]) if spec.get("effects") else None,
        }
        rows.append([values[c.field] for c in COLUMNS])
    return [c.header[lang] for c in COLUMNS], rows


def export_msel(scenario: Scenario, out: str | Path, lang: str = "es") -> int:
    """Write the scenario's MSEL to `out` (.xlsx or .csv); return the number of injects written."""
    out = Path(out)
    headers, rows = msel_table(scenario, lang)
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise MselError([SheetProblem(str(out), 0, "", "the MSEL file must end in .xlsx or .csv")])
    tmp = out.with_name(out.name + ".part")
    try:
        _write(tmp, suffix, scenario, headers, rows, lang)
        tmp.replace(out)
    except OSError as exc:
        if tmp.parent.is_dir():
            tmp.unlink(missing_ok=True)
        raise MselError([SheetProblem(str(out), 0, "", f"cannot write: {exc.strerror or exc}")]) from None
    return len(rows)


def _write(tmp: Path, suffix: str, scenario: Scenario, headers: list[str], rows: list[list[Any]], lang: str) -> None:
    if suffix == ".csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\r\n")
        w.writerow(headers)
        for r in rows:
            w.writerow(["" if v is None else _number_text(v) if isinstance(v, int | float) else v for v in r])
        # A byte-order mark tells spreadsheet programs that the file is UTF-8 (accents survive).
        tmp.write_bytes(("\ufeff" + buf.getvalue()).encode("utf-8"))
    elif suffix == ".xlsx":
        _write_xlsx(tmp, scenario, headers, rows, lang)


def _write_xlsx(path: Path, scenario: Scenario, headers: list[str], rows: list[list[Any]], lang: str) -> None:
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils.exceptions import IllegalCharacterError
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = "MSEL"
    ws.append(headers)
    for r in rows:
        try:
            ws.append(r)
        except IllegalCharacterError:
            raise MselError([SheetProblem(str(path.with_name(path.name.removesuffix(".part"))), 0, "",
                                          f"inject {r[1]!r} holds a control character that an .xlsx cell "
                                          "cannot hold; remove it, or export to .csv")]) from None
    for cell, c in zip(ws[1], COLUMNS, strict=True):
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDDDDD")
        cell.comment = Comment(COLUMN_HELP[c.field][lang], "sitroom")
    last = max(len(rows) + 1, 500)  # room for the rows an author adds
    choices = {"channel": ",".join(CHANNELS), "manual": "sí,no" if lang == "es" else "yes,no"}
    for f, options in choices.items():
        letter = column_letter(FIELDS.index(f))
        dv = DataValidation(type="list", formula1=f'"{options}"', allow_blank=True)
        dv.add(f"{letter}2:{letter}{last}")
        ws.add_data_validation(dv)
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # text that looks like a formula stays text
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    wide = {"text_es": 60, "text_en": 60, "condition": 28, "effects": 40, "notes_es": 30, "notes_en": 30,
            "objective": 30, "capability": 30, "from_es": 22, "from_en": 22, "local_time": 17}
    for i, c in enumerate(COLUMNS):
        ws.column_dimensions[column_letter(i)].width = wide.get(c.field, max(10, len(c.header[lang]) + 2))
    ws.freeze_panes = "C2"
    info = wb.create_sheet("Info")
    es = lang == "es"
    info.append(["Escenario" if es else "Scenario", scenario.id])
    info.append(["Título" if es else "Title", tr(scenario.title, lang)])
    info.append(["T0", scenario.start])
    info.append([])
    info.append(["Columna" if es else "Column", "--map", "Se lee al importar" if es else "Read on import",
                 "Qué" if es else "What"])
    for c in COLUMNS:
        yes = ("sí" if es else "yes") if c.stored else "no"
        info.append([c.header[lang], c.field, yes, COLUMN_HELP[c.field][lang]])
    info.column_dimensions["A"].width = 28
    info.column_dimensions["B"].width = 14
    info.column_dimensions["D"].width = 80
    wb.save(path)


# --------------------------------------------------------------------------- reading a sheet


@dataclass
class Sheet:
    """A spreadsheet as read: headers by column, and the non-empty rows with their numbers."""

    file: str
    headers: list[str]
    header_row: int
    rows: list[tuple[int, list[Any]]]


def read_sheet(path: str | Path) -> Sheet:
    """Read an .xlsx or .csv MSEL; raise MselError saying what is wrong with the file."""
    p = Path(path)
    name = str(path)
    try:
        size = p.stat().st_size
    except FileNotFoundError:
        raise MselError([SheetProblem(name, 0, "", "no such file")]) from None
    except OSError as exc:
        raise MselError([SheetProblem(name, 0, "", f"cannot read: {exc.strerror or exc}")]) from None
    if p.is_dir():
        raise MselError([SheetProblem(name, 0, "", "is a directory, not a spreadsheet")])
    if size > MAX_FILE_BYTES:
        raise MselError([SheetProblem(name, 0, "", f"file is {size:,} bytes; the limit is {MAX_FILE_BYTES:,}")])
    suffix = p.suffix.lower()
    if suffix == ".xlsx":
        return _read_xlsx(p, name)
    if suffix == ".csv":
        return _read_csv(p, name)
    if suffix in (".xls", ".ods", ".xlsm", ".numbers"):
        raise MselError([SheetProblem(name, 0, "", f"{suffix} files are not read; save the sheet as .xlsx or .csv")])
    raise MselError([SheetProblem(name, 0, "", "the MSEL file must end in .xlsx or .csv")])


def _rows_from(name: str, cells: list[list[Any]], first_row: int) -> Sheet:
    """Headers from the first row that names MSEL columns (a title above it is skipped); the
    rest as numbered rows, empty rows skipped."""
    filled = [i for i, row in enumerate(cells[:200]) if any(v not in (None, "") for v in row)]
    header_at = next((i for i in filled[:20]
                      if sum(1 for v in cells[i] if isinstance(v, str) and _is_heading(v)) >= 2),
                     filled[0] if filled else None)
    if header_at is None:
        raise MselError([SheetProblem(name, 0, "", "the sheet is empty: it needs a header row and one row per inject")])
    headers = ["" if v is None else str(v).strip() for v in cells[header_at]]
    rows = []
    for i in range(header_at + 1, len(cells)):
        row = cells[i]
        if any(v not in (None, "") and not (isinstance(v, str) and not v.strip()) for v in row):
            rows.append((first_row + i, row + [None] * (len(headers) - len(row))))
    return Sheet(name, headers, first_row + header_at, rows)


def _too_many(name: str) -> MselError:
    return MselError([SheetProblem(name, 0, "", f"more than {MAX_ROWS:,} inject rows; a scenario's MSEL "
                                   f"holds at most {MAX_ROWS:,} (is this the right sheet?)")])


def _read_csv(p: Path, name: str) -> Sheet:
    raw = p.read_bytes()
    if raw.startswith(b"PK\x03\x04"):
        raise MselError([SheetProblem(name, 0, "", "this is an .xlsx workbook (a zip file) named .csv; rename it .xlsx")])
    if b"\x00" in raw[:4096]:
        raise MselError([SheetProblem(name, 0, "", "not a CSV text file (it holds binary data)")])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:  # Excel in Spanish saves "CSV" as Windows-1252 unless told UTF-8
            text = raw.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise MselError([SheetProblem(name, 0, "", f"not UTF-8 or Windows-1252 text (byte {exc.start})")]) from None
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    cells: list[list[Any]] = []
    nonempty = 0
    try:
        for rec in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            values = [v if v.strip() else None for v in rec]
            if any(v is not None for v in values):
                nonempty += 1
                if nonempty > MAX_ROWS + 1:
                    raise _too_many(name)
            cells.append(values)
    except csv.Error as exc:
        raise MselError([SheetProblem(name, len(cells) + 1, "", f"CSV: {exc}")]) from None
    return _rows_from(name, cells, 1)


def _read_xlsx(p: Path, name: str) -> Sheet:
    with p.open("rb") as fh:
        magic = fh.read(8)
    if magic.startswith(b"\xd0\xcf\x11\xe0"):
        raise MselError([SheetProblem(name, 0, "", "this is an old Excel 97-2003 (.xls) file named .xlsx; "
                                      "save it as .xlsx (Excel workbook) or .csv")])
    if not magic.startswith(b"PK\x03\x04"):
        hint = " (it looks like text: if it is CSV, name it .csv)" if _looks_like_text(p) else ""
        raise MselError([SheetProblem(name, 0, "", f"not an .xlsx workbook: an .xlsx file is a zip archive and "
                                      f"this one is not{hint}")])
    try:
        with zipfile.ZipFile(p) as z:
            unzipped = sum(i.file_size for i in z.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise MselError([SheetProblem(name, 0, "", f"not a readable .xlsx workbook: {exc}")]) from None
    if unzipped > MAX_UNZIPPED_BYTES:
        raise MselError([SheetProblem(name, 0, "", f"the workbook unpacks to {unzipped:,} bytes; the limit is "
                                      f"{MAX_UNZIPPED_BYTES:,}")])
    from openpyxl import load_workbook

    try:
        # data_only=False: a formula cell reads as its formula, so it can be refused (never evaluated).
        with warnings.catch_warnings():  # openpyxl warns about sheet features it drops (validation...)
            warnings.simplefilter("ignore")
            wb = load_workbook(p, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds for a damaged or foreign zip
        raise MselError([SheetProblem(name, 0, "", f"not a readable .xlsx workbook: {type(exc).__name__}: {exc}")]) from None
    sheets = [ws for ws in wb.worksheets if ws.title.strip().lower() == "msel"] or wb.worksheets[:1]
    if not sheets:
        raise MselError([SheetProblem(name, 0, "", "the workbook has no worksheet")])
    ws = sheets[0]
    problems: list[SheetProblem] = []
    for rng in sorted(ws.merged_cells.ranges, key=lambda r: (r.min_row, r.min_col)):
        problems.append(SheetProblem(name, rng.min_row, column_letter(rng.min_col - 1),
                                     f"cells {rng.coord} are merged; unmerge them and give each row its own value"))
    cells: list[list[Any]] = []
    nonempty = 0
    for row in ws.iter_rows():
        values = []
        for cell in row:
            v = cell.value
            if cell.data_type == "f" or type(v).__name__ in ("ArrayFormula", "DataTableFormula"):
                text = v if isinstance(v, str) else getattr(v, "text", "") or "formula"
                problems.append(SheetProblem(name, cell.row, column_letter(cell.column - 1),
                                             f"cell {cell.coordinate} holds a formula ({str(text)[:60]}); sitroom "
                                             "never evaluates formulas: paste the value instead"))
                v = None
            values.append(v)
        if any(v not in (None, "") for v in values):
            nonempty += 1
            if nonempty > MAX_ROWS + 1:
                raise _too_many(name)
        cells.append(values)
    if problems:
        raise MselError(problems)
    return _rows_from(name, cells, 1)


def _looks_like_text(p: Path) -> bool:
    head = p.read_bytes()[:2048]
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return b"\x00" not in head


# --------------------------------------------------------------------------- column mapping


def _header_guess(header: str) -> tuple[str | None, str]:
    """(field, why-not) for a header: the field it names, or None and a reason."""
    n = _norm(header)
    if not n:
        return None, ""
    tokens = n.split()
    lang = ""
    rest = []
    for t in tokens:
        if t in ("es", "esp", "espanol", "spanish"):
            lang = "es"
        elif t in ("en", "eng", "ingles", "english"):
            lang = "en"
        elif t in ("min", "mins", "minutos", "minutes", "yaml"):
            continue
        else:
            rest.append(t)
    base = " ".join(rest)
    for c in COLUMNS:
        if base in c.words:
            if c.lang:
                if lang == c.lang:
                    return c.field, ""
                if not lang:
                    stem = c.field.rsplit("_", 1)[0]
                    return None, (f"does not say its language: name it '{header} (es)' or '{header} (en)', "
                                  f"or map it with --map '{header}={stem}_es'")
                continue
            return c.field, ""
    return None, "not an MSEL column"


def _is_heading(text: str) -> bool:
    field_, why = _header_guess(text)
    return field_ is not None or why.startswith("does not say")


def map_columns(sheet: Sheet, overrides: dict[str, str] | None = None) -> tuple[dict[str, int], list[str]]:
    """Which column holds each field: ({field: column index}, notes on ignored columns).

    `overrides` maps a header (or a column letter) to a field name or `ignore`.
    Raises MselError for an unknown override, a field claimed twice, or no ID column.
    """
    name = sheet.file
    problems: list[SheetProblem] = []
    chosen: dict[int, str | None] = {}
    for col, target in (overrides or {}).items():
        idx = next((i for i, h in enumerate(sheet.headers) if h.strip().lower() == col.strip().lower()), None)
        if idx is None:
            idx = _letter_index(col)
            if idx is not None and idx >= len(sheet.headers):
                idx = None
        if idx is None:
            have = ", ".join(repr(h) for h in sheet.headers if h)
            problems.append(SheetProblem(name, sheet.header_row, "", f"--map {col}={target}: no column called "
                                         f"{col!r} (the headers are {have})"))
            continue
        if target != "ignore" and target not in BY_FIELD:
            problems.append(SheetProblem(name, sheet.header_row, column_letter(idx),
                                         f"--map {col}={target}: unknown field {target!r}; fields are "
                                         f"{', '.join(FIELDS)} or ignore"))
            continue
        chosen[idx] = None if target == "ignore" else target
    notes: list[str] = []
    for i, h in enumerate(sheet.headers):
        if i in chosen:
            continue
        field_, why = _header_guess(h)
        if field_ is None:
            if h and why.startswith("does not say"):
                problems.append(SheetProblem(name, sheet.header_row, column_letter(i), f"column {h!r} {why}"))
            elif h:
                notes.append(f"{name}: column {column_letter(i)} {h!r} ignored ({why}; --map '{h}=FIELD' to read it)")
            continue
        chosen[i] = field_
    fields: dict[str, int] = {}
    for i in sorted(chosen):
        f = chosen[i]
        if f is None:
            continue
        if f in fields:
            first = fields[f]
            problems.append(SheetProblem(name, sheet.header_row, column_letter(i),
                                         f"column {sheet.headers[i]!r} and column {column_letter(first)} "
                                         f"{sheet.headers[first]!r} both hold {f}; say which with --map "
                                         f"'{sheet.headers[i]}=ignore'"))
            continue
        fields[f] = i
    if "id" not in fields and "number" not in fields and not problems:
        problems.append(SheetProblem(name, sheet.header_row, "", "no ID column (nor a # column to number the "
                                     "injects from): add one, or map one with --map 'HEADER=id'"))
    if problems:
        raise MselError(problems)
    unread = [f"{column_letter(i)} {sheet.headers[i]!r}" for f, i in fields.items()
              if not BY_FIELD[f].stored and f != "number"]
    if unread:
        notes.append(f"{name}: column(s) {', '.join(unread)} are for reading only (the scenario format has no "
                     "place for them): not imported")
    return fields, notes


# --------------------------------------------------------------------------- reading rows


class _CellError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _text_value(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return _number_text(v)
    if isinstance(v, dt.datetime | dt.date | dt.time):
        return v.isoformat()
    s = str(v).strip()
    if len(s) > MAX_CELL_CHARS:
        raise _CellError(f"{len(s):,} characters; the limit is {MAX_CELL_CHARS:,}")
    return s or None


def _minutes(v: Any, what: str) -> float | None:
    """A number of minutes: 14, 14.5, '14', '14,5', 'T+14', 'T+0:14', '0:14:30', a time cell."""
    if v is None or (isinstance(v, str) and not v.strip()):
        return None
    if isinstance(v, bool):
        raise _CellError(f"expected {what}, got {v!r}")
    if isinstance(v, int | float):
        out = float(v)
    elif isinstance(v, dt.timedelta):
        out = v.total_seconds() / 60
    elif isinstance(v, dt.datetime):
        raise _CellError(f"a date-time ({v:%Y-%m-%d %H:%M}); give {what} (or use the Local time column)")
    elif isinstance(v, dt.time):
        out = v.hour * 60 + v.minute + v.second / 60
    else:
        s = str(v).strip().lower().replace(" ", "")
        s = s.removeprefix("t+").removesuffix("min")
        m = re.fullmatch(r"(\d+):(\d{1,2})(?::(\d{1,2}))?", s)
        if m:
            out = int(m.group(1)) * 60 + int(m.group(2)) + int(m.group(3) or 0) / 60
        else:
            try:
                out = float(s.replace(",", "."))
            except ValueError:
                raise _CellError(f"{str(v)!r} is not {what}") from None
    if not math.isfinite(out) or out < 0:
        raise _CellError(f"{_number_text(out) if math.isfinite(out) else out} is not {what} (it must be 0 or more)")
    return out


def _local_minutes(v: Any, start: dt.datetime) -> float | None:
    """Minutes after T0 of a local clock time ('19:44', '2025-03-14 19:44', a time or date-time cell)."""
    if v is None or (isinstance(v, str) and not v.strip()):
        return None
    when: dt.datetime | None = None
    if isinstance(v, dt.datetime):
        when = v.replace(tzinfo=None)
    elif isinstance(v, dt.time):
        when = dt.datetime.combine(start.date(), v)
    elif isinstance(v, str):
        s = v.strip()
        try:
            when = dt.datetime.fromisoformat(s).replace(tzinfo=None)
        except ValueError:
            m = re.fullmatch(r"(\d{1,2}):(\d{2})", s)
            if m and int(m.group(1)) < 24 and int(m.group(2)) < 60:
                when = dt.datetime.combine(start.date(), dt.time(int(m.group(1)), int(m.group(2))))
    if when is None:
        raise _CellError(f"{str(v)!r} is not a local time (write HH:MM or YYYY-MM-DD HH:MM)")
    clock_only = isinstance(v, dt.time) or (isinstance(v, str) and len(v.strip()) <= 5)
    if clock_only and when < start:  # a clock time before T0 means the next day
        when += dt.timedelta(days=1)
    out = (when - start).total_seconds() / 60
    if out < 0:
        raise _CellError(f"{when:%Y-%m-%d %H:%M} is before the scenario starts ({start:%Y-%m-%d %H:%M})")
    return out


def _yes_no(v: Any) -> bool:
    if v is None:
        return False
    if isinstance(v, bool):
        return v
    s = _norm(_text_value(v) or "")
    if s in _YES:
        return True
    if s in _NO:
        return False
    raise _CellError(f"{str(v)!r}: write sí/yes or no")


def _channel(v: Any) -> str | None:
    s = _text_value(v)
    if s is None:
        return None
    ch = _CHANNEL_WORDS.get(_norm(s))
    if ch is None:
        close = difflib.get_close_matches(_norm(s), list(_CHANNEL_WORDS), n=1, cutoff=0.6)
        hint = f" (did you mean {_CHANNEL_WORDS[close[0]]!r}?)" if close else ""
        raise _CellError(f"{s!r} is not a channel{hint}; channels are {', '.join(CHANNELS)}")
    return ch


def _action_text(a: Any) -> str:
    """An expected action as cell text: an order or point id, or `DP1: option` / `DP1: a|b`."""
    if isinstance(a, dict):
        point, opts = next(iter(a.items()))
        return f"{point}: {opts if isinstance(opts, str) else '|'.join(opts)}"
    return str(a)


def _ids(v: Any) -> list[str]:
    """Ids separated by commas or semicolons; free text is refused."""
    s = _text_value(v)
    ids = [x.strip() for x in re.split(r"[,;]", s) if x.strip()] if s else []
    bad = [x for x in ids if not _ID.fullmatch(x)]
    if bad or len(ids) > 20:
        raise _CellError(f"write ids separated by commas (e.g. DP1, seal), not {s[:40]!r}; "
                         "free text goes in the notes")
    return ids


def _actions(v: Any) -> list[Any]:
    """Expected actions separated by commas: an order or point id, or `DP1: option` (`DP1: a|b`)."""
    s = _text_value(v)
    items = [x.strip() for x in re.split(r"[,;]", s) if x.strip()] if s else []
    out: list[Any] = []
    for item in items:
        point, _, opts = item.partition(":")
        point = point.strip()
        names = [o.strip() for o in opts.split("|")] if opts else []
        if not _ID.fullmatch(point) or any(not _ID.fullmatch(o) for o in names) or len(items) > 20:
            raise _CellError(f"write orders or decision points separated by commas, a point with the options "
                             f"that count as `DP1: option` (e.g. seal, DP1: withdraw_seal), not {s[:40]!r}; "
                             "free text goes in the notes")
        out.append({point: names[0] if len(names) == 1 else names} if names else point)
    return out


def _yaml_cell(v: Any, what: str) -> Any:
    """A cell of YAML flow text (effects, a delay distribution), refused if it uses anchors or tags."""
    if isinstance(v, int | float) and not isinstance(v, bool):
        return v
    s = _text_value(v)
    if s is None:
        return None
    try:
        for ev in yaml.parse(s, Loader=yaml.SafeLoader):
            if isinstance(ev, yaml.AliasEvent) or getattr(ev, "anchor", None):
                raise _CellError("anchors and aliases (& and *) are not allowed in a cell")
            tag = getattr(ev, "tag", None)
            if tag and not getattr(ev, "implicit", True) and tag != "!":
                raise _CellError(f"tag {tag!r} is not allowed: scenario files are plain data")
        return yaml.safe_load(s)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at character {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise _CellError(f"{what} is not valid YAML{where}: {problem}") from None


@dataclass
class _Row:
    row: int
    inject_id: str
    spec: dict[str, Any]  # the inject as scenario data, after merging
    columns: dict[str, str] = field(default_factory=dict)  # field -> column letter
    ok: bool = True  # every cell of the row read well


@dataclass
class MergeResult:
    """What an import did: the new scenario text and which injects it added or changed."""

    text: str
    added: list[str]
    changed: list[str]
    unchanged: list[str]
    notes: list[str]
    scenario: Scenario


def _row_spec(sheet: Sheet, row: int, cells: list[Any], cols: dict[str, int], existing: dict[str, Any] | None,
              scenario: Scenario, problems: list[SheetProblem]) -> dict[str, Any] | None:
    """Merge one row's cells into its inject's data (a copy of `existing`, or a new inject)."""
    spec: dict[str, Any] = json.loads(json.dumps(existing)) if existing else {}
    bad = False
    start = scenario.start_datetime().replace(tzinfo=None)

    def cell(f: str) -> Any:
        return cells[cols[f]] if f in cols and cols[f] < len(cells) else None

    def fail(f: str, message: str) -> None:
        nonlocal bad
        bad = True
        header = sheet.headers[cols[f]] if f in cols else BY_FIELD[f].header["en"]
        problems.append(SheetProblem(sheet.file, row, column_letter(cols[f]) if f in cols else "",
                                     f"{header}: {message}"))

    def parse(f: str, fn: Any, *args: Any) -> Any:
        try:
            return fn(cell(f), *args)
        except _CellError as exc:
            fail(f, exc.message)
            return None

    def put(key: str, value: Any) -> None:
        if value is None:
            spec.pop(key, None)
        else:
            spec[key] = value

    for f, i in cols.items():  # CSV cells that start with '=' were formulas in the author's sheet
        v = cells[i] if i < len(cells) else None
        if sheet.file.lower().endswith(".csv") and isinstance(v, str) and v.lstrip().startswith("=") \
                and not v.lstrip().startswith("=="):
            fail(f, f"{v.strip()[:40]!r} is a formula; sitroom never evaluates formulas: type the value")
            return None
    if "time" in cols or "local_time" in cols:
        at = parse("time", _minutes, "a number of minutes after T0") if "time" in cols else None
        local = parse("local_time", _local_minutes, start) if "local_time" in cols else None
        if at is not None and local is not None and abs(at - local) > 1 / 60:
            fail("local_time", f"{_text_value(cell('local_time'))} is T+{_number_text(round(local, 1))}, but "
                 f"the scenario time says T+{_number_text(at)}; fix one or empty one")
        elif not bad:
            value = at if at is not None else (round(local, 6) if local is not None else None)
            if "time" in cols or value is not None:
                put("at", int(value) if value is not None and float(value).is_integer() else value)
    if "condition" in cols:
        put("when", parse("condition", _text_value))
    if "delay" in cols:
        d = parse("delay", _yaml_cell, "the delay")
        if d is not None and not isinstance(d, int | float | dict):
            fail("delay", "give minutes (a number) or a distribution such as {dist: uniform, low: 3, high: 6}")
        put("delay", d)
    if "manual" in cols:
        put("manual", True if parse("manual", _yes_no) else None)
    if "channel" in cols:
        raw_channel = cell("channel")
        if raw_channel is None or (isinstance(raw_channel, str) and not raw_channel.strip()):
            fail("channel", f"empty; every inject needs a channel ({', '.join(CHANNELS)})")
        else:
            put("channel", parse("channel", _channel))
    elif "channel" not in spec:
        fail("channel", "a new inject needs a channel, and the sheet has no Channel column")
    for key, stem, required in (("from", "from", False), ("text", "text", True)):
        es_f, en_f = f"{stem}_es", f"{stem}_en"
        if es_f not in cols and en_f not in cols:
            if required and key not in spec:
                fail(es_f, f"a new inject needs its message in es and en, and the sheet has no {stem} columns")
            continue
        old = spec.get(key) or {}
        es = _kept(parse(es_f, _text_value) if es_f in cols else old.get("es"), old.get("es"))
        en = _kept(parse(en_f, _text_value) if en_f in cols else old.get("en"), old.get("en"))
        if es is None and en is None and not required:
            spec.pop(key, None)
            continue
        for lang_f, value in ((es_f, es), (en_f, en)):
            if value is None and lang_f in cols:
                fail(lang_f, "empty; every text exists in es and en")
            elif value is None:
                fail(lang_f, f"the sheet has no {BY_FIELD[lang_f].header['en']} column, and every text "
                     "exists in es and en")
        spec[key] = {"es": es, "en": en}
    if "audience" in cols:
        words = parse("audience", _text_value)
        aud = _audience_value([x.strip() for x in re.split(r"[,;]", words) if x.strip()] if words else [],
                              scenario)
        if aud is None:
            spec.pop("audience", None)
        elif _audience_tuple(aud) != _audience_tuple(spec.get("audience")):
            spec["audience"] = aud
    _expect_spec(spec, cols, cell, parse, fail)
    if "effects" in cols:
        eff = parse("effects", _yaml_cell, "the effects")
        if isinstance(eff, dict):
            eff = [eff]
        if eff is not None and not isinstance(eff, list):
            fail("effects", "give a list of effects such as [{add: agitation, by: 1}]")
        put("effects", eff or None)
    return None if bad else spec


def _kept(value: str | None, old: Any) -> str | None:
    """The scenario's own text when the cell says the same but for the spaces around it."""
    if value is not None and isinstance(old, str) and old.strip() == value:
        return old
    return value


def _audience_value(names: list[str], scenario: Scenario) -> Any:
    """Audience cell words as scenario data: None (all), 'all', 'instructor', or a list of role ids."""
    if not names:
        return None
    normed = [_norm(n) for n in names]
    if len(names) == 1 and normed[0] in _ALL:
        return "all"
    if len(names) == 1 and normed[0] in _INSTRUCTOR:
        return "instructor"
    roles = []
    for raw, n in zip(names, normed, strict=True):
        found = next((rid for rid, label in scenario.roles.items()
                      if n in (_norm(rid), _norm(label.get("es", "")), _norm(label.get("en", "")))), None)
        roles.append(found or raw)
    return roles


def _expect_spec(spec: dict[str, Any], cols: dict[str, int], cell: Any, parse: Any, fail: Any) -> None:
    fields = ("expect", "within", "contingency", "notes_es", "notes_en")
    if not any(f in cols for f in fields):
        return
    old = spec.get("expect") or {}
    any_of = parse("expect", _actions) if "expect" in cols else list(old.get("any_of", []))
    within = parse("within", _minutes, "a number of minutes") if "within" in cols else old.get("within")
    contingency = old.get("contingency")
    if "contingency" in cols:
        named = parse("contingency", _ids) or []
        contingency = named[0] if named else None
        if len(named) > 1:
            fail("contingency", "give one contingency inject id")
    note_old = old.get("note") or {}
    note_es = _kept(parse("notes_es", _text_value) if "notes_es" in cols else note_old.get("es"), note_old.get("es"))
    note_en = _kept(parse("notes_en", _text_value) if "notes_en" in cols else note_old.get("en"), note_old.get("en"))
    if any_of is None:
        return  # the Expected action cell is unreadable (already reported): the rest cannot be judged
    if not any_of:
        for f, v in (("within", within), ("contingency", contingency), ("notes_es", note_es), ("notes_en", note_en)):
            if v is not None and f in cols:
                fail(f, "belongs to an expected action, and Expected action is empty")
        spec.pop("expect", None)
        return
    if within is None:
        if "within" in cols:
            fail("within", "empty; say within how many minutes the expected action is due")
        else:
            fail("expect", "the sheet has no Within (min) column to say within how many minutes it is due")
        return
    if within == 0:
        fail("within", "must be more than 0 minutes")
        return
    expect: dict[str, Any] = {"any_of": any_of, "within": int(within) if float(within).is_integer() else within}
    if contingency:
        expect["contingency"] = contingency
    if note_es or note_en:
        for f, v in (("notes_es", note_es), ("notes_en", note_en)):
            if v is None:
                fail(f, "empty; every text exists in es and en")
        expect["note"] = {"es": note_es, "en": note_en}
    spec["expect"] = expect


def _row_id(sheet: Sheet, row: int, cells: list[Any], cols: dict[str, int],
            problems: list[SheetProblem]) -> str | None:
    letter = column_letter(cols["id"] if "id" in cols else cols["number"])
    header = sheet.headers[cols["id"] if "id" in cols else cols["number"]]
    try:
        raw = _text_value(cells[cols["id"]]) if "id" in cols else None
        num = _text_value(cells[cols["number"]]) if raw is None and "number" in cols else None
    except _CellError as exc:
        problems.append(SheetProblem(sheet.file, row, letter, f"{header}: {exc.message}"))
        return None
    if num is not None:
        raw = "M" + re.sub(r"[^A-Za-z0-9]+", "_", num).strip("_")
    if raw is None:
        problems.append(SheetProblem(sheet.file, row, letter, f"{header}: empty; give the inject an id (letters, "
                                     "digits and _, starting with a letter)"))
        return None
    if not _ID.fullmatch(raw):
        problems.append(SheetProblem(sheet.file, row, letter, f"{header}: {raw!r} is not an id: use letters, "
                                     "digits and _, starting with a letter"))
        return None
    return raw


# --------------------------------------------------------------------------- writing the YAML back


@dataclass
class _Block:
    """Where the injects sit in the scenario text (0-based line numbers)."""

    key_line: int | None  # the `injects:` line; None when the file has none
    flow: bool  # written as {...}: rewritten whole
    end_line: int  # one past the last line of the block (after trimming trailing comments)
    spans: dict[str, tuple[int, int]]  # inject id -> [first, last+1) lines
    indent: int
    step: int


def _locate(text: str) -> _Block:
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    lines = text.splitlines()
    assert isinstance(root, yaml.MappingNode)
    pairs = root.value
    for i, (k, v) in enumerate(pairs):
        if k.value != "injects":
            continue
        next_line = pairs[i + 1][0].start_mark.line if i + 1 < len(pairs) else len(lines)
        if not isinstance(v, yaml.MappingNode) or v.flow_style or not v.value:
            return _Block(k.start_mark.line, True, _trim(lines, k.start_mark.line + 1, next_line), {}, 2, 2)
        spans = {}
        items = v.value
        for j, (ik, _iv) in enumerate(items):
            first = ik.start_mark.line
            stop = items[j + 1][0].start_mark.line if j + 1 < len(items) else next_line
            spans[ik.value] = (first, _trim(lines, first + 1, stop))
        indent = items[0][0].start_mark.column
        child = items[0][1]
        step = (child.value[0][0].start_mark.column - indent) if isinstance(child, yaml.MappingNode) \
            and child.value and not child.flow_style else 2
        return _Block(k.start_mark.line, False, max(s[1] for s in spans.values()), spans, indent, max(step, 1))
    return _Block(None, False, len(lines), {}, 2, 2)


def _trim(lines: list[str], first: int, stop: int) -> int:
    """Move `stop` back over blank and comment-only lines (they belong to what follows)."""
    while stop > first and (not lines[stop - 1].strip() or lines[stop - 1].lstrip().startswith("#")):
        stop -= 1
    return stop


def render_inject(inject_id: str, spec: dict[str, Any], indent: int = 2, step: int = 2) -> list[str]:
    """An inject as block YAML lines, in the layout of the bundled scenarios."""
    pad, sub = " " * indent, " " * (indent + step)
    out = [f"{pad}{inject_id}:"]
    keys = [k for k in _INJECT_KEYS if k in spec] + [k for k in spec if k not in _INJECT_KEYS]
    for k in keys:
        v = spec[k]
        if k == "text":
            out.append(f"{sub}text:")
            for lang in ("es", "en"):
                out.append(f"{sub}{' ' * step}{lang}: {_quoted(v[lang])}")
        elif k == "from":
            out.append(f"{sub}from: {{es: {_quoted(v['es'])}, en: {_quoted(v['en'])}}}")
        elif k == "when":
            out.append(f"{sub}when: {_quoted(v)}")
        elif k == "effects":
            out.append(f"{sub}effects:")
            out.extend(f"{sub}  - {_flow(e)}" for e in v)
        else:
            out.append(f"{sub}{k}: {_flow(v)}")
    return out


def _splice(text: str, block: _Block, rendered: dict[str, list[str]], new_ids: list[str],
            all_specs: dict[str, dict[str, Any]]) -> str:
    lines = text.splitlines()
    trailing_newline = text.endswith("\n")
    eol = "\r\n" if "\r\n" in text else "\n"  # keep the file's line endings
    if block.key_line is None:
        body = [line for i in new_ids for line in rendered[i]]
        out = lines + ([""] if lines and lines[-1].strip() else []) + ["injects:"] + body
    elif block.flow:
        body = [line for i, spec in all_specs.items()
                for line in (rendered.get(i) or render_inject(i, spec, block.indent, block.step))]
        out = lines[: block.key_line] + ["injects:"] + body + lines[block.end_line:]
    else:
        out = []
        cursor = 0
        for iid, (first, stop) in sorted(block.spans.items(), key=lambda kv: kv[1][0]):
            if iid in rendered:
                out.extend(lines[cursor:first])
                out.extend(rendered[iid])
                cursor = stop
        insert_at = block.end_line
        out.extend(lines[cursor:insert_at])
        for i in new_ids:
            out.extend(rendered[i])
        out.extend(lines[insert_at:])
    return eol.join(out) + (eol if trailing_newline or block.key_line is None else "")


_PATH = re.compile(r"^injects\.([A-Za-z][A-Za-z0-9_]*)((?:\.[A-Za-z0-9_]+)*): (.*)$", re.S)


def _field_of(path: str) -> str:
    parts = [p for p in path.split(".") if p]
    head = parts[0] if parts else ""
    if head == "at":
        return "time"
    if head == "when":
        return "condition"
    if head in ("from", "text"):
        return f"{head}_{parts[1]}" if len(parts) > 1 and parts[1] in ("es", "en") else f"{head}_es"
    if head == "expect":
        sub = parts[1] if len(parts) > 1 else "any_of"
        if sub == "note":
            return f"notes_{parts[2]}" if len(parts) > 2 else "notes_es"
        return {"any_of": "expect", "within": "within", "contingency": "contingency"}.get(sub, "expect")
    return head if head in BY_FIELD else "id"


def _explain_problems(problems: list[Problem], rows: dict[str, _Row], sheet: Sheet,
                      scenario_name: str) -> list[SheetProblem | Problem]:
    """Loader problems of the merged text, told as the cells that caused them."""
    out: list[SheetProblem | Problem] = []
    for p in problems:
        m = _PATH.match(p.message)
        if m and m.group(1) in rows:
            r = rows[m.group(1)]
            f = _field_of(m.group(2).lstrip("."))
            if f not in r.columns:
                f = "id" if "id" in r.columns else next(iter(r.columns), "id")
            letter = r.columns.get(f, "")
            header = sheet.headers[_letter_index(letter) or 0] if letter else ""
            message = m.group(3)
            if message.startswith("give either 'at' or 'when'"):
                message = "give a scenario time or a condition, not both"
            if message.startswith("this inject never fires"):
                message = ("this inject never fires: give it a scenario time, a condition or manual: yes, "
                           "or name it as another row's contingency")
            out.append(SheetProblem(sheet.file, r.row, letter, f"{header + ': ' if header else ''}{message}"))
        else:
            out.append(Problem(scenario_name, 0, 0, f"after the import the scenario would not validate: {p.message}"))
    return out


def merge_msel(sheet: Sheet, scenario: Scenario, overrides: dict[str, str] | None = None,
               name: str | None = None) -> MergeResult:
    """Merge the sheet's rows into the scenario's injects; return the new text, validated.

    Rows whose ID names an existing inject update the fields the sheet has columns for
    (the others, e.g. effects when there is no Effects column, are kept); other rows
    become new injects, after the existing ones. Injects without a row stay as they are.
    Raises MselError (every bad row) or leaves nothing changed.
    """
    cols, notes = map_columns(sheet, overrides)
    raw_all = yaml.safe_load(scenario.text) or {}
    existing: dict[str, Any] = raw_all.get("injects") or {}
    problems: list[SheetProblem | Problem] = []
    cell_problems: list[SheetProblem] = []
    rows: dict[str, _Row] = {}
    letters = {f: column_letter(i) for f, i in cols.items()}
    if len(sheet.rows) > MAX_ROWS:
        raise _too_many(sheet.file)
    for row, cells in sheet.rows:
        iid = _row_id(sheet, row, cells, cols, cell_problems)
        if iid is None:  # still check the row's other cells, so one pass reports them all
            _row_spec(sheet, row, cells, cols, None, scenario, cell_problems)
            continue
        if iid in rows:
            cell_problems.append(SheetProblem(sheet.file, row, letters.get("id", letters.get("number", "")),
                                              f"{iid!r} is already on row {rows[iid].row}"))
            continue
        spec = _row_spec(sheet, row, cells, cols, existing.get(iid), scenario, cell_problems)
        row_letters = dict(letters)
        if "local_time" in cols and ("time" not in cols or cells[cols["time"]] in (None, "")):
            row_letters["time"] = letters["local_time"]  # the row's minute came from its local time
        rows[iid] = _Row(row, iid, spec if spec is not None else {}, row_letters, spec is not None)
    # Rows whose cells are good are merged and validated even when others are not, so that one
    # pass reports every bad row; nothing is written unless there is no problem at all.
    good = {i: r for i, r in rows.items() if r.ok}
    block = _locate(scenario.text)
    added = [i for i in good if i not in existing]
    changed = [i for i in good if i in existing and not _same(good[i].spec, existing[i])]
    unchanged = [i for i in good if i in existing and i not in changed]
    rendered = {i: render_inject(i, good[i].spec, block.indent, block.step) for i in added + changed}
    all_specs = {**existing, **{i: good[i].spec for i in good}}
    text = scenario.text if not (added or changed) else _splice(scenario.text, block, rendered, added, all_specs)
    label = name or scenario.path
    problems.extend(cell_problems)
    merged: Scenario | None = None
    try:
        merged = load_scenario_text(text, label)
    except ScenarioError as exc:
        problems.extend(_explain_problems(exc.problems, good, sheet, label))
    if problems or merged is None:
        problems.sort(key=lambda p: (getattr(p, "row", 0), _letter_index(getattr(p, "column", "")) or 0)
                      if isinstance(p, SheetProblem) else (0, 0))
        raise MselError(problems)  # type: ignore[arg-type]
    for iid in added:  # a new id that looks like an old one is more often a typo than a new inject
        close = difflib.get_close_matches(iid, [i for i in existing if i not in rows], n=1, cutoff=0.85) or \
            [i for i in existing if i.lower() == iid.lower()]
        if close:
            notes.append(f"{sheet.file}:{rows[iid].row}: {iid!r} is added as a new inject; did you mean the "
                         f"existing {close[0]!r}?")
    return MergeResult(text, added, changed, unchanged, notes, merged)


def parse_map(items: list[str] | None) -> dict[str, str]:
    """`--map COLUMN=FIELD` arguments as a dict; raise MselError for one without '='."""
    out: dict[str, str] = {}
    for item in items or []:
        col, sep, target = item.partition("=")
        if not sep or not col.strip() or not target.strip():
            raise MselError([SheetProblem("--map", 0, "", f"{item!r}: write COLUMN=FIELD, e.g. 'Hora=local_time'; "
                                          f"fields are {', '.join(FIELDS)} or ignore")])
        out[col.strip()] = target.strip()
    return out
