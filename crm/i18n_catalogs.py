"""`python -m crm.i18n_catalogs`: English is the source language, so its catalog repeats each msgid.

Run by `make extract-messages` after the catalogs are updated; French is translated by hand.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po, write_po

CATALOG = Path(__file__).parent / "translations" / "en" / "LC_MESSAGES" / "messages.po"


def fill_english(path: Path = CATALOG) -> int:
    with path.open("rb") as f:
        catalog = read_po(f, locale="en")
    filled = 0
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            if not all(message.string):
                message.string = tuple(message.id)
                filled += 1
        elif not message.string:
            message.string = message.id
            filled += 1
        message.flags.discard("fuzzy")
    with path.open("wb") as f:
        write_po(f, catalog, width=100, omit_header=False, sort_output=True)
    return filled


if __name__ == "__main__":
    print(f"English catalog: {fill_english()} entries filled")
