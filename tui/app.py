"""`sitroom play`: the Textual app that hosts the exercise room, and `run_app`.

The clock lives here, on the app, not on a screen: one interval timer
advances the session (engine slices capped in CPU time) and refreshes the
room, whatever window is open on top of it. Importing this module has no side
effects; `run_app(args)` is what the command line calls.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Iterable
from functools import partial

from rich.text import Text
from textual.app import App, SystemCommand
from textual.command import CommandPalette
from textual.css.query import NoMatches
from textual.screen import ModalScreen, Screen

from simulator import (
    BundledScenario,
    CommandRejected,
    InputError,
    JournalError,
    ReplayMismatch,
    Scenario,
    bundled_scenarios,
    params_text,
    tr,
)
from simulator.clock import SystemClock, WallClock, fmt_speed

from . import actions
from .briefing import BriefingScreen
from .decision import DecisionScreen
from .dialogs import (
    KEEP_OPEN,
    ConfirmScreen,
    EndScreen,
    HelpScreen,
    ListDialog,
    NoteScreen,
    OrderParamsScreen,
    inject_items,
    inject_label,
    order_detail,
    order_items,
)
from .feed import left_text
from .i18n import other, t
from .launcher import LauncherScreen
from .palette import NoMatchProvider
from .room import RoomScreen
from .session import Session

TICK_S = 1 / 30  # frame interval; the engine advances in slices inside each frame
THEMES = ("ansi-dark", "ansi-light", "textual-dark", "textual-light")


def pick_theme(env: dict[str, str] | os._Environ[str]) -> str:
    """Follow the terminal: its own palette (ANSI themes), light or dark from COLORFGBG.

    SITROOM_THEME picks any Textual theme by name. NO_COLOR is honoured by Textual itself.
    """
    name = env.get("SITROOM_THEME", "").strip()
    if name:
        return name
    bg = env.get("COLORFGBG", "").split(";")[-1]
    return "ansi-light" if bg in ("7", "15") else "ansi-dark"


class SitroomApp(actions.Keyed, App[int]):
    """The exercise room: launcher, live room, decision and order windows, the end."""

    TITLE = "sitroom"
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {NoMatchProvider}
    BINDINGS = actions.class_bindings("global")

    def key_instructor(self) -> bool:
        """The instructor's keys are live for an instructor."""
        return bool(getattr(self, "instructor", False))

    def __init__(self, args: argparse.Namespace, *, session: Session | None = None,
                 bundled: list[BundledScenario] | None = None, wall: WallClock | None = None,
                 tick_interval: float = TICK_S, theme: str | None = None) -> None:
        chosen = theme or pick_theme(os.environ)
        # ANSI themes draw with the terminal's own palette; then NO_COLOR must strip colours
        # (NoColor), not map them to grey levels (Monochrome), which turns "default" into black.
        super().__init__(ansi_color=True if chosen.startswith("ansi") else None)
        self.args = args
        self.lang: str = args.lang if args.lang in ("es", "en") else "es"
        self.wall = wall or SystemClock()
        self.session = session
        self.bundled = bundled or []
        self.room: RoomScreen | None = None
        self.tick_interval = tick_interval
        self.instructor = args.role == "instructor"
        self.note_draft = ""
        self.end_shown = False
        self.frame_log: list[float] | None = None  # tick timestamps when measuring (bench)
        self.tick_costs: list[float] | None = None  # seconds spent in each frame's work (bench)
        self.first_frame_at: float | None = None
        self.seen: set[str] = set()  # decision points the team has opened (the alert banner stops)
        self.order_cursor: str | None = None  # the order last highlighted: the list reopens there
        self.problem = ""  # the journal cannot be written: said on screen until it can
        self.theme = chosen if chosen in self.available_themes else "textual-dark"

    # ---------------------------------------------------------------- start
    def on_mount(self) -> None:
        if self.session is not None:
            self._open_room(self.session)
        else:
            self.push_screen(LauncherScreen(self.bundled, self.args))
        self.set_interval(self.tick_interval, self.tick)

    def first_frame(self) -> None:
        """Called by the first screen once it has drawn (launch-to-first-frame benchmark)."""
        if self.first_frame_at is None:
            self.first_frame_at = time.perf_counter()

    def start_session(self, scenario: Scenario, args: argparse.Namespace) -> None:
        """From the launcher: start a new exercise and open the room."""
        self.lang = args.lang
        self.session = Session.start(scenario, args, self.wall)
        self.instructor = self.session.instructor
        self.refresh_bindings()
        self._open_room(self.session, replace=True)

    def _open_room(self, session: Session, replace: bool = False) -> None:
        self.room = RoomScreen(session)
        if replace:
            self.switch_screen(self.room)
        else:
            self.push_screen(self.room)
        if session.resumed:
            self.notify(t("ev_resumed_session", self.lang, t=session.elapsed_text()[2:]))
        if not session.begun:
            self.push_screen(self.briefing_screen(session, before_start=True))

    def on_briefing_screen_begin(self, message: BriefingScreen.Begin) -> None:
        """The team has read the briefing: the clock starts."""
        if self.session is not None and self._journaled(self.session.begin):
            self.tick()

    def show_briefing(self) -> None:
        """The briefing again, during play (B); the clock keeps running."""
        if self.session is not None:
            self.push_screen(self.briefing_screen(self.session, before_start=not self.session.begun))

    def briefing_screen(self, session: Session, before_start: bool) -> BriefingScreen:
        """The briefing screen to show (a class's remote room shows its own kind)."""
        return BriefingScreen(session, before_start=before_start)

    def _journaled(self, command: Callable[[], object]) -> bool:
        """Run a command that writes the journal; if the disk refuses, say so plainly (False)."""
        try:
            command()
        except JournalError as exc:
            self._journal_failed(exc)
            return False
        if self.problem:
            self.problem = ""
            if self.room is not None:
                self.room.refresh_view([])
        return True

    def _journal_failed(self, exc: JournalError) -> None:
        why = "; ".join(p.message for p in exc.problems) or str(exc)
        self.problem = t("journal_failed", self.lang, why=why)
        self.notify(self.problem, severity="error", timeout=10)
        if self.room is not None:
            self.room.refresh_view([])

    # ---------------------------------------------------------------- the frame
    def tick(self) -> None:
        """One frame: advance the engine towards the clock, then refresh what is on screen."""
        if self.frame_log is not None:
            self.frame_log.append(time.perf_counter())
        t0 = time.perf_counter()
        try:
            self._tick()
        finally:
            if self.tick_costs is not None:
                self.tick_costs.append(time.perf_counter() - t0)

    def _tick(self) -> None:
        s = self.session
        if s is None or self.room is None or s.closed:
            return
        speed = s.clock.speed
        try:
            s.tick()
        except JournalError as exc:
            self._journal_failed(exc)
        new = s.drain()
        try:
            self.room.refresh_view(new)
        except NoMatches:
            return  # the room is being torn down (quit); the session is already journaled
        decisions = s.sim.decisions
        for ev in new:
            # Only a point still open now: a resumed journal or a rejoined team gets its past events
            # again, and a toast for a decision answered long ago would say something false.
            st = decisions.get(ev.ref) if ev.kind == "decision_open" else None
            if st is not None and st.decided_at is None and s.visible(ev):
                dp = s.scenario.decisions[ev.ref]
                self.notify(t("toast_decision_open", self.lang, title=tr(dp.title, self.lang)),
                            severity="warning", timeout=6)
                self.bell()
        if s.clock.speed < speed:
            self.notify(t("alert_slowed", self.lang, x=fmt_speed(s.clock.speed)), severity="warning", timeout=8)
        top = self.screen
        if isinstance(top, DecisionScreen):
            top.on_tick()
        elif isinstance(top, ListDialog) and top.purpose == "orders":
            top.set_items(order_items(s, self.lang))
        elif isinstance(top, OrderParamsScreen):
            top.refresh_limits()
        elif isinstance(top, ListDialog) and top.purpose == "injects":
            top.set_items(inject_items(s, self.lang))
        if s.ended and not self.end_shown:
            self.end_shown = True
            while isinstance(self.screen, ModalScreen):
                self.pop_screen()
            self.push_screen(EndScreen(s))

    # ---------------------------------------------------------------- global actions
    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss(None)
        else:
            alert = self.session.alert_speed if self.session is not None else None
            remote = bool(getattr(self.session, "remote", False))
            self.push_screen(HelpScreen(self.lang, self.instructor, alert, remote=remote))

    def action_quit_room(self) -> None:
        if self.session is not None:
            self.session.close()
        self.exit(0)

    async def action_switch_lang(self) -> None:
        self.lang = other(self.lang)
        if self.session is not None:
            self.session.lang = self.lang
        self.refresh_bindings()
        for screen in self.screen_stack:
            if isinstance(screen, RoomScreen):
                screen.set_language()
            elif isinstance(screen, LauncherScreen):
                screen.args.lang = self.lang
                screen.rebuild()
            elif isinstance(screen, DecisionScreen):
                screen.refresh_bindings()
                await screen.recompose()
                screen.on_mount()
            elif isinstance(screen, BriefingScreen):  # reads the session's language
                await screen.recompose()
            elif isinstance(screen, HelpScreen):
                screen.lang = self.lang
                await screen.recompose()
        self.refresh_bindings()

    # ---------------------------------------------------------------- the team
    def answer_decision(self, point: str | None = None) -> None:
        s = self.session
        if s is None or s.ended:
            return
        snap = s.sim.snapshot(s.role)
        open_ = sorted(snap.open_decisions, key=lambda d: (d.deadline_at is None, d.deadline_at or 0.0))
        if point is None:
            if not open_:
                self.notify(t("no_decision_open", self.lang))
                return
            if len(open_) > 1:  # most urgent first and highlighted: Enter answers it, 1-9 pick
                items: list[tuple[str, Text | str, bool]] = []
                for n, d in enumerate(open_, 1):
                    left = None if d.deadline_at is None else d.deadline_at - snap.t
                    title = tr(s.scenario.decisions[d.id].title, self.lang)
                    items.append((d.id, f"{n}. {title} · {left_text(left, self.lang)}", True))
                self.push_screen(ListDialog(t("pick_decision", self.lang), t("pick_decision_help", self.lang),
                                            items, lambda key: None, numbered=True),
                                 callback=lambda key: key and self.call_later(self.answer_decision, key))
                return
            point = open_[0].id
        self.seen.add(point)
        if self.room is not None:
            self.room.refresh_view([])  # the banner gives way at once
        self.push_screen(DecisionScreen(s, point), callback=partial(self._decided, point))

    def _decided(self, point: str, recorded: bool | None) -> None:
        s = self.session
        if s is None:
            return
        if recorded:
            if self.problem:  # the journal took this decision: it can be written again
                self.problem = ""
                if self.room is not None:
                    self.room.refresh_view([])
            st = s.sim.decisions[point]
            opt = s.scenario.decisions[point].options[st.option or ""]
            self.notify(t("recorded", self.lang, option=tr(opt.label, self.lang)), timeout=5)
        elif point in s.drafts and (s.drafts[point].option or any(s.drafts[point].fields.values())):
            self.notify(t("draft_kept", self.lang))

    def open_orders(self) -> None:
        s = self.session
        if s is None or s.ended:
            return
        dialog = ListDialog(t("orders_title", self.lang), t("orders_help", self.lang), order_items(s, self.lang),
                            self.choose_order, purpose="orders", start=self.order_cursor,
                            describe=lambda key: order_detail(s, key, self.lang))
        self.push_screen(dialog)

    def on_list_dialog_highlighted(self, message: ListDialog.Highlighted) -> None:
        """Remember where the team left the cursor in the order list."""
        if message.purpose == "orders":
            self.order_cursor = message.key

    def choose_order(self, order_id: str) -> str | None:
        """Enter on an order: its parameters first, irreversible ones ask; the message when it cannot be given."""
        s = self.session
        if s is None:
            return None
        order = s.scenario.orders[order_id]
        why = s.order_why(order_id, self.lang)
        if why:
            return t("order_unavailable", self.lang, label=tr(order.label, self.lang), why=why)
        if order.params is not None:
            def chosen(given: bool | None) -> None:
                if given and isinstance(self.screen, ListDialog) and self.screen.purpose == "orders":
                    self.screen.dismiss(order_id)

            self.push_screen(OrderParamsScreen(s, order_id, self.lang, partial(self.order_with, order_id)),
                             callback=chosen)
            return KEEP_OPEN
        return self.order_with(order_id, None)

    def order_with(self, order_id: str, params: dict[str, int | str] | None) -> str | None:
        """Give an order with its parameters, asking first when it is irreversible (then KEEP_OPEN)."""
        s = self.session
        if s is None:
            return None
        order = s.scenario.orders[order_id]
        if params is not None:
            why = s.order_why(order_id, self.lang, params)
            if why:
                return t("order_unavailable", self.lang, label=tr(order.label, self.lang), why=why)
        if not order.irreversible:
            return self.give_order(order_id, params)

        def confirmed(yes: bool | None) -> None:
            if yes:
                err = self.give_order(order_id, params)
                if err:
                    self.notify(err, severity="error", timeout=8)
                    return
                if isinstance(self.screen, OrderParamsScreen):
                    self.screen.dismiss(True)
                elif isinstance(self.screen, ListDialog) and self.screen.purpose == "orders":
                    self.screen.dismiss(order_id)

        detail = order_detail(s, order_id, self.lang)
        chosen = params_text(s.scenario, order, params)
        if chosen:
            detail = tr(chosen, self.lang) + ". " + detail
        question = t("order_confirm", self.lang, label=tr(order.label, self.lang), detail=detail)
        self.push_screen(ConfirmScreen(question, self.lang), callback=confirmed)
        return KEEP_OPEN

    def give_order(self, order_id: str, params: dict[str, int | str] | None = None) -> str | None:
        """Give an order; the message to show when it cannot be given, else None."""
        s = self.session
        if s is None:
            return None
        order = s.scenario.orders[order_id]
        label = tr(order.label, self.lang)
        try:
            ev = s.order(order_id, params) if params is not None else s.order(order_id)
        except CommandRejected as exc:
            why = s.order_why(order_id, self.lang, params) or str(exc)
            return t("order_unavailable", self.lang, label=label, why=why)
        except JournalError as exc:
            self._journal_failed(exc)
            return self.problem
        chosen = params_text(s.scenario, order, ev.data.get("params") or params)
        if chosen:
            label = t("order_with", self.lang, label=label, params=tr(chosen, self.lang))
        self.notify(t("order_given", self.lang, label=label))
        return None

    # ---------------------------------------------------------------- the instructor
    def _instructor(self) -> bool:
        if not self.instructor or self.session is None:
            self.notify(t("instructor_only", self.lang), severity="warning")
            return False
        return not self.session.ended

    def toggle_pause(self) -> None:
        if not self._instructor():
            return
        s = self.session
        assert s is not None
        if not self._journaled(s.pause if s.clock.running else s.resume):
            return
        self.notify(t("ev_paused" if not s.clock.running else "ev_resumed", self.lang), timeout=2)
        self.tick()

    def change_speed(self, direction: int) -> None:
        if not self._instructor():
            return
        s = self.session
        assert s is not None
        speed = s.clock.faster() if direction > 0 else s.clock.slower()
        if self._journaled(lambda: s.set_speed(speed)):
            self.notify(s.speed_text(self.lang), timeout=2)
        self.tick()

    def step(self) -> None:
        if not self._instructor():
            return
        s = self.session
        assert s is not None
        if s.clock.running and not self._journaled(s.pause):
            return
        if s.sim.halted_for is not None:
            dp = s.scenario.decisions[s.sim.halted_for]
            self.notify(t("halted", self.lang, dp=tr(dp.title, self.lang)))
        else:
            stepped: list[bool] = []
            if self._journaled(lambda: stepped.append(s.step())) and not stepped[0]:
                self.notify(t("step_none", self.lang))
        self.tick()

    def open_injects(self) -> None:
        if not self._instructor():
            return
        s = self.session
        assert s is not None
        dialog = ListDialog(t("inject_title", self.lang), t("inject_help", self.lang), inject_items(s, self.lang),
                            self.fire_inject, purpose="injects",
                            describe=lambda key: tr(s.scenario.injects[key].text, self.lang))
        self.push_screen(dialog)

    def fire_inject(self, inject_id: str) -> str | None:
        s = self.session
        if s is None:
            return None
        try:
            s.fire_inject(inject_id)
        except CommandRejected as exc:
            return str(exc)
        except JournalError as exc:
            self._journal_failed(exc)
            return self.problem
        self.notify(t("inject_fired", self.lang, label=inject_label(s.scenario.injects[inject_id], self.lang)))
        self.tick()
        return None

    def open_note(self) -> None:
        if not self._instructor():
            return
        assert self.session is not None
        screen = NoteScreen(self.session, self.note_draft)
        self.push_screen(screen, callback=partial(self._noted, screen))

    def _noted(self, screen: NoteScreen, text: str | None) -> None:
        if text is None:
            self.note_draft = screen.draft
            return
        self.note_draft = ""
        assert self.session is not None
        if self.room is not None:
            self.room.write_note(screen.at, text)
        self.notify(t("note_saved", self.lang, t=self.session.elapsed_text()[2:]))

    def confirm_end(self) -> None:
        if not self._instructor():
            return

        def done(yes: bool | None) -> None:
            if yes and self.session is not None and not self.session.ended and self._journaled(self.session.end):
                self.tick()

        self.push_screen(ConfirmScreen(t("end_confirm", self.lang), self.lang), callback=done)

    # ---------------------------------------------------------------- command palette
    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        lang = self.lang
        s = self.session
        if s is not None and self.room is not None and not s.ended:
            for a in actions.ACTIONS:
                if a.scope != "room" or (a.instructor and not self.instructor):
                    continue
                yield SystemCommand(a.text[lang], a.help[lang], getattr(self.room, f"action_{a.id}"))
            for d in s.sim.snapshot(s.role).open_decisions:
                title = tr(s.scenario.decisions[d.id].title, lang)
                yield SystemCommand(t("decide_cmd", lang, title=title), t("decisions", lang),
                                    partial(self.answer_decision, d.id))
            for key, label, ok in order_items(s, lang):
                if ok:
                    yield SystemCommand(t("order_cmd", lang, label=s.scenario.orders[key].label[lang]),
                                        str(label), partial(self._palette_order, key))
        for a in actions.ACTIONS:
            if a.scope == "global" and a.id not in ("focus_next", "focus_previous"):
                yield SystemCommand(a.text[lang], a.help[lang], getattr(self, f"action_{a.id}"))
        # Textual's own entries (Theme, Keys, Maximize, Screenshot, Quit) exist only in English and are
        # left out on purpose; SITROOM_THEME chooses the theme.

    def action_command_palette(self) -> None:
        """The command palette, with its prompt in the room's language."""
        if self.use_command_palette and not CommandPalette.is_open(self):
            self.push_screen(CommandPalette(placeholder=t("palette_placeholder", self.lang), id="--command-palette"))

    def _palette_order(self, order_id: str) -> None:
        s = self.session
        if s is not None and s.scenario.orders[order_id].params is not None:
            self.push_screen(OrderParamsScreen(s, order_id, self.lang, partial(self.order_with, order_id)))
            return
        err = self.order_with(order_id, None)
        if err and err != KEEP_OPEN:
            self.notify(err, severity="error")


