"""The CSV files people export and import: stable column names, cells safe in a spreadsheet.

Column names are machine names in English (``email``, ``first_name``…), whatever the user's
language, so that a file exported in French imports again anywhere. Files are UTF-8 with a BOM
(Excel then reads accents right); a cell that a spreadsheet would run as a formula (it starts
with = + - @, a tab or a carriage return) is written with a leading apostrophe, which the import
removes again."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

BOM = "\ufeff"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
TRUE = {"1", "true", "yes", "y", "oui", "vrai", "x"}
FALSE = {"", "0", "false", "no", "n", "non", "faux"}

# What each kind's file holds, in order. `id` and `created_at` are exported for reference and
# ignored on import; every other column is read back.
REACHABLE = ("email", "phone", "owner_email", "opt_in", "unsubscribed")
COLUMNS: dict[str, tuple[str, ...]] = {
    "accounts": ("name", "website", *REACHABLE),
    "contacts": ("first_name", "last_name", "account", "job_title", *REACHABLE, "tags"),
    "leads": ("first_name", "last_name", "company", "source", *REACHABLE, "tags"),
}
REQUIRED: dict[str, str] = {"accounts": "name", "contacts": "last_name", "leads": "last_name"}
READ_ONLY = ("id", "created_at")
DEAL_COLUMNS = (
    "id",
    "name",
    "pipeline",
    "stage",
    "result",
    "amount",
    "account",
    "contact",
    "contact_email",
    "owner_email",
    "expected_close",
    "closed_at",
    "result_reason",
    "tags",
    "created_at",
)


def export_columns(kind: str) -> tuple[str, ...]:
    return ("id", *COLUMNS[kind], "created_at")


def cell(value: Any) -> str:
    """One value as spreadsheet-safe text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:f}"
    text = str(value)
    if text.startswith(FORMULA_START):
        return "'" + text
    return text


def uncell(text: str) -> str:
    """What `cell` wrote, back: the apostrophe before a formula-like start goes."""
    if text.startswith("'") and text[1:].startswith(FORMULA_START):
        return text[1:]
    return text


def stream(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """The file as chunks of text: the BOM and the header, then about 100 rows at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    yield BOM + buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    for n, row in enumerate(rows, 1):
        writer.writerow([cell(v) for v in row])
        if n % 100 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


def parse_bool(text: str) -> bool | None:
    """A yes/no cell (1/0, true/false, yes/no, oui/non; empty is no); None when it is neither."""
    value = text.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    return None
