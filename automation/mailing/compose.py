"""Writing mail into the outbox: the only way anything in the app sends an email.

`queue_email` refuses an unverified sender before anything is written, never writes two rows
for the same cause (idempotency key), marks suppressed recipients, and leaves the row for
`automation.mailing.send` (enqueued once the caller's transaction commits).
"""

from __future__ import annotations

import secrets
from email.utils import make_msgid
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from inscriptis import get_text
from inscriptis.model.config import ParserConfig
from sqlalchemy import func, select

from automation.mailing import shortcodes
from crm.extensions import db
from crm.facts import fact
from crm.models import (
    Account,
    Contact,
    EmailTemplate,
    Lead,
    Opportunity,
    OutboxMessage,
    SenderAddress,
    Suppression,
    User,
    utcnow,
)
from crm.services import ServiceError
from crm.services.job_state import job_state

BULK_KINDS = ("marketing", "scenario")
RECIPIENT_TYPES = {Contact: "contact", Lead: "lead", Account: "account", User: "user"}
MODELS = {v: k for k, v in RECIPIENT_TYPES.items()}


def check_sender(sender: SenderAddress | None) -> None:
    if sender is not None and not sender.verified:
        raise ServiceError(
            _(
                "The sender address %(email)s is not verified yet: open the link mailed to it first.",
                email=sender.email,
            ),
            422,
            field="sender_id",
        )


def suppression_reason(kind: str, email: str, recipient: Any = None) -> str | None:
    """Why this recipient must not get this mail (a fact, see crm.facts), or None."""
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        return fact("invalid_address")
    known = job_state().suppressed  # a batch job may have loaded the list for its recipients
    listed = (
        (email.lower() in known)
        if known is not None
        else db.session.scalar(
            select(Suppression.reason).where(func.lower(Suppression.email) == email.lower())
        )
    )
    if listed:
        return fact("suppression_listed")
    if recipient is not None and not isinstance(recipient, User):
        if recipient.unsubscribed:
            return fact("unsubscribed")
        if kind in BULK_KINDS and not recipient.opt_in:
            return fact("not_opted_in")
    return None


def public_url(endpoint: str, **values: Any) -> str:
    """Absolute link for mail: PUBLIC_URL, whatever host served the request (or none at all)."""
    # Built from the URL map directly: jobs in the worker have no request to borrow a host from.
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return current_app.config["PUBLIC_URL"].rstrip("/") + path


def queue_email(
    *,
    key: str,
    kind: str,
    to_email: str,
    subject: str,
    html: str,
    to_name: str = "",
    sender: SenderAddress | None = None,
    from_name: str | None = None,
    reply_to: str | None = None,
    recipient: Any = None,
    opportunity: Opportunity | None = None,
    campaign_id: int | None = None,
    template: EmailTemplate | None = None,
    attachment_ids: list[int] | None = None,
    track_opens: bool = False,
    track_clicks: bool = False,
    simulation: bool = False,
    enrollment_id: int | None = None,
    known_new: bool = False,
) -> OutboxMessage:
    """Add one email to the outbox in the caller's transaction (the caller commits).
    `known_new`: the caller guarantees this cause is new (the unique key still protects)."""
    if not known_new:
        existing = db.session.scalar(select(OutboxMessage).where(OutboxMessage.idempotency_key == key))
        if existing is not None:
            return existing
    check_sender(sender)
    token = secrets.token_urlsafe(24)
    headers: dict[str, str] = {}
    if kind in BULK_KINDS:
        link = public_url("public.unsubscribe", token=token)
        headers["List-Unsubscribe"] = f"<{link}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        html = shortcodes.substitute(html, {shortcodes.UNSUBSCRIBE: link}, html=True)
    else:
        html = shortcodes.substitute(html, {shortcodes.UNSUBSCRIBE: ""}, html=True)
    reason = suppression_reason(kind, to_email, recipient)
    now = utcnow()
    row = OutboxMessage(
        idempotency_key=key,
        kind=kind,
        status="suppressed" if reason else "queued",
        suppressed_reason=reason,
        to_email=to_email.strip(),
        # Names and subjects filled in from shortcodes can outgrow their columns: cut, not fail.
        to_name=to_name[:200],
        from_email=sender.email if sender else current_app.config["MAIL_DEFAULT_SENDER"],
        from_name=(from_name if from_name is not None else (sender.display_name if sender else "Salesloop"))[
            :200
        ],
        reply_to=reply_to,
        sender_id=sender.id if sender else None,
        subject=subject.replace("\r", " ").replace("\n", " ").strip()[:250],
        html=html,
        text=html_to_text(html),
        message_id=make_msgid(domain=current_app.config["MAIL_DOMAIN"]),
        headers=headers,
        attachment_ids=list(attachment_ids or []),
        token=token,
        recipient_type=RECIPIENT_TYPES.get(type(recipient)),
        recipient_id=getattr(recipient, "id", None),
        opportunity_id=opportunity.id if opportunity else None,
        campaign_id=campaign_id,
        template_id=template.id if template else None,
        enrollment_id=enrollment_id,
        track_opens=track_opens,
        track_clicks=track_clicks,
        simulation=simulation,
        next_attempt_at=now,
        enqueued_at=now,
    )
    db.session.add(row)
    db.session.flush()
    return row


def html_to_text(html: str) -> str:
    """The automatic plain-text part: readable layout, links kept as [text](url)."""
    return get_text(html, ParserConfig(display_links=True)).strip()


def merge_values(
    *, recipient: Any = None, opportunity: Opportunity | None = None, rep: User | None = None
) -> dict[str, str]:
    """Shortcode values for a recipient (contact, lead, account) and/or an opportunity."""
    from crm.formatting import money

    contact = (
        recipient if isinstance(recipient, Contact | Lead) else (opportunity.contact if opportunity else None)
    )
    account = recipient if isinstance(recipient, Account) else None
    if account is None and isinstance(contact, Contact):
        account = contact.account
    if account is None and opportunity is not None:
        account = opportunity.account
    rep = rep or (opportunity.owner if opportunity else None) or getattr(recipient, "owner", None)
    values = {
        "AssignedToId": rep.email if rep else "",
        "RepName": rep.name if rep else "",
        "RepSignature": rep.signature_html if rep else "",
        "ContactFirstName": contact.first_name if contact else "",
        "ContactLastName": contact.last_name if contact else "",
        "ContactEmail": (contact.email or "") if contact else (getattr(recipient, "email", "") or ""),
        "AccountName": account.name if account else (getattr(contact, "company", "") or ""),
        "OpportunityName": opportunity.name if opportunity else "",
        "OpportunityAmount": "",
    }
    if opportunity is not None:
        with force_locale((rep.locale if rep else None) or current_app.config["BABEL_DEFAULT_LOCALE"]):
            values["OpportunityAmount"] = money(opportunity.amount)
    return values


def render_template_for(template: EmailTemplate, values: dict[str, str]) -> tuple[str, str]:
    """Subject and HTML body of a template with its shortcodes filled in."""
    subject = shortcodes.substitute(template.subject, values)
    html = shortcodes.substitute_html(template.body_html, values)
    return subject, html


def recipient_of(kind: str | None, record_id: int | None) -> Any:
    model = MODELS.get(kind or "")
    return db.session.get(model, record_id) if model and record_id else None
