"""The exercise room: what the team sees (clock, situation, messages, units, decisions).

The screen only renders the session: the app's timer advances the engine and
then calls `RoomScreen.refresh_view`, which updates DataTable cells by key and
appends new lines to a bounded feed. Only events and quantities the team's
role may see reach the team's widgets; the instructor's ground truth (an extra
board column, instructor-only rows and messages marked ◆) exists only in an
instructor session, and only while the instructor has it switched on.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, RichLog, Static

from simulator import Event, QuantityView, Snapshot, tr
from simulator.clock import fmt_elapsed
from simulator.text import KNOWLEDGE_WORDS, range_text

from . import actions
from .dialogs import inject_label
from .feed import (
    channel_label,
    channels,
    event_channel,
    event_line,
    fit,
    left_text,
    line,
    local_time,
)
from .i18n import t

if TYPE_CHECKING:
    from .app import SitroomApp
    from .session import Session

# The feed is bounded (the whole history is in the journal). Writing a wrapped line costs about
# a millisecond, so a rebuild (language switch, resize) re-renders only the recent past and a
# burst of messages in one frame shows only its newest lines.
FEED_MAX_LINES = 1000
REBUILD_LINES = 200
BURST_LINES = 200


def quantity_value(session: Session, q: QuantityView, lang: str, truth: bool = False) -> str:
    """The board's value cell: the value as this viewer sees it ('*' when reported late); for a
    quantity the viewer does not know yet, its estimate's range, or '?' (never the truth)."""
    spec = session.scenario.state[q.id]
    if q.value is None:
        est = q.estimate
        return "?" if est is None or est.unknown or est.low is None or est.high is None else range_text(est.low, est.high)
    if spec.integer and spec.lo == 0 and spec.hi == 1:
        return t("yes", lang) if q.value >= 0.5 else t("no", lang)
    v = f"{q.value:g}" if spec.integer else f"{q.value:.1f}"
    return v + ("*" if spec.report_delay > 0 and not truth else "")


def quantity_change(session: Session, q: QuantityView, lang: str) -> Text:
    """The board's change cell: the last change the viewer saw, or the word estimate/unknown."""
    if q.value is None:
        word = "unknown" if q.estimate is None or q.estimate.unknown else "estimate"
        return Text(tr(KNOWLEDGE_WORDS[word], lang), style="italic")
    if q.previous is None or q.changed_at is None:
        return Text("")
    spec = session.scenario.state[q.id]
    delta = q.value - q.previous
    if spec.integer and spec.lo == 0 and spec.hi == 1:
        mark = "▲" if delta > 0 else "▼"
        txt = f"{mark} {local_time(session.scenario, q.changed_at)}"
    else:
        mark = "▲" if delta > 0 else "▼"
        txt = f"{mark}{abs(delta):g} {local_time(session.scenario, q.changed_at)}"
    recent = session.sim.now - q.changed_at <= 5
    return Text(txt, style="bold" if recent else "dim")


