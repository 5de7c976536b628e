"""Charts of a what-if study (PNG, matplotlib Agg): distributions and paired differences.

`draw_charts(summary, scenario, folder)` draws from the JSON summary alone, so the
debrief can redraw them from a sidecar without re-running anything:

- ``whatif-distribution.png``: one panel per outcome measure, the team's replications
  (filled histogram), doctrine's (outline), and the team's actual result (a line,
  labelled with its percentile);
- ``whatif-counterfactuals.png``: one panel per measure that some decision moved (an
  interval clear of zero), each counterfactual's paired mean difference with its 95%
  interval, decision points in order of importance.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from simulator import Scenario, tr

# Okabe-Ito colours: distinguishable with the common colour-vision deficiencies.
TEAM = "#0072B2"
DOCTRINE = "#999999"
ACTUAL = "#D55E00"
BETTER = "#0072B2"
WORSE = "#D55E00"
SAME = "#999999"

_LABELS = {
    "en": {"actual": "actual result (pN: its percentile)", "team": "team's decisions", "doctrine": "doctrine",
           "dist_title": "Skill or luck: {n} replications of the team's decisions",
           "cf_title": "Paired differences (option - team's choice), 95% CI, same seeds\n"
                       "blue: better, orange: worse, grey: no clear difference",
           "nocf": "no counterfactuals: the team answered no decision point"},
    "es": {"actual": "resultado real (pN: su percentil)", "team": "decisiones del equipo", "doctrine": "doctrina",
           "dist_title": "¿Habilidad o suerte? {n} réplicas de las decisiones del equipo",
           "cf_title": "Diferencias pareadas (opción - elección del equipo), IC 95%, mismas semillas\n"
                       "azul: mejor, naranja: peor, gris: sin diferencia clara",
           "nocf": "sin contrafactuales: el equipo no respondió ningún punto de decisión"},
}


def _grid(k: int) -> tuple[int, int]:
    cols = min(3, max(k, 1))
    return math.ceil(max(k, 1) / cols), cols


def _adjust(fig: Any, left: float = 0.06) -> None:
    # Fixed margins (in inches, so titles fit at any height): tight_layout costs a second or more.
    height = fig.get_size_inches()[1]
    fig.subplots_adjust(left=left, right=0.98, bottom=0.4 / height, top=1 - 0.75 / height,
                        wspace=0.25, hspace=0.6)


def draw_charts(data: dict[str, Any], scenario: Scenario, folder: Path, lang: str = "en") -> dict[str, Path]:
    """Write the study's charts into `folder`; return {chart name: file path}."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    t = _LABELS.get(lang, _LABELS["en"])
    measures: list[str] = data["measures"]
    out: dict[str, Path] = {}

    def label(m: str) -> str:
        metric = scenario.metrics.get(m)
        return tr(metric.label, lang) if metric is not None else m

    # -- distributions with the team's marker
    rows, cols = _grid(len(measures))
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 2.8 * rows), squeeze=False)
    for ax in axes.flat[len(measures):]:
        ax.set_visible(False)
    for ax, m in zip(axes.flat, measures, strict=False):
        team = np.array([x for x in data["team"]["distribution"][m] if x is not None], dtype=float)
        doc = np.array([x for x in data["doctrine"]["distribution"][m] if x is not None], dtype=float)
        both = np.concatenate([team, doc]) if team.size + doc.size else np.zeros(1)
        lo, hi = float(both.min()), float(both.max())
        bins = np.linspace(lo, hi if hi > lo else lo + 1.0, 21)
        if team.size:
            ax.hist(team, bins=bins, color=TEAM, alpha=0.55, label=t["team"])
        if doc.size:
            ax.hist(doc, bins=bins, histtype="step", color=DOCTRINE, linewidth=1.4, label=t["doctrine"])
        actual = data["team"]["actual"].get(m)
        pct = data["team"]["percentile"].get(m)
        if actual is not None:
            ax.axvline(actual, color=ACTUAL, linewidth=2, label=t["actual"])
        ax.set_title(label(m) + ("" if pct is None else f"  (p{pct:.0f})"), fontsize=11)
        ax.tick_params(labelsize=7)
    handles, names = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="upper right", fontsize=7, frameon=False)  # one legend: panels stay legible
    fig.suptitle(t["dist_title"].format(n=data["n"]), fontsize=13)
    _adjust(fig)
    path = folder / "whatif-distribution.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    out["distribution"] = path

    # -- paired differences per decision point, on the measures some decision moved
    entries = data["counterfactuals"]
    moved = [m for m in measures if any(e["diff"][m].get("verdict", "same") != "same" for e in entries)]
    measures = moved or measures[:1]
    rows, cols = _grid(len(measures))
    fig, axes = plt.subplots(rows, cols, figsize=(1.6 + 3.4 * cols, max(2.6, 0.26 * len(entries) + 1.0) * rows),
                             squeeze=False, sharey=True)
    for ax in axes.flat[len(measures):]:
        ax.set_visible(False)
    names = [f"{e['point']}: {e['option']} (vs {e['chosen']})" for e in entries]
    ys = np.arange(len(entries))[::-1]
    for ax, m in zip(axes.flat, measures, strict=False):
        ax.axvline(0.0, color="black", linewidth=0.8)
        if not entries:
            ax.text(0.5, 0.5, t["nocf"], ha="center", va="center", fontsize=7, transform=ax.transAxes, wrap=True)
            ax.set_yticks([])
        groups: dict[str, list[tuple[float, float, float, float]]] = {}
        for y, e in zip(ys, entries, strict=True):
            d = e["diff"][m]
            if d["mean"] is not None:
                groups.setdefault(d.get("verdict", "same"), []).append((y, d["mean"], d["ci_low"], d["ci_high"]))
        for verdict, pts in groups.items():  # one call per colour: errorbar is slow per point
            y, mean, low, high = (np.array(c, dtype=float) for c in zip(*pts, strict=True))
            ax.errorbar(mean, y, xerr=[mean - low, high - mean], fmt="o", linestyle="none", markersize=3.5,
                        capsize=2, linewidth=1, color={"better": BETTER, "worse": WORSE}.get(verdict, SAME))
        if entries:
            ax.set_yticks(ys)
            ax.set_yticklabels(names, fontsize=8)
        ax.set_title(label(m), fontsize=11)
        ax.tick_params(axis="x", labelsize=7)
    fig.suptitle(t["cf_title"], fontsize=13)
    _adjust(fig, left=1.7 / (1.6 + 3.4 * cols))
    path = folder / "whatif-counterfactuals.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    out["counterfactuals"] = path
    return out
