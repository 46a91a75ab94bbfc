"""Domain events and feed entries, written in the caller's transaction.

Events are enqueued on RQ once that transaction commits (see automation.dispatch)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, or_

from crm.extensions import db
from crm.models import DomainEvent, FeedEntry, Opportunity, User
from crm.services.job_state import job_state


def emit(
    kind: str,
    *,
    opportunity: Opportunity | None = None,
    actor: User | None = None,
    payload: dict[str, Any] | None = None,
    depth: int = 0,
    cause_id: int | None = None,
) -> DomainEvent:
    """Add a domain event to the current transaction; it is enqueued once that commits."""
    ev = DomainEvent(
        kind=kind,
        opportunity_id=opportunity.id if opportunity is not None else None,
        pipeline_id=opportunity.pipeline_id if opportunity is not None else None,
        actor_id=actor.id if actor is not None else None,
        payload=payload or {},
        depth=depth,
        cause_id=cause_id,
    )
    db.session.add(ev)
    return ev


def feed(opportunity: Opportunity, kind: str, actor: User | None, **data: Any) -> FeedEntry:
    """Add a line to an opportunity's timeline in the current transaction."""
    entry = FeedEntry(
        opportunity_id=opportunity.id, kind=kind, actor_id=actor.id if actor else None, data=data
    )
    db.session.add(entry)
    written = job_state().feed_written
    if written is not None:
        written.append(entry)
    return entry


def by_automation() -> ColumnElement[bool]:
    """Feed lines an automation wrote: its own, and those its effects' services wrote (signed)."""
    return or_(FeedEntry.kind == "automation", FeedEntry.data["trigger"].as_string().is_not(None))
