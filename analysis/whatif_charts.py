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
    "en": {"actual": "actual result", "team": "team's decisions", "doctrine": "doctrine",
           "dist_title": "Skill or luck: {n} replications of the team's decisions",
           "cf_title": "Paired differences (option − team's choice), 95% CI, same seeds\n"
                       "blue: better, orange: worse, grey: no clear difference",
           "nocf": "no counterfactuals: no decision point opened",
           "reached": "reached {p:.0f} %", "vs": "vs", "default": "default",
           "of_seeds": "{k} of {n} seeds"},
    "es": {"actual": "resultado real", "team": "decisiones del equipo", "doctrine": "doctrina",
           "dist_title": "¿Habilidad o suerte? {n} réplicas de las decisiones del equipo",
           "cf_title": "Diferencias pareadas (opción − elección del equipo), IC 95 %, mismas semillas\n"
                       "azul: mejor, naranja: peor, gris: sin diferencia clara",
           "nocf": "sin contrafactuales: no se abrió ningún punto de decisión",
           "reached": "se alcanzó {p:.0f} %", "vs": "vs.", "default": "omisión",
           "of_seeds": "{k} de {n} semillas"},
}

# Sized for a projector: drawn at 100 dpi 12.8 in wide, so a figure fills a 1280x720 screen at
# 1:1 and no text is under 12 pt.
WIDTH_IN = 12.8
TICK_PT = 12
TITLE_PT = 14
SUPTITLE_PT = 15
LABEL_CHARS = 42  # longest counterfactual label before it is shortened with "…"


def _grid(k: int) -> tuple[int, int]:
    cols = min(2, max(k, 1))
    return math.ceil(max(k, 1) / cols), cols


