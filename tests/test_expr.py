"""The expression language: what it accepts, what it refuses, and how it computes."""

import pytest

from simulator.expr import ExprError, compile_expr

NAMES = {"a", "b", "cert.free", "DP1.retake", "t"}


def known(n: str) -> bool:
    return n in NAMES


def ev(text: str, **env: float) -> float:
    e = compile_expr(text, known)
    full = {n: 0.0 for n in NAMES}
    full.update({k.replace("__", "."): v for k, v in env.items()})
    return e(full)


def test_arithmetic_comparisons_and_conditionals():
    assert ev("1 + 2 * a", a=3) == 7
    assert ev("a if b > 1 else 10", a=2, b=3) == 2
    assert ev("a if b > 1 else 10", a=2, b=0) == 10
    assert ev("0 < a <= 5", a=5) is True
    assert ev("not a and b", a=0, b=1) is True
    assert ev("clamp(a, 0, 1)", a=7) == 1
    assert ev("max(a, b, 3)", a=1, b=2) == 3


def test_dotted_names_are_read_from_the_environment():
    e = compile_expr("cert.free >= 2 and DP1.retake", known)
    assert e.names == ("DP1.retake", "cert.free")
    assert e({"cert.free": 2, "DP1.retake": 1}) is True


def test_division_by_zero_gives_zero_and_overflow_gives_infinity():
    assert ev("a / b", a=1, b=0) == 0
    assert ev("a % b", a=1, b=0) == 0
    assert ev("exp(a)", a=10000) == float("inf")
    assert ev("10 ** a", a=10000) == float("inf")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("__import__('os')", "unknown function"),
        ("a.__class__", "unknown name"),
        ("open('x')", "unknown function"),
        ("zz + 1", "unknown name 'zz'"),
        ("'text'", "only numbers"),
        ("[1, 2]", "List is not allowed"),
        ("lambda: 1", "Lambda is not allowed"),
        ("a +", "cannot parse"),
        ("min(a)", "min() takes 2 to 8 arguments"),
        ("a @ b", "MatMult is not allowed"),
        ("(" * 300 + "1" + ")" * 300, "nested"),
        ("a" * 3000, "limit is 2000"),
        ("", "empty"),
    ],
)
def test_refused_expressions_say_why(text, fragment):
    with pytest.raises(ExprError) as exc:
        compile_expr(text, known)
    assert fragment in str(exc.value)


def test_error_offset_points_at_the_bad_name():
    with pytest.raises(ExprError) as exc:
        compile_expr("a + zz", known)
    assert exc.value.offset == 4
