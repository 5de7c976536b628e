"""Toggles that say their state in characters: (•)/( ) for a choice, [x]/[ ] for a tick.

Textual's own toggles draw the same glyph for on and off and tell them apart by
colour only, which vanishes with NO_COLOR and in some themes; these read the same
everywhere. Long labels wrap instead of being cut.
"""

from __future__ import annotations

from textual import events
from textual.content import Content
from textual.geometry import Size
from textual.widgets import Checkbox, RadioButton, RadioSet


class _StateInText:
    """A toggle that says its state in characters, so it reads the same in every theme and with NO_COLOR."""

    ON = "[x]"
    OFF = "[ ]"

    def _content(self) -> Content:
        toggle: RadioButton | Checkbox = self  # type: ignore[assignment]
        mark = self.ON if toggle.value else self.OFF
        label = Content(toggle.label.plain).stylize_before(toggle.get_visual_style("toggle--label"))
        return Content.assemble((mark, "bold"), " ", label)

    def render(self) -> Content:
        return self._content()

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return self._content().cell_length

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        toggle: RadioButton | Checkbox = self  # type: ignore[assignment]
        return max(self._content().get_height(toggle.styles, max(width, 1)), 1)


class OptionButton(_StateInText, RadioButton):
    """One option of the decision: (•) when chosen, ( ) when not; long texts wrap."""

    ON = "(•)"
    OFF = "( )"


class ConsideredBox(_StateInText, Checkbox):
    """One option the team considered: [x] ticked, [ ] not."""


class NumberedSet(RadioSet):
    """A RadioSet whose buttons digits 1-9 choose, handled here, in the order keys arrive.

    A screen-level binding is looked up only after the key has travelled up from the focused
    widget; if Tab has moved the focus meanwhile (keys arriving in a burst), the digit is lost.
    Handling it on the set that had the focus when the key came keeps every key where it was typed.
    """

    def on_key(self, event: events.Key) -> None:
        """Digits choose the button with that number."""
        if event.character and event.character in "123456789":
            buttons = [b for b in self.query(RadioButton) if b.display]  # the numbers shown
            n = int(event.character)
            if n <= len(buttons):
                event.stop()
                event.prevent_default()
                buttons[n - 1].value = True
