"""Settings > Mail log: every outbox row, its status and reason, and a retry for failed ones."""

from __future__ import annotations

import contextlib
import re

from flask import Blueprint, request, url_for
from flask_babel import gettext as _
from sqlalchemy import or_, select
from werkzeug.wrappers import Response

from automation.mailing.render import build_message, display_html
from automation.queues import enqueue_mail
from crm.extensions import db, htmx
from crm.forms import page_number
from crm.mailview import VIEWER_CSP
from crm.models import MAIL_KINDS, OUTBOX_STATUSES, OutboxMessage, utcnow
from crm.responses import done, refused, render, toast
from crm.security import protect

VERIFY_SENDER = "verify-sender:"
bp = protect(Blueprint("maillog", __name__, url_prefix="/settings/mail"), admin=True)


@bp.get("/")
def index() -> Response:
    status = request.args.get("status", "")
    kind = request.args.get("kind", "")
    q = request.args.get("q", "").strip()[:100]
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc())
    if status in OUTBOX_STATUSES:
        query = query.where(OutboxMessage.status == status)
    if kind in MAIL_KINDS:
        query = query.where(OutboxMessage.kind == kind)
    if q:
        like = f"%{q}%"
        query = query.where(or_(OutboxMessage.to_email.ilike(like), OutboxMessage.subject.ilike(like)))
    page = db.paginate(query, page=page_number(), per_page=50, error_out=False)
    return render(
        "marketing/maillog.html",
        block="results",
        page=page,
        selected=status,
        kind=kind,
        q=q,
        statuses=OUTBOX_STATUSES,
        kinds=MAIL_KINDS,
    )


@bp.get("/<int:message_id>")
def show(message_id: int) -> Response:
    row = db.get_or_404(OutboxMessage, message_id)
    raw = build_message(row).as_string() if row.status != "suppressed" else ""
    # A sender's confirmation link proves access to that mailbox: it is read there, never here.
    sealed = row.idempotency_key.startswith(VERIFY_SENDER)
    response = render(
        "marketing/mail.html",
        row=row,
        sealed=sealed,
        html="" if sealed else display_html(row.html),
        raw_headers=re.split(r"\r?\n\r?\n", raw, maxsplit=1)[0] if raw else "",  # the headers alone
    )
    response.headers["Content-Security-Policy"] = VIEWER_CSP
    return response


@bp.post("/<int:message_id>/retry")
def retry(message_id: int) -> Response:
    row = db.get_or_404(OutboxMessage, message_id)
    if row.status != "failed":
        return refused(_("Only a failed message can be retried."), 409)
    now = utcnow()
    row.status, row.next_attempt_at, row.enqueued_at, row.attempts = "queued", now, now, 0
    db.session.commit()
    with contextlib.suppress(Exception):  # Redis away: the sweep sends it
        enqueue_mail([row.id])
    if not htmx:  # a plain form: back to the whole message page
        return done(url_for("maillog.show", message_id=row.id), _("Queued again."))
    return toast(render("marketing/mail.html", block="status", row=row), _("Queued again."))
