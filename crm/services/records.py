"""Accounts, contacts and leads."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import insert, select, update

from crm.extensions import db
from crm.models import Tag, User, contact_tags, lead_tags, utcnow
from crm.services import ServiceError

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


LINKS = {"contacts": (contact_tags, "contact_id"), "leads": (lead_tags, "lead_id")}


def assign_records(model: Any, ids: list[int], owner: User) -> int:
    """Give the records `ids` of `model` to `owner`, in one statement. Returns how many."""
    result = db.session.execute(
        update(model).where(model.id.in_(ids)).values(owner_id=owner.id, updated_at=utcnow())
    )
    db.session.commit()
    return result.rowcount


def tag_records(kind: str, ids: list[int], name: str) -> tuple[Tag, int]:
    """Add the tag `name` (made if new) to the contacts or leads `ids`. Returns it and how many
    did not have it yet."""
    from crm.services.opportunities import tags_named

    tags = tags_named([name])
    if not tags:
        raise ServiceError(_("Type the tag to add."), 422)
    tag = tags[0]
    table, column = LINKS[kind]
    have = set(
        db.session.scalars(select(table.c[column]).where(table.c.tag_id == tag.id, table.c[column].in_(ids)))
    )
    fresh = [i for i in ids if i not in have]
    if fresh:
        db.session.execute(insert(table), [{column: i, "tag_id": tag.id} for i in fresh])
    db.session.commit()
    return tag, len(fresh)
