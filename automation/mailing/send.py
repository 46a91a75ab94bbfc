"""The mail job: claim outbox rows, send them over one SMTP connection, record each outcome.

Exactly-once, as far as SMTP allows: a row is claimed (queued/retrying → sending) and committed
before it is sent, and marked sent right after the server accepts it. The one window where a
duplicate can happen is a crash after the server accepted a message and before that commit:
the row stays "sending" and, once its lease expires, the sweep sends it again (same Message-ID).
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
from datetime import datetime, timedelta

from flask import current_app
from flask_mail import Connection, Message
from sqlalchemy import exists, or_, select, update

from automation.mailing.compose import recipient_of, suppression_reason
from automation.mailing.render import build_message
from automation.queues import enqueue_mail
from crm.extensions import db, mail, redis_conn
from crm.facts import clip, fact
from crm.models import Campaign, OutboxMessage, SenderAddress, utcnow

log = logging.getLogger(__name__)
CLAIMABLE = ("queued", "retrying")


class Outcome(Exception):
    """How a send failed: temporary (retry later) or permanent, with the reason to show (a fact
    when it is ours, the server's own answer as it is)."""

    def __init__(self, temporary: bool, reason: str, connection_lost: bool = False) -> None:
        super().__init__(reason)
        self.temporary = temporary
        self.reason = reason
        self.connection_lost = connection_lost


def classify(exc: Exception) -> Outcome:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(exc.recipients.values()))
        return _by_code(code, text)
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return Outcome(True, fact("smtp_disconnected", error=str(exc)[:1000]), connection_lost=True)
    if isinstance(exc, smtplib.SMTPResponseException):
        outcome = _by_code(exc.smtp_code, exc.smtp_error)
        outcome.connection_lost = isinstance(exc, smtplib.SMTPConnectError)
        return outcome
    if isinstance(exc, OSError):
        return Outcome(True, fact("smtp_unreachable", error=str(exc)[:1000]), connection_lost=True)
    return Outcome(False, f"{type(exc).__name__}: {exc}")


def _by_code(code: int, text: bytes | str) -> Outcome:
    message = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
    return Outcome(400 <= code < 500, f"{code} {message}".strip())


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff: base, 2×base, 4×base… capped at one hour."""
    base = current_app.config["MAIL_RETRY_BASE_SECONDS"]
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 3600))


class Batch:
    """One job's worth of sends, sharing one SMTP connection."""

    def __init__(self) -> None:
        self.connection: Connection | None = None
        self.counts: dict[str, int] = {}
        self.senders: dict[int, SenderAddress | None] = {}

    def close(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(Exception):  # the server may already be gone
                self.connection.__exit__(None, None, None)
            self.connection = None

    def _smtp(self) -> Connection:
        if self.connection is None:
            self.connection = mail.connect().__enter__()
        return self.connection

    def _count(self, outcome: str) -> None:
        self.counts[outcome] = self.counts.get(outcome, 0) + 1

    def send(self, row: OutboxMessage, now: datetime, *, recheck: bool = True) -> None:
        """Send one claimed row and record what happened, in its own commit."""
        if recheck:  # someone may have unsubscribed since the row was written
            recipient = recipient_of(row.recipient_type, row.recipient_id)
            reason = suppression_reason(row.kind, row.to_email, recipient)
            if reason:
                row.status, row.suppressed_reason = "suppressed", reason
                db.session.commit()
                self._count("suppressed")
                return
        wait = _rate_limited(row, now, self.senders)
        if wait is not None:
            row.status, row.attempts, row.next_attempt_at, row.enqueued_at = (
                "queued",
                row.attempts - 1,
                wait,
                now,
            )
            db.session.commit()
            enqueue_mail([row.id], at=wait)
            self._count("deferred")
            return
        try:
            message: Message = build_message(row)
            self._smtp().send(message)
        except Exception as exc:
            outcome = classify(exc)
            if outcome.connection_lost:
                self.close()
            self._failed(row, outcome, now)
            return
        row.status, row.sent_at, row.last_error = "sent", utcnow(), None
        db.session.commit()
        self._count("sent")

    def _failed(self, row: OutboxMessage, outcome: Outcome, now: datetime) -> None:
        row.last_error = clip(outcome.reason, 2000)
        if outcome.temporary and row.attempts < current_app.config["MAIL_MAX_ATTEMPTS"]:
            row.status = "retrying"
            row.next_attempt_at = row.enqueued_at = now + retry_delay(row.attempts)
            db.session.commit()
            enqueue_mail([row.id], at=row.next_attempt_at)
            self._count("retrying")
        else:
            row.status = "failed"
            if outcome.temporary:
                row.last_error = clip(fact("gave_up", num=row.attempts, error=row.last_error), 2000)
            db.session.commit()
            self._count("failed")
            log.warning("mail %s to %s failed: %s", row.id, row.to_email, row.last_error)


def _claim(outbox_ids: list[int], now: datetime) -> list[int]:
    """queued/retrying → sending, once, for all due rows at once: a second job for the same rows
    finds nothing left to claim. Rows of a paused campaign stay where they are."""
    held = exists().where(Campaign.id == OutboxMessage.campaign_id, Campaign.status != "sending")
    claimed = db.session.scalars(
        update(OutboxMessage)
        .where(
            OutboxMessage.id.in_(outbox_ids),
            OutboxMessage.status.in_(CLAIMABLE),
            OutboxMessage.next_attempt_at <= now,
            or_(OutboxMessage.campaign_id.is_(None), ~held),
        )
        .values(status="sending", claimed_at=now, attempts=OutboxMessage.attempts + 1)
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    ).all()
    db.session.commit()
    return sorted(claimed)


def _rate_limited(
    row: OutboxMessage, now: datetime, senders: dict[int, SenderAddress | None]
) -> datetime | None:
    """When the sender's messages-per-minute budget is spent, the start of the next minute."""
    if row.sender_id is None:
        return None
    if row.sender_id not in senders:
        senders[row.sender_id] = db.session.get(SenderAddress, row.sender_id)
    limit = senders[row.sender_id]
    if limit is None or not limit.rate_per_minute:
        return None
    minute = now.replace(second=0, microsecond=0)
    key = f"crm:rate:{row.sender_id}:{minute:%Y%m%d%H%M}"
    pipe = redis_conn().pipeline()
    pipe.incr(key)
    pipe.expire(key, 120)
    used, _ = pipe.execute()
    return minute + timedelta(minutes=1) if used > limit.rate_per_minute else None


def send_batch(outbox_ids: list[int], recheck: bool = True) -> dict[str, int]:
    """RQ job: send these outbox rows (those still due), reusing one SMTP connection.
    `recheck=False` only for rows the caller wrote a moment ago in the same job."""
    batch = Batch()
    now = utcnow()
    claimed = _claim(outbox_ids, now)
    batch.counts["skipped"] = len(set(outbox_ids)) - len(claimed)
    session = db.session()
    # The claimed rows are this job's alone: keep them loaded across the per-row commits instead
    # of reading each one back after every commit.
    expire_on_commit, session.expire_on_commit = session.expire_on_commit, False
    try:
        rows = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.id.in_(claimed)).order_by(OutboxMessage.id)
        ).all()
        for row in rows:
            batch.send(row, now, recheck=recheck)
    finally:
        session.expire_on_commit = expire_on_commit
        batch.close()
    return batch.counts
