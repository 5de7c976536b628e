"""Bilingual texts and local time: the one place that turns sim minutes into a clock reading.

Scenario texts are `{"es": ..., "en": ...}` maps; `tr` picks one language. Simulated time
is minutes from T0 (the scenario's `clock.start`); `local_time` is the single formatter
from those minutes to the wall-clock time of the exercise world.
"""

from __future__ import annotations

from datetime import datetime, timedelta

Text = dict[str, str]  # {"es": ..., "en": ...}


def tr(text: Text | None, lang: str) -> str:
    """The text in `lang`, falling back to the other language."""
    if not text:
        return ""
    return text.get(lang) or text.get("en") or text.get("es") or ""


def ending_words(message: Text | None, lang: str) -> str:
    """A scenario ending's message as the reason an exercise ended (no closing full stop; '' if none)."""
    return tr(message, lang).strip().rstrip(".").strip()


def local_time(start: datetime | str, minutes: float, *, seconds: bool = False) -> str:
    """The exercise-world clock reading (HH:MM, or HH:MM:SS) `minutes` after `start` (T0)."""
    t0 = datetime.fromisoformat(start) if isinstance(start, str) else start
    return (t0 + timedelta(minutes=minutes)).strftime("%H:%M:%S" if seconds else "%H:%M")


def number_text(v: float) -> str:
    """A quantity's value as a message quotes it: whole numbers bare, others to one decimal."""
    return str(int(v)) if float(v).is_integer() else f"{v:.1f}"


# How a message (and the room) words a value the reader does not know yet.
KNOWLEDGE_WORDS: dict[str, Text] = {
    "estimate": {"es": "estimado", "en": "estimate"},
    "unknown": {"es": "desconocido", "en": "unknown"},
}


def range_text(low: float, high: float) -> str:
    """An estimate's range as numbers: '5–20'."""
    return f"{number_text(low)}–{number_text(high)}"


def quoted_text(v: float | list[float] | None, lang: str) -> str:
    """A value an inject quotes: a number; [low, high] (an estimate) as '5–20 (estimate)'; None as 'unknown'."""
    if v is None:
        return tr(KNOWLEDGE_WORDS["unknown"], lang)
    if isinstance(v, list | tuple):
        return f"{range_text(float(v[0]), float(v[1]))} ({tr(KNOWLEDGE_WORDS['estimate'], lang)})"
    return number_text(v)
