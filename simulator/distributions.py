"""Distributions of waiting times and amounts: their parameters, load-time checks and draws.

"Add a distribution" is one entry in `KINDS`: its parameter names (the schema and the
loader read them from here), the checks on parameters written as constants, how run-time
parameter values are brought into range, and how one value is drawn.

Run-time parameters may be expressions of the state, so they can leave their valid range
while the exercise runs (a triangular mode above its high end, a binomial p that is NaN).
`draw` never raises on them: each is brought to the nearest valid value and `warn` is told
once, so the instructor sees it in the event feed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .expr import Expr, constant

if TYPE_CHECKING:
    from .loading import Builder
    from .safeyaml import PathKey

# Largest magnitude a run-time number may take (parameters, draws, amounts); beyond it a
# value is clamped and a warning event says so.
RUN_MAX = 1e12

Warn = Callable[[str, str, dict[str, str]], None]  # (where, key, {"es", "en"} text)


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
    where: str = ""  # the scenario path it was written at, for warnings

    def __post_init__(self) -> None:
        kind = KINDS.get(self.kind)
        object.__setattr__(self, "_repair", kind.repair if kind is not None else None)  # what `_evaluate` calls
        # Parameters that read no name: evaluated and repaired once, here (see `draw`).
        fixed = None
        if self.kind in KINDS and all(e.is_constant for e in self.params.values()):
            fixed = _evaluate(self, {})
        object.__setattr__(self, "_fixed", fixed)
        object.__setattr__(self, "_sample", kind.sample if kind is not None else None)  # what `draw` calls
        object.__setattr__(self, "_plain", self.kind in PLAIN_KINDS)

    @property
    def names(self) -> tuple[str, ...]:
        """Every state name its parameters read, sorted."""
        return tuple(sorted({n for e in self.params.values() for n in e.names}))


Const = Callable[[str], float | None]  # a parameter's value when written as a constant, else None
Fix = list[tuple[str, float, float]]  # (parameter, value found, value used)


@dataclass(frozen=True)
class DistKind:
    """One kind of distribution: parameter names, constant checks, run-time repair, draw."""

    params: tuple[str, ...]
    check: Callable[[Const], list[tuple[str | None, str]]]  # -> (parameter or None, message)
    repair: Callable[[dict[str, float], Fix], None]  # bring run-time values into range in place
    sample: Callable[[Any, dict[str, float], Dist], float]  # (generator, parameters, dist)
    time_nonneg: tuple[str, ...] = ()  # parameters that may be negative in an amount, never in a time


def _no_check(c: Const) -> list[tuple[str | None, str]]:
    return []


def _at_least(name: str, lo: float) -> Callable[[dict[str, float], Fix], None]:
    def fix(a: dict[str, float], out: Fix) -> None:
        if a[name] < lo:
            out.append((name, a[name], lo))
            a[name] = lo
    return fix


def _nonneg_check(*names: str) -> Callable[[Const], list[tuple[str | None, str]]]:
    def check(c: Const) -> list[tuple[str | None, str]]:
        return [(n, f"{n} cannot be negative") for n in names if (c(n) or 0.0) < 0]
    return check


def _uniform_check(c: Const) -> list[tuple[str | None, str]]:
    lo, hi = c("low"), c("high")
    return [(None, "uniform: low is above high")] if lo is not None and hi is not None and lo > hi else []


def _uniform_repair(a: dict[str, float], out: Fix) -> None:
    if a["high"] < a["low"]:
        out.append(("high", a["high"], a["low"]))
        a["high"] = a["low"]


def _uniform(rng: np.random.Generator, a: dict[str, float], d: Dist) -> float:
    lo, hi = a["low"], a["high"]
    return lo + (hi - lo) * rng.random() if hi > lo else lo


def _triangular_check(c: Const) -> list[tuple[str | None, str]]:
    lo, mo, hi = c("low"), c("mode"), c("high")
    if lo is not None and mo is not None and hi is not None and not lo <= mo <= hi:
        return [(None, "triangular: needs low <= mode <= high")]
    return []


def _triangular_repair(a: dict[str, float], out: Fix) -> None:
    if a["high"] < a["low"]:
        out.append(("high", a["high"], a["low"]))
        a["high"] = a["low"]
    mo = min(max(a["mode"], a["low"]), a["high"])
    if mo != a["mode"]:
        out.append(("mode", a["mode"], mo))
        a["mode"] = mo


def _triangular(rng: np.random.Generator, a: dict[str, float], d: Dist) -> float:
    lo, mo, hi = a["low"], a["mode"], a["high"]
    return float(rng.triangular(lo, mo, hi)) if hi > lo else lo


def _normal(rng: np.random.Generator, a: dict[str, float], d: Dist) -> float:
    return a["mean"] + a["sd"] * rng.standard_normal()


def _lognormal_check(c: Const) -> list[tuple[str | None, str]]:
    out = _nonneg_check("median", "sigma")(c)
    return out + ([("median", "lognormal median must be above 0")] if c("median") == 0 else [])


def _lognormal(rng: np.random.Generator, a: dict[str, float], d: Dist) -> float:
    med = a["median"]
    if med <= 0:
        return 0.0
    z = a["sigma"] * rng.standard_normal()
    return med * math.exp(z) if z < 700 else RUN_MAX


def _exponential(rng: np.random.Generator, a: dict[str, float], d: Dist) -> float:
    m = a["mean"]
    return m * rng.standard_exponential() if m > 0 else 0.0


def _poisson_repair(a: dict[str, float], out: Fix) -> None:
    _at_least("mean", 0.0)(a, out)
    if a["mean"] > 1e9:  # numpy refuses huge means; a billion is already far beyond a scenario
        out.append(("mean", a["mean"], 1e9))
        a["mean"] = 1e9


def _poisson(rng: np.random.Generator, a: dict[str, float], d: Dist) -> float:
    m = a["mean"]
    return float(rng.poisson(m)) if m > 0 else 0.0


def _binomial_check(c: Const) -> list[tuple[str | None, str]]:
    p = c("p")
    if p is None or 0 <= p <= 1:
        return []
    pct = f"; for {p:g} % write {p / 100:g}" if 1 < p <= 100 else ""
    return [("p", f"binomial p is a probability, between 0 and 1{pct}")]


def _binomial_repair(a: dict[str, float], out: Fix) -> None:
    n = float(math.floor(min(max(a["n"], 0.0), 1e9)))  # a whole number of trials
    if n != a["n"]:
        out.append(("n", a["n"], n))
        a["n"] = n
    p = min(max(a["p"], 0.0), 1.0)
    if p != a["p"]:
        out.append(("p", a["p"], p))
        a["p"] = p


def _binomial(rng: np.random.Generator, a: dict[str, float], d: Dist) -> float:
    n = int(a["n"])
    return float(rng.binomial(n, a["p"])) if n > 0 else 0.0


def _empirical(rng: np.random.Generator, a: dict[str, float], d: Dist) -> float:
    vals = d.values
    if d.weights:
        w = np.asarray(d.weights, dtype=float)
        return float(vals[int(rng.choice(len(vals), p=w / w.sum()))])
    return float(vals[int(rng.integers(len(vals)))])


def _none(a: dict[str, float], out: Fix) -> None:
    return None


def _both(*fixes: Callable[[dict[str, float], Fix], None]) -> Callable[[dict[str, float], Fix], None]:
    def fix(a: dict[str, float], out: Fix) -> None:
        for f in fixes:
            f(a, out)
    return fix


KINDS: dict[str, DistKind] = {
    "fixed": DistKind(("value",), _no_check, _none, lambda rng, a, d: a["value"]),
    "uniform": DistKind(("low", "high"), _uniform_check, _uniform_repair, _uniform),
    "triangular": DistKind(("low", "mode", "high"), _triangular_check, _triangular_repair, _triangular),
    "normal": DistKind(("mean", "sd"), _nonneg_check("sd"), _at_least("sd", 0.0), _normal, time_nonneg=("mean",)),
    "lognormal": DistKind(("median", "sigma"), _lognormal_check, _both(_at_least("median", 0.0),
                                                                       _at_least("sigma", 0.0)), _lognormal),
    "exponential": DistKind(("mean",), _nonneg_check("mean"), _at_least("mean", 0.0), _exponential),
    "poisson": DistKind(("mean",), _nonneg_check("mean"), _poisson_repair, _poisson),
    "binomial": DistKind(("n", "p"), _binomial_check, _binomial_repair, _binomial),
    "empirical": DistKind(("values",), _no_check, _none, _empirical),
}
PARAMS: dict[str, list[str]] = {k: list(v.params) for k, v in KINDS.items()}  # the schema's view
# Kinds whose draw reads only `rng.random()` / `rng.triangular()`: a stream's plain-Python
# steps serve them (`streams.Source`); every other kind is handed the numpy generator.
PLAIN_KINDS = frozenset({"uniform", "triangular"})


def finite(x: float) -> tuple[float, bool]:
    """`x` brought into [-RUN_MAX, RUN_MAX] (NaN becomes 0), and whether it had to move."""
    if x != x:
        return 0.0, True
    if x > RUN_MAX:
        return RUN_MAX, True
    if x < -RUN_MAX:
        return -RUN_MAX, True
    return x, False


def draw(dist: Dist, rng: np.random.Generator | None, env: Mapping[str, float], warn: Warn | None = None) -> float:
    """One draw of `dist` with its parameters evaluated against `env`; never raises.

    A parameter outside its valid range is brought to the nearest valid value, and `warn`
    (when given) hears of it.
    """
    fixed = dist._fixed  # type: ignore[attr-defined]
    args, fixes = _evaluate(dist, env) if fixed is None else fixed
    if fixes and warn is not None:
        _warn_fixes(dist, fixes, warn)
    x = float(dist._sample(rng, args, dist))  # type: ignore[attr-defined]
    lo, hi = dist.lo, dist.hi
    if lo is not None and x < lo:
        x = lo
    if hi is not None and x > hi:
        x = hi
    if -RUN_MAX <= x <= RUN_MAX:
        return float(x)
    return finite(float(x))[0]


def _evaluate(dist: Dist, env: Mapping[str, float]) -> tuple[dict[str, float], Fix]:
    """The parameters' values against `env`, brought into range, and what had to move."""
    fixes: Fix = []
    args: dict[str, float] = {}
    for name, e in dist.params.items():
        raw = float(e.fn(env))
        if -RUN_MAX <= raw <= RUN_MAX:  # finite(raw) would leave it as it is
            args[name] = raw
            continue
        val, moved = finite(raw)
        if moved:
            fixes.append((name, raw, val))
        args[name] = val
    dist._repair(args, fixes)  # type: ignore[attr-defined]
    if len(fixes) > 1:  # one line a parameter: the value found, and the value used in the end
        merged: dict[str, tuple[str, float, float]] = {}
        for name, was, used in fixes:
            merged[name] = (name, merged[name][1] if name in merged else was, used)
        fixes = list(merged.values())
    return args, fixes


