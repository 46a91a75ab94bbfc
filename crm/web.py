"""Web plumbing shared by every blueprint: HTMX responses, toasts, errors, template helpers."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import suppress
from decimal import Decimal
from functools import lru_cache
from typing import Any

from babel import Locale
from babel.numbers import NumberPattern, parse_pattern
from flask import Flask, Response, current_app, flash, make_response, render_template, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from jinja2_fragments.flask import render_block
from markupsafe import Markup, escape
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import IntegerConverter

from crm import chrome
from crm.extensions import htmx
from crm.facts import describe
from crm.labels import labels

ERROR_MESSAGES = {
    400: _l("The request could not be understood."),
    403: _l("You do not have access to this page."),
    404: _l("This page or record does not exist."),
    405: _l("This action is not allowed here."),
    413: _l("The upload is too large."),
    415: _l("This form only accepts form data."),
    500: _l("Something went wrong on our side. Nothing was saved; please try again."),
}
DATABASE_MESSAGE = _l("The database cannot be reached right now. Nothing was saved; try again in a moment.")
CSRF_MESSAGE = _l(
    "Your session expired or the form lacked its security token. Reload the page and try again."
)


def render(template: str, block: str | None = None, status: int = 200, **context: Any) -> Response:
    """Render a whole page, or just `block` of it for an HTMX request."""
    form = context.get("form")
    if status == 422 and getattr(form, "errors", None):  # say which fields refused, never their values
        current_app.logger.info("%s refused: %s", request.path, form.errors)
    if htmx and block and not htmx.history_restore_request:
        body = render_block(template, block, **context)
    else:
        body = render_template(template, **context)
    response = make_response(body, status)
    response.headers["Vary"] = "HX-Request"
    return response


def toast(response: Response, message: str, level: str = "success", **events: Any) -> Response:
    """Attach a toast (and optional client events) to a response via HX-Trigger."""
    payload = {"toast": {"message": str(message), "level": level}}
    payload.update(events)
    response.headers["HX-Trigger"] = json.dumps(payload)
    return response


def retarget(response: Response, selector: str, swap: str = "outerHTML") -> Response:
    """Swap this response somewhere else than the requesting element's target (HX-Retarget)."""
    response.headers["HX-Retarget"] = selector
    response.headers["HX-Reswap"] = swap
    return response


def hx_redirect(url: str) -> Response:
    response = make_response("", 204)
    response.headers["HX-Redirect"] = url
    return response


def done(url: str, message: str) -> Response:
    """After a successful change: HTMX gets HX-Redirect (never a 3xx), a plain form a redirect."""
    from flask import redirect

    flash(message, "success")
    return hx_redirect(url) if htmx else redirect(url)


def refused(message: str, status: int = 409) -> Response:
    """A change the service refused: a toast for HTMX, the message as a page otherwise."""
    if htmx:
        return toast(make_response("", status), message, "error")
    return make_response(render_template("errors/error.html", status=status, message=message), status)


def money(value: Decimal | int | float | None) -> str:
    """An amount in the company currency, without cents, laid out for the reader's language."""
    return money_formatter()(value)


def money_formatter() -> Callable[[Decimal | int | float | None], str]:
    """`money` bound to the current language: for pages that show hundreds of amounts."""
    from flask import current_app

    currency, locale_name = current_app.config["CURRENCY"], str(get_locale())
    layout = _money_layout(locale_name, currency)
    locale, pattern = _money_pattern(locale_name)

    def format_money(value: Decimal | int | float | None) -> str:
        amount = round(Decimal(value or 0))
        if layout is None or amount < 0:
            return pattern.apply(value or 0, locale, currency=currency, currency_digits=False)
        prefix, suffix, group = layout
        return f"{prefix}{amount:,}{suffix}".replace(",", group)

    return format_money


def money_exact(value: Decimal | int | float | None) -> str:
    """An amount with its cents (quotes, invoices), in the reader's language."""
    from flask import current_app
    from flask_babel import format_currency

    return format_currency(value or 0, current_app.config["CURRENCY"])


@lru_cache(maxsize=32)
def _money_layout(locale_name: str, currency: str) -> tuple[str, str, str] | None:
    """Babel's layout of a whole positive amount, as text around Python's own digit grouping
    (Babel's formatting costs ~0.1 ms an amount); None when the language groups digits otherwise."""
    locale, pattern = _money_pattern(locale_name)
    if pattern.grouping != (3, 3):
        return None
    prefix, one, suffix = pattern.apply(1, locale, currency=currency, currency_digits=False).partition("1")
    if not one or "," in prefix + suffix:
        return None
    return prefix, suffix, locale.number_symbols["latn"]["group"]


@lru_cache(maxsize=8)
def _money_pattern(locale_name: str) -> tuple[Locale, NumberPattern]:
    # Parsing the locale's pattern is most of Babel's cost: do it once per language.
    locale = Locale.parse(locale_name)
    pattern = locale.currency_formats["standard"].pattern.split(";")[0].replace(".00", "")
    return locale, parse_pattern(pattern)


def mentions(text: str) -> Markup:
    """A note's text, escaped, with @handles highlighted."""
    from crm.services.notes import MENTION

    return Markup(MENTION.sub(lambda m: f'<span class="mention">@{m.group(1)}</span>', str(escape(text))))


def plain_number(value: Decimal | None) -> str:
    """A decimal as people type it in a form field: 20, 1.5, 19.9 (never 2E+1 or 20.00)."""
    if value is None:
        return ""
    text = f"{Decimal(value).normalize():f}"
    return text


def percent(value: Decimal) -> str:
    """A rate for reading, in the reader's language: 20, 5,5."""
    from flask_babel import format_decimal

    return format_decimal(Decimal(value).normalize())


