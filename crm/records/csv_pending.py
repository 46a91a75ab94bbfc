"""An uploaded CSV file waiting for its Confirm: kept on the server, never sent back by the
browser. The file sits under UPLOAD_DIR/csv-imports, named by its user and a random token; the
token is also in the user's (signed) session, so only the session that uploaded it can confirm
it, and the confirm checks the file again from scratch."""

from __future__ import annotations

import re
import secrets
import time
from pathlib import Path

from flask import current_app, session

from crm.models import User

KEY = "csv_import"
TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
KEEP_SECONDS = 24 * 3600


def _dir() -> Path:
    return Path(current_app.config["UPLOAD_DIR"]) / "csv-imports"


def _path(user: User, token: str) -> Path:
    return _dir() / f"{user.id}-{token}.csv"


def keep(kind: str, data: bytes, filename: str, user: User) -> str:
    """Store `data` until confirmed; the session forgets any file it kept before."""
    forget(user)
    _sweep()
    token = secrets.token_urlsafe(24)
    path = _path(user, token)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    session[KEY] = {"token": token, "kind": kind, "name": filename}
    return token


def load(kind: str, token: str, user: User) -> tuple[bytes, str] | None:
    """The file and its name, if this session uploaded it for `kind` and it is still there."""
    pending = session.get(KEY) or {}
    if not TOKEN.match(token or "") or pending.get("token") != token or pending.get("kind") != kind:
        return None
    try:
        return _path(user, token).read_bytes(), str(pending.get("name") or "")
    except OSError:
        return None


def forget(user: User) -> None:
    """Drop the file this session kept, if any."""
    pending = session.pop(KEY, None) or {}
    token = str(pending.get("token") or "")
    if TOKEN.match(token):
        _path(user, token).unlink(missing_ok=True)


def _sweep() -> None:
    """Files nobody confirmed, a day on."""
    folder = _dir()
    if not folder.is_dir():
        return
    limit = time.time() - KEEP_SECONDS
    for path in folder.glob("*.csv"):
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except OSError:
            pass
