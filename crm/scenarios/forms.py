"""The form of each step kind (validation in place: nothing is saved while one is invalid)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from automation.scenarios.conditions import RESULTS
from automation.scenarios.timing import to_local
from crm.forms import IdSelectField
from crm.i18n import company_timezone, select_timezone
from crm.marketing.forms import known_shortcodes
from crm.models import utcnow

CONDITIONS = [
    ("replied", _l("replied to the previous email")),
    ("opened", _l("opened the previous email")),
    ("clicked", _l("clicked a link in the previous email")),
    ("has_tag", _l("has the tag")),
    ("stage", _l("has an open opportunity at the stage")),
    ("result", _l("has an opportunity that is")),
    ("field", _l("has a field equal to")),
]
FIELDS = [
    ("email", _l("Email")),
    ("first_name", _l("First name")),
    ("last_name", _l("Last name")),
    ("phone", _l("Phone")),
    ("company", _l("Company")),
    ("job_title", _l("Job title")),
    ("source", _l("Source")),
]
UNTIL_YEARS = (1970, 2999)  # a pause's "until", converted between time zones, stays in the calendar


class StepForm(FlaskForm):
    label = StringField(_l("Label"), validators=[Optional(), Length(max=200)])


class EmailStepForm(StepForm):
    subject = StringField(_l("Subject"), validators=[DataRequired(), Length(max=250), known_shortcodes])
    message = TextAreaField(
        _l("Message"),
        validators=[DataRequired(), Length(max=50_000), known_shortcodes],
        render_kw={"rows": 8},
        description=_l(
            "Plain and simple, as a rep would write it. Shortcodes such as [[!ContactFirstName]] work."
        ),
    )
    sender_id = IdSelectField(
        _l("From"), description=_l("Empty: the rep assigned to the person, with their signature.")
    )
    from_name = StringField(_l("From (name)"), validators=[Optional(), Length(max=120)])
    window_start = TimeField(_l("Send between"), validators=[Optional()])
    window_end = TimeField(_l("and"), validators=[Optional()])
    skip_weekends = BooleanField(_l("Skip weekends"), default=True)
    track_opens = BooleanField(_l("Track opens"))
    track_clicks = BooleanField(_l("Track clicks"))

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        start, end = self.window_start.data, self.window_end.data
        if bool(start) != bool(end):
            self.window_end.errors = [
                *self.window_end.errors,
                _l("Give both hours of the window, or neither."),
            ]
            ok = False
        elif start and end and start >= end:
            self.window_end.errors = [*self.window_end.errors, _l("The window must end after it starts.")]
            ok = False
        return ok


class PauseStepForm(StepForm):
    days = IntegerField(_l("Days"), default=7, validators=[Optional(), NumberRange(min=0, max=365)])
    hours = IntegerField(_l("Hours"), default=0, validators=[Optional(), NumberRange(min=0, max=24 * 365)])
    until = DateTimeLocalField(_l("Or until"), validators=[Optional()], format="%Y-%m-%dT%H:%M")

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        until = self.until.data
        if until and not UNTIL_YEARS[0] <= until.year <= UNTIL_YEARS[1]:  # 0001 or 9999 in UTC: no date
            self.until.errors = [*self.until.errors, _l("Enter a valid date and time.")]
            ok = False
        elif until and until <= self.local_now():
            self.until.errors = [*self.until.errors, _l("This date is already past: pick a later one.")]
            ok = False
        if ok and not until and not (self.days.data or self.hours.data):
            self.days.errors = [
                *self.days.errors,
                _l("A pause needs a duration (7 days is a good habit) or a date."),
            ]
            ok = False
        return ok

    @staticmethod
    def local_now() -> datetime:
        """Now on the clock of the person typing the date (naive, like the field's value)."""
        return to_local(utcnow(), select_timezone() or company_timezone()).replace(tzinfo=None)


class IfStepForm(StepForm):
    condition = SelectField(_l("If the person"), choices=CONDITIONS)
    tag_id = IdSelectField(_l("Tag"))
    stage_id = IdSelectField(_l("Stage"))
    result = SelectField(_l("Result"), choices=RESULTS, default="won")
    field = SelectField(_l("Field"), choices=FIELDS, default="email")
    value = StringField(_l("Value"), validators=[Optional(), Length(max=200)])

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        needs = {"has_tag": self.tag_id, "stage": self.stage_id}.get(self.condition.data)
        if needs is not None and not needs.data:
            needs.errors = [*needs.errors, _l("Choose one.")]
            ok = False
        if self.condition.data == "field" and not (self.value.data or "").strip():
            self.value.errors = [*self.value.errors, _l("Enter the value to compare with.")]
            ok = False
        return ok


class EndStepForm(StepForm):
    pass


# Each step kind's form (the kinds themselves, and what they do, are in automation/scenarios/steps.py).
STEP_FORMS: dict[str, type[FlaskForm]] = {
    "email": EmailStepForm,
    "pause": PauseStepForm,
    "if": IfStepForm,
    "end": EndStepForm,
}
