"""Verified sender addresses: each is pending until someone opens the signed link mailed to it."""

from __future__ import annotations

from html import escape

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select

from automation.mailing.compose import public_url, queue_email
from crm.extensions import db
from crm.models import OutboxMessage, SenderAddress, utcnow
from crm.services import ServiceError

VERIFY_MAX_AGE = 48 * 3600


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="sender-verify")


def add_sender(email: str, display_name: str, rate_per_minute: int | None = None) -> SenderAddress:
    email = email.strip().lower()
    if db.session.scalar(select(SenderAddress).where(func.lower(SenderAddress.email) == email)):
        raise ServiceError(_("This address is already registered."), 422, field="email")
    sender = SenderAddress(
        email=email, display_name=display_name.strip(), rate_per_minute=rate_per_minute or None
    )
    db.session.add(sender)
    db.session.flush()
    _mail_link(sender, attempt=1)
    db.session.commit()
    return sender


def resend_verification(sender: SenderAddress) -> None:
    if sender.verified:
        raise ServiceError(_("%(email)s is already verified.", email=sender.email))
    sent = db.session.scalar(
        select(func.count(OutboxMessage.id)).where(
            OutboxMessage.idempotency_key.like(f"verify-sender:{sender.id}:%")
        )
    )
    _mail_link(sender, attempt=(sent or 0) + 1)
    db.session.commit()


def _mail_link(sender: SenderAddress, attempt: int) -> None:
    token = _serializer().dumps({"id": sender.id, "email": sender.email})
    link = public_url("public.verify_sender", token=token)
    asked = _("Someone asked to send email from this address with Salesloop.")
    confirm = _("Confirm %(email)s as a sender address", email=sender.email)
    validity = _("The link is valid for 48 hours. If you did not ask for this, ignore this message.")
    html = f'<p>{escape(asked)}</p><p><a href="{link}">{escape(confirm)}</a></p><p>{escape(validity)}</p>'

    queue_email(
        key=f"verify-sender:{sender.id}:{attempt}",
        kind="system",
        to_email=sender.email,
        to_name=sender.display_name,
        subject=_("Confirm your sender address"),
        html=html,
    )
    sender.verification_sent_at = utcnow()


def verify_token(token: str) -> SenderAddress:
    try:
        data = _serializer().loads(token, max_age=VERIFY_MAX_AGE)
    except SignatureExpired:
        raise ServiceError(_("This link has expired. Ask an administrator to send a new one."), 410)
    except BadSignature:
        raise ServiceError(_("This link is not valid."), 404)
    sender = db.session.get(SenderAddress, data.get("id"))
    if sender is None or sender.email != data.get("email"):
        raise ServiceError(_("This link is not valid."), 404)
    if sender.verified_at is None:
        sender.verified_at = utcnow()
        db.session.commit()
    return sender


def verified_senders() -> list[SenderAddress]:
    return list(
        db.session.scalars(
            select(SenderAddress).where(SenderAddress.verified_at.is_not(None)).order_by(SenderAddress.email)
        )
    )
