"""Sending a quote: its PDF rendered and kept, the mail queued, the feed line and the event, in
one transaction (a workflow across the quote, the outbox and the opportunity)."""

from __future__ import annotations

from flask_babel import gettext as _
from markupsafe import escape

from automation.mailing.compose import check_sender, merge_values, queue_email, render_template_for
from crm.extensions import db
from crm.models import EmailTemplate, Quote, SenderAddress, User, utcnow
from crm.quote_pdf import render_quote_pdf
from crm.services import ServiceError
from crm.services.events import emit, feed
from crm.services.quotes import store_pdf


def send_quote(
    quote: Quote, *, actor: User, sender: SenderAddress | None, template: EmailTemplate | None
) -> None:
    """Mail the quote's PDF to the opportunity's contact; refused (nothing queued) without lines,
    without a contact email, or from an unverified sender."""
    opp = quote.opportunity
    if quote.status not in ("draft", "reopened"):
        raise ServiceError(_("This quote was already sent; reopen it to send a new version."))
    if not quote.lines:
        raise ServiceError(_("Add at least one line before sending the quote."), 422)
    contact = opp.contact
    if contact is None or not contact.email:
        raise ServiceError(
            _("The opportunity needs a contact with an email address to send the quote to."), 422
        )
    if sender is None:
        raise ServiceError(_("Choose a verified sender address."), 422, field="sender_id")
    check_sender(sender)
    quote.sent_count += 1
    quote.sent_at = utcnow()
    pdf = store_pdf(quote, render_quote_pdf(quote))
    values = merge_values(recipient=contact, opportunity=opp, rep=opp.owner or actor)
    if template is not None:
        subject, html = render_template_for(template, values)
        attachments = [pdf.id] + [a.id for a in template.attachments]
    else:
        subject = _("Quote %(number)s — %(name)s", number=quote.number, name=opp.name)
        hello = _("Hello %(name)s,", name=contact.first_name or contact.display_name)
        attached = _("Please find attached our quote %(number)s.", number=quote.number)
        signature = values["RepSignature"] or escape(values["RepName"])
        html = f"<p>{escape(hello)}</p><p>{escape(attached)}</p>{signature}"
        attachments = [pdf.id]
    row = queue_email(
        key=f"quote:{quote.id}:send:{quote.sent_count}",
        kind="transactional",
        to_email=contact.email,
        to_name=contact.display_name,
        subject=subject,
        html=html,
        sender=sender,
        recipient=contact,
        opportunity=opp,
        template=template,
        attachment_ids=attachments,
    )
    quote.status = "sent"
    feed(
        opp,
        "quote_sent",
        actor,
        quote_id=quote.id,
        number=quote.number,
        to=contact.email,
        total=str(quote.total_gross),
        outbox_id=row.id,
    )
    emit("quote_sent", opportunity=opp, actor=actor, payload={"quote_id": quote.id, "outbox_id": row.id})
    db.session.commit()
