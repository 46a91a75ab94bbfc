"""Login, logout, language."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from crm.auth import throttle
from crm.auth.forms import LoginForm
from crm.extensions import db, limiter
from crm.responses import render
from crm.security import local_path
from crm.services import ServiceError
from crm.services.users import authenticate, end_sessions

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(throttle.ip_limit, methods=["POST"], on_breach=throttle.too_many, scope="login-ip")
@limiter.limit(
    throttle.account_limit,
    methods=["POST"],
    key_func=throttle.account_key,
    exempt_when=throttle.known_device,
    on_breach=throttle.too_many,
    scope="login-account",
)
def login() -> Response:
    next_url = local_path(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or url_for("board.home"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = authenticate(form.email.data, form.password.data)
        except ServiceError as err:
            form.password.errors.append(err.message)
            return render("auth/login.html", form=form, status=err.status)
        session.pop("csrf_token", None)  # a new CSRF token for the signed-in session
        login_user(user, remember=form.remember.data)
        response = redirect(next_url or url_for("board.home"))
        throttle.remember_device(response, user.email)
        return response
    status = 422 if form.is_submitted() else 200
    return render("auth/login.html", form=form, status=status)


@bp.post("/logout")
@login_required
def logout() -> Response:
    end_sessions(current_user)  # every session and remember-me cookie of this user, not just this one
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.post("/language")
def language() -> Response:
    """Switch the UI language; saved on the user when logged in."""
    locale = request.form.get("locale", "")
    if locale in current_app.config["LANGUAGES"]:
        session["locale"] = locale
        if current_user.is_authenticated:
            current_user.locale = locale
            db.session.commit()
    return redirect(local_path(request.form.get("next")) or url_for("board.home"))
