"""The scenario expression language: small, checked at load time, never `eval`.

Expressions use a subset of Python's expression syntax::

    0.02 * agitation * (0.5 if lockdown else 1)
    hostages > 0 and cert.on_scene >= 2
    clamp(agitation - 0.1 * t / 60, 0, 10)

Allowed: numbers, true/false, names (state quantities, ``t``, and dotted names
such as ``cert.ready`` or ``DP1.retake_now``), arithmetic (+ - * / // % **),
comparisons, and/or/not, ``a if c else b`` and the functions in `FUNCTIONS`.
The text is parsed once with Python's parser and checked while it is turned into closures
over a name -> value mapping; the checked tree is then rebuilt as one Python function
(`_fast`: a new syntax tree of names, operators and the helpers here, compiled; the text itself
is never evaluated), which gives the same values with far fewer calls. Evaluation is total: all
arithmetic is in floats, division by zero gives 0, overflow gives infinity, and
floor/ceil/round pass infinity and NaN through, so an exercise in class never stops on
arithmetic (the model clamps non-finite results where it uses them, with a warning).

An expression that fails says what to write instead (`fix_hint`, `unit_fix`): ``x = 1``
asks for ``==``, ``&&`` for ``and``, ``3/h`` says rates are per hour and carry no unit,
``50%`` asks for ``0.5``. These are looked for only once an expression has failed.
"""

from __future__ import annotations

import ast
import math
import operator
import re
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

MAX_LENGTH = 2000
# Every number a scenario writes (in YAML or inside an expression) is finite and at most this
# large in magnitude: minutes, counts and amounts beyond a billion are typing mistakes.
MAX_NUMBER = 1e9

Env = Mapping[str, float]
Fn = Callable[[Env], float]

# `since(X)` reads `t - <SINCE>X`: the table holds the minute X last happened under that name
# (NaN before, so that every comparison with `since(X)` is false until X happens).
SINCE = "since:"


class ExprError(Exception):
    """An expression does not parse or uses something the language lacks."""

    def __init__(self, message: str, offset: int = 0) -> None:
        self.offset = offset  # 0-based character offset in the expression text
        super().__init__(message)


def _clamp(x: float, lo: float, hi: float) -> float:
    return lo if x < lo else hi if x > hi else x


def _safe_log(x: float) -> float:
    return math.log(x) if x > 0 else -math.inf


def _safe_sqrt(x: float) -> float:
    return math.sqrt(x) if x > 0 else 0.0


def _whole(f: Callable[[float], float]) -> Callable[[float], float]:
    def total(x: float) -> float:
        x = float(x)
        return float(f(x)) if math.isfinite(x) else x
    return total


def _safe_exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


FUNCTIONS: dict[str, tuple[Callable[..., float], int, int]] = {
    # name: (function, min args, max args)
    "min": (min, 2, 8),
    "max": (max, 2, 8),
    "abs": (abs, 1, 1),
    "clamp": (_clamp, 3, 3),
    "floor": (_whole(math.floor), 1, 1),
    "ceil": (_whole(math.ceil), 1, 1),
    "round": (_whole(round), 1, 1),
    "exp": (_safe_exp, 1, 1),
    "log": (_safe_log, 1, 1),
    "sqrt": (_safe_sqrt, 1, 1),
}

_CONSTANTS = {"true": True, "false": False, "True": True, "False": False}


def _div(a: float, b: float) -> float:
    return a / b if b else 0.0


def _floordiv(a: float, b: float) -> float:
    return a // b if b else 0.0


def _mod(a: float, b: float) -> float:
    return a % b if b else 0.0


def _pow(a: float, b: float) -> float:
    try:
        r = math.pow(a, b)
    except OverflowError:
        return math.inf
    except ValueError:
        return 0.0
    return r


_BINOPS: dict[type, Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: _div,
    ast.FloorDiv: _floordiv,
    ast.Mod: _mod,
    ast.Pow: _pow,
}
_CMPOPS: dict[type, Callable[[float, float], bool]] = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}


