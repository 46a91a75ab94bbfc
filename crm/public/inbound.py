"""Inbound mail (replies forwarded by the mail provider): a reply stops the person's sequence.

The provider authenticates with the secret in a header (X-Inbound-Token) or as the password of
HTTP basic auth (https://inbound:<token>@host/m/inbound), never in the query string, which access
logs keep. A reply counts only from the address the sequence wrote to (or its domain: a colleague
answering for them), and only the last few message ids it quotes are looked at."""

from __future__ import annotations

import hmac
import re
from email import message_from_bytes
from email.message import Message
from email.policy import compat32
from email.utils import getaddresses

from flask import Blueprint, abort, current_app, jsonify, request
from sqlalchemy import select
from werkzeug.wrappers import Response

from automation.scenarios.replies import mark_replied
from crm.extensions import csrf, db
from crm.models import Enrollment, OutboxMessage

bp = Blueprint("inbound", __name__, url_prefix="/m")
MESSAGE_ID = re.compile(r"<[^<>\s]{1,250}>")
MAX_REFERENCES = 20  # the newest ids of References (RFC 5322 lists the oldest first)
MAX_HEADER = 20_000  # characters of In-Reply-To / References read at most
# Anyone can have an address there: only the very address we wrote to counts.
PUBLIC_DOMAINS = frozenset(
    [
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "yahoo.fr",
        "hotmail.com",
        "hotmail.fr",
        "outlook.com",
        "outlook.fr",
        "live.com",
        "live.fr",
        "msn.com",
        "icloud.com",
        "me.com",
        "aol.com",
        "gmx.com",
        "gmx.fr",
        "gmx.de",
        "proton.me",
        "protonmail.com",
        "orange.fr",
        "wanadoo.fr",
        "free.fr",
        "laposte.net",
        "sfr.fr",
        "neuf.fr",
        "bbox.fr",
    ]
)
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
    if not token or not hmac.compare_digest(token.encode(), _presented_token().encode()):
        abort(404)
    raw = request.get_data(cache=False)
    if not raw or len(raw) > 25 * 1024 * 1024:
        abort(400)
    msg = message_from_bytes(raw, policy=compat32)  # headers as sent: no structured parsing
    if is_auto_reply(msg):
        return jsonify(matched=0, ignored="auto-reply")
    ids = quoted_ids(msg)
    sender = _sender(msg)
    if not ids or not sender:
        return jsonify(matched=0)
    rows = db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.message_id.in_(ids), OutboxMessage.enrollment_id.is_not(None)
        )
    ).all()
    matched = 0
    rows = [row for row in rows if _same_person(sender, row.to_email)]
    for enrollment_id in {row.enrollment_id for row in rows}:
        enrollment = db.session.get(Enrollment, enrollment_id)
        if enrollment is not None and enrollment.replied_at is None:
            mark_replied(enrollment, how="email")
            matched += 1
    return jsonify(matched=matched)


def _presented_token() -> str:
    header = request.headers.get("X-Inbound-Token")
    if header:
        return header
    auth = request.authorization
    return (auth.password or "") if auth is not None and auth.type == "basic" else ""


def quoted_ids(msg: Message) -> list[str]:
    """The message ids a reply answers: In-Reply-To, then the newest of References."""
    replying = MESSAGE_ID.findall(str(msg.get("In-Reply-To") or "")[:MAX_HEADER])[:MAX_REFERENCES]
    references = MESSAGE_ID.findall(str(msg.get("References") or "")[-MAX_HEADER:])[-MAX_REFERENCES:]
    return list(dict.fromkeys([*replying, *references]))


def _sender(msg: Message) -> str:
    addresses = getaddresses([str(msg.get("From") or "")[:1000]])
    return addresses[0][1].strip().lower() if addresses else ""


def _same_person(sender: str, recipient: str) -> bool:
    """The reply comes from the address we wrote to, or from its company's domain."""
    recipient = recipient.strip().lower()
    if "@" not in sender or "@" not in recipient:
        return False
    if sender == recipient:
        return True
    domain = recipient.rsplit("@", 1)[1]
    return domain not in PUBLIC_DOMAINS and sender.rsplit("@", 1)[1] == domain
