"""Statistics of a what-if study: percentiles and paired differences with their intervals."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

Z95 = 1.96  # two-sided 95% normal quantile


def json_number(x: float | None) -> float | None:
    """A JSON-safe number: None for NaN, rounded to 6 decimals like the engine's metrics."""
    return None if x is None or not math.isfinite(x) else round(float(x), 6)


def percentile_of(actual: float, values: np.ndarray) -> float | None:
    """Mid-rank percentile (0-100) of `actual` among `values` (NaN ignored): ties count half."""
    v = values[np.isfinite(values)]
    if v.size == 0 or not math.isfinite(actual):
        return None
    below = float(np.count_nonzero(v < actual))
    ties = float(np.count_nonzero(v == actual))
    return 100.0 * (below + 0.5 * ties) / v.size


@dataclass(frozen=True)
class PairedDiff:
    """Mean of per-seed differences (other - base) with its 95% interval and effect size."""

    mean: float
    ci_low: float
    ci_high: float
    n: int
    effect: float  # |mean| / pooled sd of both arms' values (0 when nothing varies)

    def to_json(self) -> dict[str, Any]:
        return {"mean": json_number(self.mean), "ci_low": json_number(self.ci_low),
                "ci_high": json_number(self.ci_high), "n": self.n}


def paired_diff(base: np.ndarray, other: np.ndarray) -> PairedDiff:
    """Paired difference `other - base` over replications where both are defined.

    CI: mean +/- 1.96 * sd / sqrt(n), sd with ddof=1 (a single pair gives a zero-width interval).
    """
    ok = np.isfinite(base) & np.isfinite(other)
    n = int(ok.sum())
    if n == 0:
        return PairedDiff(math.nan, math.nan, math.nan, 0, 0.0)
    d = other[ok] - base[ok]
    mean = float(d.mean())
    half = Z95 * float(d.std(ddof=1)) / math.sqrt(n) if n > 1 else 0.0
    pooled = float(np.concatenate([base[ok], other[ok]]).std(ddof=0))
    effect = abs(mean) / pooled if pooled > 0 else 0.0
    return PairedDiff(mean, mean - half, mean + half, n, effect)


def verdict(diff: PairedDiff, better: str) -> str:
    """'better', 'worse' (the interval excludes zero) or 'same' for the other arm."""
    if diff.n == 0 or not (diff.ci_low > 0 or diff.ci_high < 0):
        return "same"
    lower_is_better = better == "lower"
    return "better" if (diff.mean < 0) == lower_is_better else "worse"



@dataclass(frozen=True)
class ReachedDiff:
    """How often each arm reached a time that may never happen, paired by seed."""

    base: float  # share of seeds where the base arm reached it
    other: float
    ci_low: float  # 95% interval of the paired difference other - base (normal approximation)
    ci_high: float
    effect: float  # |difference| / pooled sd of the reached indicators (0 when nothing varies)

    @property
    def clear(self) -> bool:
        return self.ci_low > 0 or self.ci_high < 0

    def to_json(self) -> dict[str, Any]:
        return {"base": json_number(self.base), "other": json_number(self.other),
                "ci_low": json_number(self.ci_low), "ci_high": json_number(self.ci_high), "clear": self.clear}


def reached_diff(base: np.ndarray, other: np.ndarray) -> ReachedDiff:
    """Paired difference in the share of seeds where a censored time was reached (a NaN is "not reached")."""
    b = np.isfinite(base).astype(float)
    o = np.isfinite(other).astype(float)
    n = b.size
    if n == 0:
        return ReachedDiff(math.nan, math.nan, math.nan, math.nan, 0.0)
    d = o - b
    mean = float(d.mean())
    half = Z95 * float(d.std(ddof=1)) / math.sqrt(n) if n > 1 else 0.0
    pooled = float(np.concatenate([b, o]).std(ddof=0))
    return ReachedDiff(float(b.mean()), float(o.mean()), mean - half, mean + half,
                       abs(mean) / pooled if pooled > 0 else 0.0)
