"""The app's web wiring: URL converters, error pages, template filters and globals, security
headers. Responses live in crm/responses.py, formatting in crm/formatting.py."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, request
from flask_babel import get_locale
from flask_login import current_user
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

from crm import chrome, errors
from crm.facts import describe
from crm.formatting import ago, due, isodate, isodatetime, mentions, money, money_exact, percent, plain_number
from crm.labels import labels


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
    errors.init_app(app)
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["money_exact"] = money_exact
    app.jinja_env.filters["mentions"] = mentions
    app.jinja_env.globals["topbar"] = chrome.topbar
    app.jinja_env.filters["isodate"] = isodate
    app.jinja_env.filters["isodatetime"] = isodatetime
    app.jinja_env.filters["plain_number"] = plain_number
    app.jinja_env.filters["mail_view"] = viewer_html
    app.jinja_env.filters["describe"] = describe  # stored facts told in the reader's language
    app.jinja_env.filters["percent"] = percent
    app.jinja_env.filters["ago"] = ago  # relative, the exact date and time on hover
    app.jinja_env.filters["due"] = due
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
            from crm.health import static_cache_control

            static_cache_control(response)  # over Flask's `no-cache`; never `no-store`
        elif current_user.is_authenticated:
            # Nothing a signed-in user saw stays in a browser's cache for the next one.
            response.headers["Cache-Control"] = "no-store"
        return response
