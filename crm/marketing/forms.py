from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    EmailField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, ValidationError

from automation.mailing import shortcodes
from crm.forms import IdSelectField


def known_shortcodes(form: Any, field: Any) -> None:
    bad = shortcodes.unknown(field.data or "")
    if bad:
        valid = ", ".join(shortcodes.tag(n) for n in shortcodes.SHORTCODES)
        raise ValidationError(
            _l("Unknown shortcode %(bad)s. Valid ones: %(valid)s.", bad=", ".join(bad), valid=valid)
        )


class SenderForm(FlaskForm):
    email = EmailField(_l("Address"), validators=[DataRequired(), Email(), Length(max=254)])
    display_name = StringField(_l("Display name"), validators=[Optional(), Length(max=120)])
    rate_per_minute = IntegerField(
        _l("Limit (messages per minute)"),
        validators=[Optional(), NumberRange(min=1, max=10000)],
        description=_l("Leave empty for no limit."),
    )


class TemplateForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    subject = StringField(_l("Subject"), validators=[DataRequired(), Length(max=250), known_shortcodes])
    body_html = TextAreaField(
        _l("Message (HTML)"),
        validators=[DataRequired(), Length(max=200_000), known_shortcodes],
        render_kw={"rows": 16, "spellcheck": "true"},
    )
    track_opens = BooleanField(_l("Track opens"))
    track_clicks = BooleanField(_l("Track clicks"))


class PreviewForm(TemplateForm):
    contact_id = IdSelectField(_l("Preview for"))


AUDIENCE_CHOICES = [
    ("tag", _l("Contacts with a tag")),
    ("stage", _l("Contacts of opportunities at a stage")),
    ("contacts", _l("Contacts I pick")),
]


class CampaignForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    template_id = IdSelectField(_l("Template"), validators=[DataRequired(message=_l("Choose a template."))])
    sender_id = IdSelectField(
        _l("Sender"), validators=[DataRequired(message=_l("Choose a verified sender."))]
    )
    audience_type = SelectField(_l("Audience"), choices=AUDIENCE_CHOICES)
    tag_id = IdSelectField(_l("Tag"))
    stage_id = IdSelectField(_l("Stage"))
    contact_ids = SelectMultipleField(
        _l("Contacts"), coerce=int, validate_choice=True, description=_l("Ctrl/⌘-click to pick several.")
    )

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        kind = self.audience_type.data
        # Cross-field: the audience type says which of the other fields is required.
        if kind == "tag" and not self.tag_id.data:
            self.tag_id.errors = [*self.tag_id.errors, _l("Choose a tag.")]
            ok = False
        if kind == "stage" and not self.stage_id.data:
            self.stage_id.errors = [*self.stage_id.errors, _l("Choose a stage.")]
            ok = False
        if kind == "contacts" and not self.picked():
            self.contact_ids.errors = [*self.contact_ids.errors, _l("Pick at least one contact.")]
            ok = False
        return ok

    def picked(self) -> list[int]:
        return sorted(set(self.contact_ids.data or []))

    def audience(self) -> dict[str, Any]:
        kind = self.audience_type.data
        if kind == "tag":
            return {"type": "tag", "tag_id": self.tag_id.data}
        if kind == "stage":
            return {"type": "stage", "stage_id": self.stage_id.data}
        return {"type": "contacts", "ids": self.picked()}


class ScheduleForm(FlaskForm):
    send_at = DateTimeLocalField(_l("Send at"), validators=[Optional()], format="%Y-%m-%dT%H:%M")
