"""Links that arrive by email: no login. Unsubscribe (RFC 8058 one-click), tracking, sender check."""

from __future__ import annotations

import base64
from urllib.parse import urlsplit

from flask import Blueprint, abort, make_response, redirect, request
from sqlalchemy import select, update
from werkzeug.wrappers import Response

from automation.mailing.render import click_signer
from automation.mailing.senders import verify_token
from crm.extensions import csrf, db
from crm.models import OutboxMessage, utcnow
from crm.responses import render
from crm.services import ServiceError
from crm.services.suppression import unsubscribe_recipient

bp = Blueprint("public", __name__, url_prefix="/m")
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def _message(token: str) -> OutboxMessage:
    row = db.session.scalar(select(OutboxMessage).where(OutboxMessage.token == token))
    if row is None:
        abort(404)
    return row


@bp.route("/u/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058: mail clients POST "List-Unsubscribe=One-Click" with no session or token
def unsubscribe(token: str) -> Response:
    """GET shows a confirmation and changes nothing; POST unsubscribes."""
    row = _message(token)
    if request.method == "POST":
        unsubscribe_recipient(row)
        return render("public/unsubscribed.html", email=row.to_email)
    return render("public/unsubscribe.html", email=row.to_email, token=token)


@bp.get("/o/<token>.gif")
def opened(token: str) -> Response:
    if _from_our_pages():  # the app showing a message is not the recipient opening it
        return _pixel()
    now = utcnow()
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.token == token)
        .values(open_count=OutboxMessage.open_count + 1)
    )
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.token == token, OutboxMessage.opened_at.is_(None))
        .values(opened_at=now)
    )
    db.session.commit()
    return _pixel()


def _pixel() -> Response:
    response = make_response(PIXEL)
    response.headers.update({"Content-Type": "image/gif", "Cache-Control": "no-store"})
    return response


def _from_our_pages() -> bool:
    if request.headers.get("Sec-Fetch-Site") == "same-origin":
        return True
    referrer = urlsplit(request.referrer or "")
    return bool(referrer.netloc) and referrer.netloc == request.host


@bp.get("/c/<token>")
def click(token: str) -> Response:
    url = request.args.get("u", "")
    signature = request.args.get("s", "")
    # verify_signature answers a bool (it does not raise): an unsigned URL is an open redirect.
    if not click_signer().verify_signature(f"{token}|{url}".encode(), signature.encode()):
        abort(404)
    if urlsplit(url).scheme not in ("http", "https"):
        abort(404)
    row = _message(token)
    now = utcnow()
    row.click_count += 1
    row.clicked_at = row.clicked_at or now
    row.opened_at = row.opened_at or now  # a click proves the mail was opened
    db.session.commit()
    return redirect(url, 302)


@bp.get("/verify/<token>")
def verify_sender(token: str) -> Response:
    try:
        sender = verify_token(token)
    except ServiceError as err:
        return render("public/verified.html", error=str(err.message), status=err.status)
    return render("public/verified.html", sender=sender)
