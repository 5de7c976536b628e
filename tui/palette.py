"""The command palette in the room's language: our commands only, and a word when nothing matches.

Textual's own palette entries (Theme, Keys, Maximize, Screenshot, Quit) are in English
and are left out (`SitroomApp.get_system_commands` yields ours). Textual says "No
matches found" in English when no provider has a hit, so this provider answers a
search that matches nothing with a hit of its own, in the user's language, that opens
the help.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.command import Hit, Hits, Provider

from .i18n import t

if TYPE_CHECKING:
    from .app import SitroomApp


class NoMatchProvider(Provider):
    """Says, in the room's language, that nothing matched, and offers the help instead."""

    async def search(self, query: str) -> Hits:
        """One hit when none of the room's commands match `query`."""
        app: SitroomApp = self.app  # type: ignore[assignment]
        matcher = self.matcher(query)
        if any(matcher.match(cmd.title) > 0 for cmd in app.get_system_commands(self.screen)):
            return
        yield Hit(0.01, t("palette_no_match", app.lang), app.action_help, text=query,
                  help=t("palette_no_match_help", app.lang))