class RoomScreen(actions.Keyed, Screen[None]):
    """The team's (and the instructor's) live view of the exercise."""

    CSS_PATH = "room.tcss"
    BINDINGS = actions.class_bindings("room")
    AUTO_FOCUS = "#feed"

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.show_truth = False
        self.channel: str | None = None  # feed filter: one channel, or None for all
        self.notes: list[tuple[float, str]] = []  # instructor notes (t, text), shown with the ground truth
        self._cells: dict[tuple[str, str, str], object] = {}
        self._open_rows: set[str] = set()
        self._last_sig: tuple[float, int, int, str] = (-1.0, -1, -1, "")
        self._built_for = None
        self._rendered = -1  # the seq of the newest event in the feed
        self._task_w = 12
        self._unit_text: dict[str, str] = {}  # each unit's whole task and place (the cell may be cut)
        self._places = False
        self._ready = False  # the tables have their rows (the first frame may come before mount)

    @property
    def lang(self) -> str:
        return self.session.lang

    def key_instructor(self) -> bool:
        """The instructor's keys are live in the instructor's room."""
        return self.session.instructor

    # ---------------------------------------------------------------- layout
    def compose(self) -> ComposeResult:
        yield Static(id="clockbar")
        yield Static(id="alert")
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield DataTable(id="board", cursor_type="row", zebra_stripes=True)
                yield DataTable(id="units", cursor_type="row")
            with Vertical(id="right"):
                yield DataTable(id="open", cursor_type="row")
                yield RichLog(id="feed", max_lines=FEED_MAX_LINES, wrap=True, min_width=20)
        yield Static(id="keybar")

    def on_mount(self) -> None:
        self.rebuild()
        self.call_after_refresh(self.room_app.first_frame)

    # ---------------------------------------------------------------- (re)building in the current language
    def rebuild(self) -> None:
        """Set titles and columns in the current language and re-render the history."""
        lang = self.lang
        s = self.session
        self._cells.clear()
        self._open_rows.clear()
        self._built_for = self.app.size
        board = self.query_one("#board", DataTable)
        board.clear(columns=True)
        # Fit the three columns in the left panel; long labels end in an ellipsis.
        truth = self.truth_on
        inner = max(int(self.app.size.width * 0.5), 44) - 5
        snap = s.sim.snapshot(s.role)
        # Room for the word "desconocido" while some quantity is known only as an estimate.
        change_w = 11 if any(q.value is None for q in snap.quantities) else 10
        label_w = max(inner - 5 - change_w - 6 - (7 if truth else 0), 12)
        board.add_column(t("col_quantity", lang), key="label", width=label_w)
        board.add_column(t("col_value", lang), key="value", width=5)
        board.add_column(t("col_change", lang), key="change", width=change_w)
        shown = {q.id for q in snap.quantities}
        if truth:
            board.add_column(t("col_truth", lang), key="truth", width=5)
        # Long labels wrap onto a second line rather than being cut (the board scrolls when it must).
        for q in snap.quantities:
            board.add_row(Text(tr(s.scenario.state[q.id].label, lang)), "", "", *([""] if truth else []),
                          key=q.id, height=None)
        if truth:  # quantities only the instructor sees, marked
            for qid, spec in s.scenario.state.items():
                if qid not in shown:
                    board.add_row(Text("◆ " + tr(spec.label, lang), style="italic"), "", "", "", key=qid,
                                  height=None)
        board.border_title = t("board_truth" if truth else "board", lang)
        self._update_keybar()
        delayed = any(s.scenario.state[q.id].report_delay > 0 for q in snap.quantities)
        board.border_subtitle = t("delayed_note", lang) if delayed else ""
        units = self.query_one("#units", DataTable)
        units.clear(columns=True)
        units.border_title = t("units", lang)
        # Unit, status, task and place, ETA: the ETA always shows; long names give way first to the task.
        scn = s.scenario
        self._places = any(r.base for r in scn.resources.values()) or any(k.site for k in scn.tasks.values())
        room_w = inner + 3 - 8  # inside the border, less four columns' padding
        longest = max((len(self._unit_name(u.id, u.resource)) for u in snap.units), default=8)
        unit_w = max(min(longest, room_w - 11 - 5 - 6, int(room_w * 0.4)), 8)
        self._task_w = max(room_w - unit_w - 11 - 5, 4)
        units.add_column(t("col_unit", lang), key="unit", width=unit_w)
        units.add_column(t("col_status", lang), key="status", width=11)
        wide = self._places and len(t("col_task_place", lang)) <= self._task_w
        units.add_column(t("col_task_place" if wide else "col_task", lang), key="task", width=self._task_w)
        units.add_column(t("col_eta", lang), key="eta", width=5)
        for u in snap.units:
            units.add_row(Text(self._unit_name(u.id, u.resource)), "", "", "", key=u.id, height=None)
        opn = self.query_one("#open", DataTable)
        opn.clear(columns=True)
        opn.border_title = t("decisions", lang)
        # The time left always shows; long titles wrap.
        right_w = self.app.size.width - max(int(self.app.size.width * 0.5), 44) - 2 - 4 - 1
        left_w = max(len(t("col_left", lang)), 8)
        opn.add_column(t("col_decision", lang), key="title", width=max(right_w - left_w, 12))
        opn.add_column(t("col_left", lang), key="left", width=left_w)
        feed = self.query_one("#feed", RichLog)
        feed.border_title = t("feed", lang)
        feed.border_subtitle = tr(s.scenario.title, lang)
        feed.clear()
        # The newest event in the feed, by its sequence number: events drained later may repeat the
        # history just drawn. (Not a count: a class team sees only its share of the host's events.)
        self._rendered = s.sim.events[-1].seq if s.sim.events else -1
        lines: list[tuple[float, float, Text]] = []
        for ev in reversed(s.sim.events):  # newest first: only the recent past is re-rendered
            ln = self._line(ev)
            if ln is not None:
                lines.append((ev.t, ev.seq, ln))
                if len(lines) >= REBUILD_LINES:
                    break
        lines.reverse()
        if truth:
            lines += [(nt, math.inf, self._note_line(nt, text)) for nt, text in self.notes]
            lines.sort(key=lambda x: (x[0], x[1]))
        for _, _, ln in lines[-REBUILD_LINES:]:
            feed.write(ln)
        feed.border_title = (t("feed", lang) + (f" + {t('ground_truth', lang)}" if truth else "")
                             + (f" · {channel_label(self.channel, lang)} (C)" if self.channel else ""))
        self._last_sig = (-1.0, -1, -1, "")
        self._ready = True
        self.refresh_view([])

    def on_resize(self) -> None:
        # Re-fit the columns and re-wrap the feed when the terminal changes size (not on inner
        # layout changes), once the new layout has been computed: the feed wraps at its new width.
        if self._ready and self.app.size != self._built_for:
            self._built_for = self.app.size
            self.call_after_refresh(self.rebuild)

    def _unit_name(self, uid: str, resource: str, width: int = 200) -> str:
        """'CERT squad 2': the resource's label and the unit's number (the number is never cut)."""
        res = self.session.scenario.resources.get(resource)
        label = tr(res.label, self.lang) if res else resource
        n = uid.rsplit("_", 1)[-1]
        if not n.isdigit():
            return fit(label, width)
        return f"{fit(label, width - len(n) - 1)} {n}"

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """The highlighted unit's whole task and place, under the table (its cell may be cut)."""
        if event.data_table.id == "units" and event.row_key.value is not None:
            self._unit_subtitle(event.data_table, event.row_key.value)

    def _unit_subtitle(self, table: DataTable, uid: str) -> None:
        """The units table's subtitle: the unit `uid`'s name, task and place as they are now."""
        unit = self.session.sim.units.get(uid)
        name = self._unit_name(uid, unit.resource) if unit else uid
        where = self._unit_text.get(uid, "")
        table.border_subtitle = fit(f"{name}: {where}" if where else name, 60)

    # ---------------------------------------------------------------- per-frame update
    def _set(self, table: DataTable, row: str, col: str, value: object) -> None:
        key = (table.id or "", row, col)
        if self._cells.get(key) != value:
            self._cells[key] = value
            table.update_cell(row, col, value, update_width=True)

    def refresh_view(self, new_events: list[Event]) -> None:
        """Bring every widget up to date with the session (called on every frame)."""
        s = self.session
        lang = self.lang
        if not self._ready:
            return  # rebuild() renders the whole history when the screen mounts
        self._update_clockbar()
        lines = [ln for ev in new_events if ev.seq > self._rendered and (ln := self._line(ev)) is not None]
        if new_events:
            self._rendered = max(self._rendered, new_events[-1].seq)
        if lines:
            feed = self.query_one("#feed", RichLog)
            for ln in lines[-BURST_LINES:]:
                feed.write(ln)
        sig = (s.sim.now, len(s.sim.events), len(self.room_app.seen), self.room_app.problem)
        if sig == self._last_sig:
            return
        self._last_sig = sig
        snap = s.sim.snapshot(s.role)
        board = self.query_one("#board", DataTable)
        for q in snap.quantities:
            self._set(board, q.id, "value", quantity_value(s, q, lang))
            self._set(board, q.id, "change", quantity_change(s, q, lang))
        units = self.query_one("#units", DataTable)
        for u in snap.units:
            self._set(units, u.id, "status", t(f"status_{u.status}", lang))
            task = s.scenario.tasks.get(u.task or "")
            place = tr(u.location, lang) if u.location else ""
            cell = tr(task.label, lang) + (f" · {place}" if place else "") if task else place
            self._set(units, u.id, "task", fit(cell, self._task_w))
            self._unit_text[u.id] = cell
            self._set(units, u.id, "eta", local_time(s.scenario, u.eta) if u.eta is not None else "")
        if units.row_count and units.cursor_row is not None and 0 <= units.cursor_row < units.row_count:
            # The subtitle follows the highlighted unit as it moves, not only when the cursor does.
            row = units.coordinate_to_cell_key((units.cursor_row, 0)).row_key.value
            if row is not None:
                self._unit_subtitle(units, row)
        self._update_open(snap)
        self._update_alert(snap)
        if self.truth_on:
            for q in s.sim.snapshot(None).quantities:
                v = quantity_value(s, q, lang, truth=True)
                self._set(board, q.id, "truth", v)
                if q.id not in {x.id for x in snap.quantities}:
                    self._set(board, q.id, "value", v)

    def _update_keybar(self) -> None:
        bar = actions.key_bar("room", self.lang, self.session.instructor, max(self.app.size.width - 1, 20))
        self.query_one("#keybar", Static).update(bar)

    def _update_clockbar(self) -> None:
        s = self.session
        lang = self.lang
        status = s.status_key()
        halted = s.scenario.decisions.get(s.sim.halted_for or "")
        state = t(status, lang, dp=tr(halted.title, lang) if halted else "")
        icon = {"running": "▶", "paused": "⏸", "halted": "⏸", "ended": "■", "waiting": "⏸"}[status]
        who = t("instructor", lang) if s.instructor else tr(s.scenario.roles.get(s.role), lang) or s.role
        # Most important first; what does not fit is the team and role (also in the briefing, B).
        width = max(self.app.size.width - 2, 20)
        gap = "  │  " if width >= 110 else " │ "
        bar = Text()
        bar.append(f" {s.local_time(s.sim.now)} ", style="bold reverse")
        bar.append(f"{gap}T+{fmt_elapsed(s.sim.now)}{gap}", style="bold")
        bar.append(f"{icon} {state}", style="bold" if status == "running" else "bold reverse")
        bar.append(f"{gap}{s.speed_text(lang)}{gap}")
        bar.append(t("seed", lang, seed=s.seed), style="dim")
        room = width - bar.cell_len - len(gap)
        if room >= 8:
            bar.append(gap)
            bar.append(fit(t("team_role", lang, team=s.exercise.team, role=who), room), style="bold")
        self.query_one("#clockbar", Static).update(bar)

    def _update_alert(self, snap: Snapshot) -> None:
        """The banner: a journal that cannot be written, else the most urgent decision not yet opened."""
        alert = self.query_one("#alert", Static)
        problem = self.room_app.problem
        unseen = [d for d in snap.open_decisions if d.id not in self.room_app.seen]
        unseen.sort(key=lambda d: (d.deadline_at is None, d.deadline_at or 0.0))
        if problem:
            alert.update(Text("⚠ " + problem, style="bold reverse"))
            alert.set_class(True, "problem")
        elif unseen:
            d = unseen[0]
            left = None if d.deadline_at is None else d.deadline_at - snap.t
            title = tr(self.session.scenario.decisions[d.id].title, self.lang)
            alert.update(Text("⚠ " + t("alert_decision", self.lang, title=title, left=left_text(left, self.lang)),
                              style="bold reverse"))
            alert.set_class(False, "problem")
        alert.display = bool(problem or unseen)

    def _update_open(self, snap: Snapshot) -> None:
        s = self.session
        opn = self.query_one("#open", DataTable)
        current = {d.id for d in snap.open_decisions}
        for gone in self._open_rows - current:
            self._open_rows.discard(gone)
            opn.remove_row(gone)
            for col in ("title", "left"):
                self._cells.pop(("open", gone, col), None)
        for d in snap.open_decisions:
            dp = s.scenario.decisions[d.id]
            if d.id not in self._open_rows:
                opn.add_row(Text(tr(dp.title, self.lang)), "", key=d.id, height=None)
                self._open_rows.add(d.id)
            left = None if d.deadline_at is None else d.deadline_at - snap.t
            self._set(opn, d.id, "left", left_text(left, self.lang))
        opn.display = True
        if not current:
            opn.border_subtitle = t("no_open_decisions", self.lang)
        else:
            opn.border_subtitle = ""

    @property
    def truth_on(self) -> bool:
        """Is the ground truth on screen? Only ever in an instructor session."""
        return self.session.instructor and self.show_truth

    def _line(self, ev: Event, filtered: bool = True) -> Text | None:
        """The feed line for an event: the team's, or (ground truth on) the instructor's."""
        s = self.session
        if filtered and self.channel is not None and event_channel(s.scenario, ev) != self.channel:
            return None
        if s.visible(ev):
            return event_line(s.scenario, ev, self.lang, s.exercise.team)
        if not self.truth_on:
            return None
        if ev.kind == "state":
            q = s.scenario.state.get(ev.ref)
            if q is None or s.scenario.visible(q.audience, s.role):
                return None  # the team sees it on the board (with its report delay)
            body = f"{tr(q.label, self.lang)} = {ev.data.get('value')}"
        elif ev.kind == "process":
            p = s.scenario.processes.get(ev.ref)
            body = t("ev_process", self.lang, label=tr(p.label, self.lang) if p else ev.ref, n=ev.data.get("n", ""))
        elif ev.kind == "expectation":
            key = "ev_expectation_met" if ev.data.get("met") else "ev_expectation_missed"
            inj = s.scenario.injects.get(ev.ref)
            body = t(key, self.lang, id=inject_label(inj, self.lang) if inj else ev.ref,
                     any_of=" / ".join(self._command_label(x) for x in ev.data.get("any_of", [])))
        elif ev.kind == "order_rejected":
            o = s.scenario.orders.get(ev.ref)
            body = t("ev_order_rejected", self.lang, label=tr(o.label, self.lang) if o else ev.ref)
        else:
            ln = event_line(s.scenario, ev, self.lang, s.exercise.team)
            if ln is None:
                return None
            return Text("◆ ", style="bold") + ln
        return line(local_time(s.scenario, ev.t), "intel", "◆", body, self.lang)

    def _command_label(self, ref: str) -> str:
        """A decision point's title or an order's label (never its id)."""
        scn = self.session.scenario
        if ref in scn.decisions:
            return tr(scn.decisions[ref].title, self.lang)
        if ref in scn.orders:
            return tr(scn.orders[ref].label, self.lang)
        return ref

    def _note_line(self, at: float, text: str) -> Text:
        return line(local_time(self.session.scenario, at), "note", "◆", text, self.lang)

    def write_note(self, at: float, text: str) -> None:
        """Keep an instructor note for the ground-truth view (never shown to the team)."""
        self.notes.append((at, text))
        if self.truth_on:
            self.query_one("#feed", RichLog).write(self._note_line(at, text))

    def channel_counts(self) -> dict[str, int]:
        """How many feed lines each channel has so far (only channels with messages)."""
        scn = self.session.scenario
        counts: dict[str, int] = {}
        for ev in self.session.sim.events:
            if self._line(ev, filtered=False) is not None:
                ch = event_channel(scn, ev)
                counts[ch] = counts.get(ch, 0) + 1
        return {ch: counts[ch] for ch in channels(scn) if ch in counts}

    def cycle_channel(self) -> None:
        """Show one channel at a time in the feed (C), only channels with messages, then all again."""
        counts = self.channel_counts()
        options: list[str | None] = [None, *counts]
        if self.channel not in options:
            options.append(self.channel)
        self.channel = options[(options.index(self.channel) + 1) % len(options)]
        if len(options) == 1:
            self.room_app.notify(t("no_channel_messages", self.lang))
        elif self.channel is not None:
            names = ", ".join(f"{channel_label(ch, self.lang)} {n}" for ch, n in counts.items())
            self.room_app.notify(names, title=t("channel_counts", self.lang), timeout=4)
        self.rebuild()

    def action_cycle_channel(self) -> None:
        self.cycle_channel()

    def toggle_truth(self) -> None:
        if self.session.instructor:
            self.show_truth = not self.show_truth
            self.rebuild()

    def set_language(self) -> None:
        self.refresh_bindings()
        self.rebuild()

    # ---------------------------------------------------------------- actions (delegate to the app)
    @property
    def room_app(self) -> SitroomApp:
        return self.app  # type: ignore[return-value]

    def action_answer(self) -> None:
        self.room_app.answer_decision()

    def action_orders(self) -> None:
        self.room_app.open_orders()

    def action_focus_feed(self) -> None:
        self.query_one("#feed").focus()

    def action_toggle_pause(self) -> None:
        self.room_app.toggle_pause()

    def action_faster(self) -> None:
        self.room_app.change_speed(+1)

    def action_slower(self) -> None:
        self.room_app.change_speed(-1)

    def action_step(self) -> None:
        self.room_app.step()

    def action_inject(self) -> None:
        self.room_app.open_injects()

    def action_note(self) -> None:
        self.room_app.open_note()

    def action_briefing(self) -> None:
        self.room_app.show_briefing()

    def action_toggle_truth(self) -> None:
        self.toggle_truth()

    def action_end_exercise(self) -> None:
        self.room_app.confirm_end()
