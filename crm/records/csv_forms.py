"""The forms of a CSV import: the upload, and the Confirm of a file already checked."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import HiddenField
from wtforms.validators import DataRequired


class ImportForm(FlaskForm):
    file = FileField(
        _l("CSV file"),
        validators=[
            FileRequired(_l("Choose a CSV file.")),
            FileAllowed(["csv", "txt"], _l("Choose a .csv file (comma- or semicolon-separated, UTF-8).")),
        ],
    )


class ConfirmForm(FlaskForm):
    token = HiddenField(validators=[DataRequired()])
