"""Accounts, contacts and leads."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from crm.extensions import db
from crm.models import Tag

KEEP_BLANK = ("name", "last_name", "first_name")  # NOT NULL text columns: "" rather than None


def save_record(record: Any, values: dict[str, Any]) -> Any:
    """Create or update an account, contact or lead from validated values."""
    tags = values.pop("tags", None)
    if tags is not None:
        from crm.services.opportunities import tags_named

        record.tags = tags_named([t for t in tags.split(",")])
    _apply(record, values)
    db.session.commit()
    return record


def create_records(model: type, rows: Iterable[dict[str, Any]]) -> list[Any]:
    """Create many accounts, contacts or leads from validated values, in one transaction (a CSV
    import): the same assignments as save_record, with every tag named in the rows looked up or
    created once instead of once per row. Nothing is written if any row fails."""
    from crm.services.opportunities import tags_named

    rows = list(rows)
    names = [t for row in rows for t in (row.get("tags") or "").split(",")]
    known: dict[str, Tag] = {t.name.lower(): t for t in tags_named(names)} if any(names) else {}
    records = []
    try:
        for values in rows:
            values = dict(values)
            tags = values.pop("tags", None)
            record = model()
            if tags is not None:
                wanted = {n.strip()[:60].lower() for n in tags.split(",") if n.strip()}
                record.tags = [known[n] for n in sorted(wanted) if n in known]
            _apply(record, values)
            records.append(record)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return records


def _apply(record: Any, values: dict[str, Any]) -> None:
    for key, value in values.items():
        if isinstance(value, str):
            value = value.strip() or None if key not in KEEP_BLANK else value.strip()
        setattr(record, key, value)
    if record.id is None:
        db.session.add(record)