def isodatetime(value: str | None) -> str:
    """An ISO date-time stored as naive UTC (timelines), shown in the reader's time zone."""
    from datetime import datetime

    from flask_babel import format_datetime

    try:
        return format_datetime(datetime.fromisoformat(value or ""), "short")
    except (TypeError, ValueError):
        return value or ""


def isodate(value: str) -> str:
    from datetime import date

    from flask_babel import format_date

    try:
        return format_date(date.fromisoformat(value), "medium")
    except (TypeError, ValueError):
        return value


def _step_icon(kind: str) -> str:
    from automation.scenarios.steps import STEPS

    return STEPS[kind].icon if kind in STEPS else ""


def _step_label(step: Any) -> str:
    from automation.scenarios.steps import step_label

    return step_label(step) if step is not None else "?"


def _error(err: HTTPException) -> Response:
    if err.response is not None:  # a response made for this refusal (the login throttle's page)
        return err.response
    status = err.code or 500
    if status >= 500:
        from crm.extensions import db

        db.session.rollback()
    message = CSRF_MESSAGE if isinstance(err, CSRFError) else ERROR_MESSAGES.get(status, err.name)
    from flask.globals import request_ctx

    if request_ctx.url_adapter is None:  # the Host could not be routed (BadHost): no url_for at all
        return make_response(render_template("errors/bare.html", status=status, message=message), status)
    if htmx:
        return toast(make_response(str(message), status), str(message), "error")
    return make_response(render_template("errors/error.html", status=status, message=message), status)


def _database_down(err: Exception) -> Response:
    """The database is unreachable or locked: the transaction rolled back, so nothing was saved."""
    from flask import current_app, g
    from flask_babel import force_locale

    from crm.extensions import db
    from crm.i18n import select_locale

    # Nothing below may touch the database again: take the language from what is already loaded,
    # and render the page as for a visitor (no menu counters to query).
    user = g.get("_login_user")
    locale = vars(user).get("locale") if user is not None else None  # loaded values only, no query
    g._login_user = current_app.login_manager.anonymous_user()
    with suppress(Exception):
        db.session.rollback()
    with force_locale(locale or select_locale() or "en"):
        message = str(DATABASE_MESSAGE)
        if htmx:
            return toast(make_response(message, 503), message, "error")
        return make_response(render_template("errors/error.html", status=503, message=message), 503)


class IdConverter(IntegerConverter):
    """<int:…> in URLs: a number too large for a database integer is not found (404)."""

    def to_python(self, value: str) -> int:
        from crm.forms import MAX_INT

        # NotFound, not werkzeug's ValidationError: the matcher checks a same-path rule's method
        # before converting, so a POST to a page that also has a GET rule answered 405 instead.
        # The length first: int() refuses strings of more than 4,300 digits (ValueError).
        if len(value) > len(str(MAX_INT)) or int(value) > MAX_INT:
            raise NotFound()
        return super().to_python(value)


def _refuse_nul() -> None:
    """A NUL character in the URL or a form: refused (400) before any query. PostgreSQL text cannot
    hold one, and no one types it."""
    from flask import abort

    values = [
        *(request.view_args or {}).values(),
        *(x for pair in request.args.items(multi=True) for x in pair),
    ]
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        values += [x for pair in request.form.items(multi=True) for x in pair]
        values += [x for name, file in request.files.items(multi=True) for x in (name, file.filename)]
    if any("\x00" in v for v in values if isinstance(v, str)):
        abort(400)


# Scripts only from our files (no inline script, no eval: htmx filters and hx-on are not used);
# inline style attributes allowed; images from us and data: URIs only, so mail previews load
# nothing remote. The pages that show delivered mail send a stricter one (crm/mailview.py).
APP_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:;"
    " font-src 'self'; connect-src 'self'; frame-src 'self'; object-src 'none'; base-uri 'self';"
    " form-action 'self'; frame-ancestors 'none'"
)


def init_app(app: Flask) -> None:
    from crm.mailview import viewer_html

    app.url_map.converters["int"] = IdConverter  # before the blueprints add their rules
    app.before_request(_refuse_nul)
    # Unhandled exceptions reach this handler too, as InternalServerError.
    app.register_error_handler(HTTPException, _error)
    app.register_error_handler(OperationalError, _database_down)
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["money_exact"] = money_exact
    app.jinja_env.filters["mentions"] = mentions
    app.jinja_env.globals["topbar"] = chrome.topbar
    app.jinja_env.filters["isodate"] = isodate
    app.jinja_env.filters["isodatetime"] = isodatetime
    app.jinja_env.globals["steps_icon"] = _step_icon
    app.jinja_env.globals["step_label"] = _step_label
    app.jinja_env.filters["describe"] = describe
    app.jinja_env.filters["plain_number"] = plain_number
    app.jinja_env.filters["mail_view"] = viewer_html
    app.jinja_env.filters["percent"] = percent
    app.jinja_env.globals["labels"] = labels
    app.jinja_env.globals["current_locale"] = lambda: str(get_locale())
    app.jinja_env.add_extension("jinja2.ext.do")

    @app.context_processor
    def _globals() -> dict[str, Any]:
        # Macros as a global, not imported per template: a block rendered alone for HTMX
        # (jinja2-fragments) does not run the template's top-level imports.
        return {"ui": app.jinja_env.get_template("_macros.html").module, "current_user": current_user}

    @app.after_request
    def _security_headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Content-Security-Policy", APP_CSP)
        if request.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "public, max-age=3600")
        elif current_user.is_authenticated:
            # Nothing a signed-in user saw stays in a browser's cache for the next one.
            response.headers["Cache-Control"] = "no-store"
        return response
