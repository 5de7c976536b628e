"""The instructor's class console (and, read-only, the evaluators' view): every team on one screen.

One row per team: its clock, status, connection, open decisions with time left, last
decision and its latency, and key quantities (ground truth). The instructor starts the
class, pauses, resumes and changes speed for the selected team or for all (A switches),
fires injects, takes timed notes and ends teams or the class; Enter drills into one team's
full view. Everything shown comes from the host's overview; every command goes to the host.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Footer, Input, RichLog, Static

from classroom.client import HostRefused
from simulator import tr
from simulator.clock import SPEED_STEPS, fmt_elapsed, fmt_left, fmt_speed

from . import actions
from .dialogs import ConfirmScreen, ListDialog
from .feed import event_line, fit, seen_cell

if TYPE_CHECKING:
    from .remote import ClientThread

REFRESH_S = 0.25
KEY_W = 27  # the key-quantities column: what is left of 120 columns

WORDS: dict[str, dict[str, str]] = {
    "title": {"es": "Consola de la clase · {title}", "en": "Class console · {title}"},
    "eval_title": {"es": "Vista de evaluador · {title}", "en": "Evaluator view · {title}"},
    "seed_common": {"es": "semilla {seed} común a todos los equipos", "en": "seed {seed}, common to every team"},
    "seed_distinct": {"es": "semillas distintas por equipo", "en": "a different seed for each team"},
    "not_started": {"es": "la clase no ha empezado (S: iniciar)", "en": "the class has not started (S: start)"},
    "started": {"es": "la clase está en curso", "en": "the class is running"},
    "resume": {"es": "Reanudar", "en": "Resume"},
    "class_ended": {"es": "la clase terminó (todos los equipos)", "en": "the class has ended (every team)"},
    "scope_all": {"es": "alcance: TODOS los equipos (A)", "en": "scope: ALL teams (A)"},
    "scope_one": {"es": "alcance: equipo {team} (A)", "en": "scope: team {team} (A)"},
    "col_team": {"es": "Equipo", "en": "Team"},
    "col_clock": {"es": "Reloj", "en": "Clock"},
    "col_status": {"es": "Estado", "en": "Status"},
    "col_conn": {"es": "Conex.", "en": "Conn."},
    "col_open": {"es": "Decisiones abiertas", "en": "Open decisions"},
    "col_last": {"es": "Última (latencia)", "en": "Last (latency)"},
    "col_key": {"es": "Indicadores (verdad)", "en": "Key values (truth)"},
    "st_waiting": {"es": "esperando", "en": "waiting"},
    "st_briefing": {"es": "briefing", "en": "briefing"},
    "st_running": {"es": "▶ en curso", "en": "▶ running"},
    "st_paused": {"es": "⏸ en pausa", "en": "⏸ paused"},
    "st_halted": {"es": "⏸ detenido", "en": "⏸ halted"},
    "st_ended": {"es": "■ terminado", "en": "■ ended"},
    "default": {"es": "por omisión", "en": "default"},
    "start": {"es": "Iniciar", "en": "Start"},
    "pause": {"es": "Pausa", "en": "Pause"},
    "scope": {"es": "Alcance", "en": "Scope"},
    "speed": {"es": "Velocidad", "en": "Speed"},
    "inject": {"es": "Inyección", "en": "Inject"},
    "note": {"es": "Nota", "en": "Note"},
    "end": {"es": "Terminar", "en": "End"},
    "detail": {"es": "Detalle", "en": "Detail"},
    "quit": {"es": "Salir", "en": "Quit"},
    "back": {"es": "Volver", "en": "Back"},
    "done": {"es": "{what}: {teams}", "en": "{what}: {teams}"},
    "nothing": {"es": "nada que hacer", "en": "nothing to do"},
    "refused": {"es": "El anfitrión rechazó: {why}", "en": "The host refused: {why}"},
    "inject_title": {"es": "Inyección para {scope}", "en": "Inject to {scope}"},
    "inject_hint": {"es": "Enter lanza · Esc cierra", "en": "Enter fires · Esc closes"},
    "all_teams": {"es": "todos los equipos", "en": "every team"},
    "note_title": {"es": "Nota para el equipo {team} (T+{t})", "en": "Note for team {team} (T+{t})"},
    "note_saved": {"es": "Nota guardada en el diario de {team}", "en": "Note journaled to {team}"},
    "end_confirm": {"es": "¿Terminar el ejercicio de {scope}?", "en": "End the exercise of {scope}?"},
    "no_team": {"es": "No hay equipos.", "en": "No teams."},
    "quit_host": {"es": "¿Salir y detener el anfitrión? Los equipos se desconectan; `sitroom class resume` "
                        "continúa la clase donde quedó.",
                  "en": "Quit and stop the host? Teams are disconnected; `sitroom class resume` continues "
                        "the class where it was."},
    "disconnected": {"es": "Sin conexión con el anfitrión; reconectando…",
                     "en": "No connection to the host; reconnecting…"},
    "detail_title": {"es": "Equipo {team} · vista completa (verdad incluida)",
                     "en": "Team {team} · full view (ground truth included)"},
    "detail_title_eval": {"es": "Equipo {team} · lo que ve el equipo", "en": "Team {team} · what the team sees"},
    "quantities": {"es": "Situación", "en": "Situation"},
    "help": {"es": "Ayuda", "en": "Help"},
    "help_title": {"es": "Consola de la clase: teclas y reloj", "en": "Class console: keys and clock"},
    "help_start": {"es": "Los equipos leen el informe inicial hasta que usted inicia la clase (S); el reloj de cada "
                         "equipo empieza entonces.",
                   "en": "Teams read the briefing until you start the class (S); each team's clock starts then."},
    "help_alert": {"es": "Cuando se abre una decisión para un equipo cuyo reloj va a más de {x}x, el anfitrión "
                         "baja el reloj de ese equipo a {x}x (queda en su bitácora); + lo vuelve a subir. "
                         "Los demás equipos siguen a su velocidad.",
                   "en": "When a decision opens for a team whose clock runs faster than {x}x, the host drops "
                         "that team's clock to {x}x (recorded in its journal); + raises it again. Other teams "
                         "keep their speed."},
    "help_scope": {"es": "Pausa, velocidad, inyección y terminar actúan sobre el alcance: todos los equipos o el "
                         "seleccionado (A cambia).",
                   "en": "Pause, speed, inject and end act on the scope: every team or the selected one "
                         "(A switches)."},
    "help_close": {"es": "Esc o F1 cierra", "en": "Esc or F1 closes"},
    "messages": {"es": "Mensajes", "en": "Messages"},
}


def cw(key: str, lang: str, **fields: object) -> str:
    """A console text in `lang`."""
    return WORDS[key][lang].format(**fields)


class NoteDialog(ModalScreen[str | None]):
    """One line of timed observation for a team; Enter saves, Esc closes."""

    BINDINGS = [Binding("escape", "close", "Esc")]
    DEFAULT_CSS = """
    NoteDialog { align: center middle; }
    #note { width: 80; height: auto; border: thick $accent; background: $surface; padding: 1 2; }
    """

    def __init__(self, title: str) -> None:
        super().__init__()
        self.title_text = title

    def compose(self) -> ComposeResult:
        with Vertical(id="note"):
            yield Static(self.title_text)
            yield Input(id="note-text", max_length=4000)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_close(self) -> None:
        self.dismiss(None)


class ConsoleHelp(ModalScreen[None]):
    """The console's keys and how the class clock behaves (the decision alert, the start)."""

    BINDINGS = [Binding("escape,f1", "close", "Esc")]
    DEFAULT_CSS = """
    ConsoleHelp { align: center middle; }
    #console-help { width: 90%; max-width: 100; height: auto; max-height: 90%; border: thick $accent;
                    background: $surface; padding: 1 2; }
    """

    def __init__(self, lang: str, keys: list[tuple[str, str]], alert_speed: float | None, instructor: bool) -> None:
        super().__init__()
        self.lang = lang
        self.keys = keys
        self.alert_speed = alert_speed
        self.instructor = instructor

    def compose(self) -> ComposeResult:
        lang = self.lang
        with VerticalScroll(id="console-help"):
            yield Static(Text(cw("help_title", lang), style="bold"))
            keys = Text()
            for key, what in self.keys:
                keys.append(f"{key:>8}  ", style="bold")
                keys.append(what + "\n")
            yield Static(keys, id="help-keys")
            if self.instructor:
                yield Static(cw("help_start", lang))
                yield Static(cw("help_scope", lang))
            if self.alert_speed is not None:
                yield Static(cw("help_alert", lang, x=fmt_speed(self.alert_speed)), id="help-alert")
            yield Static(Text(cw("help_close", lang), style="italic"))

    def action_close(self) -> None:
        self.dismiss(None)


