"""Who may see what: login, roles, safe redirects."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, abort, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from crm.extensions import db, htmx, login
from crm.models import User

login.login_view = "auth.login"
login.login_message = _l("Please log in to see this page.")
login.login_message_category = "info"
login.session_protection = "strong"
USER_TTL = 5.0


@login.user_loader
def _load_user(user_id: str) -> User | None:
    """The user of this session, from a snapshot kept until the users table changes (crm/cache.py):
    most pages then send no query at all. The snapshot is copied into this request's session
    (merge without loading), so the user can be changed and saved as usual."""
    uid, _, version = user_id.partition("-")
    if not (uid.isdigit() and version.isdigit()):
        return None
    from crm import cache

    # A short ttl besides the version: were a version's move lost (Redis away just then), a
    # deactivation, a role change or a sign-out everywhere still applies within seconds.
    snapshot = cache.cached(("user", int(uid)), ("users",), lambda: _detached_user(int(uid)), ttl=USER_TTL)
    if snapshot is None or snapshot.session_version != int(version):
        return None
    return db.session.merge(snapshot, load=False)


def _detached_user(user_id: int) -> User | None:
    user = db.session.get(User, user_id)
    if user is not None:
        db.session.expunge(user)  # shared by the requests of this process: never attached again
    return user


@login.unauthorized_handler
def _unauthorized() -> Any:
    target = url_for("auth.login", next=local_path(request.full_path))
    if htmx:
        # Never a 3xx to HTMX: tell the browser to go to the login page itself.
        from crm.responses import hx_redirect

        return hx_redirect(target)
    return redirect(target)


def local_path(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None (no open redirects)."""
    if not target:
        return None
    target = target.strip()
    if target.endswith("?"):
        target = target[:-1]
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/"):
        return None
    if target.startswith("//") or target.startswith("/\\") or "\\" in target:
        return None
    if any(ord(c) < 32 for c in target):
        return None
    return target


def protect(bp: Blueprint, admin: bool = False) -> Blueprint:
    """Every view of `bp` needs a logged-in user; with admin=True, reps get 403."""

    @bp.before_request
    def _check() -> Any:
        if not current_user.is_authenticated:
            return login.unauthorized()
        if admin and not current_user.is_admin:
            abort(403)
        if request.method not in ("GET", "HEAD", "OPTIONS") and request.is_json:
            # Our forms post form data. Flask-WTF would read a JSON body too, handing the fields
            # numbers, lists or objects where they expect text.
            abort(415)
        return None

    return bp
