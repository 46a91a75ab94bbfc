"""An opportunity's feed: its timeline lines and the emails written about it, newest first."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from crm.extensions import db
from crm.models import FeedEntry, Opportunity, OutboxMessage
from crm.services.events import by_automation

FEED_KINDS = {
    "notes": ("note",),
    "changes": ("created", "stage_changed", "result_changed", "fields_changed", "tags_changed"),
    "actions": ("action_created", "action_closed"),
    "quotes": ("quote_sent", "quote_reopened", "quote_answered"),
    "automation": ("automation",),
}


@dataclass
class FeedItem:
    """A feed line: a FeedEntry, or an email from the outbox about this opportunity."""

    kind: str
    created_at: object
    entry: FeedEntry | None = None
    mail: OutboxMessage | None = None


def feed_items(opp: Opportunity, only: str | None = None) -> list[FeedItem]:
    """The newest lines of the feed (all, or one filter: a FEED_KINDS key or "emails")."""
    items: list[FeedItem] = []
    if only != "emails":
        query = (
            select(FeedEntry)
            .where(FeedEntry.opportunity_id == opp.id)
            .options(selectinload(FeedEntry.actor))
            .order_by(FeedEntry.created_at.desc(), FeedEntry.id.desc())
            .limit(200)
        )
        if only == "automation":  # its own lines, and those of others it wrote (an action, a tag…)
            query = query.where(by_automation())
        elif only in FEED_KINDS:
            query = query.where(FeedEntry.kind.in_(FEED_KINDS[only]))
        items += [FeedItem(e.kind, e.created_at, entry=e) for e in db.session.scalars(query)]
    if only in (None, "emails"):
        mails = db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.opportunity_id == opp.id)
            .order_by(OutboxMessage.created_at.desc())
            .limit(100)
        )
        items += [FeedItem("email", m.created_at, mail=m) for m in mails]
    return sorted(items, key=lambda i: i.created_at, reverse=True)
