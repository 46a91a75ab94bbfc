from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from crm.forms import IdSelectField, NumberField, OwnerField
from crm.models import CLOSED_RESULTS


class OpportunityForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    amount = NumberField(
        _l("Amount"),
        places=2,
        validators=[
            Optional(),
            NumberRange(min=0, max=9_999_999_999, message=_l("Enter an amount between 0 and 9,999,999,999.")),
        ],
    )
    account_id = IdSelectField(_l("Account"))
    contact_id = IdSelectField(_l("Contact"))
    owner_id = OwnerField()
    expected_close = DateField(_l("Expected close"), validators=[Optional()])
    tags = StringField(
        _l("Tags"), validators=[Optional(), Length(max=500)], description=_l("Comma-separated")
    )


class NewOpportunityForm(OpportunityForm):
    stage_id = HiddenField(validators=[InputRequired()])


class MoveForm(FlaskForm):
    stage_id = HiddenField(validators=[InputRequired()])
    from_stage_id = HiddenField()
    undo = HiddenField(validators=[Optional(), Length(max=500)])


class ResultForm(FlaskForm):
    result = SelectField(
        _l("Result"),
        choices=[("won", _l("Won")), ("lost", _l("Lost")), ("dormant", _l("Dormant")), ("open", _l("Open"))],
        validators=[InputRequired()],
    )
    reason = TextAreaField(_l("Reason (optional)"), validators=[Optional(), Length(max=500)])


CLOSED = CLOSED_RESULTS


def tag_list(raw: str | None) -> list[str]:
    return [t.strip() for t in (raw or "").split(",") if t.strip()]
