from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, StringField, TextAreaField, TimeField
from wtforms.validators import DataRequired, Length, Optional

from crm.forms import IdSelectField


class ActionForm(FlaskForm):
    # DataRequired: "None" (or nothing) is posted text, but no type.
    type_id = IdSelectField(_l("Type"), validators=[DataRequired(message=_l("Choose a type."))])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    assignee_id = IdSelectField(
        _l("Assigned to"), validators=[DataRequired(message=_l("Choose who does it."))]
    )
    due_date = DateField(_l("Due"), validators=[DataRequired(message=_l("Enter a date."))])
    due_time = TimeField(_l("At"), validators=[Optional()])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=5000)], render_kw={"rows": 2})
    opportunity_id = HiddenField()
    contact_id = HiddenField()  # from a contact's or an account's page
    account_id = HiddenField()


class NoteForm(FlaskForm):
    text = TextAreaField(
        _l("Note"),
        validators=[DataRequired(message=_l("Write something first.")), Length(max=5000)],
        render_kw={"rows": 2, "placeholder": _l("Write a note… @alice notifies Alice")},
    )
