from __future__ import annotations

from zoneinfo import available_timezones

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from crm.i18n import company_timezone
from crm.models import ROLES
from crm.passwords import StrongPassword

TIMEZONES = sorted(
    tz for tz in available_timezones() if "/" in tz and not tz.startswith(("Etc/", "SystemV/"))
)
ROLE_LABELS = {"admin": _l("Administrator"), "rep": _l("Sales rep")}
ROLE_CHOICES = [(r, ROLE_LABELS[r]) for r in ROLES]
TIMEZONE_CHOICES = [(tz, tz) for tz in TIMEZONES]


class NameForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])


class WholeNumberField(IntegerField):
    """An optional whole number: blank is None, anything else that is not one says so."""

    def process_formdata(self, valuelist: list[str]) -> None:
        if valuelist and not valuelist[0].strip():
            self.data = None
            return
        try:
            super().process_formdata(valuelist)
        except ValueError as err:
            raise ValueError(_l("Enter a whole number, or leave it blank.")) from err


class StageLimitsForm(FlaskForm):
    """Per stage: when a card counts as idle, and the chance of winning (weighted totals)."""

    idle_days = WholeNumberField(
        _l("Idle after (days)"),
        validators=[
            Optional(),
            NumberRange(min=0, max=3650, message=_l("Idle after: enter a number of days from 0 to 3650.")),
        ],
    )
    probability = WholeNumberField(
        _l("Probability (%)"),
        validators=[
            Optional(),
            NumberRange(min=0, max=100, message=_l("Probability: enter a percentage from 0 to 100.")),
        ],
    )


class PipelineForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])


class PipelineAccessForm(FlaskForm):
    restricted = RadioField(
        _l("Who sees this pipeline"),
        choices=[("0", _l("Everyone")), ("1", _l("Administrators and the people ticked below"))],
        default="0",
    )
    members = SelectMultipleField(
        _l("Members"), coerce=int, widget=ListWidget(prefix_label=False), option_widget=CheckboxInput()
    )


class UserForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)
    timezone = SelectField(_l("Time zone"), choices=TIMEZONE_CHOICES)
    locale = SelectField(
        _l("Language"), choices=[("", _l("Browser default")), ("en", "English"), ("fr", "Français")]
    )
    signature_html = TextAreaField(
        _l("Email signature (HTML)"),
        validators=[Optional(), Length(max=10_000)],
        description=_l(
            "Appended to one-to-one emails sent as this user. Scripts and event handlers are removed."
        ),
    )
    active = BooleanField(_l("Active"), default=True)
    password = PasswordField(
        _l("Password"),
        validators=[Optional(), Length(max=200), StrongPassword()],
        description=_l("At least 10 characters, not easy to guess. Leave empty to keep the current one."),
    )


class NewUserForm(UserForm):
    # A new user is most often a rep, working where the company is.
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, default="rep")
    timezone = SelectField(_l("Time zone"), choices=TIMEZONE_CHOICES, default=company_timezone)
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(max=200), StrongPassword()],
        description=_l("At least 10 characters, not easy to guess: a few unrelated words."),
    )
