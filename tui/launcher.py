"""The launcher: pick a bundled scenario, name the team, choose a seed and a language.

Shown by `sitroom play` with no scenario. Starting builds a `Session` exactly
as the command line would, then hands it to the app, which opens the room.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, DataTable, Footer, Input, Label, RadioSet, Static

from simulator import BundledScenario, InputError, tr

from . import actions
from .feed import fit
from .i18n import STRINGS, other, t
from .toggles import OptionButton


def duration(minutes: float, lang: str) -> str:
    """Scenario minutes for a list: minutes, or hours when long."""
    if minutes >= 600:
        return t("hours", lang, n=f"{minutes / 60:g}")
    return t("minutes", lang, n=int(round(minutes)))


if TYPE_CHECKING:
    from .app import SitroomApp


class LauncherScreen(actions.Keyed, Screen[None]):
    """Bundled scenarios with their summaries, and the session settings."""

    CSS_PATH = "launcher.tcss"
    BINDINGS = actions.class_bindings("launcher")
    AUTO_FOCUS = "#scenarios"

    def __init__(self, bundled: list[BundledScenario], args: argparse.Namespace) -> None:
        super().__init__()
        self.bundled = bundled
        self.args = args

    @property
    def lang(self) -> str:
        return self.app.lang if self.is_attached else self.args.lang

    def compose(self) -> ComposeResult:
        yield Static(id="ltitle")
        with Horizontal(id="lmain"):
            yield DataTable(id="scenarios", cursor_type="row")
            with VerticalScroll(id="lside"):
                yield Static(id="summary")
                yield Label(id="team-label", classes="field")
                yield Input(self.args.team or t("default_team", self.args.lang), id="team")
                yield Label(id="role-label", classes="field")
                with RadioSet(id="role"):
                    yield OptionButton("", id="role-trainee", value=self.args.role != "instructor")
                    yield OptionButton("", id="role-instructor", value=self.args.role == "instructor")
                yield Label(id="seed-label", classes="field")
                yield Input("" if self.args.seed is None else str(self.args.seed), id="seed", type="integer")
                yield Label(id="lang-label", classes="field")
                yield Static(id="error", classes="error")
                yield Button(id="start", variant="primary")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.rebuild()
        self.call_after_refresh(self.app.first_frame)  # type: ignore[attr-defined]

    def rebuild(self) -> None:
        lang = self.lang
        self.refresh_bindings()
        self.query_one("#ltitle", Static).update(t("app_title", lang) + " — " + t("launcher_title", lang))
        table = self.query_one("#scenarios", DataTable)
        row = table.cursor_row
        table.clear(columns=True)
        inner = max(int(self.app.size.width * 0.6), 50) - 3
        title_w = max(inner - 13 - 9 - 6, 16)
        table.add_column(t("col_title", lang), key="title", width=title_w)
        table.add_column(t("col_kind", lang), key="kind", width=13)
        table.add_column(t("col_minutes", lang), key="minutes", width=9)
        for b in self.bundled:
            s = b.scenario
            table.add_row(fit(tr(s.title, lang), title_w), fit(self._kind(s.kind), 13), duration(s.limit, lang),
                          key=b.id)
        if self.bundled:
            table.move_cursor(row=min(row, len(self.bundled) - 1))
        self.query_one("#team-label", Label).update(t("team_label", lang))
        team = self.query_one("#team", Input)
        if team.value == t("default_team", other(lang)):  # the default name follows the language
            team.value = t("default_team", lang)
        self.query_one("#role-label", Label).update(t("role_label", lang))
        self.query_one("#role-trainee", OptionButton).label = t("role_trainee", lang)
        self.query_one("#role-instructor", OptionButton).label = t("role_instructor", lang)
        self.query_one("#seed-label", Label).update(t("seed_label", lang))
        self.query_one("#lang-label", Label).update(f"{t('lang_label', lang)}: {t('lang_name', lang)} (F2)")
        self.query_one("#start", Button).label = t("start", lang) + " (Ctrl+S)"
        self._show_summary()

    def _selected(self) -> BundledScenario | None:
        if not self.bundled:
            return None
        table = self.query_one("#scenarios", DataTable)
        return self.bundled[min(max(table.cursor_row, 0), len(self.bundled) - 1)]

    def _show_summary(self) -> None:
        b = self._selected()
        lang = self.lang
        if b is None:
            self.query_one("#summary", Static).update(t("no_scenarios", lang))
            return
        s = b.scenario
        play = duration(s.limit / s.speed, lang)  # speed is scenario seconds per wall second
        facts = t("scenario_facts", lang, kind=self._kind(s.kind), limit=duration(s.limit, lang), play=play,
                  speed=f"{s.speed:g}")
        text = Text()
        text.append(tr(s.title, lang), style="bold")
        text.append(f"\n{facts}\n\n", style="italic")
        text.append(tr(s.summary, lang))
        self.query_one("#summary", Static).update(text)

    def _kind(self, kind: str) -> str:
        key = f"kind_{kind}"
        return t(key, self.lang) if key in STRINGS else kind

    def on_data_table_row_highlighted(self) -> None:
        self._show_summary()

    def on_data_table_row_selected(self) -> None:
        self.query_one("#team").focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "start":
            self.action_start()

    def on_input_submitted(self) -> None:
        self.action_start()

    def action_start(self) -> None:
        lang = self.lang
        err = self.query_one("#error", Static)
        b = self._selected()
        if b is None:
            err.update(t("no_scenarios", lang))
            return
        team = self.query_one("#team", Input).value.strip()
        if not team:
            err.update(t("bad_team", lang))
            self.query_one("#team").focus()
            return
        seed_text = self.query_one("#seed", Input).value.strip()
        seed = None
        if seed_text:
            try:
                seed = int(seed_text)
            except ValueError:
                seed = -1
            if not 0 <= seed < 2**63:
                err.update(t("bad_seed", lang))
                self.query_one("#seed").focus()
                return
        args = argparse.Namespace(**vars(self.args))
        args.team, args.seed, args.lang, args.scenario = team, seed, lang, str(b.path)
        args.role = "instructor" if self.query_one("#role-instructor", OptionButton).value else "trainee"
        app: SitroomApp = self.app  # type: ignore[assignment]
        try:
            app.start_session(b.scenario, args)
        except InputError as exc:
            err.update("\n".join(str(p) for p in exc.problems))
