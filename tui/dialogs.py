"""The small windows of the exercise room: orders, injects, notes, confirm, help, the end.

Each is a ModalScreen returning its result with `dismiss()`. List windows are
re-filled on every frame by the app (`on_tick`), so an order that stops being
possible (its units were taken) shows as such before it is chosen; if it
happens in between, the engine's refusal is shown inline and the list stays.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.geometry import Size
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, DataTable, Footer, Input, OptionList, Static
from textual.widgets.option_list import Option

from simulator import CommandRejected, JournalError, tr
from simulator.clock import fmt_elapsed, fmt_speed

from . import actions
from .feed import channel_label, end_reason_text
from .i18n import t, tn

if TYPE_CHECKING:
    from simulator.scenario import Dist, Inject
    from simulator.units import Site

    from .session import Session


# `choose` returns this when it has opened a window of its own (a confirmation) and the list stays.
KEEP_OPEN = "\0keep-open"


class ListDialog(ModalScreen[str | None]):
    """A titled list; Enter chooses an item, `choose` returns an error message or None (done).

    Every item can be highlighted, possible or not (an impossible one is drawn dim and says
    why), so the cursor stays where the user left it while items change. With `numbered`,
    keys 1-9 choose the item with that number; `describe` gives a line about the highlighted item.
    """

    CSS_PATH = "dialogs.tcss"
    BINDINGS = [Binding("escape", "close", "Esc", show=False)]

    class Highlighted(Message):
        """The user moved the cursor to `key` in the list of `purpose`."""

        def __init__(self, purpose: str, key: str) -> None:
            super().__init__()
            self.purpose = purpose
            self.key = key

    def __init__(self, title: str, hint: str, items: list[tuple[str, Text | str, bool]],
                 choose: Callable[[str], str | None], purpose: str = "", *, start: str | None = None,
                 describe: Callable[[str], str] | None = None, numbered: bool = False) -> None:
        super().__init__()
        self.purpose = purpose  # "orders", "injects": the app refreshes these lists every frame
        self.title_text = title
        self.hint = hint
        self.items = items
        self.choose = choose
        self.start = start
        self.describe = describe
        self.numbered = numbered

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.title_text, classes="dtitle")
            yield OptionList(*self._options(self.items), id="list")
            if self.describe is not None:
                yield Static("", id="describe", classes="describe")
            yield Static("", id="error", classes="error")
            yield Static(self.hint, classes="hint")

    def on_mount(self) -> None:
        ol = self.query_one("#list", OptionList)
        keys = [key for key, _, _ in self.items]
        if self.items:
            ol.highlighted = keys.index(self.start) if self.start in keys else 0
        self._describe()
        self._refit()

    def on_resize(self, event: events.Resize) -> None:
        """Keep the description, the error and the hint on screen in a short terminal (the list scrolls)."""
        self._refit()

    def _refit(self) -> None:
        # What is below the list is known only once laid out at this width: measure it then.
        self.call_after_refresh(self._fit_list)

    def _fit_list(self) -> None:
        """Give the list the rows the window has left after its title, description, error and hint."""
        if not self.is_attached:
            return
        dialog = self.query_one(".dialog")
        ol = self.query_one("#list", OptionList)
        width = dialog.content_size.width
        if width <= 0:
            return
        screen = self.app.size
        cap_rows = dialog.styles.max_height  # the window's own max-height (dialogs.tcss)
        rows = int(cap_rows.resolve(screen, screen)) if cap_rows is not None else screen.height
        others = 0
        for w in dialog.children:
            if w is ol:
                continue
            # Measured from the text at this width: the layout of a text just updated is not known yet.
            h = w.get_content_height(Size(width, screen.height), screen, width)
            cap = w.styles.max_height
            if cap is not None and cap.is_cells:
                h = min(h, int(cap.value) - w.styles.gutter.height)
            others += h + w.styles.gutter.height + w.styles.margin.height
        chrome = dialog.styles.gutter.height
        fit = max(3, min(20, rows - chrome - others - ol.styles.margin.height))
        if ol.styles.max_height is None or ol.styles.max_height.value != fit:
            ol.styles.max_height = fit

    @staticmethod
    def _options(items: list[tuple[str, Text | str, bool]]) -> list[Option]:
        return [Option(label if ok else Text(str(label), style="dim"), id=key) for key, label, ok in items]

    @property
    def highlighted_key(self) -> str | None:
        """The id of the highlighted item."""
        ol = self.query_one("#list", OptionList)
        if ol.highlighted is None or not self.items:
            return None
        return self.items[min(ol.highlighted, len(self.items) - 1)][0]

    def set_items(self, items: list[tuple[str, Text | str, bool]]) -> None:
        """Replace the items if they changed, keeping the highlighted one (by id)."""
        if items == self.items:
            return
        key = self.highlighted_key
        self.items = items
        ol = self.query_one("#list", OptionList)
        ol.clear_options()
        ol.add_options(self._options(items))
        keys = [k for k, _, _ in items]
        if items:
            ol.highlighted = keys.index(key) if key in keys else 0
        self._describe()

    def _describe(self) -> None:
        if self.describe is None:
            return
        key = self.highlighted_key
        self.query_one("#describe", Static).update(self.describe(key) if key else "")
        self._refit()

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._describe()
        key = event.option.id or ""
        if key:
            self.post_message(self.Highlighted(self.purpose, key))
        self.query_one("#error", Static).update("")

    def on_key(self, event: events.Key) -> None:
        if self.numbered and event.character and event.character.isdigit():
            n = int(event.character)
            if 1 <= n <= len(self.items):
                event.stop()
                self._choose(self.items[n - 1][0])

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self._choose(event.option.id or "")

    def _choose(self, key: str) -> None:
        err = self.choose(key)
        if err == KEEP_OPEN:
            return
        if err:
            self.query_one("#error", Static).update(err)
            self._refit()
        else:
            self.dismiss(key)

    def action_close(self) -> None:
        self.dismiss(None)


def order_items(session: Session, lang: str) -> list[tuple[str, Text | str, bool]]:
    """Orders the team may see: label, and why not when they cannot be given now."""
    out: list[tuple[str, Text | str, bool]] = []
    for o in session.scenario.orders.values():
        if not session.scenario.visible(o.audience, session.role):
            continue
        why = session.order_why(o.id, lang)
        label = Text(("✗ " if why else "› ") + tr(o.label, lang), style="bold")
        if o.irreversible:
            label.append(f" [{t('irreversible', lang)}]", style="bold")
        if o.detail:
            label.append(f" — {tr(o.detail, lang)}", style="")
        if why:
            label.append(f"  ({why})", style="italic")
        out.append((o.id, label, not why))
    return out


def _minutes(dist: Dist | None, values: Mapping[str, float], lang: str) -> str:
    """A distribution of minutes in words: '10 min', '5-15 min', '≈ 20 min'."""
    if dist is None:
        return ""

    def p(name: str) -> float | None:
        e = dist.params.get(name)
        if e is None:
            return None
        try:
            return float(e(values))
        except Exception:  # an expression of the state that cannot be read now: say nothing
            return None

    lo, hi = None, None
    if dist.kind in ("uniform", "triangular"):
        lo, hi = p("low"), p("high")
    elif dist.kind == "empirical" and dist.values:
        lo, hi = min(dist.values), max(dist.values)
    if lo is not None and hi is not None:
        return t("minutes_range", lang, lo=f"{lo:.0f}", hi=f"{hi:.0f}")
    mid = p("value") if dist.kind == "fixed" else (p("median") if dist.kind == "lognormal" else p("mean"))
    if mid is None:
        return ""
    return t("minutes_about" if dist.kind != "fixed" else "minutes_exact", lang, n=f"{mid:.0f}")


def order_detail(session: Session, order_id: str, lang: str) -> str:
    """What an order commits: which units (and how many are free), travel and work time, limits."""
    scn = session.scenario
    o = scn.orders[order_id]
    # What this role may know, never the ground truth: a trainee's estimate of travel and work uses
    # the quantities as reported to it, and units of a resource it cannot see are not counted.
    role = None if session.instructor else session.role
    view = session.sim.snapshot(role)
    values = {q.id: q.value for q in view.quantities if q.value is not None}  # not an estimate's stand-in
    parts: list[str] = []
    tasks = [o.task] if o.task else []
    tasks += [e.target for e in o.effects if e.verb == "task" and e.target not in tasks]
    for e in o.effects:
        if e.verb == "mobilise" and e.target in scn.resources:
            res = scn.resources[e.target]
            n = e.count or res.standby
            parts.append(tn("detail_mobilise", n, lang, res=tr(res.label, lang)))
    snap_free = {r: 0 for r in scn.resources}
    for u in view.units:
        if u.status == "ready":
            snap_free[u.resource] = snap_free.get(u.resource, 0) + 1
    for tid in tasks:
        task = scn.tasks.get(tid)
        if task is None:
            continue
        sends = []
        several = len(task.kinds) > 1  # one phrase: the units of every kind leave together
        for rid, n in task.kinds:
            res = scn.resources.get(rid)
            label = tr(res.label, lang) if res else rid
            seen = res is not None and scn.visible(res.audience, role)
            if several:
                sends.append(tn("detail_part", n, lang, res=label, free=snap_free.get(rid, 0)) if seen
                             else tn("detail_part_unseen", n, lang, res=label))
            elif not seen:
                sends.append(tn("detail_sends_unseen", n, lang, res=label, task=tr(task.label, lang)))
            else:
                sends.append(tn("detail_sends", n, lang, res=label, task=tr(task.label, lang),
                                free=snap_free.get(rid, 0)))
        text = (t("detail_sends_all", lang, parts=t("detail_and", lang).join(sends), task=tr(task.label, lang))
                if several else sends[0])
        res = scn.resources.get(task.resource)
        travel = _minutes(task.travel or (res.travel if res else None), values, lang)
        work = _minutes(task.work, values, lang)
        if travel:
            text += " · " + t("detail_travel", lang, t=travel)
        if work:
            text += " · " + t("detail_work", lang, t=work)
        elif task.until is not None:
            text += " · " + t("detail_until", lang)
        parts.append(text)
    status = next((ov.status for ov in view.orders if ov.id == order_id), None)
    if status is not None and status.ok and status.behind is not None:  # free units, but another run is first in line
        ahead = scn.tasks.get(status.behind)
        parts.append(t("detail_behind", lang, ahead=tr(ahead.label, lang)) if ahead is not None
                     else t("detail_behind_unseen", lang))
    pp = o.params
    if pp is not None:
        what = []
        if pp.count is not None:
            what.append(t("detail_choose_count", lang, lo=pp.count.lo, hi=pp.count.hi))
        if pp.sites:
            what.append(t("detail_choose_site", lang))
        parts.append(t("detail_choose", lang, what=t("detail_and", lang).join(what)))
    if not parts:
        parts.append(t("detail_none", lang))
    if o.limit is not None:
        parts.append(tn("detail_limit", o.limit, lang))
    if o.irreversible:
        parts.append(t("detail_irreversible", lang))
    return "; ".join(parts) + "."


def free_units(session: Session, resource: str) -> int | None:
    """Units of `resource` ready now as this session may know it (None: its role may not see them)."""
    scn = session.scenario
    role = None if session.instructor else session.role
    res = scn.resources.get(resource)
    if res is None or not scn.visible(res.audience, role):
        return None
    return sum(1 for u in session.sim.snapshot(role).units if u.resource == resource and u.status == "ready")


class OrderParamsScreen(ModalScreen[bool]):
    """The parameters of an order, chosen by keyboard: how many units (within the limits shown) and
    the site. Enter gives the order through `give`, which returns an error to show, None when the
    order is in, or KEEP_OPEN when it opened a window of its own (a confirmation)."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS = [Binding("escape", "close", "Esc", show=False),
                Binding("left,minus", "less", show=False), Binding("right,plus,equals_sign", "more", show=False),
                Binding("enter", "give", show=False)]

    def __init__(self, session: Session, order_id: str, lang: str,
                 give: Callable[[dict[str, int | str]], str | None]) -> None:
        super().__init__()
        self.session = session
        self.order = session.scenario.orders[order_id]
        self.lang = lang
        self.give = give
        pp = self.order.params
        assert pp is not None
        self.spec = pp
        self.count = pp.count.default if pp.count is not None else 0
        self._clamp()

    # ------------------------------------------------------------ the limits
    def limits(self) -> tuple[int, int, int | None]:
        """(lowest, highest, free now or None when unseen) the count may take now."""
        c = self.spec.count
        assert c is not None
        free = free_units(self.session, c.resource)
        return c.lo, c.hi if free is None else max(c.lo, min(c.hi, free)), free

    def _clamp(self) -> None:
        if self.spec.count is not None:
            lo, hi, _ = self.limits()
            self.count = max(lo, min(hi, self.count))

    def compose(self) -> ComposeResult:
        lang = self.lang
        with Vertical(classes="dialog", id="params"):
            yield Static(tr(self.order.label, lang), classes="dtitle")
            if self.spec.count is not None:
                res = self.session.scenario.resources.get(self.spec.count.resource)
                yield Static(t("params_count", lang, res=tr(res.label, lang) if res else self.spec.count.resource),
                             classes="field")
                yield Static("", id="count")
            if self.spec.sites:
                yield Static(t("params_site", lang), classes="field")
                keys = [x.id for x in self.spec.sites]
                yield OptionList(*[Option(self._site_label(x), id=x.id) for x in self.spec.sites], id="sites")
                self._start_site = keys.index(self.spec.site_default) if self.spec.site_default in keys else 0
            yield Static("", id="error", classes="error")
            key = "params_help" if self.spec.count and self.spec.sites else \
                "params_help_count" if self.spec.count else "params_help_site"
            yield Static(t(key, lang), classes="hint")

    def _site_label(self, site: Site) -> Text:
        label = Text(tr(site.label, self.lang), style="bold")
        task = self.session.scenario.tasks.get(self.order.task or "")
        res = self.session.scenario.resources.get(task.resource) if task else None
        dist = site.travel or (task.travel if task else None) or (res.travel if res else None)
        view = self.session.sim.snapshot(None if self.session.instructor else self.session.role)
        travel = _minutes(dist, {q.id: q.value for q in view.quantities}, self.lang)
        if travel:
            label.append(" · " + t("detail_travel", self.lang, t=travel), style="")
        return label

    def on_mount(self) -> None:
        if self.spec.sites:
            ol = self.query_one("#sites", OptionList)
            ol.highlighted = self._start_site
            ol.focus()
        self.refresh_limits()

    def refresh_limits(self) -> None:
        """Show the count and its limits as they stand now (units come and go while the window is open)."""
        found = self.query("#count")
        if self.spec.count is None or not found:  # no count, or the window is closing (Esc) under a frame
            return
        self._clamp()
        lo, hi, free = self.limits()
        line = Text(f"  ◀ {self.count} ▶   ", style="bold")
        if free is not None and free < lo:
            line.append(t("params_none_free", self.lang) + f" ({free})", style="italic")
        elif free is None:
            line.append(t("params_limits_unseen", self.lang, lo=lo, hi=self.spec.count.hi), style="italic")
        else:
            line.append(t("params_limits", self.lang, lo=lo, hi=self.spec.count.hi, free=free), style="italic")
        found.first(Static).update(line)

    # ------------------------------------------------------------ keys
    def action_less(self) -> None:
        if self.spec.count is not None:
            self.count -= 1
            self.refresh_limits()

    def action_more(self) -> None:
        if self.spec.count is not None:
            self.count += 1
            self.refresh_limits()

    def on_key(self, event: events.Key) -> None:
        if self.spec.count is not None and event.character and event.character.isdigit():
            event.stop()
            n = int(event.character)
            lo, hi, _ = self.limits()
            if lo <= n <= hi:
                self.count = n
                self.query_one("#error", Static).update("")
            else:
                self.query_one("#error", Static).update(t("why_count", self.lang, lo=lo, hi=hi))
            self.refresh_limits()

    def params(self) -> dict[str, int | str]:
        """The parameters as chosen now."""
        out: dict[str, int | str] = {}
        if self.spec.count is not None:
            out["count"] = self.count
        if self.spec.sites:
            ol = self.query_one("#sites", OptionList)
            out["site"] = self.spec.sites[ol.highlighted or 0].id
        return out

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_give()

    def action_give(self) -> None:
        err = self.give(self.params())
        if err == KEEP_OPEN:
            return
        if err:
            self.query_one("#error", Static).update(err)
        else:
            self.dismiss(True)

    def action_close(self) -> None:
        self.dismiss(False)