def _warn_fixes(dist: Dist, fixes: Fix, warn: Warn) -> None:
    for name, was, used in fixes:
        warn(dist.where, f"param:{name}", {
            "es": f"{dist.where}: el parámetro {name} de la distribución {dist.kind} valía {was:.9g}; "
                  f"se usó {used:.9g}",
            "en": f"{dist.where}: {dist.kind} parameter {name} was {was:.9g}; {used:.9g} was used",
        })


# --------------------------------------------------------------------------- loading


def parse_dist(b: Builder, path: PathKey, value: Any, amount: bool = False) -> Dist | None:
    """A `Dist` from a number or a `{dist: ...}` map, with every problem reported to `b`.

    `amount`: it gives an amount (an effect's `by`/`to`, an initial value), which may be
    negative; else it is a time.
    """
    where = ".".join(str(p) for p in path)
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        if value < 0 and not amount:
            b.err(path, f"a time cannot be negative ({value})")
        return Dist("fixed", {"value": constant(float(value))}, where=where)
    spec = dict(value)
    kind = spec.pop("dist")
    lo, hi = spec.pop("min", None), spec.pop("max", None)
    source = spec.pop("source", None)
    weights = tuple(float(w) for w in spec.pop("weights", []) or [])
    values = tuple(float(v) for v in spec.pop("values", []) or [])
    params: dict[str, Expr] = {}
    allowed = KINDS[kind].params
    broken = False  # a parameter that did not compile (already reported): no Dist to build
    for k, v in spec.items():
        if k not in allowed:
            b.err(path + (k,), f"{kind} distribution takes {', '.join(allowed)}, not {k!r}", key=True)
            continue
        e = b.expr(path + (k,), v)
        if e is not None:
            params[k] = e
        else:
            broken = True

    def c(name: str) -> float | None:
        e = params.get(name)
        return e({}) if e is not None and e.is_constant else None

    for param, msg in KINDS[kind].check(c):
        b.err(path if param is None else path + (param,), msg)
    if not amount:
        for n in KINDS[kind].time_nonneg:
            if (c(n) or 0.0) < 0:
                b.err(path + (n,), f"{n} cannot be negative in a time (it may be in an amount: an effect's by or to)")
    if kind == "empirical" and weights and len(weights) != len(values):
        b.err(path, f"empirical: {len(values)} values but {len(weights)} weights")
    if kind == "empirical" and weights and sum(weights) <= 0:
        b.err(path, "empirical: weights must not all be 0")
    if source is not None:
        b.source_ref(path + ("source",), source)
    if lo is not None and hi is not None and lo > hi:
        b.err(path, f"min {lo} is above max {hi}")
    if broken:
        return None
    return Dist(kind, params, values, weights, lo, hi, source, where)
