"""The small windows of the exercise room: orders, injects, notes, confirm, help, the end.

Each is a ModalScreen returning its result with `dismiss()`. List windows are
re-filled on every frame by the app (`on_tick`), so an order that stops being
possible (its units were taken) shows as such before it is chosen; if it
happens in between, the engine's refusal is shown inline and the list stays.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, DataTable, Footer, Input, OptionList, Static
from textual.widgets.option_list import Option

from simulator import CommandRejected, tr
from simulator.clock import fmt_elapsed

from . import actions
from .i18n import STRINGS, t

if TYPE_CHECKING:
    from .session import Session


class ListDialog(ModalScreen[str | None]):
    """A titled list; Enter chooses an item, `choose` returns an error message or None (done)."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS = [Binding("escape", "close", "Esc", show=False)]

    def __init__(self, title: str, hint: str, items: list[tuple[str, Text | str, bool]],
                 choose: Callable[[str], str | None], purpose: str = "") -> None:
        super().__init__()
        self.purpose = purpose  # "orders", "injects": the app refreshes these lists every frame
        self.title_text = title
        self.hint = hint
        self.items = items
        self.choose = choose

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.title_text, classes="dtitle")
            yield OptionList(*self._options(self.items), id="list")
            yield Static("", id="error", classes="error")
            yield Static(self.hint, classes="hint")

    @staticmethod
    def _options(items: list[tuple[str, Text | str, bool]]) -> list[Option]:
        return [Option(label, id=key, disabled=not ok) for key, label, ok in items]

    def set_items(self, items: list[tuple[str, Text | str, bool]]) -> None:
        """Replace the items if they changed, keeping the highlighted one."""
        if items == self.items:
            return
        self.items = items
        ol = self.query_one("#list", OptionList)
        hi = ol.highlighted
        ol.clear_options()
        ol.add_options(self._options(items))
        if hi is not None and items:
            ol.highlighted = min(hi, len(items) - 1)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        key = event.option.id or ""
        err = self.choose(key)
        if err:
            self.query_one("#error", Static).update(err)
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
        label = Text(tr(o.label, lang), style="bold")
        if o.detail:
            label.append(f" — {tr(o.detail, lang)}", style="")
        if why:
            label.append(f"  ({why})", style="italic")
        out.append((o.id, label, not why))
    return out


def inject_items(session: Session, lang: str) -> list[tuple[str, Text | str, bool]]:
    out: list[tuple[str, Text | str, bool]] = []
    for inj in session.scenario.injects.values():
        label = Text(f"{inj.id:<18}", style="bold")
        kind = t("inject_manual", lang) if inj.manual else t("inject_scripted", lang)
        label.append(f" {inj.channel:<7} {kind:<8} ")
        label.append(tr(inj.text, lang)[:60], style="dim")
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
                self.session.note(text)
            except CommandRejected as exc:
                err = str(exc)
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
                yield Button(t("yes", self.lang), id="yes", variant="error")
                yield Button(t("no", self.lang) + " (Esc)", id="no")

    def on_mount(self) -> None:
        self.query_one("#no").focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_yes(self) -> None:
        self.dismiss(True)

    def action_no(self) -> None:
        self.dismiss(False)


class HelpScreen(ModalScreen[None]):
    """Every key, from the action registry, in the current language."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS = [Binding("escape,f1,question_mark,q", "close", "Esc", show=False)]

    def __init__(self, lang: str, instructor: bool) -> None:
        super().__init__()
        self.lang = lang
        self.instructor = instructor

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Static(t("help_title", self.lang), classes="dtitle")
            yield Static(t("help_intro", self.lang), classes="hint")
            yield DataTable(id="keys", cursor_type="row", zebra_stripes=True)
            yield Static("Esc", classes="hint")

    def on_mount(self) -> None:
        table = self.query_one("#keys", DataTable)
        table.add_columns("", t("key", self.lang), t("action", self.lang))
        for sec, key, text in actions.help_rows(self.lang, self.instructor):
            table.add_row(sec, key, text)
        table.focus()

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
        reason_text = t(f"reason_{reason}", lang) if f"reason_{reason}" in STRINGS else reason
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
        yield Footer(compact=True)

    def on_mount(self) -> None:
        s = self.session
        if s.instructor:
            table = self.query_one("#objectives", DataTable)
            table.add_columns("", "", "P/S/M/U")
            for r in s.sim.objective_ratings():
                obj = s.scenario.objectives[r.id]
                table.add_row(r.id, tr(obj.label, s.lang), r.rating)