# Operators Python parses but the language lacks: what to write instead.
_BAD_BINOP: dict[type, str] = {
    ast.BitXor: "^ is not a power: write ** (agitation ** 2)",
    ast.BitAnd: "& is not allowed: write `and`",
    ast.BitOr: "| is not allowed: write `or`",
    ast.LShift: "<< is not allowed (no bit operations)",
    ast.RShift: ">> is not allowed (no bit operations)",
    ast.MatMult: "@ is not allowed",
}
_BAD_CMP: dict[type, str] = {
    ast.Is: "`is` does not compare numbers: write ==",
    ast.IsNot: "`is not` does not compare numbers: write !=",
    ast.In: "`in` is not allowed: compare with == and join with `or`",
    ast.NotIn: "`not in` is not allowed: compare with != and join with `and`",
}


@dataclass(frozen=True)
class Expr:
    """A compiled expression: call it with the name -> value mapping."""

    text: str
    fn: Fn = field(compare=False)  # the same text and names compile to the same function
    names: tuple[str, ...]  # every name it reads, sorted (deterministic)

    def __call__(self, env: Env) -> float:
        return self.fn(env)

    @property
    def is_constant(self) -> bool:
        """True when it reads no name."""
        return not self.names

    def __reduce__(self) -> tuple[Callable[[str, tuple[str, ...]], Expr], tuple[str, tuple[str, ...]]]:
        """Pickled as its text and names, compiled again when unpickled (its function cannot travel).

        What-if workers receive policies this way: a reactive policy's `on` conditions are Exprs.
        """
        return _from_text, (self.text, self.names)


def _from_text(text: str, names: tuple[str, ...]) -> Expr:
    """An unpickled `Expr`: its text compiled again, knowing exactly the names it read."""
    return compile_expr(text, frozenset(names).__contains__)


def constant(value: float) -> Expr:
    """An expression that always gives `value` (numbers written in YAML become these)."""
    v = value
    return Expr(repr(value), lambda _env: v, ())


def compile_expr(text: str, known: Callable[[str], bool]) -> Expr:
    """Parse `text`, check every name with `known`, and build its closure.

    Raises ExprError with a character offset on any problem.
    """
    if len(text) > MAX_LENGTH:
        raise ExprError(f"expression is {len(text)} characters; the limit is {MAX_LENGTH}")
    if not text.strip():
        raise ExprError("empty expression")
    try:
        tree = _parse(text)
    except SyntaxError as exc:
        off = max((exc.offset or 1) - 1, 0) + len(text) - len(text.lstrip())
        raise fix_hint(text) or ExprError(f"cannot parse expression: {exc.msg}", off) from None
    except (RecursionError, MemoryError, ValueError):
        raise ExprError("expression is too deeply nested") from None
    lead = len(text) - len(text.lstrip())
    names: set[str] = set()
    try:
        tree = _since(tree, known, lead)
        fn = _build(tree.body, known, names, lead)
    except RecursionError:
        raise ExprError("expression is too deeply nested") from None
    except ExprError as exc:
        raise _unit_hint(text, exc) or exc from None
    return Expr(text, _fast(tree.body, known, names, lead) or fn, tuple(sorted(names)))


def _since(tree: ast.Expression, known: Callable[[str], bool], lead: int) -> ast.Expression:
    """Each `since(X)` rewritten as `t - since:X` (checked: X must be an id `known` accepts)."""

    class Rewrite(ast.NodeTransformer):
        def visit_Call(self, n: ast.Call) -> ast.AST:
            self.generic_visit(n)
            if not (isinstance(n.func, ast.Name) and n.func.id == "since"):
                return n
            off = n.col_offset + lead
            if len(n.args) != 1 or n.keywords or not isinstance(n.args[0], ast.Name):
                raise ExprError("since() takes one id: of an inject, a decision point or a process", off)
            ident = n.args[0].id
            if not known(SINCE + ident):
                raise ExprError(f"since({ident}): no inject, decision point or process called {ident!r}", off)
            new = ast.BinOp(ast.copy_location(ast.Name("t", ast.Load()), n), ast.Sub(),
                            ast.copy_location(ast.Name(SINCE + ident, ast.Load()), n))
            return ast.copy_location(new, n)

    if not any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "since"
               for n in ast.walk(tree)):
        return tree
    return ast.fix_missing_locations(Rewrite().visit(tree))


