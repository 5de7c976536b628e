"""The briefing: what the team reads before the clock runs, and can read again with B.

It shows the scenario's own briefing (the situation), the team's role, the
resources the role can see, and the objectives the exercise will be rated on.
Before the exercise begins, Enter starts the clock (the screen posts
`BriefingScreen.Begin`; the app owns the change); during play it is only read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from simulator import tr
from simulator.metrics import capability_label

from .i18n import t, tn

if TYPE_CHECKING:
    from .session import Session


def briefing_text(session: Session, lang: str) -> Text:
    """The briefing in words: situation, role, resources, objectives."""
    s = session.scenario
    out = Text()
    out.append(t("brief_situation", lang) + "\n", style="bold underline")
    out.append((tr(s.briefing, lang) if s.briefing else tr(s.summary, lang)) + "\n\n")
    role = t("instructor", lang) if session.instructor else (tr(s.roles.get(session.role), lang) or session.role)
    out.append(t("brief_role", lang) + "\n", style="bold underline")
    out.append(t("brief_role_text", lang, team=session.exercise.team, role=role) + "\n\n")
    out.append(t("brief_resources", lang) + "\n", style="bold underline")
    view = None if session.instructor else session.role
    seen = [r for r in s.resources.values() if s.visible(r.audience, view)]
    if not seen:
        out.append(t("brief_no_resources", lang) + "\n", style="dim")
    for r in seen:
        ready = r.count - r.standby
        line = f"• {tr(r.label, lang)}: " + tn("brief_units", r.count, lang)
        if r.standby:
            line += " " + t("brief_standby", lang, ready=ready, standby=r.standby)
        if r.base:
            line += f" · {tr(r.base, lang)}"
        out.append(line + "\n")
    out.append("\n" + t("brief_objectives", lang) + "\n", style="bold underline")
    if not s.objectives:
        out.append(t("brief_no_objectives", lang) + "\n", style="dim")
    for o in s.objectives.values():
        out.append(f"• {tr(o.label, lang)}", style="bold")
        out.append(f" ({capability_label(o.capability, lang)})\n", style="dim")
    return out


class BriefingScreen(ModalScreen[None]):
    """The scenario's briefing; before the start, Enter begins the exercise."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS = [Binding("escape,b", "close", "Esc", show=False), Binding("enter", "begin", show=False)]

    class Begin(Message):
        """The team has read the briefing and starts the exercise."""

    def __init__(self, session: Session, *, before_start: bool) -> None:
        super().__init__()
        self.session = session
        self.before_start = before_start

    @property
    def lang(self) -> str:
        return self.session.lang

    def compose(self) -> ComposeResult:
        lang = self.lang
        with Vertical(classes="dialog wide", id="briefing"):
            yield Static(t("brief_title", lang, title=tr(self.session.scenario.title, lang)), classes="dtitle")
            with VerticalScroll(id="brief-body"):
                yield Static(briefing_text(self.session, lang), id="brief-text")
            hint = "brief_start_hint" if self.before_start else "brief_back_hint"
            yield Static(t(hint, lang), classes="hint start-hint", id="brief-hint")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#brief-body").focus()

    def action_begin(self) -> None:
        if self.before_start:
            self.post_message(self.Begin())
        self.dismiss(None)

    def action_close(self) -> None:
        if self.before_start:
            return  # the exercise has not started: Enter starts it, there is nothing behind to go back to
        self.dismiss(None)
