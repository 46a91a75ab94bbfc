"""Reading an imported CSV file: refuse a file that is not one we can read, then check every row
with the record forms' own validators (crm/records/forms.py), so an import and the New contact
form accept and refuse the same values. Nothing here writes; crm.services.records does, once the
user confirmed a file without errors."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from crm.extensions import db
from crm.models import Account, User
from crm.records.csv_format import COLUMNS, READ_ONLY, REQUIRED, parse_bool, uncell
from crm.records.kinds import Kind
from crm.services import ServiceError, same_names

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
DELIMITERS = ",;\t"
# The form field a column fills, where the names differ.
FIELD = {"owner_email": "owner_id", "account": "account_id"}
COLUMN = {v: k for k, v in FIELD.items()}
csv.field_size_limit(64 * 1024)  # a cell is at most a few hundred characters; refuse the rest


@dataclass
class Row:
    number: int  # the row in a spreadsheet: the header is row 1
    cells: dict[str, str]
    errors: list[str] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)


@dataclass
class Preview:
    kind: str
    columns: list[str]
    rows: list[Row]

    @property
    def failed(self) -> list[Row]:
        return [r for r in self.rows if r.errors]

    @property
    def ready(self) -> int:
        return len(self.rows) - len(self.failed)

    def shown(self, limit: int = 200) -> list[Row]:
        """The rows the preview lists: every row with an error, then the first others."""
        failed = self.failed[:limit]
        room = max(limit - len(failed), 0)
        others = [r for r in self.rows if not r.errors][:room]
        return sorted(failed + others, key=lambda r: r.number)


def refuse(message: str, status: int = 422) -> ServiceError:
    return ServiceError(message, status, field="file")


def read_table(data: bytes, kind: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header (normalised column names) and the numbered rows of a CSV file, or a refusal
    saying what is wrong with the file as a whole."""
    if len(data) > MAX_BYTES:
        raise refuse(_("The file is larger than %(mb)d MB.", mb=MAX_BYTES // (1024 * 1024)), 413)
    if b"\x00" in data:
        raise refuse(_("This is not a CSV file: it holds binary data."))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise refuse(_("The file is not UTF-8 text: save it as “CSV UTF-8” and upload it again.")) from None
    if not text.strip():
        raise refuse(_("The file is empty."))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        records = [(n, [c.strip() for c in cells]) for n, cells in enumerate(reader, 1)]
    except csv.Error:
        raise refuse(_("The file could not be read as CSV near line %(n)d.", n=reader.line_num)) from None
    records = [(n, cells) for n, cells in records if any(cells)]  # blank lines, ";;;;" lines
    if not records:
        raise refuse(_("The file is empty."))
    (_n, raw), rows = records[0], records[1:]
    header = [h.lower().replace(" ", "_") for h in raw]
    _check_header(header, kind)
    if not rows:
        raise refuse(_("The file has a header row but no records."))
    if len(rows) > MAX_ROWS:
        raise refuse(_("The file has more than %(max)d records: split it in several files.", max=MAX_ROWS))
    return header, rows


def _delimiter(text: str) -> str:
    """Comma, semicolon (a French Excel's) or tab: what csv.Sniffer finds, else what the header
    line holds most of."""
    sample = text[:8192]
    try:
        found = csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        found = ""
    first = sample.splitlines()[0] if sample.splitlines() else ""
    counted = max(DELIMITERS, key=first.count)
    if found and first.count(found) >= first.count(counted):
        return found
    return counted if first.count(counted) else ","


def _check_header(header: list[str], kind: str) -> None:
    known = set(COLUMNS[kind]) | set(READ_ONLY)
    expected = ", ".join(COLUMNS[kind])
    if any(not h for h in header):
        raise refuse(_("A column of the header row has no name. The columns are: %(cols)s.", cols=expected))
    doubled = sorted({h for h in header if header.count(h) > 1})
    if doubled:
        raise refuse(_("The header names these columns twice: %(cols)s.", cols=", ".join(doubled)))
    unknown = [h for h in header if h not in known]
    if unknown:
        raise refuse(
            _(
                "Unknown columns: %(cols)s. The columns are: %(expected)s.",
                cols=", ".join(unknown[:10]),
                expected=expected,
            )
        )
    if REQUIRED[kind] not in header:
        raise refuse(
            _(
                "The column “%(col)s” is missing. The columns are: %(cols)s.",
                col=REQUIRED[kind],
                cols=expected,
            )
        )


class _Lookups:
    """What the rows refer to, read in a few queries for the whole file."""

    def __init__(self, kind: Kind, rows: list[dict[str, str]]) -> None:
        def values(col: str) -> list[str]:
            return sorted({r[col] for r in rows if r.get(col)})

        self.owners = {
            u.email.lower(): u
            for u in _chunked(
                values("owner_email"), lambda part: select(User).where(same_names(User.email, part))
            )
        }
        self.accounts: dict[str, list[int]] = {}
        if kind.slug == "contacts":
            query = lambda part: select(Account.id, Account.name).where(same_names(Account.name, part))  # noqa: E731
            for account_id, name in _chunked(values("account"), query, scalars=False):
                self.accounts.setdefault(name.lower(), []).append(account_id)
        unique = "name" if kind.slug == "accounts" else "email"
        column = getattr(kind.model, unique)
        self.unique = unique
        self.taken = {
            v.lower()
            for v in _chunked(values(unique), lambda part: select(column).where(same_names(column, part)))
        }


def _chunked(names: list[str], query: Any, scalars: bool = True) -> list[Any]:
    out: list[Any] = []
    for start in range(0, len(names), 500):
        part = names[start : start + 500]
        result = db.session.scalars(query(part)) if scalars else db.session.execute(query(part))
        out.extend(result)
    return out


def check_rows(kind: Kind, header: list[str], records: list[tuple[int, list[str]]], user: User) -> Preview:
    """Every row checked as the record form checks it, plus what only a file can get wrong."""
    columns = [h for h in header if h not in READ_ONLY]
    rows = []
    for number, cells in records:
        row = Row(number, {h: uncell(v) for h, v in zip(header, cells, strict=False) if h in columns})
        extra = [c for c in cells[len(header) :] if c]
        if extra:
            row.errors.append(
                ngettext(
                    "This row has %(num)d cell more than the header has columns.",
                    "This row has %(num)d cells more than the header has columns.",
                    len(extra),
                )
            )
        rows.append(row)
    lookups = _Lookups(kind, [r.cells for r in rows])
    seen: dict[str, int] = {}
    for row in rows:
        _check_row(kind, row, lookups, user)
        key = row.cells.get(lookups.unique, "").lower()
        if key and key in seen:
            row.errors.append(
                _(
                    "%(col)s: “%(value)s” is also on row %(n)d.",
                    col=lookups.unique,
                    value=row.cells[lookups.unique],
                    n=seen[key],
                )
            )
        elif key:
            seen[key] = row.number
    return Preview(kind.slug, columns, rows)


def _check_row(kind: Kind, row: Row, lookups: _Lookups, user: User) -> None:
    cells, errors = row.cells, row.errors
    data: MultiDict[str, Any] = MultiDict()
    for col, value in cells.items():
        if col in ("opt_in", "unsubscribed"):
            flag = parse_bool(value)
            if flag is None:
                errors.append(
                    _("%(col)s: “%(value)s” is neither yes nor no (write 1 or 0).", col=col, value=value)
                )
            elif flag:
                data[col] = "y"
        elif col not in FIELD:
            data[col] = value
    owner = user
    if cells.get("owner_email"):
        owner = lookups.owners.get(cells["owner_email"].lower())
        if owner is None or not owner.active:
            errors.append(
                _("owner_email: no active user has the email “%(email)s”.", email=cells["owner_email"])
            )
        elif not user.is_admin and owner.id != user.id:
            errors.append(
                _("owner_email: you can import only records you own; leave it empty or give yours.")
            )
    data["owner_id"] = str(owner.id) if owner is not None else ""
    account_ids: list[int] = []
    if cells.get("account"):
        account_ids = lookups.accounts.get(cells["account"].lower(), [])
        if not account_ids:
            errors.append(
                _(
                    "account: no account is named “%(name)s”; import or create it first.",
                    name=cells["account"],
                )
            )
        elif len(account_ids) > 1:
            errors.append(_("account: several accounts are named “%(name)s”.", name=cells["account"]))
        data["account_id"] = str(account_ids[0]) if len(account_ids) == 1 else ""
    form = kind.form(formdata=data, meta={"csrf": False})
    form.owner_id.choices = [(owner.id, "")] if owner is not None else []
    if hasattr(form, "account_id"):
        form.account_id.choices = [(account_ids[0], "")] if len(account_ids) == 1 else []
    if not form.validate():
        for name, messages in form.errors.items():
            errors.extend(_("%(col)s: %(error)s", col=COLUMN.get(name, name), error=m) for m in messages)
    unique = lookups.unique
    if cells.get(unique) and cells[unique].lower() in lookups.taken:
        errors.append(
            _("%(col)s: a record with “%(value)s” already exists.", col=unique, value=cells[unique])
        )
    if not errors:
        row.values = {name: form[name].data for name in form.field_order}