_HELPERS: dict[str, object] = {"_div": _div, "_floordiv": _floordiv, "_mod": _mod, "_pow": _pow, "bool": bool}
_PYOPS = {ast.Add, ast.Sub, ast.Mult}  # the same as operator.add/sub/mul


def _fast(body: ast.AST, known: Callable[[str], bool], names: set[str], lead: int) -> Fn | None:
    """The checked expression as one compiled function; None when Python cannot compile it."""
    consts: dict[str, object] = {}
    reading: dict[int, bool] = {}  # id(node) -> does its subtree read a name (as `_reads_names`)

    def reads(n: ast.AST) -> bool:
        r = reading.get(id(n))
        if r is None:
            own = isinstance(n, ast.Name) and n.id not in _CONSTANTS
            r = reading[id(n)] = any([own] + [reads(c) for c in ast.iter_child_nodes(n)])
        return r

    def const(value: object) -> ast.expr:
        key = f"_k{len(consts)}"
        consts[key] = value
        return ast.Name(key, ast.Load())

    def call(fname: str, args: list[ast.expr]) -> ast.expr:
        return ast.Call(ast.Name(fname, ast.Load()), args, [])

    def node(n: ast.AST) -> ast.expr:
        if isinstance(n, ast.Constant):
            return const(_build(n, known, names, lead)({}))
        if isinstance(n, ast.Name | ast.Attribute):
            name = _dotted(n)
            assert name is not None
            if name in _CONSTANTS:
                return const(_CONSTANTS[name])
            return ast.Subscript(ast.Name("e", ast.Load()), ast.Constant(name), ast.Load())
        if not reads(n):  # a constant part: the very value the closures fold it to
            return const(_build(n, known, names, lead)({}))
        if isinstance(n, ast.BinOp):
            a, b = node(n.left), node(n.right)
            if type(n.op) in _PYOPS:
                return ast.BinOp(a, type(n.op)(), b)
            helper = {ast.Div: "_div", ast.FloorDiv: "_floordiv", ast.Mod: "_mod", ast.Pow: "_pow"}[type(n.op)]
            return call(helper, [a, b])
        if isinstance(n, ast.UnaryOp):
            x = node(n.operand)
            if isinstance(n.op, ast.UAdd):
                return x
            return ast.UnaryOp(type(n.op)(), x)
        if isinstance(n, ast.BoolOp):  # each operand made a bool, as the closures do (a no-op where it is one)
            return ast.BoolOp(type(n.op)(), [node(v) if _is_bool(v) else call("bool", [node(v)]) for v in n.values])
        if isinstance(n, ast.Compare):
            return ast.Compare(node(n.left), [type(o)() for o in n.ops], [node(c) for c in n.comparators])
        if isinstance(n, ast.IfExp):
            return ast.IfExp(node(n.test), node(n.body), node(n.orelse))
        if isinstance(n, ast.Call):
            assert isinstance(n.func, ast.Name)
            return call(_fn_name(n.func.id, consts), [node(a) for a in n.args])
        raise AssertionError(type(n).__name__)  # _build has refused everything else

    try:
        tree = ast.Expression(ast.Lambda(
            ast.arguments([], [ast.arg("e")], None, [], [], None, []), node(body)))
        code = compile(ast.fix_missing_locations(tree), "<expression>", "eval")
    except (RecursionError, MemoryError, SyntaxError, ValueError):
        return None
    return eval(code, {"__builtins__": {}, **_HELPERS, **consts})  # noqa: S307 (a tree built here, not text)


def _is_bool(n: ast.AST) -> bool:
    """Is the node's value always a bool already (a comparison, `not`, and/or, true/false)?"""
    if isinstance(n, ast.Compare | ast.BoolOp):
        return True
    if isinstance(n, ast.UnaryOp):
        return isinstance(n.op, ast.Not)
    if isinstance(n, ast.Constant):
        return isinstance(n.value, bool)
    return isinstance(n, ast.Name) and n.id in _CONSTANTS


