"""Quotes: numbered, lines and totals, sent as a PDF through the outbox, reopened for editing."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

from crm.extensions import db
from crm.models import Opportunity, Quote, QuoteLine, Upload, User, utcnow
from crm.services import ServiceError
from crm.services.events import emit, feed


def create_quote(opportunity: Opportunity, *, actor: User, valid_until: date | None = None) -> Quote:
    quote = Quote(
        opportunity_id=opportunity.id, number="pending", valid_until=valid_until, created_by_id=actor.id
    )
    db.session.add(quote)
    db.session.flush()
    quote.number = f"Q-{utcnow().year}-{quote.id:05d}"  # the id makes it unique without a race
    db.session.commit()
    return quote


def _editable(quote: Quote) -> None:
    if not quote.editable:
        raise ServiceError(_("This quote was sent: reopen it to change it."))


def add_line(quote: Quote, **values: object) -> QuoteLine:
    _editable(quote)
    position = max((line.position for line in quote.lines), default=-1) + 1
    line = QuoteLine(position=position, **values)
    quote.lines.append(line)
    db.session.commit()
    return line


def update_line(line: QuoteLine, **values: object) -> None:
    _editable(line.quote)
    for key, value in values.items():
        setattr(line, key, value)
    db.session.commit()


def delete_line(line: QuoteLine) -> None:
    quote = line.quote
    _editable(quote)
    quote.lines.remove(line)
    db.session.commit()


def update_quote(quote: Quote, *, valid_until: date | None, notes: str) -> None:
    _editable(quote)
    quote.valid_until, quote.notes = valid_until, notes.strip()
    db.session.commit()


def store_pdf(quote: Quote, data: bytes) -> Upload:
    """Keep the sent PDF (what the client got) as an upload the outbox attaches."""
    sha = hashlib.sha256(data).hexdigest()
    path = Path(current_app.config["UPLOAD_DIR"]) / sha[:2] / sha
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    upload = Upload(
        filename=f"{quote.number}.pdf",
        content_type="application/pdf",
        size=len(data),
        sha256=sha,
        opportunity_id=quote.opportunity_id,
    )
    db.session.add(upload)
    db.session.flush()
    return upload


def reopen_quote(quote: Quote, *, actor: User | None, depth: int = 0) -> None:
    if quote.status not in ("sent", "accepted", "refused"):
        raise ServiceError(_("Only a sent quote can be reopened."))
    quote.status = "reopened"
    feed(quote.opportunity, "quote_reopened", actor, quote_id=quote.id, number=quote.number)
    emit(
        "quote_reopened",
        opportunity=quote.opportunity,
        actor=actor,
        depth=depth,
        payload={"quote_id": quote.id},
    )
    db.session.commit()


def set_answer(quote: Quote, answer: str, *, actor: User) -> None:
    """The client accepted or refused a sent quote."""
    if answer not in ("accepted", "refused"):
        raise ServiceError(_("Unknown answer."), 422)
    if quote.status != "sent":
        raise ServiceError(_("Only a sent quote can be accepted or refused."))
    quote.status = answer
    feed(quote.opportunity, "quote_answered", actor, quote_id=quote.id, number=quote.number, answer=answer)
    db.session.commit()
