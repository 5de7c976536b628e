"""The one registry of actions: id, keys, words (es/en), and who may use them.

Keymaps are data: screens build their Textual bindings from here, the footer and
the F1 help read the same descriptions, and the command palette offers the same
actions. To rebind a key, change it here.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.binding import Binding

from .i18n import t


@dataclass(frozen=True)
class Action:
    """A user action: `id` is the Textual action name on the screen that owns it."""

    id: str
    keys: str  # comma-separated Textual key names; the first is the one shown
    key_label: str
    text: dict[str, str]  # short footer description
    help: dict[str, str]  # one sentence for F1 and the palette
    scope: str  # "room", "decision", "launcher", "global"
    instructor: bool = False
    show: bool = True
    priority: bool = False
    footer_label: str = ""  # what the footer shows, when not the key label (e.g. "+/-" for a pair)
    in_help: bool = True


ACTIONS: tuple[Action, ...] = (
    # ---------------------------------------------------------------- everywhere
    Action("help", "f1,question_mark", "F1", {"es": "Ayuda", "en": "Help"},
           {"es": "Muestra todas las teclas.", "en": "Show every key."}, "global", priority=True),
    Action("switch_lang", "f2", "F2", {"es": "English", "en": "Español"},
           {"es": "Cambia el idioma de la interfaz (es/en).", "en": "Switch the interface language (es/en)."},
           "global", priority=True),
    Action("quit_room", "ctrl+q", "Ctrl+Q", {"es": "Salir", "en": "Quit"},
           {"es": "Guarda el diario y sale (se puede reanudar con --resume).",
            "en": "Save the journal and quit (continue later with --resume)."}, "global", priority=True),
    # Tab is taken by the app before any widget sees a key: keys arriving in a burst (a paste,
    # fast typing) are handled in order, so text typed after Tab goes to the field Tab reached.
    Action("focus_next", "tab", "Tab", {"es": "Siguiente", "en": "Next"},
           {"es": "Pasa al campo siguiente (Mayús+Tab: al anterior).",
            "en": "Move to the next field (Shift+Tab: the previous one)."}, "global", show=False, priority=True),
    Action("focus_previous", "shift+tab", "Shift+Tab", {"es": "Anterior", "en": "Previous"},
           {"es": "Vuelve al campo anterior.", "en": "Move to the previous field."}, "global", show=False,
           priority=True, in_help=False),
    # ---------------------------------------------------------------- the team
    Action("answer", "d", "D", {"es": "Decidir", "en": "Decide"},
           {"es": "Responde una decisión abierta; con varias, elija en la lista (la más urgente primero: "
                  "Enter, o su número 1-9).",
            "en": "Answer an open decision; with several, choose from the list (most urgent first: Enter, "
                  "or its number 1-9)."},
           "room"),
    Action("orders", "o", "O", {"es": "Órdenes", "en": "Orders"},
           {"es": "Da una orden (despacho, apoyo, cierre, comunicado).",
            "en": "Give an order (dispatch, mutual aid, lockdown, statement)."}, "room"),
    Action("cycle_channel", "c", "C", {"es": "Canal", "en": "Channel"},
           {"es": "Filtra los mensajes por canal (radio, teléfono…); otra vez C hasta volver a todos.",
            "en": "Filter messages by channel (radio, phone…); press C again until all show."}, "room"),
    Action("briefing", "b", "B", {"es": "Informe", "en": "Briefing"},
           {"es": "Vuelve a mostrar el informe inicial: situación, papel, recursos, objetivos (el reloj sigue).",
            "en": "Show the briefing again: situation, role, resources, objectives (the clock keeps running)."},
           "room"),
    Action("focus_feed", "m", "M", {"es": "Mensajes", "en": "Messages"},
           {"es": "Lleva el foco a los mensajes para desplazarse por el historial.",
            "en": "Focus the message feed to scroll its history."}, "room", show=False),
    # ---------------------------------------------------------------- the instructor
    Action("toggle_pause", "space", "␣", {"es": "Pausa", "en": "Pause"},
           {"es": "Pausa o reanuda el reloj del escenario.", "en": "Pause or resume the scenario clock."},
           "room", instructor=True),
    Action("faster", "plus,equals_sign", "+", {"es": "Velocidad", "en": "Speed"},
           {"es": "Aumenta la velocidad del reloj (- la reduce).", "en": "Speed the clock up (- slows it down)."},
           "room", instructor=True, footer_label="+/-"),
    Action("slower", "minus", "-", {"es": "Más lento", "en": "Slower"},
           {"es": "Reduce la velocidad del reloj.", "en": "Slow the clock down."}, "room", instructor=True,
           show=False),
    Action("step", "s", "S", {"es": "Paso", "en": "Step"},
           {"es": "Avanza al siguiente evento programado (en pausa).",
            "en": "Step to the next scheduled event (while paused)."}, "room", instructor=True),
    Action("inject", "i", "I", {"es": "Evento", "en": "Inject"},
           {"es": "Lanza un evento del guion (manual o programado).", "en": "Fire a manual or scripted inject."},
           "room", instructor=True),
    Action("note", "n", "N", {"es": "Nota", "en": "Note"},
           {"es": "Escribe una nota de observación con la hora del escenario.",
            "en": "Write an observation note stamped with scenario time."}, "room", instructor=True),
    Action("toggle_truth", "g", "G", {"es": "Real", "en": "Truth"},
           {"es": "Muestra u oculta la situación real (lo que el equipo no ve).",
            "en": "Show or hide the ground truth (what the team cannot see)."},
           "room", instructor=True),
    Action("end_exercise", "e", "E", {"es": "Terminar", "en": "End"},
           {"es": "Termina el ejercicio (pide confirmación).", "en": "End the exercise (asks first)."},
           "room", instructor=True),
    # ---------------------------------------------------------------- the decision window
    Action("commit", "ctrl+s", "Ctrl+S", {"es": "Registrar", "en": "Record"},
           {"es": "Registra la decisión con su justificación.", "en": "Record the decision with its rationale."},
           "decision", priority=True),
    Action("close", "escape", "Esc", {"es": "Cerrar", "en": "Close"},
           {"es": "Cierra sin perder lo escrito.", "en": "Close without losing what you typed."}, "decision"),
    Action("pick(1)", "1", "1-9", {"es": "Opción", "en": "Option"},
           {"es": "Elige la opción con ese número (fuera de un campo de texto).",
            "en": "Choose the option with that number (outside a text field)."}, "decision"),
    # ---------------------------------------------------------------- launcher
    Action("start", "ctrl+s", "Ctrl+S", {"es": "Iniciar", "en": "Start"},
           {"es": "Inicia el escenario seleccionado.", "en": "Start the selected scenario."}, "launcher",
           priority=True),
)

BY_ID = {a.id: a for a in ACTIONS}


def bindings(scope: str, lang: str, instructor: bool) -> list[Binding]:
    """Textual bindings for a screen scope, described in `lang`."""
    out: list[Binding] = []
    # Help comes first on every screen, so the footer always shows it even when narrow.
    chosen = [BY_ID["help"]] if scope != "global" else []
    chosen += [a for a in ACTIONS if a.scope == scope and (instructor or not a.instructor)]
    for a in chosen:
        if a.id.startswith("pick("):
            for n in range(1, 10):
                out.append(Binding(str(n), f"pick({n})", a.text[lang], show=False))
            continue
        keys = a.keys.split(",")
        out.append(Binding(keys[0], a.id, a.text[lang], show=a.show, key_display=a.footer_label or a.key_label,
                           priority=a.priority, id=a.id))
        for k in keys[1:]:  # aliases (e.g. "?") are never priority: a text field must get them
            out.append(Binding(k, a.id, a.text[lang], show=False))
    return with_capitals(out)


def with_capitals(bs: list[Binding]) -> list[Binding]:
    """`bs` and, for each single-letter key, the same binding on its capital, unshown: the footer shows
    capitals, and Caps Lock (or Shift) must not silence the room or the console."""
    out = list(bs)
    for b in bs:
        if len(b.key) == 1 and b.key.isalpha() and b.key.islower():
            out.append(Binding(b.key.upper(), b.action, b.description, show=False, priority=b.priority))
    return out


LANGS = ("es", "en")
KEY = "key"  # the action every registry binding runs: key(LANG, ACTION) — see `Keyed`
_INSTRUCTOR_ONLY = frozenset(a.id for a in ACTIONS if a.instructor)


def class_bindings(scope: str) -> list[Binding]:
    """A class's `BINDINGS` for `scope`: every action in both languages, each as `key(lang, action)`.

    Only the bindings of the node's language and role are live (`Keyed.check_action`), so a
    language switch is `refresh_bindings()`: nothing of Textual's is written, only read.
    """
    return [keyed(b, lang) for lang in LANGS for b in bindings(scope, lang, instructor=True)]


def live(action: str, parameters: tuple[object, ...], lang: str, instructor: bool,
         instructor_only: frozenset[str] = _INSTRUCTOR_ONLY) -> bool | None:
    """Is a `key(lang, action)` binding live for this language and role? (None: not such a binding.)"""
    if action != KEY or len(parameters) != 2:
        return None
    b_lang, name = parameters
    return b_lang == lang and (instructor or name not in instructor_only)


def keyed(b: Binding, lang: str) -> Binding:
    """`b` as a binding that runs its action only while the node's language is `lang` (see `Keyed`)."""
    return Binding(b.key, f"{KEY}({lang!r}, {b.action!r})", b.description, show=b.show, key_display=b.key_display,
                   priority=b.priority, id=f"{b.id}.{lang}" if b.id else None)


