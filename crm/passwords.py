"""Password policy for passwords people choose: long enough, and not easy to guess.

zxcvbn (Dropbox's estimator) scores a password 0–4 against dictionaries of common passwords,
names, words, keyboard walks, dates and the user's own email and name; below 3 it is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import gettext as _
from wtforms.validators import ValidationError
from zxcvbn import zxcvbn

MIN_LENGTH = 10
MIN_SCORE = 3


def password_problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """Why `password` is refused, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return _("Use at least %(num)d characters.", num=MIN_LENGTH)
    hints = [w[:72] for w in (email, email.split("@")[0], *name.split()[:10], "salesloop") if w]
    if zxcvbn(password[:72], user_inputs=hints)["score"] < MIN_SCORE:  # it reads 72 characters at most
        return _(
            "This password is too easy to guess (a common password, a name, a date or a pattern):"
            " a few unrelated words make a strong one."
        )
    return None


class StrongPassword:
    """WTForms validator: the form's email and name fields count as easy guesses (or what
    `person(form)` answers: an (email, name) pair, for a form without an email field)."""

    def __init__(self, person: Callable[[Any], tuple[str, str]] | None = None) -> None:
        self.person = person

    def __call__(self, form: Any, field: Any) -> None:
        if not field.data:
            return
        if self.person is not None:
            email, name = self.person(form)
        else:
            email = str(getattr(getattr(form, "email", None), "data", "") or "")
            name = str(getattr(getattr(form, "name", None), "data", "") or "")
        problem = password_problem(field.data, email=email, name=name)
        if problem:
            raise ValidationError(problem)
