"""Plumbing outside any page: /healthz for the platform's checks, the favicon, and static files
cacheable for a year (each URL carries its file's content hash, so a deploy changes the URL)."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify, redirect, request, url_for
from sqlalchemy import text
from werkzeug.wrappers import Response

from crm.extensions import db, limiter

bp = Blueprint("health", __name__)

STATIC_VERSIONED = "public, max-age=31536000, immutable"  # the URL changes with the file
STATIC_UNVERSIONED = "public, max-age=3600"


@bp.get("/healthz")
@limiter.exempt
def healthz() -> tuple[Response, int]:
    """200 {"database": "ok", "redis": "ok"}, or 503 naming what failed. No login, no session."""
    from crm.extensions import redis_conn

    checks: dict[str, str] = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as err:
        db.session.rollback()
        current_app.logger.warning("healthz: database: %s", err)
        checks["database"] = "failed"
    try:
        redis_conn().ping()
        checks["redis"] = "ok"
    except Exception as err:
        current_app.logger.warning("healthz: redis: %s", err)
        checks["redis"] = "failed"
    healthy = all(value == "ok" for value in checks.values())
    response = jsonify(checks)
    response.headers["Cache-Control"] = "no-store"
    return response, 200 if healthy else 503


@bp.get("/favicon.ico")
@limiter.exempt
def favicon() -> Response:
    """Browsers ask for /favicon.ico on their own: send them to the SVG."""
    return redirect(url_for("static", filename="favicon.svg"), 301)


@lru_cache(maxsize=512)
def static_version(folder: str, filename: str) -> str | None:
    """The first 12 hex digits of the file's SHA-256, read once per process; None if missing."""
    path = Path(folder) / filename
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    except OSError:
        return None


def _version_static_urls(endpoint: str, values: dict[str, Any]) -> None:
    if endpoint == "static" and "filename" in values and "v" not in values:
        version = static_version(str(current_app.static_folder), values["filename"])
        if version:
            values["v"] = version


def static_cache_control(response: Response) -> None:
    """Long and immutable for a versioned URL (?v=<hash>), an hour for the bare one."""
    if response.status_code in (200, 304):
        response.headers["Cache-Control"] = STATIC_VERSIONED if request.args.get("v") else STATIC_UNVERSIONED


def init_app(app: Flask) -> None:
    app.url_defaults(_version_static_urls)
    app.register_blueprint(bp)
