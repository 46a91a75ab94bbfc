"""Inbound mail (replies forwarded by the mail provider): a reply stops the person's sequence."""

from __future__ import annotations

import hmac
import re
from email import message_from_bytes
from email.message import Message
from email.policy import default as default_policy

from flask import Blueprint, abort, current_app, jsonify, request
from sqlalchemy import select
from werkzeug.wrappers import Response

from automation.scenarios.replies import mark_replied
from crm.extensions import csrf, db
from crm.models import Enrollment, OutboxMessage

bp = Blueprint("inbound", __name__, url_prefix="/m")
MESSAGE_ID = re.compile(r"<[^<>\s]+>")
AUTO_SUBJECT = re.compile(
    r"^\s*(auto(matic)?[ -]?reply|out of (the )?office|absence|abwesend|r[ée]ponse automatique)", re.I
)


def is_auto_reply(msg: Message) -> bool:
    """Out-of-office and other robots: RFC 3834 Auto-Submitted, the usual vendor headers, the usual subjects."""
    if (msg.get("Auto-Submitted") or "no").strip().lower() != "no":
        return True
    if msg.get("X-Autoreply") or msg.get("X-Autorespond") or msg.get("X-Auto-Response-Suppress"):
        return True
    if (msg.get("Precedence") or "").strip().lower() in ("auto_reply", "bulk", "junk", "list"):
        return True
    return bool(AUTO_SUBJECT.match(str(msg.get("Subject") or "")))


@bp.post("/inbound")
@csrf.exempt  # called by the mail provider, authenticated by the token
def inbound() -> Response:
    token = current_app.config.get("INBOUND_TOKEN") or ""
    if not token or not hmac.compare_digest(token, request.args.get("token", "")):
        abort(404)
    raw = request.get_data(cache=False)
    if not raw or len(raw) > 25 * 1024 * 1024:
        abort(400)
    msg = message_from_bytes(raw, policy=default_policy)
    if is_auto_reply(msg):
        return jsonify(matched=0, ignored="auto-reply")
    ids = MESSAGE_ID.findall(f"{msg.get('In-Reply-To') or ''} {msg.get('References') or ''}")
    if not ids:
        return jsonify(matched=0)
    rows = db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.message_id.in_(ids), OutboxMessage.enrollment_id.is_not(None)
        )
    ).all()
    matched = 0
    for enrollment_id in {row.enrollment_id for row in rows}:
        enrollment = db.session.get(Enrollment, enrollment_id)
        if enrollment is not None and enrollment.replied_at is None:
            mark_replied(enrollment, how="email")
            matched += 1
    return jsonify(matched=matched)