class TeamDetail(Screen[None]):
    """One team's full view as the host sends it to the staff (instructor: ground truth)."""

    BINDINGS = [Binding("escape,q", "back", "⏎ Esc")]
    DEFAULT_CSS = """
    TeamDetail #detail-state { height: auto; max-height: 45%; border: round $accent; }
    TeamDetail #detail-feed { height: 1fr; border: round $accent; }
    """

    def __init__(self, console: ConsoleApp, team: str) -> None:
        super().__init__()
        self.console = console
        self.team = team
        self._shown = 0

    def compose(self) -> ComposeResult:
        lang = self.console.lang
        key = "detail_title" if self.console.instructor else "detail_title_eval"
        yield Static(Text(cw(key, lang, team=self.team), style="bold reverse"), id="detail-head")
        yield DataTable(id="detail-state", cursor_type="none")
        yield RichLog(id="detail-feed", max_lines=1000, wrap=True)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        lang = self.console.lang
        table = self.query_one("#detail-state", DataTable)
        table.border_title = cw("quantities", lang)
        table.add_column("", key="label", width=48)
        table.add_column("", key="value", width=10)
        self.query_one("#detail-feed", RichLog).border_title = cw("messages", lang)
        self.set_interval(REFRESH_S, self.refresh_detail)
        self.refresh_detail()

    def refresh_detail(self) -> None:
        """Bring the quantities and the feed up to date with the host's latest view of the team."""
        client = self.console.link.client
        view = client.views.get(self.team)
        scenario = client.scenario
        if view is None or view.snapshot is None or scenario is None:
            return
        lang = self.console.lang
        table = self.query_one("#detail-state", DataTable)
        for q in view.snapshot.quantities:
            spec = scenario.state.get(q.id)
            label = tr(spec.label, lang) if spec else q.id
            value = seen_cell(q, lang)
            if q.id in table.rows:
                table.update_cell(q.id, "value", value)
            else:
                table.add_row(label, value, key=q.id)
        feed = self.query_one("#detail-feed", RichLog)
        for ev in view.events[self._shown:]:
            line = event_line(scenario, ev, lang, self.team)
            if line is not None:
                feed.write(line)
        self._shown = len(view.events)
        head = self.query_one("#detail-head", Static)
        key = "detail_title" if self.console.instructor else "detail_title_eval"
        opened = self.console.open_text([{"id": d.id, "left": None if d.deadline_at is None
                                          else d.deadline_at - view.snapshot.t}
                                         for d in view.snapshot.open_decisions])
        head.update(Text(f"{cw(key, lang, team=self.team)}  T+{fmt_elapsed(view.clock_now())}  "
                         f"{cw('st_' + view.status, lang)}  {cw('col_open', lang)}: {opened}",
                         style="bold reverse"))

    def action_back(self) -> None:
        self.console.call_later(self.console.leave_detail)


