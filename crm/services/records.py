"""Accounts, contacts and leads."""

from __future__ import annotations

from typing import Any

from crm.extensions import db


def save_record(record: Any, values: dict[str, Any]) -> Any:
    """Create or update an account, contact or lead from validated values."""
    tags = values.pop("tags", None)
    if tags is not None:
        from crm.services.opportunities import tags_named

        record.tags = tags_named([t for t in tags.split(",")])
    for key, value in values.items():
        if isinstance(value, str):
            value = value.strip() or None if key not in ("name", "last_name", "first_name") else value.strip()
        setattr(record, key, value)
    if record.id is None:
        db.session.add(record)
    db.session.commit()
    return record
