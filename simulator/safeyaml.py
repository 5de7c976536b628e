"""Safe YAML loading that remembers where every value came from.

Only the plain YAML types (maps, lists, strings, numbers, booleans, null) are
accepted. Any explicit tag such as ``!!python/object`` is an error, not an
object. Alias expansion, nesting depth and file size are bounded so that a
hostile file is refused quickly instead of exhausting memory.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import Problem

MAX_BYTES = 5 * 1024 * 1024
MAX_NODES = 200_000  # after alias expansion
MAX_DEPTH = 64

class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The safe loader, reading numbers as YAML 1.2 writes them (see `_YAML12_FLOAT`)."""


# A number as YAML 1.2 writes it that YAML 1.1 (PyYAML) reads as text: an exponent with no dot
# or no sign ("1e3", "2.5E-4") and a signed number with no digit before its dot ("-.0"). An
# implicit resolver: a quoted "1e3" or an explicit `!!str 1e3` stays text.
_YAML12_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$|^[-+]\.[0-9]+$")
_Loader.add_implicit_resolver("tag:yaml.org,2002:float", _YAML12_FLOAT, list("-+.0123456789"))
_constructor = yaml.SafeLoader(stream="")  # only for its scalar constructors

_PLAIN_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",  # kept as the text written
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
}

PathKey = tuple[str | int, ...]


@dataclass
class Located:
    """A loaded document plus the 1-based (line, col) of every value and map key."""

    file: str
    data: Any
    marks: dict[PathKey, tuple[int, int]] = field(default_factory=dict)
    key_marks: dict[PathKey, tuple[int, int]] = field(default_factory=dict)

    def where(self, path: PathKey, *, key: bool = False) -> tuple[int, int]:
        """Best location for `path`: the exact node, else its nearest located ancestor."""
        p = tuple(path)
        if key and p in self.key_marks:
            return self.key_marks[p]
        while p:
            if p in self.marks:
                return self.marks[p]
            p = p[:-1]
        return self.marks.get((), (1, 1))

    def problem(self, path: PathKey, message: str, *, key: bool = False) -> Problem:
        """A `Problem` located at `path` (its key when `key`)."""
        line, col = self.where(path, key=key)
        return Problem(self.file, line, col, message)


class _Refused(Exception):
    def __init__(self, mark: Any, message: str) -> None:
        self.mark = mark
        self.message = message


def _mark(node: yaml.Node) -> tuple[int, int]:
    m = node.start_mark
    return (m.line + 1, m.column + 1)


def load_text(text: str | bytes, file: str, *, max_bytes: int = MAX_BYTES) -> Located | Problem:
    """Parse YAML text; return the located document or the one problem that stops it."""
    if isinstance(text, bytes):
        if len(text) > max_bytes:
            return Problem(file, 0, 0, f"file is {len(text):,} bytes; the limit is {max_bytes:,}")
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            return Problem(file, 0, 0, f"not UTF-8 text (byte {exc.start}: {exc.reason})")
    if len(text) > max_bytes:
        return Problem(file, 0, 0, f"file is {len(text):,} characters; the limit is {max_bytes:,}")
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        msg = f"YAML syntax: {exc.problem or exc.context}"
        tab = _tab_near(text, mark)
        if tab is not None:
            return Problem(file, tab[0], tab[1], "a tab character: YAML indents with spaces only; replace the "
                           "tab with spaces (two per level, as in the lines around it)")
        if mark is not None:
            return Problem(file, mark.line + 1, mark.column + 1, msg)
        return Problem(file, 0, 0, msg)
    except yaml.YAMLError as exc:
        return Problem(file, 0, 0, f"YAML error: {exc}")
    except RecursionError:
        return Problem(file, 0, 0, "document is nested too deeply")
    loc = Located(file, None)
    if root is None:
        return Problem(file, 1, 1, "the file is empty")
    budget = [MAX_NODES]
    try:
        loc.data = _convert(root, (), loc, budget, 0)
    except _Refused as r:
        line, col = r.mark
        return Problem(file, line, col, r.message)
    return loc


def _tab_near(text: str, mark: Any) -> tuple[int, int] | None:
    """(line, col) of a tab in the indentation of the line a YAML error points to (or the line before)."""
    if mark is None:
        return None
    lines = text.splitlines()
    for n in (mark.line, mark.line - 1):
        if 0 <= n < len(lines):
            lead = lines[n][: len(lines[n]) - len(lines[n].lstrip(" \t"))]
            if "\t" in lead:
                return n + 1, lead.index("\t") + 1
    return None


def load_file(path: str | Path, *, max_bytes: int = MAX_BYTES) -> Located | Problem:
    """Read and parse a YAML file, refusing oversize or unreadable files before parsing."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > max_bytes:
            return Problem(str(path), 0, 0, f"file is {size:,} bytes; the limit is {max_bytes:,}")
        raw = p.read_bytes()
    except IsADirectoryError:
        return Problem(str(path), 0, 0, "is a directory, not a file")
    except FileNotFoundError:
        return Problem(str(path), 0, 0, "no such file")
    except OSError as exc:
        return Problem(str(path), 0, 0, f"cannot read: {exc.strerror or exc}")
    return load_text(raw, str(path), max_bytes=max_bytes)


def _convert(node: yaml.Node, path: PathKey, loc: Located, budget: list[int], depth: int) -> Any:
    budget[0] -= 1
    if budget[0] < 0:
        raise _Refused(_mark(node), f"document expands to more than {MAX_NODES:,} values (alias bomb?)")
    if depth > MAX_DEPTH:
        raise _Refused(_mark(node), f"nested more than {MAX_DEPTH} levels deep")
    if node.tag not in _PLAIN_TAGS:
        raise _Refused(_mark(node), f"tag {node.tag!r} is not allowed: scenario files are plain data")
    loc.marks[path] = _mark(node)
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for knode, vnode in node.value:
            if knode.tag == "tag:yaml.org,2002:merge":
                raise _Refused(_mark(knode), "merge keys ('<<') are not supported")
            if not isinstance(knode, yaml.ScalarNode):
                raise _Refused(_mark(knode), "map keys must be plain text")
            key = knode.value
            if key in out:
                raise _Refused(_mark(knode), f"duplicate key {key!r}")
            loc.key_marks[path + (key,)] = _mark(knode)
            out[key] = _convert(vnode, path + (key,), loc, budget, depth + 1)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_convert(v, path + (i,), loc, budget, depth + 1) for i, v in enumerate(node.value)]
    tag = node.tag
    if tag in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float") and ":" in node.value:
        return str(node.value)  # 1:30 is not ninety (YAML 1.1's base 60): the loader says what it is
    if tag == "tag:yaml.org,2002:int":
        return _constructor.construct_yaml_int(node)
    if tag == "tag:yaml.org,2002:float":
        return _constructor.construct_yaml_float(node)
    if tag == "tag:yaml.org,2002:bool":
        return _constructor.construct_yaml_bool(node)
    if tag == "tag:yaml.org,2002:null":
        return None
    return str(node.value)
