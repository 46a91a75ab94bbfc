"""Error pages: every refusal and failure as a page (or a toast for HTMX), never a stack trace;
requests carrying a NUL refused before any query."""

from __future__ import annotations

from contextlib import suppress

from flask import Flask, Response, make_response, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from crm.extensions import htmx
from crm.responses import toast

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


def http_error(err: HTTPException) -> Response:
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


def database_down(err: Exception) -> Response:
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


def refuse_nul() -> None:
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


def init_app(app: Flask) -> None:
    app.before_request(refuse_nul)
    # Unhandled exceptions reach this handler too, as InternalServerError.
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(OperationalError, database_down)