def _fn_name(fname: str, consts: dict[str, object]) -> str:
    key = f"_fn_{fname}"
    consts[key] = FUNCTIONS[fname][0]
    return key


def _dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return None if base is None else f"{base}.{node.attr}"
    return None


def _reads_names(node: ast.AST) -> bool:
    """Does the subtree read any name (other than true/false)?"""
    return any(isinstance(n, ast.Name) and n.id not in _CONSTANTS for n in ast.walk(node))


def _build(node: ast.AST, known: Callable[[str], bool], names: set[str], lead: int) -> Fn:
    fn = _build_node(node, known, names, lead)
    if not isinstance(node, ast.Constant | ast.Name | ast.Attribute) and not _reads_names(node):
        value = fn({})  # a constant part (evaluation is total): computed once, at load time
        return lambda _e: value
    return fn


def _build_node(node: ast.AST, known: Callable[[str], bool], names: set[str], lead: int) -> Fn:
    off = getattr(node, "col_offset", 0) + lead
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool):
            b = node.value
            return lambda _e: b
        if isinstance(node.value, int | float):
            try:
                v = float(node.value)
            except OverflowError:
                v = math.inf
            if not math.isfinite(v) or abs(v) > MAX_NUMBER:
                text = str(node.value) if isinstance(node.value, float) or node.value < 10**20 else f"{str(node.value)[:12]}..."
                raise ExprError(f"number {text} is out of range (at most {MAX_NUMBER:g} in magnitude)", off)
            return lambda _e: v
        if isinstance(node.value, str):
            raise ExprError(f"{node.value!r}: quoted text is not a value in an expression; compare numbers, or "
                            "read a name such as DP1.OPTION (1 once that option was chosen)", off)
        raise ExprError(f"only numbers are allowed here, not {type(node.value).__name__}", off)
    if isinstance(node, ast.Name | ast.Attribute):
        name = _dotted(node)
        if name is None:
            raise ExprError("only plain or dotted names are allowed", off)
        if name in _CONSTANTS:
            c = _CONSTANTS[name]
            return lambda _e: c
        if not known(name):
            raise ExprError(f"unknown name {name!r}", off)
        names.add(name)
        return lambda e: e[name]
    if isinstance(node, ast.BinOp):
        op = _BINOPS.get(type(node.op))
        if op is None:
            raise ExprError(_BAD_BINOP.get(type(node.op), f"operator {type(node.op).__name__} is not allowed"), off)
        a = _build(node.left, known, names, lead)
        b = _build(node.right, known, names, lead)
        if not _reads_names(node.right):
            cb = b({})
            return lambda e: op(a(e), cb)
        if not _reads_names(node.left):
            ca = a({})
            return lambda e: op(ca, b(e))
        return lambda e: op(a(e), b(e))
    if isinstance(node, ast.UnaryOp):
        x = _build(node.operand, known, names, lead)
        if isinstance(node.op, ast.USub):
            return lambda e: -x(e)
        if isinstance(node.op, ast.UAdd):
            return x
        if isinstance(node.op, ast.Not):
            return lambda e: not x(e)
        raise ExprError("operator ~ is not allowed: write `not x` for 'x is false'", off)
    if isinstance(node, ast.BoolOp):
        parts = [_build(v, known, names, lead) for v in node.values]
        if len(parts) == 2:
            p0, p1 = parts
            if isinstance(node.op, ast.And):
                return lambda e: bool(p0(e)) and bool(p1(e))
            return lambda e: bool(p0(e)) or bool(p1(e))
        if isinstance(node.op, ast.And):
            return lambda e: all(p(e) for p in parts)
        return lambda e: any(p(e) for p in parts)
    if isinstance(node, ast.Compare):
        left = _build(node.left, known, names, lead)
        ops = []
        for op_node, right in zip(node.ops, node.comparators, strict=True):
            op = _CMPOPS.get(type(op_node))
            if op is None:
                raise ExprError(_BAD_CMP.get(type(op_node), f"comparison {type(op_node).__name__} is not allowed"),
                                off)
            ops.append((op, _build(right, known, names, lead)))
        if len(ops) == 1:
            (op, right_fn), = ops
            if not _reads_names(node.comparators[0]):
                cr = right_fn({})
                return lambda e: op(left(e), cr)
            return lambda e: op(left(e), right_fn(e))

        def chain(e: Env) -> bool:
            a = left(e)
            for op, rf in ops:
                b = rf(e)
                if not op(a, b):
                    return False
                a = b
            return True

        return chain
    if isinstance(node, ast.IfExp):
        c = _build(node.test, known, names, lead)
        a = _build(node.body, known, names, lead)
        b = _build(node.orelse, known, names, lead)
        return lambda e: a(e) if c(e) else b(e)
    if isinstance(node, ast.Call):
        fname = node.func.id if isinstance(node.func, ast.Name) else None
        if fname not in FUNCTIONS:
            allowed = ", ".join(sorted(FUNCTIONS))
            raise ExprError(f"unknown function {fname or '?'}; allowed: {allowed}", off)
        if node.keywords:
            raise ExprError("functions take no keyword arguments", off)
        f, lo, hi = FUNCTIONS[fname]
        if not lo <= len(node.args) <= hi:
            raise ExprError(f"{fname}() takes {lo}" + (f" to {hi}" if hi != lo else "") + " arguments", off)
        args = [_build(a, known, names, lead) for a in node.args]
        if len(args) == 1:
            (a0,) = args
            return lambda e: f(a0(e))
        return lambda e: f(*(a(e) for a in args))
    raise ExprError(f"{type(node).__name__} is not allowed in an expression", off)


