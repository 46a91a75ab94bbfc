"""Tags as first-class settings: colour, rename, merge; added to and removed from opportunities."""

from __future__ import annotations

import re

from flask_babel import gettext as _
from sqlalchemy import delete, insert, select

from crm.extensions import db
from crm.models import Opportunity, Tag, User, contact_tags, lead_tags, opportunity_tags
from crm.services import ServiceError, same_name
from crm.services.opportunities import set_tags

COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


def update_tag(tag: Tag, *, name: str, color: str) -> None:
    name = name.strip()
    if not name:
        raise ServiceError(_("A tag needs a name."), 422, field="name")
    if not COLOR.match(color or ""):
        raise ServiceError(_("Choose a colour like #2f5bea."), 422, field="color")
    clash = db.session.scalar(select(Tag.id).where(same_name(Tag.name, name), Tag.id != tag.id))
    if clash:
        raise ServiceError(
            _("Another tag is already named “%(name)s”: merge them instead.", name=name), 422, field="name"
        )
    tag.name, tag.color = name, color.lower()
    db.session.commit()


def merge_tags(source: Tag, target: Tag) -> int:
    """Every record tagged `source` becomes tagged `target`; `source` disappears. Returns how many moved."""
    if source.id == target.id:
        raise ServiceError(_("Choose another tag to merge into."), 422)
    moved = 0
    for table, column in (
        (opportunity_tags, "opportunity_id"),
        (contact_tags, "contact_id"),
        (lead_tags, "lead_id"),
    ):
        owners = set(db.session.scalars(select(table.c[column]).where(table.c.tag_id == source.id)))
        already = set(db.session.scalars(select(table.c[column]).where(table.c.tag_id == target.id)))
        fresh = owners - already
        if fresh:
            db.session.execute(insert(table), [{column: owner, "tag_id": target.id} for owner in fresh])
        db.session.execute(delete(table).where(table.c.tag_id == source.id))
        moved += len(fresh)
    db.session.delete(source)
    db.session.commit()
    return moved


def add_tag(
    opportunity: Opportunity, name: str, *, actor: User | None, depth: int = 0, commit: bool = True
) -> bool:
    name = name.strip()
    if not name:
        raise ServiceError(_("A tag needs a name."), 422)
    names = [t.name for t in opportunity.tags]
    if name.lower() in {n.lower() for n in names}:
        if commit:
            db.session.commit()
        return False
    set_tags(opportunity, [*names, name], actor=actor, depth=depth, commit=commit)
    return True


def remove_tag(opportunity: Opportunity, tag: Tag, *, actor: User | None) -> None:
    set_tags(opportunity, [t.name for t in opportunity.tags if t.id != tag.id], actor=actor)
