"""The UI strings as gettext catalogues, for translators: `python -m tui.catalog` writes them.

`tui/i18n.py` stays the source the room reads (`t()`, `tn()`); this module exports
it with Babel as `tui/locale/sitroom.pot` (the template: English source texts)
and `tui/locale/es_MX/LC_MESSAGES/sitroom.po` (the Spanish), one entry per key,
the key as the message context. A test checks that the files on disk and the code
agree, so a changed string is re-exported (and a translator's work is not lost
silently).
"""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from .i18n import PLURALS, STRINGS

if TYPE_CHECKING:
    from babel.messages.catalog import Catalog

LOCALE_DIR = Path(__file__).parent / "locale"
POT_PATH = LOCALE_DIR / "sitroom.pot"
PO_PATH = LOCALE_DIR / "es_MX" / "LC_MESSAGES" / "sitroom.po"


def build_catalog(template: bool) -> Catalog:
    """Every UI string: English msgids; Spanish msgstrs unless `template` (the .pot)."""
    from babel.messages.catalog import Catalog

    catalog = Catalog(locale=None if template else "es_MX", domain="sitroom", project="sitroom",
                      version="1", copyright_holder="sitroom", msgid_bugs_address="",
                      creation_date=None, revision_date=None, fuzzy=False)
    for key, entry in STRINGS.items():
        catalog.add(entry["en"], "" if template else entry["es"], context=key)
    for key, forms in PLURALS.items():
        # CLDR gives es-MX three forms (one, many: "1 000 000", other); "many" reads as "other" here.
        one, other = forms["es"]
        spanish = (one, *[other] * (catalog.num_plurals - 1))
        catalog.add(forms["en"], ("",) * catalog.num_plurals if template else spanish, context=key)
    return catalog


def read_catalog(path: Path) -> Catalog:
    """A .po or .pot file from disk."""
    from babel.messages.pofile import read_po

    with path.open("rb") as f:
        return read_po(f)


def render(catalog: Catalog) -> str:
    """The catalogue as .po text (stable: no dates, sorted by key)."""
    from babel.messages.pofile import write_po

    out = io.BytesIO()
    write_po(out, catalog, width=100, omit_header=False, sort_output=True, no_location=True)
    lines = [ln for ln in out.getvalue().decode("utf-8").splitlines()
             if not ln.startswith(('"POT-Creation-Date:', '"PO-Revision-Date:', '"Generated-By:'))]
    return "\n".join(lines) + "\n"


def export() -> list[Path]:
    """Write the .pot and the es-MX .po; returns the paths written."""
    PO_PATH.parent.mkdir(parents=True, exist_ok=True)
    POT_PATH.write_text(render(build_catalog(template=True)), encoding="utf-8")
    PO_PATH.write_text(render(build_catalog(template=False)), encoding="utf-8")
    return [POT_PATH, PO_PATH]


def main() -> int:
    """`python -m tui.catalog`: re-export the catalogues after changing tui/i18n.py."""
    for path in export():
        print(f"written {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
