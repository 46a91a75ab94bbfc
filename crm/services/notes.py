"""Notes on an opportunity's feed, with @mentions that notify the people named."""

from __future__ import annotations

import re

from flask_babel import gettext as _
from sqlalchemy import Select, func, select

from crm.extensions import db
from crm.facts import clip
from crm.models import FeedEntry, Notification, Opportunity, User
from crm.services import ServiceError
from crm.services.access import can_see, notification_visible
from crm.services.events import emit, feed

MENTION = re.compile(r"(?<![\w@])@([\w.\-]+)")


def mentioned_users(text: str) -> list[User]:
    """@alice or @alice.martin (the email's local part) or @Alice (first name), active users only."""
    handles = {h.lower().rstrip(".") for h in MENTION.findall(text)}
    if not handles:
        return []
    users = db.session.scalars(select(User).where(User.active.is_(True))).all()
    found = []
    for user in users:
        local = user.email.split("@", 1)[0].lower()
        first = user.name.split()[0].lower() if user.name.split() else ""
        if local in handles or first in handles:
            found.append(user)
    return found


def post_note(
    opportunity: Opportunity, text: str, *, actor: User | None, depth: int = 0, commit: bool = True
) -> FeedEntry:
    text = text.strip()
    if not text:
        raise ServiceError(_("Write something first."), 422, field="text")
    if len(text) > 5000:
        raise ServiceError(_("A note is limited to 5,000 characters."), 422, field="text")
    people = mentioned_users(text)
    entry = feed(opportunity, "note", actor, text=text, mentions=[u.id for u in people])
    db.session.flush()
    for user in people:
        if actor is not None and user.id == actor.id:
            continue
        if not can_see(user, opportunity.pipeline):  # named, but not told about a record hidden to them
            continue
        db.session.add(
            Notification(
                user_id=user.id,
                opportunity_id=opportunity.id,
                feed_entry_id=entry.id,
                author_id=actor.id if actor else None,
                text=text[:500],
            )
        )
    emit(
        "note_posted", opportunity=opportunity, actor=actor, depth=depth, payload={"feed_entry_id": entry.id}
    )
    if commit:
        db.session.commit()
    return entry


def notify_admins(opportunity: Opportunity, entry: FeedEntry, text: str) -> None:
    """Tell every active admin that an automation failed on this opportunity (in the caller's
    transaction). One unread notification per admin and text: a broken trigger that fails on a
    hundred opportunities does not ring the bell a hundred times."""
    db.session.flush()
    text = clip(text, 500)  # a fact (crm.facts), told in each admin's language
    admins = db.session.scalars(select(User.id).where(User.role == "admin", User.active.is_(True)))
    for user_id in admins:
        unread = select(Notification.id).where(
            Notification.user_id == user_id, Notification.read_at.is_(None), Notification.text == text
        )
        if db.session.scalar(unread.limit(1)) is None:
            db.session.add(
                Notification(
                    user_id=user_id, opportunity_id=opportunity.id, feed_entry_id=entry.id, text=text
                )
            )


def unread_count_query(user: User) -> Select[tuple[int]]:
    return select(func.count(Notification.id)).where(
        Notification.user_id == user.id, Notification.read_at.is_(None), notification_visible(user)
    )


def unread_count(user: User) -> int:
    return db.session.scalar(unread_count_query(user)) or 0
