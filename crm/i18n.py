"""Locale and time zone of the person looking at the page."""

from __future__ import annotations

from flask import current_app, has_request_context, request, session
from flask_login import current_user


def select_locale() -> str | None:
    """The user's saved preference, else what they picked on the login page, else the browser's."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands and worker jobs
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    if session.get("locale") in languages:
        return session["locale"]
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def company_timezone() -> str:
    """The company's time zone (COMPANY_TIMEZONE): new users start with it, and it is the clock of
    pages, mails and scenarios for anyone without a time zone of their own."""
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def select_timezone() -> str | None:
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user.timezone
    return None