def inject_label(inj: Inject, lang: str) -> str:
    """An inject in words for the instructor: its sender and the start of its text (never its id)."""
    text = tr(inj.text, lang)
    text = text if len(text) <= 70 else text[:69] + "…"
    sender = tr(inj.sender, lang)
    return f"{sender}: {text}" if sender else text


def inject_items(session: Session, lang: str) -> list[tuple[str, Text | str, bool]]:
    """Every inject for the instructor: channel, manual or scripted, words, and when it fired."""
    out: list[tuple[str, Text | str, bool]] = []
    for inj in session.scenario.injects.values():
        label = Text(f"{channel_label(inj.channel, lang):<8}", style="bold")
        kind = t("inject_manual", lang) if inj.manual else t("inject_scripted", lang)
        label.append(f" {kind:<8} ", style="italic")
        label.append(inject_label(inj, lang))
        fired = session.sim.fired.get(inj.id)
        if fired is not None:
            label.append(f"  ({t('inject_fired_already', lang, t=fmt_elapsed(fired))})", style="italic")
        out.append((inj.id, label, not session.sim.ended))
    return out


class NoteScreen(ModalScreen[str | None]):
    """A timed observation note (instructor); the text survives errors."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS = [Binding("escape", "close", "Esc", show=False), Binding("ctrl+s", "save", "Ctrl+S", priority=True)]

    def __init__(self, session: Session, draft: str = "") -> None:
        super().__init__()
        self.session = session
        self.draft = draft
        self.at = session.sim.now

    def compose(self) -> ComposeResult:
        lang = self.session.lang
        with Vertical(classes="dialog"):
            yield Static(t("note_title", lang, t=fmt_elapsed(self.at)), classes="dtitle")
            yield Input(self.draft, placeholder=t("note_placeholder", lang), id="note")
            yield Static("", id="error", classes="error")
            with Horizontal(classes="buttons"):
                yield Button(t("save", lang) + " (Enter)", id="save", variant="primary")
                yield Button(t("cancel", lang) + " (Esc)", id="cancel")

    def on_input_submitted(self) -> None:
        self.action_save()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()
        else:
            self.action_close()

    def action_save(self) -> None:
        lang = self.session.lang
        text = self.query_one("#note", Input).value
        err = None
        if not text.strip():
            err = t("note_empty", lang)
        elif len(text.strip()) > 4000:
            err = t("note_too_long", lang, n=len(text.strip()))
        if err is None:
            try:
                self.session.note(text, at=self.at)  # the minute the dialog says it is about
            except CommandRejected as exc:
                err = str(exc)
            except JournalError as exc:
                err = t("journal_failed", lang, why="; ".join(p.message for p in exc.problems))
        if err:
            self.query_one("#error", Static).update(err)
            return
        self.dismiss(text.strip())

    def action_close(self) -> None:
        self.draft = self.query_one("#note", Input).value
        self.dismiss(None)


class ConfirmScreen(ModalScreen[bool]):
    """Yes / no."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS = [Binding("escape", "no", "Esc", show=False), Binding("y,s", "yes", show=False),
                Binding("n", "no", show=False)]

    def __init__(self, question: str, lang: str) -> None:
        super().__init__()
        self.question = question
        self.lang = lang

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog small"):
            yield Static(self.question, classes="dtitle")
            with Horizontal(classes="buttons"):
                yield Button(t("yes_key", self.lang), id="yes", variant="error")
                yield Button(t("no", self.lang) + " (Esc)", id="no")

    def on_mount(self) -> None:
        self.query_one("#no").focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_yes(self) -> None:
        self.dismiss(True)

    def action_no(self) -> None:
        self.dismiss(False)