def run_app(args: argparse.Namespace, *, wall: WallClock | None = None) -> int:
    """`sitroom play`: open the launcher or start/resume an exercise; 1 on bad input."""
    session: Session | None = None
    bundled: list[BundledScenario] | None = None
    try:
        if args.resume or args.scenario:
            session = Session.from_args(args, wall or SystemClock())
        else:
            bundled = bundled_scenarios()
    except InputError as exc:
        for p in exc.problems:
            print(str(p), file=sys.stderr)
        return 1
    except ReplayMismatch as exc:
        print(f"{args.resume}: the journal cannot be resumed: {exc}", file=sys.stderr)
        return 1
    app = SitroomApp(args, session=session, bundled=bundled, wall=wall)
    try:
        app.run()
    finally:
        if app.session is not None:
            app.session.close()
    s = app.session
    if s is not None:
        lang = app.lang
        print(f"{t('journal_at' if s.ended else 'journal_saved', lang)} {s.journal_path}")
        journal = s.exercise.journal
        if journal is not None:  # the sealed chain's head: `sitroom journal check` shows it for this file
            print(t("journal_head", lang, head=journal.head[:16]))
        if not s.ended:
            print(f"{t('resume_cmd', lang)} {s.resume_command()}")
        print(f"{t('debrief_cmd', lang)} {s.debrief_command(lang)}")
    return int(app.return_code or 0)
