"""Uploaded files: images inline, anything else as a download, to whoever may see what owns them.

A sent quote's PDF belongs to its opportunity; a template's images and attachments to the
templates (company material that admins write and reps send); a file not attached to anything yet,
to the user who uploaded it. Admins read them all; anyone else gets 404, as for a hidden record.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

from flask import Blueprint, abort, make_response
from flask_login import current_user
from sqlalchemy import exists, or_, select
from werkzeug.wrappers import Response

from crm.extensions import db
from crm.models import EmailTemplate, Opportunity, Upload, User, template_attachments
from crm.security import protect
from crm.services.access import can_see
from crm.uploads import read_upload

bp = protect(Blueprint("files", __name__, url_prefix="/files"))


@bp.get("/<int:upload_id>/<path:name>")
def show(upload_id: int, name: str) -> Response:
    upload = db.get_or_404(Upload, upload_id)
    if name != upload.filename or not may_read(current_user, upload):
        abort(404)
    try:
        data = read_upload(upload)
    except FileNotFoundError:
        abort(404)
    response = make_response(data)
    response.headers["Content-Type"] = upload.content_type
    disposition = "inline" if upload.is_image else "attachment"
    response.headers["Content-Disposition"] = content_disposition(disposition, upload.filename)
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response


def may_read(user: User, upload: Upload) -> bool:
    if user.is_admin or upload.created_by_id == user.id:
        return True
    if upload.opportunity_id is not None:
        opportunity = db.session.get(Opportunity, upload.opportunity_id)
        return opportunity is not None and can_see(user, opportunity.pipeline)
    in_template = or_(
        exists().where(template_attachments.c.upload_id == upload.id),
        exists().where(EmailTemplate.body_html.contains(f"/files/{upload.id}/", autoescape=True)),
    )
    return bool(db.session.scalar(select(in_template)))


def content_disposition(disposition: str, filename: str) -> str:
    """The header for `filename` as a server can send it: headers are Latin-1, so a name such as
    “devis – été.pdf” or “画像.png” goes in filename* (RFC 6266), with an ASCII fallback."""
    try:
        filename.encode("ascii")
    except UnicodeEncodeError:
        simple = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
        return f"{disposition}; filename=\"{simple or 'file'}\"; filename*=UTF-8''{quote(filename, safe='')}"
    return f'{disposition}; filename="{filename}"'