# ----------------------------------------------------------------------------- messages that tell the fix
# An author's typical slips, each turned into a message that says what to write instead.
# They are looked for only once an expression has failed, so a valid expression is never
# second-guessed.

# Unit words an author may append to a number, with their length in minutes.
_UNIT_MINUTES: dict[str, float] = {
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds", "seg", "segundo", "segundos"), 1 / 60),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes", "minuto", "minutos"), 1.0),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours", "hora", "horas"), 60.0),
    **dict.fromkeys(("d", "day", "days", "dia", "día", "dias", "días"), 1440.0),
}
_UNIT_RE = re.compile(
    r"(?<![\w.])(?P<num>\d+(?:\.\d*)?|\.\d+)\s*(?P<per>/|\bper\b|\bpor\b|\ban?\b|\beach\b|\bevery\b|\bcada\b|\bal\b|\ba la\b)?"
    r"\s*(?P<unit>[A-Za-zÀ-ÿ]+)\b")
_NO_UNITS = "numbers in a scenario carry no unit"
_RATE_RULE = "a rate is occurrences per hour, written as a number or an expression of the state"
_TIME_RULE = "times are minutes, written as a number or an expression of the state"


def _num(x: float) -> str:
    return f"{x:.4g}"


def unit_fix(text: str) -> tuple[int, str] | None:
    """(offset, message) when `text` writes a number with a unit ("3/h", "5 min"), else None."""
    for m in _UNIT_RE.finditer(text):
        unit = m.group("unit")
        minutes = _UNIT_MINUTES.get(unit.lower())
        if minutes is None:
            continue
        n = float(m.group("num"))
        written = m.group(0).strip()
        if m.group("per"):  # a rate: occurrences per unit of time
            per_hour = n * 60 / minutes
            conv = "" if minutes == 60 else f"{m.group('num')} per {unit} is {_num(per_hour)} per hour: "
            return m.start(), f"{written!r}: {_NO_UNITS}; {_RATE_RULE}: {conv}write {_num(per_hour)}"
        conv = "" if minutes == 1 else f"{m.group('num')} {unit} is {_num(n * minutes)} minutes: "
        return m.start(), f"{written!r}: {_NO_UNITS}; {_TIME_RULE}: {conv}write {_num(n * minutes)}"
    return None


def _unit_hint(text: str, exc: ExprError) -> ExprError | None:
    """A unit read as a name ("3/h" reads `h`): say what to write instead."""
    msg = str(exc)
    if not msg.startswith("unknown name "):
        return None
    name = msg.split("'")[1] if "'" in msg else ""
    if name.lower() not in _UNIT_MINUTES:
        return None
    found = unit_fix(text)
    if found is not None:
        return ExprError(found[1], found[0])
    return ExprError(f"unknown name {name!r}: it looks like a unit, and {_NO_UNITS} ({_RATE_RULE}; "
                     f"{_TIME_RULE}): remove it", exc.offset)


