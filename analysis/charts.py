"""Debrief charts drawn with matplotlib (Agg, no pyplot): one function per chart.

Each function takes the series from `analysis.series` / `analysis.measures` and returns a
`Figure`, or None when there is nothing to draw (the report then says so instead of
showing an empty frame). Sized and coloured for a projector: large type, the
Okabe–Ito colour-blind-safe palette, and P/S/M/U always in the same colours with
their letters written on them.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

from .measures import LOG_RULES, LogSummary
from .series import LatencyBar, ResourceSeries, StepSeries, Timeline, pack_rows
from .text import t

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

# Okabe & Ito (2008) colour-blind-safe palette.
OI = {
    "black": "#000000", "orange": "#E69F00", "sky": "#56B4E9", "green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7",
    "grey": "#999999", "light": "#DDDDDD",
}
SERIES = [OI["blue"], OI["vermillion"], OI["green"], OI["orange"], OI["purple"], OI["sky"], OI["black"],
          OI["yellow"]]
RATING_COLOURS = {"P": OI["green"], "S": OI["sky"], "M": OI["orange"], "U": OI["vermillion"]}
STATUS_COLOURS = {
    "standby": OI["light"], "mobilising": OI["orange"], "ready": OI["green"], "en_route": OI["sky"],
    "on_scene": OI["blue"], "returning": OI["purple"],
}
STYLE: dict[str, Any] = {
    "font.size": 14, "axes.titlesize": 17, "axes.labelsize": 15, "xtick.labelsize": 13,
    "ytick.labelsize": 13, "legend.fontsize": 13, "axes.spines.top": False, "axes.spines.right": False,
    "axes.grid": True, "grid.alpha": 0.3, "figure.dpi": 100, "savefig.dpi": 100,
    "svg.fonttype": "none", "pdf.fonttype": 42,
}


# Drawn at 100 dpi and 12.8 in wide: a chart is 1280 px, shown at about 1:1 on a 1280x720 projector
# (the report's column is 1232 px), so no text is under MIN_PT (12 pt drawn, over 11 pt shown).
WIDTH = 12.8
MIN_PT = 12


def _mpl() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=False)
    return matplotlib


def new_figure(width: float, height: float) -> Figure:
    """A Figure attached to an Agg canvas (no pyplot global state)."""
    _mpl()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    return fig


def margins(fig: Figure, left: float, right: float, top: float, bottom: float, **kw: float) -> None:
    """Fixed margins in inches (constrained layout costs seconds on many-axes figures)."""
    w, h = fig.get_size_inches()
    fig.subplots_adjust(left=min(left / w, 0.6), right=1 - right / w, top=1 - top / h,
                        bottom=min(bottom / h, 0.6), **kw)


def _label_width(labels: list[str], size: float = 13) -> float:
    """Rough width in inches of the longest label at `size` pt."""
    return max((len(x) for x in labels), default=4) * size * 0.0085 + 0.3


def styled() -> Any:
    """Context manager with the projector style."""
    return _mpl().rc_context(STYLE)


def _minutes_axis(ax: Any, end: float, lang: str) -> None:
    ax.set_xlim(0, max(end, 1.0))
    ax.set_xlabel(t("axis_minutes", lang))


# ---------------------------------------------------------------- master timeline


def timeline_chart(tl: Timeline, lang: str, title: str) -> Figure | None:
    if tl.empty:
        return None
    with styled():
        dec = [d for d in tl.decisions]
        end = tl.end_time
        dec_rows = pack_rows([(d.opened_at, max(d.decided_at if d.decided_at is not None else end,
                                                 d.deadline_at or 0.0) + end * 0.04) for d in dec])
        n_dec_rows = max(dec_rows, default=-1) + 1
        lanes: list[tuple[str, float]] = []  # (label, height in rows)
        lanes.append((t("lane_injects", lang), 1))
        lanes.append((t("lane_decisions", lang), max(n_dec_rows, 1)))
        lanes.append((t("lane_orders", lang), 1))
        if tl.notes:
            lanes.append((t("lane_notes", lang), 1))
        units = sorted(tl.units)
        n_rows = sum(h for _, h in lanes) + len(units)
        fig = new_figure(WIDTH, min(max(6.0, 3.6 + 0.45 * n_rows), 32))
        ax = fig.add_subplot()
        ax.grid(axis="y", visible=False)
        y = 0.0
        yt, yl = [], []

        def lane(label: str, height: float) -> float:
            nonlocal y
            top = y
            yt.append(top + height / 2 - 0.5)
            yl.append(label)
            ax.axhline(top + height - 0.5, color=OI["light"], lw=1)
            y += height
            return top

        y0 = lane(t("lane_injects", lang), 1)
        ax.scatter([m.t for m in tl.injects], [y0] * len(tl.injects), marker="v", s=110, color=OI["black"],
                   zorder=3, label=t("leg_inject", lang))
        if tl.contingencies:
            ax.scatter([m.t for m in tl.contingencies], [y0] * len(tl.contingencies), marker="v", s=150,
                       color=OI["vermillion"], zorder=4, label=t("leg_contingency", lang))
        if tl.reveals:
            ax.scatter([m.t for m in tl.reveals], [y0] * len(tl.reveals), marker="o", s=90, facecolors="white",
                       edgecolors=OI["blue"], linewidths=2, zorder=5, label=t("leg_reveal", lang))
        if len(tl.injects) + len(tl.contingencies) <= 30:
            # Numbered as in the list under the chart (M1, M2, ... in time order): ids are not for people.
            for k, m in enumerate(tl.messages, 1):
                ax.annotate(f"M{k}", (m.t, y0), xytext=(0, 9), textcoords="offset points", rotation=30,
                            fontsize=MIN_PT, ha="left", va="bottom", annotation_clip=False)
        y0 = lane(t("lane_decisions", lang), max(n_dec_rows, 1))
        # One broken_barh (a single PolyCollection) per row and kind: hundreds of separate
        # bars cost seconds to lay out and render.
        groups: dict[tuple[int, str], list[tuple[float, float]]] = {}
        ticks_x: list[float] = []
        ticks_y: list[float] = []
        for d, row in zip(dec, dec_rows, strict=True):
            stop = d.decided_at if d.decided_at is not None else end
            key = "leg_open" if d.decided_at is None else ("leg_default" if d.defaulted else "leg_decided")
            groups.setdefault((row, key), []).append((d.opened_at, max(stop - d.opened_at, end * 0.002)))
            if d.deadline_at is not None:
                ticks_x.append(d.deadline_at)
                ticks_y.append(y0 + row)
            if len(dec) <= 40:
                near_end = stop > end * 0.93
                ax.annotate(d.point, (d.opened_at if near_end else stop, y0 + row),
                            xytext=(-4 if near_end else 4, 0), textcoords="offset points", va="center",
                            ha="right" if near_end else "left", fontsize=MIN_PT, annotation_clip=False)
        style = {"leg_decided": {"facecolors": "#333333"},
                 "leg_default": {"facecolors": OI["vermillion"], "hatch": "//", "edgecolors": "white"},
                 "leg_open": {"facecolors": OI["grey"]}}
        labelled: set[str] = set()
        for (row, key), xr in sorted(groups.items()):
            ax.broken_barh(xr, (y0 + row - 0.3, 0.6), zorder=2, label=None if key in labelled else t(key, lang),
                           **style[key])
            labelled.add(key)
        if ticks_x:
            ax.scatter(ticks_x, ticks_y, marker="|", s=260, linewidths=2.5, color=OI["black"], zorder=3,
                       label=t("leg_deadline", lang))
        y0 = lane(t("lane_orders", lang), 1)
        ax.scatter([m.t for m in tl.orders], [y0] * len(tl.orders), marker="D", s=80, color=OI["green"],
                   zorder=3, label=t("leg_order", lang) if tl.orders else None)
        if len(tl.orders) <= 30:
            for m in tl.orders:
                short = m.label if len(m.label) <= 22 else m.label[:21].rstrip() + "…"
                ax.annotate(short, (m.t, y0), xytext=(0, 8), textcoords="offset points", rotation=30,
                            fontsize=MIN_PT)
        if tl.notes:
            y0 = lane(t("lane_notes", lang), 1)
            ax.scatter([m.t for m in tl.notes], [y0] * len(tl.notes), marker="*", s=240, color=OI["orange"],
                       edgecolor=OI["black"], zorder=3, label=t("leg_note", lang))
            for i, m in enumerate(tl.notes, 1):
                ax.annotate(f"N{i}", (m.t, y0), xytext=(6, 6), textcoords="offset points", fontsize=MIN_PT)
        drawn_status: set[str] = set()
        for u in units:
            y0 = lane(tl.unit_labels.get(u, u), 1)
            by_status: dict[str, list[tuple[float, float]]] = {}
            for s in tl.units[u]:
                by_status.setdefault(s.status, []).append((s.start, s.end - s.start))
            for st in (x for x in STATUS_COLOURS if x in by_status):
                ax.broken_barh(by_status[st], (y0 - 0.275, 0.55), facecolors=STATUS_COLOURS[st], zorder=2,
                               label=None if st in drawn_status else t(f"st_{st}", lang))
                drawn_status.add(st)
        for i, p in enumerate(tl.pauses):
            w = max(end * 0.006, 0.5)
            ax.axvspan(p.t - w / 2, p.t + w / 2, color=OI["grey"], alpha=0.35, zorder=1,
                       label=t("leg_pause", lang) if i == 0 else None)
        ax.set_yticks(yt, yl)
        ax.set_ylim(y - 0.5, -0.9)
        _minutes_axis(ax, end, lang)
        ax.set_title(title, loc="left", pad=60 if len(tl.injects) + len(tl.contingencies) <= 30 else 8)
        fig.legend(loc="lower center", ncol=3, frameon=False, bbox_to_anchor=(0.5, 0.0))
        margins(fig, _label_width(yl), 0.4, 1.3, 2.1)
        return fig


# ---------------------------------------------------------------- decision latency


def short_label(name: str, most: int = 22) -> str:
    """A team's name short enough for a chart's legend or column head: its start and its end around "…",
    so that "Equipo de respuesta Norte" and "... Sur" stay told apart."""
    if len(name) <= most:
        return name
    tail = max(3, most // 3)
    return name[:most - tail - 1].rstrip() + "…" + name[-tail:].lstrip()


def latency_chart(bars: list[LatencyBar], lang: str) -> Figure | None:
    bars = [b for b in bars]
    if not bars:
        return None
    with styled():
        teams = list(dict.fromkeys(b.team for b in bars))
        points = list(dict.fromkeys(b.point for b in bars))
        many = len(points) > 40
        fig = new_figure(WIDTH, 7 if many else min(max(4.5, 2.3 + 0.45 * len(points) * len(teams)), 26))
        ax = fig.add_subplot()
        if many:
            # Too many points for a bar each: latency against the time each point opened.
            drew_late = drew_open = False
            for k, tm in enumerate(teams):
                own = [b for b in bars if b.team == tm]
                ok = [b for b in own if b.latency is not None]
                # A default is drawn at its deadline (the time the default came), a point still open at
                # the end at the time it had been open: neither is a decision, and each is marked so.
                late = [b for b in own if b.defaulted and b.taken is not None]
                by_other = [b for b in own if b.latency is None and not b.defaulted and b.taken is not None]
                still = [b for b in own if b.open_for is not None]
                colour = SERIES[k % len(SERIES)]
                ax.scatter([b.opened_at for b in ok], [b.latency for b in ok], s=40, color=colour,
                           label=short_label(tm) if len(teams) > 1 else t("leg_decided", lang), zorder=3)
                ax.scatter([b.opened_at for b in late], [b.taken for b in late], s=70, marker="X",
                           color=OI["vermillion"], edgecolor=colour, linewidths=0.8, zorder=3,
                           label=t("leg_default", lang) if late and not drew_late else None)
                ax.scatter([b.opened_at for b in by_other], [b.taken for b in by_other], s=60, marker="P",
                           color=OI["grey"], edgecolor=colour, linewidths=0.8, zorder=3,
                           label=t("lat_instructor", lang) if by_other and k == 0 else None)
                ax.scatter([b.opened_at for b in still], [b.open_for for b in still], s=60, marker="o",
                           facecolors="none", edgecolors=colour, linewidths=1.6, zorder=3,
                           label=t("leg_still_open", lang) if still and not drew_open else None)
                drew_late, drew_open = drew_late or bool(late), drew_open or bool(still)
            dl = [b for b in bars if b.allowed is not None]
            ax.scatter([b.opened_at for b in dl], [b.allowed for b in dl], marker="_", s=120, color=OI["black"],
                       linewidths=2, label=t("leg_deadline", lang), zorder=2)
            ax.set_xlabel(t("axis_opened", lang))
            ax.set_ylabel(t("axis_latency", lang))
            ax.set_ylim(bottom=0)
            ax.set_title(t("ch_latency", lang), loc="left")
            fig.legend(loc="lower center", ncol=4, frameon=False, bbox_to_anchor=(0.5, 0.0))
            margins(fig, 1.0, 0.5, 0.6, 1.5)
            return fig
        h = 0.8 / len(teams)
        for k, tm in enumerate(teams):
            colour = SERIES[k % len(SERIES)]
            for b in bars:
                if b.team != tm:
                    continue
                yy = points.index(b.point) + (k - (len(teams) - 1) / 2) * h
                first = len(teams) > 1 and b is next(x for x in bars if x.team == tm)
                if b.open_for is not None and not b.defaulted:
                    # Never decided: an outline to the minutes it had been open when the exercise ended.
                    lat = b.open_for
                    ax.barh(yy, lat, height=h * 0.9, color="none", edgecolor=colour, linestyle="--", lw=1.6,
                            label=short_label(tm) if first else None)
                    note = t("lat_still_open", lang)
                elif b.latency is not None:  # the team's answer (or its policy's)
                    lat = b.latency
                    ax.barh(yy, lat, height=h * 0.9, color=colour, edgecolor=colour, label=short_label(tm) if first else None)
                    note = f"{lat:.1f}"
                else:  # a default at its deadline, or the instructor's answer: hatched, to when it came
                    lat = b.taken if b.taken is not None else (b.allowed or 0.0)
                    ax.barh(yy, lat, height=h * 0.9, color=colour, hatch="//" if b.defaulted else "xx",
                            edgecolor=OI["black"], label=short_label(tm) if first else None)
                    note = t("lat_default" if b.defaulted else "lat_instructor", lang)
                if b.allowed is not None:
                    ax.plot([b.allowed] * 2, [yy - h * 0.5, yy + h * 0.5], color=OI["black"], lw=3)
                ax.annotate(note, (lat, yy), xytext=(4, 0), textcoords="offset points", va="center", fontsize=12)
        from matplotlib.lines import Line2D
        from matplotlib.patches import Patch

        handles, labels = ax.get_legend_handles_labels()
        handles.append(Line2D([], [], color=OI["black"], lw=3))
        labels.append(t("leg_deadline", lang))
        if any(b.defaulted for b in bars):
            handles.append(Patch(facecolor="white", edgecolor=OI["black"], hatch="//"))
            labels.append(t("leg_default", lang))
        if any(b.open_for is not None and not b.defaulted for b in bars):
            handles.append(Patch(facecolor="none", edgecolor=OI["black"], linestyle="--"))
            labels.append(t("leg_still_open", lang))
        ax.set_yticks(range(len(points)), points)
        ax.invert_yaxis()
        ax.grid(axis="y", visible=False)
        ax.set_xlabel(t("axis_latency", lang))
        ax.set_title(t("ch_latency", lang), loc="left")
        fig.legend(handles, labels, loc="lower center", ncol=min(len(handles), 6), frameon=False,
                   bbox_to_anchor=(0.5, 0.0))
        margins(fig, _label_width(points), 0.5, 0.6, 1.4)
        return fig


# ---------------------------------------------------------------- situation


def situation_chart(per_team: list[tuple[str, list[StepSeries]]], lang: str, end: float) -> Figure | None:
    if not per_team or not per_team[0][1]:
        return None
    with styled():
        qs = per_team[0][1]
        cols = 3 if len(qs) > 4 else max(len(qs), 1)
        nrows = (len(qs) + cols - 1) // cols
        fig = new_figure(WIDTH, 3.0 * nrows + 1.0)
        axes = fig.subplots(nrows, cols, squeeze=False)
        from matplotlib.ticker import MaxNLocator

        for i, q in enumerate(qs):
            ax = axes[i // cols][i % cols]
            for k, (team, series) in enumerate(per_team):
                s = next((x for x in series if x.id == q.id), None)
                if s is None:
                    continue
                ax.step(s.times, s.values, where="post", lw=2.8, color=SERIES[k % len(SERIES)],
                        label=short_label(team) if i == 0 and len(per_team) > 1 else None,
                        linestyle=("-", "--", ":", "-.")[k % 4])
            ax.set_title(q.label, fontsize=14, loc="left")
            ax.set_xlim(0, max(end, 1.0))
            lo, hi = ax.get_ylim()
            if hi - lo < 1:  # a flat curve: at 0, on a 0..1 axis; else in the middle of v-1..v+1, never at the
                v = (lo + hi) / 2  # bottom edge, where a steady 1 would read as nothing
                ax.set_ylim(*((-0.05, 1.05) if abs(v) < 1e-9 else (v - 1, v + 1)))
            ax.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
            if i + cols >= len(qs):
                ax.set_xlabel(t("axis_minutes", lang))
        for j in range(len(qs), nrows * cols):
            axes[j // cols][j % cols].set_visible(False)
        fig.suptitle(t("ch_situation", lang), x=0.01, ha="left", fontsize=17)
        if len(per_team) > 1:
            fig.legend(loc="lower center", ncol=min(len(per_team), 6), frameon=False, bbox_to_anchor=(0.5, 0.0))
        margins(fig, 0.8, 0.3, 0.9, 1.3 if len(per_team) > 1 else 0.8, hspace=0.5, wspace=0.22)
        return fig


# ---------------------------------------------------------------- resources


RESOURCE_ORDER = ("on_scene", "en_route", "returning", "mobilising", "ready", "standby")


def resource_chart(series: list[ResourceSeries], lang: str, title: str, end: float) -> Figure | None:
    if not series:
        return None
    with styled():
        cols = 2 if len(series) > 1 else 1
        nrows = (len(series) + cols - 1) // cols
        fig = new_figure(WIDTH, 3.2 * nrows + 1.2)
        axes = fig.subplots(nrows, cols, squeeze=False, sharex=True)
        for i, s in enumerate(series):
            ax = axes[i // cols][i % cols]
            ax.stackplot(s.times, *[s.counts[st] for st in RESOURCE_ORDER], step="post",
                         colors=[STATUS_COLOURS[st] for st in RESOURCE_ORDER],
                         labels=[t(f"st_{st}", lang) for st in RESOURCE_ORDER] if i == 0 else ())
            ax.set_title(f"{s.label} ({s.total})", fontsize=14, loc="left")
            ax.set_ylim(0, max(s.total, 1))
            ax.set_xlim(0, max(end, 1.0))
            ax.yaxis.get_major_locator().set_params(integer=True)
        for j in range(len(series), nrows * cols):
            axes[j // cols][j % cols].set_visible(False)
        for ax in axes[-1]:
            ax.set_xlabel(t("axis_minutes", lang))
        fig.suptitle(title, x=0.01, ha="left", fontsize=17)
        fig.legend(loc="lower center", ncol=3, frameon=False, bbox_to_anchor=(0.5, 0.0))
        margins(fig, 0.8, 0.3, 0.9, 1.6, hspace=0.5, wspace=0.15)
        return fig


# ---------------------------------------------------------------- objectives


def objectives_chart(objectives: list[tuple[str, str]], teams: list[str], ratings: list[list[str]],
                     lang: str) -> Figure | None:
    """Heatmap objectives x teams, coloured P/S/M/U with the letter in each cell."""
    if not objectives or not teams:
        return None
    with styled():
        fig = new_figure(min(WIDTH, 8 + 2.2 * len(teams)), 1.9 + 0.7 * len(objectives))
        ax = fig.add_subplot()
        ax.grid(False)
        for i in range(len(objectives)):
            for j in range(len(teams)):
                r = ratings[i][j]
                ax.add_patch(_mpl().patches.Rectangle((j, i), 0.96, 0.92, color=RATING_COLOURS.get(r, OI["grey"])))
                ax.text(j + 0.48, i + 0.46, r, ha="center", va="center", fontsize=20, fontweight="bold",
                        color="white" if r in ("P", "U") else "black")
        ax.set_xlim(0, len(teams))
        ax.set_ylim(len(objectives), 0)
        ax.set_xticks([j + 0.48 for j in range(len(teams))], [short_label(tm, 14) for tm in teams])
        ax.xaxis.tick_top()
        ax.set_yticks([i + 0.46 for i in range(len(objectives))], [f"{o}  {lab}" for o, lab in objectives])
        for side in ("left", "bottom", "top", "right"):
            ax.spines[side].set_visible(False)
        ax.tick_params(length=0)
        fig.suptitle(t("ch_objectives", lang), x=0.01, ha="left", fontsize=17)
        margins(fig, _label_width([f"{o}  {lab}" for o, lab in objectives], 13), 0.3, 1.3, 0.2)
        return fig


# ---------------------------------------------------------------- log quality


def log_quality_chart(per_team: list[tuple[str, LogSummary]], lang: str) -> Figure | None:
    """Share of the decision points that opened whose log entry meets each rule (a missing entry meets none)."""
    per_team = [(tm, s) for tm, s in per_team if s.checks]
    if not per_team:
        return None
    with styled():
        fig = new_figure(WIDTH, 1.8 + 0.55 * len(LOG_RULES) * len(per_team) + 0.5)
        ax = fig.add_subplot()
        h = 0.8 / len(per_team)
        for k, (tm, s) in enumerate(per_team):
            vals = [100 * (s.share_rule(r) or 0.0) for r in LOG_RULES]
            ys = [i + (k - (len(per_team) - 1) / 2) * h for i in range(len(LOG_RULES))]
            ax.barh(ys, vals, height=h * 0.9, color=SERIES[k % len(SERIES)], label=short_label(tm))
            for yy, v, rule in zip(ys, vals, LOG_RULES, strict=True):
                # The same counts as the text: points whose entry meets the rule, of the points that opened.
                ax.annotate(f"{s.count_rule(rule)} / {s.points} ({v:.0f} %)", (v, yy), xytext=(4, 0),
                            textcoords="offset points", va="center")
        ax.set_yticks(range(len(LOG_RULES)), [t(f"rule_{r}", lang) for r in LOG_RULES])
        ax.invert_yaxis()
        ax.set_xlim(0, 125)  # room for the "n / N (%)" labels; the axis itself stops at 100 %
        ax.set_xticks(range(0, 101, 20))
        ax.set_xlabel(t("axis_share", lang))
        ax.set_title(t("ch_log", lang), loc="left")
        if len(per_team) > 1:  # below the axes, never over the bars
            fig.legend(loc="lower center", ncol=min(len(per_team), 4), frameon=False, bbox_to_anchor=(0.5, 0.0))
        margins(fig, _label_width([t(f"rule_{r}", lang) for r in LOG_RULES]), 0.4, 0.6,
                1.5 if len(per_team) > 1 else 0.9)
        return fig


# ---------------------------------------------------------------- output


def save(fig: Figure, stem: str, *, svg: bool = True) -> dict[str, Any]:
    """Render a figure: {"png": bytes, "svg": bytes, "rgb": (width, height, raw RGB bytes)}.

    The raw RGB pixels let the PDF embed the chart without decoding the PNG again.
    """
    import io

    out: dict[str, Any] = {}
    with styled(), warnings.catch_warnings():
        # A character the chart font lacks (a team named in another script) is drawn as a box; the
        # warning matplotlib prints for each would reach the instructor's terminal, so it is not shown.
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from", category=UserWarning)
        buf = io.BytesIO()
        # Fast zlib level: PNG size grows ~15 %, encoding time drops by two thirds.
        fig.savefig(buf, format="png", metadata={"Software": "sitroom"}, pil_kwargs={"compress_level": 2})
        out["png"] = buf.getvalue()
        canvas = fig.canvas
        rgba = canvas.buffer_rgba()
        w, h = canvas.get_width_height()
        import numpy as np

        out["rgb"] = (w, h, np.ascontiguousarray(np.asarray(rgba)[:, :, :3]).tobytes())
        if svg:
            buf = io.BytesIO()
            fig.savefig(buf, format="svg", metadata={"Date": None})
            out["svg"] = buf.getvalue()
    return out
