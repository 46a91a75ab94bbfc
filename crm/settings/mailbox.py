"""Settings > Mailbox: what the local SMTP sink captured (development and demo installs)."""

from __future__ import annotations

import mailbox
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import parsedate_to_datetime
from pathlib import Path

from flask import Blueprint, abort, current_app
from werkzeug.wrappers import Response

from crm.mailview import VIEWER_CSP
from crm.responses import render
from crm.security import protect

bp = protect(Blueprint("mailbox", __name__, url_prefix="/settings/mailbox"), admin=True)
PER_PAGE = 50


@dataclass
class Captured:
    key: str
    subject: str
    sender: str
    to: str
    date: object
    text: str = ""
    html: str = ""
    headers: list[tuple[str, str]] = field(default_factory=list)
    attachments: list[tuple[str, str, int]] = field(default_factory=list)
    images: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # inline parts by Content-ID


def _box() -> mailbox.Maildir | None:
    path = current_app.config.get("MAIL_SINK_DIR")
    if not path or not Path(path, "cur").is_dir():
        return None
    return mailbox.Maildir(path, factory=None, create=False)


def _parse(key: str, raw: bytes, full: bool = False) -> Captured:
    from email import message_from_bytes

    msg: EmailMessage = message_from_bytes(raw, policy=default_policy)  # type: ignore[assignment]
    try:
        date = parsedate_to_datetime(msg["Date"]) if msg["Date"] else None
    except (TypeError, ValueError):
        date = None
    item = Captured(key, str(msg["Subject"] or ""), str(msg["From"] or ""), str(msg["To"] or ""), date)
    if full:
        item.headers = [(k, str(v)) for k, v in msg.items()]
        text = msg.get_body(preferencelist=("plain",))
        html = msg.get_body(preferencelist=("html",))
        item.text = text.get_content() if text else ""
        item.html = html.get_content() if html else ""
        for part in msg.walk():
            cid = str(part.get("Content-ID") or "").strip().strip("<>")
            if cid and part.get_content_maintype() == "image":
                item.images[cid] = (part.get_content_type(), part.get_payload(decode=True) or b"")
        for part in msg.iter_attachments():
            payload = part.get_payload(decode=True) or b""
            item.attachments.append((part.get_filename() or "", part.get_content_type(), len(payload)))
    return item


@bp.get("/")
def index() -> Response:
    box = _box()
    items: list[Captured] = []
    if box is not None:
        keys = sorted(box.keys(), reverse=True)[:PER_PAGE]
        items = [_parse(k, box.get_bytes(k)) for k in keys]
        items.sort(key=lambda i: i.date.timestamp() if i.date else 0, reverse=True)  # type: ignore[attr-defined]
    return render("settings/mailbox.html", items=items, enabled=box is not None)


@bp.get("/<key>")
def show(key: str) -> Response:
    box = _box()
    if box is None:
        abort(404)
    try:
        raw = box.get_bytes(key)
    except KeyError:
        abort(404)
    response = render("settings/mail.html", item=_parse(key, raw, full=True))
    response.headers["Content-Security-Policy"] = VIEWER_CSP  # no image from anywhere, the pixel included
    return response
