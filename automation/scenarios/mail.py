"""The one-to-one email of a scenario step: plain, as the rep, through the outbox."""

from __future__ import annotations

import re
from html import escape
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from automation.mailing import shortcodes
from automation.mailing.compose import merge_values, queue_email
from crm.extensions import db
from crm.facts import fact
from crm.html import sanitize_html
from crm.models import Opportunity, SenderAddress, User
from crm.services.job_state import job_state

if TYPE_CHECKING:
    from automation.scenarios.context import StepContext, StepResult

HAS_TAGS = re.compile(r"<[a-zA-Z][^>]*>")
BLOCKS = re.compile(r"<(?:p|div|br|ul|ol|table|h[1-6]|blockquote)\b", re.IGNORECASE)


def message_html(message: str) -> str:
    """A plain message becomes paragraphs. One with an inserted image (or link) keeps its
    paragraphs around it; one written in HTML blocks keeps its own layout. Both are sanitised."""
    if HAS_TAGS.search(message) and BLOCKS.search(message):
        return sanitize_html(message)
    paragraphs = [p for p in re.split(r"\n\s*\n", message.strip()) if p.strip()]
    if HAS_TAGS.search(message):
        return sanitize_html("".join(f"<p>{p.replace(chr(10), '<br>')}</p>" for p in paragraphs))
    return "".join(f"<p>{escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)


def rep_sender(rep: User | None) -> SenderAddress | None:
    """The rep's own registered sender address (the seed: it must be registered even if the CRM knows it)."""
    if rep is None:
        return None
    cache = job_state().rep_senders
    if cache is not None and rep.id in cache:
        return cache[rep.id]
    sender = db.session.scalar(
        select(SenderAddress).where(func.lower(SenderAddress.email) == rep.email.lower())
    )
    if cache is not None:
        cache[rep.id] = sender
    return sender


def send_step_email(ctx: StepContext) -> StepResult:
    from automation.scenarios.context import StepResult

    config, person = ctx.step.config, ctx.person
    if config.get("sender_id"):
        sender = db.session.get(SenderAddress, config["sender_id"])
        from_name = config.get("from_name") or (sender.display_name if sender else "")
        signature = ""
    else:
        sender = rep_sender(ctx.rep)
        from_name = ctx.rep.name if ctx.rep else ""
        signature = ctx.rep.signature_html if ctx.rep else ""
    if sender is None or not sender.verified:
        email = sender.email if sender else (ctx.rep.email if ctx.rep else None)
        return StepResult("blocked", "blocked", {"reason": fact("sender_unverified", email=email)})
    opportunity = (
        db.session.get(Opportunity, ctx.enrollment.opportunity_id) if ctx.enrollment.opportunity_id else None
    )
    values = merge_values(recipient=person, opportunity=opportunity, rep=ctx.rep)
    subject = shortcodes.substitute(config.get("subject", ""), values)
    html = shortcodes.substitute_html(message_html(config.get("message", "")), values)
    if signature:
        html += f'<div class="signature">{signature}</div>'
    # A test simulation: the mail, written for the person, goes to the admin instead. Not being
    # the person's, it is not held back by their opt-in or unsubscribe, nor counted as theirs.
    test = ctx.enrollment.test_recipient
    row = queue_email(
        key=f"scenario:{ctx.enrollment.id}:step:{ctx.step.id}",
        kind="scenario",
        to_email=test or person.email or "",
        to_name="" if test else person.display_name,
        subject=subject,
        html=html,
        sender=sender,
        from_name=from_name,
        recipient=None if test else person,
        opportunity=opportunity,
        attachment_ids=[upload.id for upload in ctx.step.attachments],
        track_opens=bool(config.get("track_opens")),
        track_clicks=bool(config.get("track_clicks")),
        simulation=ctx.simulation,
        enrollment_id=ctx.enrollment.id,
        # The enrollment's version guards the step: a second run rolls back on the unique key.
        known_new=not ctx.simulation,
    )
    if row.status == "suppressed":  # the outbox re-checks the address (suppression list…)
        return StepResult("exit", "skipped", {"reason": row.suppressed_reason, "outbox_id": row.id})
    if test:
        return StepResult("next", "sent", {"outbox_id": row.id, "subject": subject, "to": test, "test": True})
    detail = {"outbox_id": row.id, "subject": subject, "to": person.email, "to_name": person.display_name}
    return StepResult("next", "sent", detail)
