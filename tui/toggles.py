"""Toggles that say their state in characters: (•)/( ) for a choice, [x]/[ ] for a tick.

Textual's own toggles draw the same glyph for on and off and tell them apart by
colour only, which vanishes with NO_COLOR and in some themes; these read the same
everywhere. Long labels wrap instead of being cut.
"""

from __future__ import annotations

from textual.content import Content
from textual.geometry import Size
from textual.widgets import Checkbox, RadioButton


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