def console_bindings(lang: str, instructor: bool) -> list[Binding]:
    """The console's keys in `lang` (the instructor's controls first, when `instructor`)."""
    common = [Binding("enter", "detail", cw("detail", lang)), Binding("n", "note", cw("note", lang)),
              Binding("f1", "help", cw("help", lang)),
              Binding("f2", "switch_lang", "English" if lang == "es" else "Español"),
              Binding("ctrl+q", "quit", cw("quit", lang))]  # shown; Textual's own ctrl+q calls action_quit
    if not instructor:
        return common
    return [Binding("s", "start_class", cw("start", lang)), Binding("space", "pause", cw("pause", lang)),
            Binding("a", "scope", cw("scope", lang)), Binding("plus", "speed(1)", cw("speed", lang)),
            Binding("minus", "speed(-1)", cw("speed", lang), show=False),
            Binding("i", "inject", cw("inject", lang)), Binding("e", "end", cw("end", lang)), *common]


def _console_class_bindings() -> list[Binding]:
    """Every console key in both languages; `Keyed.check_action` keeps the live ones."""
    return [actions.keyed(b, lang) for lang in actions.LANGS
            for b in actions.with_capitals(console_bindings(lang, instructor=True))]


class ConsoleApp(actions.Keyed, App[int]):
    """The class overview for the instructor (controls) or an evaluator (read-only, notes)."""

    TITLE = "sitroom"
    # Every console action has its key in the footer and in F1; Textual's palette would only
    # add its own English entries (theme, keys, screenshot) to a Spanish console.
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = _console_class_bindings()
    KEY_INSTRUCTOR_ONLY = (frozenset(b.action for b in console_bindings("en", instructor=True))
                           - frozenset(b.action for b in console_bindings("en", instructor=False)))
    CSS = """
    #head { height: auto; max-height: 4; padding: 0 1; }
    #teams { height: 1fr; }
    #log { height: 6; border-top: solid $accent; }
    """

    def __init__(self, link: ClientThread, lang: str, *, owns_host: bool = False) -> None:
        super().__init__()
        self.link = link
        self.owns_host = owns_host  # quitting this console stops the class host (sitroom class start)
        self.lang = lang
        self.instructor = link.client.kind == "instructor"
        self.scope_all = True
        self._rows: set[str] = set()
        self._cells: dict[tuple[str, str], object] = {}
        self._was_connected = True

    def key_instructor(self) -> bool:
        """The class controls are live on the instructor's console only."""
        return self.instructor

    def _console_bindings(self) -> list[Binding]:
        return console_bindings(self.lang, self.instructor)

    # ---------------------------------------------------------------- layout
    def compose(self) -> ComposeResult:
        yield Static(id="head")
        self.teams = DataTable(id="teams", cursor_type="row", zebra_stripes=True)  # read 4 times a second
        yield self.teams
        yield RichLog(id="log", max_lines=200, wrap=True)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        lang = self.lang
        table = self.teams
        for key, width in (("col_team", 10), ("col_clock", 9), ("col_status", 12), ("col_conn", 6),
                           ("col_open", 16), ("col_last", 22), ("col_key", KEY_W)):
            table.add_column(cw(key, lang), key=key, width=width)
        self.set_interval(REFRESH_S, self.refresh_overview)
        self.refresh_overview()

    # ---------------------------------------------------------------- refresh
    def _set(self, row: str, col: str, value: object) -> None:
        if self._cells.get((row, col)) != value:
            self._cells[(row, col)] = value
            self.teams.update_cell(row, col, value)

    def refresh_overview(self) -> None:
        """Update every team's row from the host's latest overview."""
        client = self.link.client
        lang = self.lang
        if client.connected != self._was_connected:
            self._was_connected = client.connected
            if not client.connected:
                self.notify(cw("disconnected", lang), severity="warning")
        ov = client.overview
        if ov is None:
            return
        title = tr(ov["title"], lang)
        seeds = cw("seed_common", lang, seed=ov["seed"]) if ov["seeds"] == "common" else cw("seed_distinct", lang)
        state = cw("class_ended" if ov.get("ended") else "started" if ov["started"] else "not_started", lang)
        head = Text(cw("title" if self.instructor else "eval_title", lang, title=title), style="bold")
        head.append(f"\n{seeds} · {state}")
        if self.instructor:
            selected = self.selected_team()
            # On its own line: at 80 columns it was cut off, and it says whom Space, +/-, I and E act on.
            head.append("\n" + (cw("scope_all", lang) if self.scope_all or selected is None
                                  else cw("scope_one", lang, team=selected)), style="bold")
        self.query_one("#head", Static).update(head)
        table = self.teams
        for row in ov["teams"]:
            name = row["team"]
            if name not in self._rows:
                table.add_row(name, "", "", "", "", "", "", key=name)
                self._rows.add(name)
            self._set(name, "col_clock", fmt_elapsed(row["t"]))
            self._set(name, "col_status", cw("st_" + row["status"], lang))
            self._set(name, "col_conn", str(row["clients"]) if row["clients"] else "-")
            self._set(name, "col_open", self.open_text(row["open"]))
            self._set(name, "col_last", self._last_text(row["last_decision"]))
            self._set(name, "col_key", self._key_text(row["quantities"]))

    def open_text(self, open_: list[dict[str, Any]]) -> str:
        """Open decision points with their time left (`DP1 4:53, DP2`), or '-'."""
        parts = [d["id"] + ("" if d["left"] is None else f" {fmt_left(max(d['left'], 0.0))}") for d in open_]
        return ", ".join(parts) or "-"

    def _last_text(self, last: dict[str, Any] | None) -> str:
        if not last:
            return "-"
        latency = cw("default", self.lang) if last["latency"] is None else f"{last['latency']:.1f} min"
        return f"{last['point']}={last['option']} ({latency})"

    def _key_text(self, quantities: list[list[Any]]) -> str:
        client = self.link.client
        scenario = client.scenario
        out = ""
        for qid, value in quantities:
            spec = scenario.state.get(qid) if scenario else None
            label = tr(spec.label, self.lang) if spec else qid
            item = f"{fit(label, 10)} {value:g}"
            if len(out) + len(item) + 3 > KEY_W:
                break
            out = f"{out} · {item}" if out else item
        return out

    def selected_team(self) -> str | None:
        """The team under the cursor."""
        table = self.teams
        if not table.row_count:
            return None
        row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        return str(row_key.value) if row_key.value is not None else None

    def _scope(self) -> str | None:
        return None if self.scope_all else self.selected_team()

    def _scope_words(self) -> str:
        team = self._scope()
        return cw("all_teams", self.lang) if team is None else team

    # ---------------------------------------------------------------- commands
    def _send(self, what: str, coro: Any) -> dict[str, Any] | None:
        log = self.query_one("#log", RichLog)
        try:
            ack = self.link.call(coro)
        except HostRefused as exc:
            log.write(Text(cw("refused", self.lang, why=exc.message), style="bold red"))
            return None
        except TimeoutError:
            log.write(Text(cw("refused", self.lang, why="timeout"), style="bold red"))
            return None
        teams = ack.get("teams")
        if isinstance(teams, list):
            log.write(cw("done", self.lang, what=what, teams=", ".join(teams) or cw("nothing", self.lang)))
        self.refresh_overview()
        return ack

    def action_start_class(self) -> None:
        self._send(cw("start", self.lang), self.link.client.start_class())

    def action_scope(self) -> None:
        self.scope_all = not self.scope_all
        self.refresh_overview()

    def _row(self, team: str) -> dict[str, Any] | None:
        ov = self.link.client.overview or {}
        return next((r for r in ov.get("teams", []) if r["team"] == team), None)

    def action_pause(self) -> None:
        team = self._scope()
        rows = [self._row(team)] if team else (self.link.client.overview or {}).get("teams", [])
        running = any(r and r["status"] == "running" for r in rows)
        client = self.link.client
        if running:
            self._send(cw("pause", self.lang), client.pause(team))
        else:
            self._send(cw("resume", self.lang), client.resume(team))

    def action_speed(self, direction: int) -> None:
        team = self._scope() or self.selected_team()
        row = self._row(team) if team else None
        current = float(row["speed"]) if row else SPEED_STEPS[0]
        if direction > 0:
            speed = next((s for s in SPEED_STEPS if s > current + 1e-9), current)
        else:
            speed = next((s for s in reversed(SPEED_STEPS) if s < current - 1e-9), current)
        self._send(f"{cw('speed', self.lang)} {fmt_speed(speed)}x", self.link.client.set_speed(speed, self._scope()))

    def action_inject(self) -> None:
        scenario = self.link.client.scenario
        if scenario is None:
            return
        team = self._scope()
        items = [(i.id, f"{i.id} · {tr(i.text, self.lang)[:70]}", True) for i in scenario.injects.values()]

        def fire(inject_id: str) -> str | None:
            ack = self._send(f"{cw('inject', self.lang)} {inject_id}", self.link.client.inject(inject_id, team))
            return None if ack is not None else cw("refused", self.lang, why=inject_id)

        self.push_screen(ListDialog(cw("inject_title", self.lang, scope=self._scope_words()),
                                    cw("inject_hint", self.lang), items, fire, purpose="class_injects"))

    def action_note(self) -> None:
        team = self.selected_team()
        if team is None:
            self.notify(cw("no_team", self.lang))
            return
        row = self._row(team)
        at = fmt_elapsed(row["t"]) if row else "--"
        self.push_screen(NoteDialog(cw("note_title", self.lang, team=team, t=at)), callback=partial(self._noted, team))

    def _noted(self, team: str, text: str | None) -> None:
        if text and self._send(cw("note", self.lang), self.link.client.note(team, text)) is not None:
            self.notify(cw("note_saved", self.lang, team=team))

    def action_end(self) -> None:
        team = self._scope()

        def done(yes: bool | None) -> None:
            if yes:
                self._send(cw("end", self.lang), self.link.client.end(team))

        self.push_screen(ConfirmScreen(cw("end_confirm", self.lang, scope=self._scope_words()), self.lang),
                         callback=done)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_detail()

    def action_detail(self) -> None:
        team = self.selected_team()
        if team is None:
            return
        self._send(cw("detail", self.lang), self.link.client.watch(team))
        self.push_screen(TeamDetail(self, team))

    def leave_detail(self) -> None:
        """Back from a team's detail to the overview (the host stops sending that team's view)."""
        if isinstance(self.screen, TeamDetail):
            self.pop_screen()
        self._send(cw("back", self.lang), self.link.client.watch(None))

    def action_help(self) -> None:
        """F1: the console's keys and the class clock's rules, in the console's language."""
        if isinstance(self.screen, ConsoleHelp):
            self.screen.dismiss(None)
            return
        shown = {"plus": "+", "minus": "-", "space": "Space", "enter": "Enter", "ctrl+q": "Ctrl+Q"}
        keys = [(shown.get(b.key, b.key.upper()), b.description) for b in self._console_bindings()]
        ov = self.link.client.overview or {}
        alert = ov.get("alert_speed")
        self.push_screen(ConsoleHelp(self.lang, keys, float(alert) if isinstance(alert, int | float) else None,
                                     self.instructor))

    def action_switch_lang(self) -> None:
        """Spanish / English: the column titles and every text of the console."""
        self.lang = "en" if self.lang == "es" else "es"
        self.refresh_bindings()
        table = self.teams
        for column in table.columns.values():
            column.label = Text(cw(str(column.key.value), self.lang))
        self._cells.clear()
        self.refresh_overview()
        table.refresh()

    async def action_quit(self) -> None:
        """Ctrl+Q: leave the console; when it owns the host, ask first (quitting stops the class host)."""
        if not self.owns_host:
            self.exit(0)
            return
        self.push_screen(ConfirmScreen(cw("quit_host", self.lang), self.lang),
                         callback=lambda yes: self.exit(0) if yes else None)


def run_console(url: str, lang: str) -> int:
    """`sitroom class start` (with a console): the overview for the instructor's link; quitting stops the host."""
    import sys

    from .remote import connect

    link, why = connect(url, lang)
    if link is None:
        print(why, file=sys.stderr)
        return 1
    app = ConsoleApp(link, lang, owns_host=True)
    try:
        app.run()
    finally:
        link.stop()
    return int(app.return_code or 0)
