"""Reading the what-if sidecar (`<journal>.whatif.json`, written by `sitroom whatif`).

Read defensively: anything missing or malformed is skipped silently, so a partial
or older sidecar never stops a debrief.
"""

from __future__ import annotations

import hashlib
import json
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MAX_SIDECAR_BYTES = 20_000_000


@dataclass(frozen=True)
class Counterfactual:
    point: str
    chosen: str
    option: str
    diff: dict[str, tuple[float, float, float]]  # metric -> (mean, ci_low, ci_high), over seeds where both exist
    importance: float
    answered: bool = True  # False: the team left the point to its default (or never decided it)
    taken_after: float | None = None  # minutes after opening the option is taken in the counterfactual
    reached: dict[str, tuple[float, float]] = field(default_factory=dict)  # metric -> (team share, option share)
    n: dict[str, int] = field(default_factory=dict)  # metric -> seeds the difference is over
    # Seeds compared and left out (`compared`, `not_offered`, `team_not_offered`, `did_not_arise`);
    # empty for a sidecar written before the counts existed.
    runs: dict[str, int] = field(default_factory=dict)


@dataclass
class WhatIf:
    path: str
    n: int | None
    measures: list[str]
    actual: dict[str, float] = field(default_factory=dict)
    percentile: dict[str, float] = field(default_factory=dict)
    team_median: dict[str, float] = field(default_factory=dict)
    doctrine_median: dict[str, float] = field(default_factory=dict)
    counterfactuals: list[Counterfactual] = field(default_factory=list)
    team_reached: dict[str, float] = field(default_factory=dict)  # censored measure -> share of runs reaching it
    doctrine_reached: dict[str, float] = field(default_factory=dict)
    charts: dict[str, Path] = field(default_factory=dict)  # name -> existing PNG file
    reproduces: bool | None = None  # False: the team's plan, re-run on its own seed, did not give the journal


def _num(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, int | float):
        return None
    f = float(v)
    return f if f == f and abs(f) != float("inf") else None


def _nums(d: Any) -> dict[str, float]:
    if not isinstance(d, dict):
        return {}
    return {str(k): x for k, v in d.items() if (x := _num(v)) is not None}


def _medians(d: Any) -> dict[str, float]:
    out = {}
    if isinstance(d, dict):
        for k, vals in d.items():
            if isinstance(vals, list):
                xs = [x for v in vals if (x := _num(v)) is not None]
                if xs:
                    out[str(k)] = float(statistics.median(xs))
    return out


def sidecar_path(journal_path: str) -> Path:
    """Where `sitroom whatif` saves a journal's study, and the debrief looks for it."""
    return Path(f"{journal_path}.whatif.json")


def exercise_key(scenario_sha256: str, seed: int, inputs: Sequence[Any]) -> str:
    """What a what-if study is of, as a sha256: the scenario, the seed and every input of the journal
    (its time, step, kind, actor and payload; not the wall clock). Two journals with the same key
    replay to the same exercise, so a study of one is a study of the other."""
    rows = [[float(i.t), int(i.step), i.kind, i.actor, i.payload] for i in inputs]
    blob = json.dumps([scenario_sha256, int(seed), rows], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def read_whatif(journal_path: str, key: str | None = None) -> WhatIf | None:
    """The sidecar next to a journal, or None when there is none, it is unusable, or it is of another
    exercise than `key` (`exercise_key`: a journal written again at the same path after the study)."""
    p = sidecar_path(journal_path)
    try:
        if not p.is_file() or p.stat().st_size > MAX_SIDECAR_BYTES:
            return None
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict) or data.get("format") != "sitroom-whatif":
        return None
    if data.get("version", 1) != 1:
        return None
    if key is not None and data.get("exercise") != key:
        return None  # of another exercise, or from before studies said which: not this one's
    team = data.get("team") if isinstance(data.get("team"), dict) else {}
    doctrine = data.get("doctrine") if isinstance(data.get("doctrine"), dict) else {}
    measures = [str(m) for m in data.get("measures") or [] if isinstance(m, str)] \
        if isinstance(data.get("measures"), list) else []
    n = data.get("n")
    wi = WhatIf(str(p), int(n) if isinstance(n, int) and not isinstance(n, bool) else None, measures)
    wi.actual = _nums(team.get("actual"))
    wi.percentile = _nums(team.get("percentile"))
    wi.team_median = _medians(team.get("distribution"))
    wi.doctrine_median = _medians(doctrine.get("distribution"))
    wi.team_reached = _nums(team.get("reached"))
    wi.doctrine_reached = _nums(doctrine.get("reached"))
    rep = team.get("reproduces_actual")
    wi.reproduces = rep if isinstance(rep, bool) else None
    if not wi.measures:
        wi.measures = sorted(set(wi.percentile) | set(wi.doctrine_median))
    cfs = data.get("counterfactuals")
    for c in cfs if isinstance(cfs, list) else []:
        if not isinstance(c, dict):
            continue
        diff = {}
        reached: dict[str, tuple[float, float]] = {}
        counts: dict[str, int] = {}
        raw = c.get("diff") if isinstance(c.get("diff"), dict) else {}
        for m, d in raw.items():
            if not isinstance(d, dict) or d.get("by_design") is True:
                continue  # (a point's own latency where the study set the answer's time)
            if (mean := _num(d.get("mean"))) is not None:
                lo, hi = _num(d.get("ci_low")), _num(d.get("ci_high"))
                diff[str(m)] = (mean, lo if lo is not None else mean, hi if hi is not None else mean)
            if isinstance(d.get("n"), int):
                counts[str(m)] = int(d["n"])
            r = d.get("reached")
            if isinstance(r, dict) and r.get("clear") is True:
                b, o = _num(r.get("base")), _num(r.get("other"))
                if b is not None and o is not None:
                    reached[str(m)] = (b, o)
        if not isinstance(c.get("point"), str) or not isinstance(c.get("option"), str):
            continue
        raw_runs = c.get("runs") if isinstance(c.get("runs"), dict) else {}
        runs = {str(k): int(v) for k, v in raw_runs.items()
                if isinstance(v, int) and not isinstance(v, bool) and v >= 0}
        wi.counterfactuals.append(Counterfactual(c["point"], str(c.get("chosen", "")), c["option"], diff,
                                                 _num(c.get("importance")) or 0.0, c.get("answered") is not False,
                                                 _num(c.get("taken_after")), reached, counts, runs))
    wi.counterfactuals.sort(key=lambda c: -abs(c.importance))
    charts = data.get("charts")
    for name, rel in (charts.items() if isinstance(charts, dict) else []):
        if not isinstance(rel, str) or not rel.lower().endswith(".png"):
            continue
        f = (p.parent / rel)
        try:
            if f.is_file() and f.stat().st_size <= MAX_SIDECAR_BYTES:
                wi.charts[str(name)] = f
        except OSError:
            continue
    if not (wi.measures or wi.counterfactuals or wi.charts):
        return None
    return wi
