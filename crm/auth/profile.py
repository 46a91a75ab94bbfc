"""My profile: each user edits their own name, signature, language, time zone and password."""

from __future__ import annotations

from flask import Blueprint, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from crm.extensions import db
from crm.html import sanitize_html
from crm.passwords import StrongPassword
from crm.responses import done, render
from crm.security import protect
from crm.settings.forms import TIMEZONE_CHOICES

bp = protect(Blueprint("profile", __name__, url_prefix="/profile"))


class ProfileForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    timezone = SelectField(_l("Time zone"), choices=TIMEZONE_CHOICES)
    locale = SelectField(
        _l("Language"), choices=[("", _l("Browser default")), ("en", "English"), ("fr", "Français")]
    )
    signature_html = TextAreaField(
        _l("Email signature (HTML)"),
        validators=[Optional(), Length(max=10_000)],
        description=_l(
            "Added to the one-to-one emails sent in your name. Scripts and event handlers are removed."
        ),
    )
    current_password = PasswordField(_l("Current password"), validators=[Optional(), Length(max=200)])
    new_password = PasswordField(
        _l("New password"),
        validators=[
            Optional(),
            Length(max=200),
            StrongPassword(lambda form: (current_user.email, form.name.data or "")),
        ],
        description=_l("Leave empty to keep yours. Changing it signs you out everywhere else."),
    )

    def validate_current_password(self, field: PasswordField) -> None:
        if field.errors:  # too long already: not worth a hash
            return
        if self.new_password.data and not current_user.check_password(field.data or ""):
            raise ValidationError(_("Type your current password to choose a new one."))


@bp.route("/", methods=["GET", "POST"])
def edit() -> Response:
    user = current_user._get_current_object()  # the user, not the proxy: login_user keeps it in g
    form = ProfileForm(obj=user)
    if form.validate_on_submit():
        user.name = form.name.data.strip()
        user.timezone = form.timezone.data
        user.locale = form.locale.data or None
        user.signature_html = sanitize_html(form.signature_html.data or "")
        if user.locale:
            session["locale"] = user.locale
        changed_password = bool(form.new_password.data)
        if changed_password:
            user.set_password(form.new_password.data)  # every other session ends…
        db.session.commit()
        if changed_password:
            login_user(user)  # …and this one goes on with the new session version
        message = (
            _("Password changed; you are signed out everywhere else.") if changed_password else _("Saved.")
        )
        return done(url_for("profile.edit"), message)
    status = 422 if form.is_submitted() else 200
    return render("auth/profile.html", block="form", form=form, user=user, status=status)