def _short(text: str, n: int = LABEL_CHARS) -> str:
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def _adjust(fig: Any, left_in: float = 0.8, top_in: float = 1.1, bottom_in: float = 0.6) -> None:
    # Fixed margins in inches, so titles and labels fit at any size (tight_layout costs a second or more).
    width, height = fig.get_size_inches()
    fig.subplots_adjust(left=min(left_in / width, 0.6), right=1 - 0.25 / width, bottom=bottom_in / height,
                        top=1 - top_in / height, wspace=0.25, hspace=0.75)


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

    def option(point: str, opt: str) -> str:
        dp = scenario.decisions.get(point)
        return tr(dp.options[opt].label, lang) if dp is not None and opt in dp.options else (opt or "—")

    # -- distributions with the team's marker
    rows, cols = _grid(len(measures))
    fig, axes = plt.subplots(rows, cols, figsize=(WIDTH_IN, 3.0 * rows + 1.4), squeeze=False)
    for ax in axes.flat[len(measures):]:
        ax.set_visible(False)
    reached = data["team"].get("reached") or {}
    for ax, m in zip(axes.flat, measures, strict=False):
        team = np.array([x for x in data["team"]["distribution"][m] if x is not None], dtype=float)
        doc = np.array([x for x in data["doctrine"]["distribution"][m] if x is not None], dtype=float)
        both = np.concatenate([team, doc]) if team.size + doc.size else np.zeros(1)
        lo, hi = float(both.min()), float(both.max())
        bins = np.linspace(lo, hi if hi > lo else lo + 1.0, 21)
        if team.size:
            ax.hist(team, bins=bins, color=TEAM, alpha=0.55, label=t["team"])
        if doc.size:
            ax.hist(doc, bins=bins, histtype="step", color=DOCTRINE, linewidth=1.6, label=t["doctrine"])
        actual = data["team"]["actual"].get(m)
        pct = data["team"]["percentile"].get(m)
        if actual is not None:
            ax.axvline(actual, color=ACTUAL, linewidth=2.5, label=t["actual"])
        extra = [] if pct is None else [f"p{pct:.0f}"]
        if reached.get(m) is not None:  # a time that may not happen: how often the team's runs reached it
            extra.append(t["reached"].format(p=100 * reached[m]))
        ax.set_title(_short(label(m), 34) + (f"  ({', '.join(extra)})" if extra else ""), fontsize=TITLE_PT,
                     loc="left")
        ax.tick_params(labelsize=TICK_PT)
    handles, names = axes.flat[0].get_legend_handles_labels()
    # One legend, in the top margin (never over the data).
    fig.legend(handles, names, loc="upper center", bbox_to_anchor=(0.5, 1 - 0.55 / fig.get_size_inches()[1]),
               ncol=3, fontsize=TICK_PT, frameon=False)
    fig.suptitle(t["dist_title"].format(n=data["n"]), fontsize=SUPTITLE_PT, x=0.01, ha="left")
    _adjust(fig, top_in=1.3)
    path = folder / "whatif-distribution.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    out["distribution"] = path

    # -- paired differences per decision point, on the measures some decision moved
    entries = data["counterfactuals"]
    moved = [m for m in measures if any(e["diff"][m].get("verdict", "same") != "same" and not e["diff"][m].get("by_design")
                                        for e in entries)]
    measures = moved or measures[:1]
    rows, cols = _grid(len(measures))
    def name(e: dict[str, Any]) -> str:
        suffix = "" if e.get("answered", True) else f" ({t['default']})"
        text = (_short(f"{e['point']}: {option(e['point'], e['option'])}") + "\n"
                + _short(f"{t['vs']} {option(e['point'], e['chosen'])}", LABEL_CHARS - len(suffix)) + suffix)
        runs = e.get("runs")
        if runs is not None and runs["compared"] < data["n"]:  # a difference over fewer seeds says so
            text += "\n" + t["of_seeds"].format(k=runs["compared"], n=data["n"])
        return text
    names = [name(e) for e in entries]
    left_in = min(max((len(x) for n in names for x in n.split("\n")), default=10) * TICK_PT * 0.0078 + 0.4, 5.2)
    panel_h = max(2.8, 0.62 * len(entries) + 1.0)
    fig, axes = plt.subplots(rows, cols, figsize=(WIDTH_IN, panel_h * rows + 1.6), squeeze=False, sharey=True)
    for ax in axes.flat[len(measures):]:
        ax.set_visible(False)
    ys = np.arange(len(entries))[::-1]
    for ax, m in zip(axes.flat, measures, strict=False):
        ax.axvline(0.0, color="black", linewidth=0.8)
        if not entries:
            ax.text(0.5, 0.5, t["nocf"], ha="center", va="center", fontsize=TICK_PT, transform=ax.transAxes,
                    wrap=True)
            ax.set_yticks([])
        groups: dict[str, list[tuple[float, float, float, float]]] = {}
        for y, e in zip(ys, entries, strict=True):
            d = e["diff"][m]
            if d["mean"] is not None and not d.get("by_design"):
                groups.setdefault(d.get("verdict", "same"), []).append((y, d["mean"], d["ci_low"], d["ci_high"]))
        for verdict, pts in groups.items():  # one call per colour: errorbar is slow per point
            y, mean, low, high = (np.array(c, dtype=float) for c in zip(*pts, strict=True))
            ax.errorbar(mean, y, xerr=[mean - low, high - mean], fmt="o", linestyle="none", markersize=6,
                        capsize=3, linewidth=1.6, color={"better": BETTER, "worse": WORSE}.get(verdict, SAME))
        if entries:
            ax.set_yticks(ys)
            ax.set_yticklabels(names, fontsize=TICK_PT)
            ax.set_ylim(-0.6, len(entries) - 0.4)
        ax.set_title(_short(label(m), 40), fontsize=TITLE_PT, loc="left")
        ax.tick_params(axis="x", labelsize=TICK_PT)
    fig.suptitle(t["cf_title"], fontsize=SUPTITLE_PT, x=0.01, ha="left")
    _adjust(fig, left_in=left_in, top_in=1.4)
    fig.subplots_adjust(hspace=0.9 / panel_h)  # about 0.9 in between rows of panels, whatever their height
    path = folder / "whatif-counterfactuals.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    out["counterfactuals"] = path
    return out