class Keyed:
    """Mixin for the app and its screens: runs the registry's bindings for `key_lang` and `key_instructor`."""

    KEY_INSTRUCTOR_ONLY: frozenset[str] = _INSTRUCTOR_ONLY  # actions live only for an instructor

    def key_lang(self) -> str:
        """The language whose bindings are live."""
        return str(getattr(self, "lang", "es"))

    def key_instructor(self) -> bool:
        """Whether the instructor's bindings are live."""
        return False

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hide and refuse the registry bindings of the other language (and role); others as Textual does."""
        ok = live(action, parameters, self.key_lang(), self.key_instructor(), self.KEY_INSTRUCTOR_ONLY)
        return super().check_action(action, parameters) if ok is None else ok  # type: ignore[misc]

    async def action_key(self, lang: str, name: str) -> None:
        """Run the registry action `name` on this node (the binding was live: see `check_action`)."""
        app = getattr(self, "app", self)
        await app.run_action(name, self)


def help_rows(lang: str, instructor: bool, remote: bool = False) -> list[tuple[str, str, str]]:
    """(section, key, what it does) for the help screen (`remote`: a class's team room, whose journal
    the class host keeps)."""
    section = {"global": t("help_global", lang), "room": t("help_room", lang),
               "decision": t("help_decision", lang), "launcher": t("launcher_title", lang)}
    rows = [(t("help_global", lang), "Ctrl+P", t("palette", lang))]
    for a in ACTIONS:
        if (a.instructor and not instructor) or not a.in_help:
            continue
        sec = t("help_instr", lang) if a.instructor else section[a.scope]
        text = t("help_quit_remote", lang) if remote and a.id == "quit_room" else a.help[lang]
        rows.append((sec, a.key_label, text))
    return rows


def key_bar(scope: str, lang: str, instructor: bool, width: int) -> Text:
    """The keys of a screen for its bottom line, as many as fit in `width`; the rest are in F1."""
    shown = [a for a in ACTIONS if a.scope == scope and a.show and (instructor or not a.instructor)]
    # The instructor's own keys first: on a narrow screen those are the ones the instructor needs.
    chosen = [BY_ID["help"]] + sorted(shown, key=lambda a: not a.instructor)
    more = t("keys_more", lang)
    out = Text()
    for n, a in enumerate(chosen):
        piece = Text()
        piece.append(a.footer_label or a.key_label, style="bold reverse")
        piece.append(f" {a.text[lang]}  ")
        rest = len(chosen) - n - 1
        if out.cell_len + piece.cell_len + (len(more) + 1 if rest else 0) > width:
            out.append(more, style="italic")
            break
        out.append_text(piece)
    return out
