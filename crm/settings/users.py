"""Settings > Users: email, name, role, time zone, signature, active flag."""

from __future__ import annotations

from flask import Blueprint, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from crm.extensions import db
from crm.html import sanitize_html
from crm.models import User
from crm.responses import done, render
from crm.security import protect
from crm.services import ServiceError
from crm.services.users import create_user, update_user
from crm.settings.forms import NewUserForm, UserForm

bp = protect(Blueprint("users", __name__, url_prefix="/settings/users"), admin=True)


@bp.get("/")
def index() -> Response:
    users = db.session.scalars(select(User).order_by(User.active.desc(), User.name)).all()
    return render("settings/users.html", users=users)


def _values(form: UserForm) -> dict[str, object]:
    return {
        "email": form.email.data,
        "name": form.name.data,
        "role": form.role.data,
        "timezone": form.timezone.data,
        "locale": form.locale.data or None,
        "signature_html": sanitize_html(form.signature_html.data or ""),
        "active": bool(form.active.data),
    }


@bp.route("/new", methods=["GET", "POST"])
def create() -> Response:
    form = NewUserForm()
    if form.validate_on_submit():
        try:
            create_user(password=form.password.data, **_values(form))  # type: ignore[arg-type]
        except ServiceError as err:
            form.email.errors.append(err.message)
        else:
            return done(url_for("users.index"), _("User created."))
    status = 422 if form.is_submitted() else 200
    return render("settings/user_form.html", block="form", form=form, user=None, status=status)


@bp.route("/<int:user_id>/edit", methods=["GET", "POST"])
def edit(user_id: int) -> Response:
    user = db.get_or_404(User, user_id)
    form = UserForm(obj=user)
    if form.validate_on_submit():
        try:
            update_user(user, actor=current_user, password=form.password.data or None, **_values(form))
        except ServiceError as err:
            db.session.rollback()
            target = getattr(form, err.field) if err.field else form.active
            target.errors.append(err.message)
        else:
            return done(url_for("users.index"), _("Saved."))
    status = 422 if form.is_submitted() else 200
    return render("settings/user_form.html", block="form", form=form, user=user, status=status)
