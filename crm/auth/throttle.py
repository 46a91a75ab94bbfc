"""Login throttling with Flask-Limiter: per client IP, and per account for browsers it never opened.

Every attempt, right or wrong, is counted in Redis before the password is checked, so forty
concurrent guesses get exactly as many checks as the limit allows. The per-account limit is not a
lock-out weapon: a browser where the user logged in before carries a signed "known device" cookie
for that account and is exempt from it (the IP limit still holds), so someone hammering a known
address shuts out only browsers that never logged in to it, and only while the hammering lasts.
"""

from __future__ import annotations

import hashlib
import time

from flask import current_app, request
from flask_babel import ngettext
from flask_limiter import RequestLimit
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.wrappers import Response

DEVICE_COOKIE = "crm_device"
DEVICE_DAYS = 180
DEVICE_ACCOUNTS = 5  # a shared browser remembers this many accounts


def _email() -> str:
    return (request.form.get("email") or "").strip().lower()[:254]


def _digest(email: str) -> str:
    return hashlib.sha256(email.encode()).hexdigest()[:20]


def account_key() -> str:
    return f"login-account:{_digest(_email())}"


def ip_limit() -> str:
    return current_app.config["LOGIN_LIMIT_IP"]


def account_limit() -> str:
    return current_app.config["LOGIN_LIMIT_ACCOUNT"]


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="known-device")  # type: ignore[arg-type]


def _known() -> list[str]:
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return []
    try:
        value = _serializer().loads(raw, max_age=DEVICE_DAYS * 86400)
    except BadSignature:
        return []
    return [str(v) for v in value][:DEVICE_ACCOUNTS] if isinstance(value, list) else []


def known_device() -> bool:
    """True when this browser logged in to the account it now names."""
    return _digest(_email()) in _known()


def remember_device(response: Response, email: str) -> None:
    """After a successful login: this browser is a known device of `email`'s account."""
    digest = _digest(email.strip().lower())
    known = [digest, *[d for d in _known() if d != digest]][:DEVICE_ACCOUNTS]
    response.set_cookie(
        DEVICE_COOKIE,
        _serializer().dumps(known),
        max_age=DEVICE_DAYS * 86400,
        httponly=True,
        samesite="Lax",
        secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
    )


def too_many(limit: RequestLimit) -> Response:
    """The login page again, with how long to wait; no password was checked."""
    from crm.auth.forms import LoginForm
    from crm.responses import render

    minutes = max(1, round((limit.reset_at - time.time()) / 60))
    form = LoginForm()
    form.validate()
    form.password.errors = [
        ngettext(
            "Too many login attempts. Try again in %(num)d minute.",
            "Too many login attempts. Try again in %(num)d minutes.",
            minutes,
        )
    ]
    response = render("auth/login.html", form=form, status=429)
    response.headers["Retry-After"] = str(minutes * 60)
    return response