def _parse(text: str) -> ast.Expression:
    """Python's parse of an expression, without the SyntaxWarnings it prints for `0and` or `1if`."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        return ast.parse(text.strip(), mode="eval")


def _parses(text: str) -> bool:
    try:
        _parse(text)
    except (SyntaxError, RecursionError, MemoryError, ValueError):
        return False
    return True


# (pattern, replacement, what to say): symbols from other languages and spreadsheets first.
_SLIPS: tuple[tuple[str, str, str], ...] = (
    (r"=>", ">=", "write >= for 'at least' (=> is not an operator)"),
    (r"=<", "<=", "write <= for 'at most' (=< is not an operator)"),
    (r"<>", "!=", "write != for 'not equal'"),
    (r"&&", " and ", "write `and` (not &&)"),
    (r"\|\|", " or ", "write `or` (not ||)"),
    (r"!(?!=)", "not ", "write `not x` (not !x); != is 'not equal'"),
    (r"(?<![=<>!])=(?![=<>])", "==", "use == to compare (a single = does not compare)"),
)
# Words that are only a slip when swapping them makes the expression parse.
_WORDS: tuple[tuple[str, str, str], ...] = (
    (r"\bAND\b|\bAnd\b", "and", "write `and` in lower case"),
    (r"\bOR\b|\bOr\b", "or", "write `or` in lower case"),
    (r"\bNOT\b|\bNot\b", "not", "write `not` in lower case"),
    (r"\by\b", "and", "write `and` (expressions use Python's words: and, or, not)"),
    (r"\bo\b", "or", "write `or` (expressions use Python's words: and, or, not)"),
    (r"\bno\b", "not", "write `not` (expressions use Python's words: and, or, not)"),
    (r"\b(?:si|sí)\b", "if", "write `A if CONDITION else B` (Python's words: if, else)"),
    (r"\bsino\b|\bsi no\b", "else", "write `A if CONDITION else B` (Python's words: if, else)"),
)
_PERCENT = re.compile(r"(\d+(?:\.\d*)?)\s*%")


def fix_hint(text: str) -> ExprError | None:
    """For an expression that does not parse: the slip it makes, where, and what to write instead."""
    found = unit_fix(text)
    if found is not None:
        return ExprError(*reversed(found))
    pct = _PERCENT.search(text)
    if pct is not None:
        fixed = _PERCENT.sub(lambda m: _num(float(m.group(1)) / 100), text)
        if _parses(fixed):
            v = _num(float(pct.group(1)) / 100)
            return ExprError(f"{pct.group(0)!r}: a probability or share is a fraction between 0 and 1: write {v} "
                             f"for {pct.group(1)} %", pct.start())
    slips: list[tuple[int, int, str, str, str]] = []  # (offset, order, pattern, replacement, message)
    for i, (pattern, repl, say) in enumerate(_SLIPS):
        m = re.search(pattern, text)
        if m is not None:
            slips.append((m.start(), i, pattern, repl, say))
    symbols_fixed = text
    for _, _, pattern, repl, _ in slips:
        symbols_fixed = re.sub(pattern, repl, symbols_fixed)
    for i, (pattern, repl, say) in enumerate(_WORDS, len(_SLIPS)):
        m = re.search(pattern, symbols_fixed)
        if m is not None and _parses(re.sub(pattern, repl, symbols_fixed)):
            at = re.search(pattern, text)
            slips.append((at.start() if at else 0, i, pattern, repl, say))
    if not slips:
        return None
    off, _, _, _, say = min(slips)
    fixed = text
    for _, _, pattern, repl, _ in sorted(slips, key=lambda s: s[1]):
        fixed = re.sub(pattern, repl, fixed)
    fixed = " ".join(fixed.split())
    if _parses(fixed) and len(fixed) <= 80:
        say += f": {fixed}"
    return ExprError(say, off)
