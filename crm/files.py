"""Uploaded files, for logged-in users: images inline, anything else as a download."""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

from flask import Blueprint, abort, make_response
from werkzeug.wrappers import Response

from crm.extensions import db
from crm.models import Upload
from crm.security import protect
from crm.uploads import read_upload

bp = protect(Blueprint("files", __name__, url_prefix="/files"))


@bp.get("/<int:upload_id>/<path:name>")
def show(upload_id: int, name: str) -> Response:
    upload = db.get_or_404(Upload, upload_id)
    if name != upload.filename:
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


def content_disposition(disposition: str, filename: str) -> str:
    """The header for `filename` as a server can send it: headers are Latin-1, so a name such as
    “devis – été.pdf” or “画像.png” goes in filename* (RFC 6266), with an ASCII fallback."""
    try:
        filename.encode("ascii")
    except UnicodeEncodeError:
        simple = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
        return f"{disposition}; filename=\"{simple or 'file'}\"; filename*=UTF-8''{quote(filename, safe='')}"
    return f'{disposition}; filename="{filename}"'
