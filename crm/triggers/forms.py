"""Forms of the trigger editor: the event and its parameters, and one form per effect kind."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField, TimeField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from automation.triggers.events import EVENTS
from crm.forms import IdSelectField
from crm.marketing.forms import known_shortcodes


class TriggerForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[Optional(), Length(max=200)],
        description=_l("Shown on the feed, e.g. “Won → admin task”. Empty: the sentence."),
    )
    event = SelectField(_l("When"), choices=list(EVENTS.items()))
    result = SelectField(
        _l("Result"),
        choices=[("won", _l("won")), ("lost", _l("lost")), ("dormant", _l("dormant"))],
        default="won",
    )
    stage_id = IdSelectField(_l("Stage"))
    from_stage_id = IdSelectField(_l("From stage"))
    to_stage_id = IdSelectField(_l("To stage"))
    type_id = IdSelectField(_l("Action type"))

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        needs = {
            "enter_stage": [self.stage_id],
            "stage_change": [self.from_stage_id, self.to_stage_id],
            "action_created": [self.type_id],
            "action_closed": [self.type_id],
        }.get(self.event.data, [])
        for field in needs:
            if not field.data:
                field.errors = [*field.errors, _l("Choose one.")]
                ok = False
        if (
            self.event.data == "stage_change"
            and self.from_stage_id.data
            and self.from_stage_id.data == self.to_stage_id.data
        ):
            self.to_stage_id.errors = [*self.to_stage_id.errors, _l("Choose two different stages.")]
            ok = False
        return ok

    def params(self) -> dict[str, Any]:
        kind = self.event.data
        if kind == "result":
            return {"result": self.result.data}
        if kind == "enter_stage":
            return {"stage_id": self.stage_id.data}
        if kind == "stage_change":
            return {"from_stage_id": self.from_stage_id.data, "to_stage_id": self.to_stage_id.data}
        if kind in ("action_created", "action_closed"):
            return {"type_id": self.type_id.data}
        return {}


class CreateActionForm(FlaskForm):
    type_id = IdSelectField(_l("Type"), validators=[DataRequired(message=_l("Choose a type."))])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200), known_shortcodes])
    description = TextAreaField(
        _l("Description"), validators=[Optional(), Length(max=5000), known_shortcodes], render_kw={"rows": 2}
    )
    assignee = SelectField(
        _l("Assigned to"),
        choices=[
            ("owner", _l("the opportunity’s rep")),
            ("user", _l("this user")),
            ("round_robin", _l("each of these users in turn")),
        ],
    )
    user_ids = SelectMultipleField(_l("Users"), coerce=int)
    due_days = IntegerField(
        _l("Due N days after the event"),
        default=0,
        validators=[NumberRange(min=0, max=365)],
        description=_l("0 = the same day."),
    )
    due_time = TimeField(_l("At"), validators=[Optional()])

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        if self.assignee.data in ("user", "round_robin") and not self.user_ids.data:
            self.user_ids.errors = [*self.user_ids.errors, _l("Choose at least one user.")]
            ok = False
        return ok


class PostNoteForm(FlaskForm):
    text = TextAreaField(
        _l("Text"),
        validators=[DataRequired(), Length(max=2000), known_shortcodes],
        render_kw={"rows": 2},
        description=_l("Shortcodes work; @alice notifies Alice."),
    )
    mention_id = IdSelectField(_l("Notify"))


class ScenarioEffectForm(FlaskForm):
    scenario_id = IdSelectField(_l("Scenario"), validators=[DataRequired(message=_l("Choose a scenario."))])


class SendEmailForm(FlaskForm):
    template_id = IdSelectField(
        _l("Email template"), validators=[DataRequired(message=_l("Choose a template."))]
    )
    sender_id = IdSelectField(
        _l("From"), validators=[DataRequired(message=_l("Choose a verified sender address."))]
    )
    recipients = StringField(
        _l("To"),
        validators=[DataRequired(), Length(max=1000)],
        default="[[!AssignedToId]]",
        description=_l(
            "Comma-separated: [[!AssignedToId]] (the rep), [[!ContactEmail]] (the contact), or addresses."
        ),
    )


class AddTagForm(FlaskForm):
    tag = StringField(_l("Tag"), validators=[DataRequired(), Length(max=60)])


class CampaignEffectForm(FlaskForm):
    template_id = IdSelectField(
        _l("Email template"), validators=[DataRequired(message=_l("Choose a template."))]
    )
    sender_id = IdSelectField(
        _l("From"), validators=[DataRequired(message=_l("Choose a verified sender address."))]
    )
    audience = SelectField(
        _l("To"),
        choices=[
            ("contact", _l("the opportunity’s contact")),
            ("account", _l("every contact of the opportunity’s account")),
        ],
    )
    mode = SelectField(
        _l("Then"), choices=[("draft", _l("keep it as a draft")), ("send", _l("send it at once"))]
    )


# Each effect kind's form (the kinds themselves, and what they do, are in automation/triggers/effects.py).
EFFECT_FORMS: dict[str, type[FlaskForm]] = {
    "create_action": CreateActionForm,
    "post_note": PostNoteForm,
    "enroll": ScenarioEffectForm,
    "unenroll": ScenarioEffectForm,
    "send_email": SendEmailForm,
    "add_tag": AddTagForm,
    "create_campaign": CampaignEffectForm,
}
