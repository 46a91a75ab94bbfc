"""Accounts, contacts and leads."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import insert, select, update

from crm.extensions import db
from crm.models import Tag, User, contact_tags, lead_tags, utcnow
from crm.services import ServiceError


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