def help_table(lang: str, instructor: bool, remote: bool = False) -> Group:
    """Every key by section; the descriptions wrap, so nothing is cut at any width."""
    sections: dict[str, list[tuple[str, str]]] = {}
    for sec, key, text in actions.help_rows(lang, instructor, remote):
        sections.setdefault(sec, []).append((key, text))
    width = max(len(key) for rows in sections.values() for key, _ in rows)
    parts: list[Text | Table] = []
    for sec, rows in sections.items():
        parts.append(Text("\n" + sec, style="bold underline"))
        table = Table(box=None, show_header=False, expand=True, padding=(0, 1))
        table.add_column(no_wrap=True, style="bold", width=width)
        table.add_column(ratio=1)
        for key, text in rows:
            table.add_row(key, text)
        parts.append(table)
    return Group(*parts)


class HelpScreen(ModalScreen[None]):
    """Every key, from the action registry, in the current language, and how the clock behaves."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS = [Binding("escape,f1,question_mark,q", "close", "Esc", show=False)]

    def __init__(self, lang: str, instructor: bool, alert_speed: float | None = None, remote: bool = False) -> None:
        super().__init__()
        self.lang = lang
        self.instructor = instructor
        self.alert_speed = alert_speed
        self.remote = remote  # a class's team room: the host keeps the journal

    def compose(self) -> ComposeResult:
        lang = self.lang
        with Vertical(classes="dialog wide"):
            yield Static(t("help_title", lang), classes="dtitle")
            with VerticalScroll(id="keys"):
                yield Static(t("help_intro", lang), classes="hint")
                if self.alert_speed is not None:
                    yield Static(t("help_alert", lang, x=fmt_speed(self.alert_speed)), classes="hint")
                yield Static(help_table(lang, self.instructor, self.remote), id="keys-table")
            yield Static(t("help_close", lang), classes="hint")

    def on_mount(self) -> None:
        self.query_one("#keys").focus()

    def action_close(self) -> None:
        self.dismiss(None)


class EndScreen(Screen[None]):
    """The end of the exercise: why, where the journal is, how to debrief it."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS = [Binding("q,escape", "app.quit_room", "Q", show=False)]

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session

    def compose(self) -> ComposeResult:
        s = self.session
        lang = s.lang
        reason = s.sim.end_reason or ""
        last = next((e for e in reversed(s.sim.events) if e.kind == "end"), None)
        reason_text = end_reason_text(reason, last.data if last is not None else {}, lang)
        end_t = s.sim.end_time if s.sim.end_time is not None else s.sim.now
        with VerticalScroll(classes="dialog wide", id="end"):
            yield Static(t("end_title", lang) + " — " + tr(s.scenario.title, lang), classes="dtitle")
            yield Static(t("end_reason", lang, reason=reason_text, t=fmt_elapsed(end_t)))
            yield Static(t("journal_at", lang), classes="field")
            yield Static(str(s.journal_path), classes="cmd", id="journal-path")
            yield Static(t("debrief_cmd", lang), classes="field")
            yield Static(s.debrief_command(lang), classes="cmd", id="debrief-cmd")
            if s.instructor:
                yield Static(t("objectives", lang), classes="field")
                table = DataTable(id="objectives", cursor_type="none")
                yield table
            yield Static(t("quit_hint", lang), classes="hint")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        s = self.session
        if s.instructor:
            table = self.query_one("#objectives", DataTable)
            table.add_columns("", "", t("rating_col", s.lang))
            for r in s.sim.objective_ratings():
                obj = s.scenario.objectives[r.id]
                # An unrated one says why, briefly (the debrief says it in full).
                rating = f"N/A · {t(f'unrated_{r.rule}', s.lang)}" if r.rating == "N/A" else r.rating
                table.add_row(r.id, tr(obj.label, s.lang), rating)
