"""Uploaded files (template images and attachments): allow-listed, content checked against the
extension, size-limited, stored by content hash under UPLOAD_DIR — never under static/."""

from __future__ import annotations

import hashlib
from pathlib import Path

import filetype
from flask import current_app
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage

from crm.extensions import db
from crm.models import Upload, User
from crm.services import ServiceError

IMAGES = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
}
DOCUMENTS = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "zip": "application/zip",
    "txt": "text/plain",
    "csv": "text/csv",
}
ALLOWED = {**IMAGES, **DOCUMENTS}
TEXT = {"txt", "csv"}
# Office formats are zip containers: filetype may name the container or the document.
ZIP_FAMILY = {"docx", "xlsx", "pptx", "odt", "ods", "zip"}


def _path(sha256: str) -> Path:
    return Path(current_app.config["UPLOAD_DIR"]) / sha256[:2] / sha256


def save_upload(file: FileStorage, *, images_only: bool = False, user: User | None = None) -> Upload:
    """Check and store an uploaded file; refuse with a message naming what is wrong."""
    name = display_name(file.filename or "")
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    allowed = IMAGES if images_only else ALLOWED
    if ext not in allowed:
        raise ServiceError(
            _("Files of this type are not accepted. Allowed: %(types)s.", types=", ".join(sorted(allowed))),
            422,
        )
    data = file.read(current_app.config["UPLOAD_MAX_MB"] * 1024 * 1024 + 1)
    if len(data) > current_app.config["UPLOAD_MAX_MB"] * 1024 * 1024:
        raise ServiceError(
            _("The file is larger than %(mb)d MB.", mb=current_app.config["UPLOAD_MAX_MB"]), 413
        )
    if not data:
        raise ServiceError(_("The file is empty."), 422)
    if not _content_matches(ext, data):
        raise ServiceError(_("The file’s content does not match its extension (.%(ext)s).", ext=ext), 422)
    sha = hashlib.sha256(data).hexdigest()
    path = _path(sha)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    upload = Upload(
        filename=name,
        content_type=allowed[ext],
        size=len(data),
        sha256=sha,
        created_by_id=user.id if user else None,
    )
    db.session.add(upload)
    db.session.commit()
    return upload


def display_name(filename: str) -> str:
    """The name people chose, minus any path and characters that break headers or HTML."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c.isprintable() and c not in '"<>`').strip(". ")
    return name[-200:] or "file"


def _content_matches(ext: str, data: bytes) -> bool:
    if ext in TEXT:
        if b"\x00" in data:
            return False
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return False
        return True
    kind = filetype.guess(data)
    if kind is None:
        return False
    if ext in ZIP_FAMILY:
        return kind.extension in ZIP_FAMILY
    return kind.mime == ALLOWED[ext] or (ext in ("jpg", "jpeg") and kind.extension in ("jpg", "jpeg"))


def read_upload(upload: Upload) -> bytes:
    return _path(upload.sha256).read_bytes()
