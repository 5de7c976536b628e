"""The decision window: prompt, context, options and a National Decision Model rationale.

A `ModalScreen[bool]` that dismisses with True once the decision is in the
journal. It lists only the options the point offers now (a format-2 option may be offered
only while a condition holds): the others are hidden, not greyed, because a trainee in the
situation would not have them, and their condition may rest on something the team only
knows through the exercise (the instructor's own room adds a muted line naming the hidden
options and their conditions). When the offer changes while the window is open, the list,
its numbers and keys follow, and a line says what changed. It does not stop the clock (unless the scenario's decision point
pauses it): the app's timer keeps running and calls `on_tick`, which updates
the time left and notices when the point closes (deadline reached, default
applied). Everything typed lives in the session's `Draft`, so closing the
window, an error, or the point closing never loses text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import (
    Button,
    Checkbox,
    Footer,
    Input,
    Label,
    RadioButton,
    RadioSet,
    Static,
)

from simulator import FIELD_LABELS, LNUF_LEVELS, CommandRejected, JournalError, check_rationale, tr

from . import actions
from .feed import left_text, local_time
from .i18n import t, tn
from .session import Draft
from .toggles import ConsideredBox, NumberedSet, OptionButton

if TYPE_CHECKING:
    from .session import Session

TEXT_FIELDS = ("information", "threat_risk", "powers_policy", "why")


class DecisionScreen(actions.Keyed, ModalScreen[bool]):
    """Answer one decision point; dismisses True when recorded, False when closed."""

    CSS_PATH = "decision.tcss"
    BINDINGS = actions.class_bindings("decision")
    AUTO_FOCUS = "#options"

    def __init__(self, session: Session, point: str) -> None:
        super().__init__()
        self.session = session
        self.point = point
        self.dp = session.scenario.decisions[point]
        self.draft = session.drafts.setdefault(point, Draft())
        self.option_ids = list(self.dp.options)
        self.offered: tuple[str, ...] = tuple(self.option_ids)  # what the list shows now (see `_show_offer`)
        self._closed_shown = False
        self._mounted = False

    @property
    def lang(self) -> str:
        return self.session.lang

    # ---------------------------------------------------------------- layout
    def compose(self) -> ComposeResult:
        lang = self.lang
        dp = self.dp
        st = self.session.sim.decisions.get(self.point)
        with Vertical(id="dialog"):
            with Horizontal(id="dhead"):
                yield Static(t("decision_prompt", lang, id=dp.id, title=tr(dp.title, lang)), id="dtitle")
                yield Static("", id="dleft")
            with VerticalScroll(id="dbody"):
                yield Static(tr(dp.prompt, lang), id="prompt")
                ctx = []
                if st is not None:
                    scn = self.session.scenario
                    deadline = local_time(scn, st.deadline_at) if st.deadline_at is not None else t("no_deadline", lang)
                    ctx.append(t("opened_deadline", lang, opened=local_time(scn, st.opened_at), deadline=deadline))
                default = dp.options.get(dp.default)
                if default is not None:
                    ctx.append(t("if_no_decision", lang, option=tr(default.label, lang)))
                yield Static("  ·  ".join(ctx), id="context")
                yield Label(_options_label(len(self.option_ids), lang), id="options-label", classes="section")
                yield Static("", id="offer-note", classes="note")
                yield Static("", id="offer-hidden")
                with NumberedSet(id="options"):
                    for i, oid in enumerate(self.option_ids, 1):
                        opt = dp.options[oid]
                        text = f"{i}. {tr(opt.label, lang)}" + (f" — {tr(opt.detail, lang)}" if opt.detail else "")
                        yield OptionButton(text, id=f"opt-{oid}", value=self.draft.option == oid)
                yield Static("", id="e-option", classes="error")
                yield Label(t("rationale", lang) + "   " + t("required_note", lang), classes="section")
                for f in TEXT_FIELDS:
                    yield Label(self._label(f), id=f"l-{f}", classes="field")
                    yield Static("", id=f"e-{f}", classes="error")
                    yield Input(self.draft.fields.get(f, ""), id=f"f-{f}")
                yield Label(self._label("options_considered"), classes="field")
                yield Static("", id="e-options_considered", classes="error")
                with Vertical(id="f-options_considered"):
                    for i, o in enumerate(self.option_ids, 1):
                        yield ConsideredBox(f"{i}. {tr(dp.options[o].label, lang)}", o in self.draft.considered,
                                            id=f"cons-{o}")
                if dp.force:
                    hint = t("force_max", lang, lvl=LNUF_LEVELS[dp.max_force - 1]) if dp.max_force else ""
                    yield Label(f"{t('force_level', lang)} *   {hint}", classes="field")
                    yield Static("", id="e-force", classes="error")
                    with RadioSet(id="f-force"):
                        for n, lvl in enumerate(LNUF_LEVELS, 1):
                            yield OptionButton(lvl, id=f"force-{n}", value=self.draft.force == n)
            yield Static("", id="form-error", classes="error")
            yield Static("", id="will-record")
            with Horizontal(id="dbuttons"):
                yield Button(t("commit", lang) + " (Ctrl+S)", id="commit", variant="primary", compact=True)
                yield Button(t("close", lang) + " (Esc)", id="close", compact=True)
        yield Footer(compact=True, show_command_palette=False)

    def _label(self, f: str) -> str:
        mark = t("required_mark", self.lang) if f in self.dp.required else ""
        return FIELD_LABELS[f][self.lang] + mark

    def on_mount(self) -> None:
        self._mounted = True
        for w in self.query(".error").results(Static):
            w.display = False
        self.query_one("#offer-note", Static).display = False
        self.query_one("#offer-hidden", Static).display = False
        self._show_offer(self.session.sim.offered_options(self.point), announce=False)
        self._show_record()
        self.on_tick()
        # Focusing the options scrolls them into view; in a short terminal that hid the prompt
        # above them. Start at the top: the prompt, the context, then the options.
        self.call_after_refresh(self.query_one("#dbody", VerticalScroll).scroll_home, animate=False)

    # ---------------------------------------------------------------- the options offered now
    def _number(self, oid: str) -> int:
        """The number an offered option has in the list now (1-based)."""
        return self.offered.index(oid) + 1

    def _show_offer(self, offered: tuple[str, ...], *, announce: bool) -> None:
        """Show only the offered options, numbered in file order; say what changed when `announce`."""
        if not offered and self.offered:  # a closed point (or no view yet): keep the list as it was
            return
        lang = self.lang
        old = self.offered
        self.offered = tuple(o for o in self.option_ids if o in offered)
        for oid in self.option_ids:
            opt = self.dp.options[oid]
            shown = oid in self.offered
            button = self.query_one(f"#opt-{oid}", OptionButton)
            box = self.query_one(f"#cons-{oid}", ConsideredBox)
            button.display = box.display = shown
            if shown:
                n = self._number(oid)
                button.label = f"{n}. {tr(opt.label, lang)}" + (f" — {tr(opt.detail, lang)}" if opt.detail else "")
                box.label = f"{n}. {tr(opt.label, lang)}"
        self.query_one("#options-label", Label).update(_options_label(len(self.offered), lang))
        if self.session.instructor:  # ground truth: what is hidden from the team, and why
            hidden = [t("offer_hidden_one", lang, option=tr(self.dp.options[o].label, lang),
                        condition=cond.text)
                      for o in self.option_ids if o not in self.offered
                      and (cond := self.dp.options[o].offered_while) is not None]
            self._say("#offer-hidden", t("offer_hidden", lang, options="; ".join(hidden)) if hidden else "")
        if announce:
            added = [tr(self.dp.options[o].label, lang) for o in self.offered if o not in old]
            removed = [tr(self.dp.options[o].label, lang) for o in old if o not in self.offered]
            parts = []
            if added:
                parts.append(t("offer_added", lang, options="; ".join(added)))
            if removed:
                parts.append(t("offer_removed", lang, options="; ".join(removed)))
            self._say("#offer-note", " ".join(parts))
        if self.draft.option is not None and self.draft.option not in self.offered:
            chosen = tr(self.dp.options[self.draft.option].label, lang)
            self._say("#e-option", t("option_withdrawn", lang, option=chosen))
        elif announce:
            self._say("#e-option", "")
        self._show_record()

    # ---------------------------------------------------------------- keeping the draft
    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id and event.input.id.startswith("f-"):
            self.draft.fields[event.input.id[2:]] = event.value
            self._show_record()

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        if event.radio_set.id == "options":
            bid = event.pressed.id or ""
            self.draft.option = bid.removeprefix("opt-")
            # The chosen option was considered: tick it (visibly; the team may untick it).
            self.query_one(f"#cons-{self.draft.option}", Checkbox).value = True
            self._say("#e-option", "")
        elif event.radio_set.id == "f-force":
            self.draft.force = int((event.pressed.id or "force-0").removeprefix("force-")) or None
        self._show_record()

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        ticked = {o for o in self.option_ids if self.query_one(f"#cons-{o}", Checkbox).value}
        self.draft.considered = [o for o in self.option_ids if o in ticked]
        self._show_record()

    def _show_record(self) -> None:
        """Exactly what Ctrl+S will write to the journal, in words, kept up to date."""
        lang = self.lang
        opt = self.dp.options.get(self.draft.option or "")
        chosen = (f"{self._number(opt.id)}. {tr(opt.label, lang)}" if opt is not None and opt.id in self.offered
                  else t("record_none", lang))
        considered = ", ".join(str(self._number(o)) if o in self.offered else f"«{tr(self.dp.options[o].label, lang)}»"
                               for o in self.draft.considered) or t("record_none", lang)
        written = sum(1 for f in TEXT_FIELDS if self.draft.fields.get(f, "").strip())
        parts = [t("record_option", lang, option=chosen), t("record_considered", lang, options=considered),
                 t("record_fields", lang, n=written, of=len(TEXT_FIELDS))]
        if self.dp.force:
            level = LNUF_LEVELS[self.draft.force - 1] if self.draft.force else t("record_none", lang)
            parts.append(t("record_force", lang, level=level))
        text = Text(t("record_title", lang) + " ", style="bold")
        text.append(" · ".join(parts))
        self.query_one("#will-record", Static).update(text)

    def _say(self, selector: str, text: str) -> None:
        """Show a message line, or hide it when empty (no blank lines in a small window)."""
        w = self.query_one(selector, Static)
        w.update(text)
        w.display = bool(text)

    # ---------------------------------------------------------------- the clock
    def on_tick(self) -> None:
        """Called by the app every frame: time left, and whether the point is still open."""
        if not self._mounted:
            return
        sim = self.session.sim
        st = sim.decisions.get(self.point)
        left = self.query_one("#dleft", Static)
        if st is None:
            return
        if st.decided_at is not None or sim.ended:
            if not self._closed_shown:
                self._closed_shown = True
                opt = self.dp.options.get(st.option or "")
                label = tr(opt.label, self.lang) if opt else (st.option or "")
                by = t("by_default", self.lang) if st.cause == "default" else (st.by or "")
                self._say("#form-error", t("point_closed", self.lang, option=label, by=by))
                self.query_one("#commit", Button).disabled = True
                # Nothing will be recorded any more: neither the summary nor Ctrl+S may say so.
                self.query_one("#will-record", Static).display = False
                self.refresh_bindings()
                left.update(t("expired", self.lang))
            return
        offered = sim.offered_options(self.point)
        if tuple(o for o in self.option_ids if o in offered) != self.offered:
            self._show_offer(offered, announce=True)
        if sim.halted_for == self.point:
            left.update(t("clock_halted_for_this", self.lang))
            return
        remaining = None if st.deadline_at is None else st.deadline_at - sim.now
        text = left_text(remaining, self.lang)
        left.update(t("time_left", self.lang, left=text) if remaining is not None and remaining > 0 else text)
        left.set_class(remaining is not None and remaining <= 2, "urgent")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """As every registry screen; Ctrl+S (record) is gone once the point has closed."""
        if self._closed_shown and parameters[1:] == ("commit",):
            return False
        return super().check_action(action, parameters)

    # ---------------------------------------------------------------- actions
    def action_pick(self, n: int) -> None:
        if 1 <= n <= len(self.offered):
            self.query_one(f"#opt-{self.offered[n - 1]}", RadioButton).value = True

    def action_close(self) -> None:
        self.dismiss(False)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "commit":
            self.action_commit()
        elif event.button.id == "close":
            self.action_close()

    def _error(self, f: str, msg: str) -> None:
        target = {"option": "#e-option", "point": "#form-error", None: "#form-error"}.get(f, f"#e-{f}")
        if not self.query(target):  # a field this decision point does not show
            target = "#form-error"
        self._say(target, msg)

    def action_commit(self) -> None:
        lang = self.lang
        for w in self.query(".error").results(Static):
            w.update("")
            w.display = False
        sim = self.session.sim
        st = sim.decisions.get(self.point)
        if st is None or st.decided_at is not None or sim.ended:
            self._closed_shown = False
            self.on_tick()
            return
        option = self.draft.option
        if option is None or option not in self.offered:
            if option is None:
                self._error("option", t("choose_option", lang, n=len(self.offered)))
            else:
                self._error("option", t("option_withdrawn", lang, option=tr(self.dp.options[option].label, lang)))
            self.query_one("#options").focus()
            return
        rationale = {f: self.draft.fields.get(f, "") for f in TEXT_FIELDS}
        rationale["options_considered"] = list(self.draft.considered)
        problems = check_rationale(self.dp, option, rationale, self.draft.force, lang, self.offered)
        if problems:
            for f, msg in problems.items():
                self._error(f, msg)
            self._say("#form-error", tn("fix_fields", len(problems), lang))
            first = next(iter(problems))
            focus = {"force": "#f-force"}.get(first, f"#f-{first}")
            widget = self.query_one(focus)
            self.call_after_refresh(widget.focus)  # after the messages are laid out, so it scrolls into view
            return
        try:
            self.session.decide(self.point, option, rationale, self.draft.force)
        except CommandRejected as exc:
            if exc.field == "option":  # withdrawn just before the commit (the host's view may not show it yet)
                now = self.session.sim.offered_options(self.point)
                if now and option not in now:
                    self._show_offer(now, announce=True)
                else:
                    self._error("option", t("option_withdrawn", lang, option=tr(self.dp.options[option].label, lang)))
                return
            self._error(exc.field or "point", t("rejected", lang, msg=str(exc)))
            return
        except JournalError as exc:  # the disk refused: nothing was recorded, the draft stays
            self._say("#form-error", t("journal_failed", lang, why="; ".join(p.message for p in exc.problems)))
            return
        self.dismiss(True)


def _options_label(n: int, lang: str) -> str:
    """The options header: the keys that pick them ("Option (key 1)" for a single one)."""
    return t("options_one", lang) if n == 1 else t("options", lang, n=n)
