"""Unsubscribes: the address goes on the suppression list and the record is flagged."""

from __future__ import annotations

from sqlalchemy import func, select

from crm.extensions import db
from crm.models import Account, Contact, Lead, OutboxMessage, Suppression

RECORDS = {"contact": Contact, "lead": Lead, "account": Account}


def unsubscribe_recipient(message: OutboxMessage, reason: str = "one-click unsubscribe") -> None:
    """Stop all later marketing and scenario mail to this message's recipient (idempotent)."""
    email = message.to_email.strip().lower()
    if not db.session.scalar(select(Suppression.id).where(func.lower(Suppression.email) == email)):
        db.session.add(Suppression(email=email, reason=reason))
    model = RECORDS.get(message.recipient_type or "")
    record = db.session.get(model, message.recipient_id) if model and message.recipient_id else None
    if record is not None:
        record.unsubscribed = True
    for other in (Contact, Lead, Account):  # the same address on other records
        for same in db.session.scalars(select(other).where(func.lower(other.email) == email)):
            same.unsubscribed = True
    db.session.commit()
