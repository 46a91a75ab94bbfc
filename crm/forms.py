"""Form pieces shared by several blueprints."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import DecimalField, SelectField
from wtforms.validators import Optional, ValidationError

from crm.extensions import db
from crm.models import User


def user_choices(blank: str | None = None) -> list[tuple[Any, str]]:
    users = db.session.execute(
        select(User.id, User.name).where(User.active.is_(True)).order_by(User.name)
    ).all()
    choices: list[tuple[Any, str]] = [(u.id, u.name) for u in users]
    if blank is not None:
        choices.insert(0, ("", blank))
    return choices


# The largest id a table holds: the id columns are INTEGER, 32 bits on PostgreSQL. Beyond it no
# record can exist, and PostgreSQL refuses even to compare with it (integer out of range).
MAX_INT = 2**31 - 1


def optional_int(value: Any) -> int | None:
    """An integer from a form or a query string; None when absent, not a number, or out of range."""
    if value in (None, "", "None"):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if -MAX_INT <= number <= MAX_INT else None


MAX_PAGE = 1_000_000  # past any real list; keeps LIMIT/OFFSET within a database integer


def page_number() -> int:
    """?page= for db.paginate: 1 when absent or not a number, at most MAX_PAGE."""
    from flask import request

    return min(max(optional_int(request.args.get("page")) or 1, 1), MAX_PAGE)


class IdSelectField(SelectField):
    """A select of record ids where "nothing" is allowed; unknown ids are refused."""

    def __init__(self, label: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("validators", [Optional()])
        super().__init__(label, coerce=optional_int, **kwargs)

    def pre_validate(self, form: Any) -> None:
        typed = self.raw_data[0] if self.raw_data else None
        if self.data is None and typed not in (None, "", "None"):  # "abc", or too large for an id
            raise ValidationError(self.gettext("Not a valid choice."))
        if self.data is not None and self.data not in {c[0] for c in self.choices if c[0] != ""}:
            raise ValidationError(self.gettext("Not a valid choice."))


class OwnerField(IdSelectField):
    """The assigned rep: any active user, or nobody."""

    def __init__(self, label: Any = None, **kwargs: Any) -> None:
        super().__init__(label or _l("Assigned rep"), **kwargs)


class NumberField(DecimalField):
    """A decimal that is a number: "NaN", "sNaN" and "Infinity" are refused like any other text
    (WTForms parses them, and a signalling NaN then breaks NumberRange)."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        if self.data is not None and not self.data.is_finite():
            self.data = None
            raise ValueError(self.gettext("Not a valid decimal value."))
