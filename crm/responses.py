"""HTMX-aware responses: a page or one block of it, toasts, redirects HTMX can follow, refusals.

Headers through flask-htmx's own `make_response` (HX-Trigger, HX-Redirect, HX-Retarget…)."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, flash, redirect, render_template, request
from flask import make_response as flask_response
from flask_htmx import make_response as htmx_response
from jinja2_fragments.flask import render_block

from crm.extensions import htmx


def render(template: str, block: str | None = None, status: int = 200, **context: Any) -> Response:
    """Render a whole page, or just `block` of it for an HTMX request."""
    form = context.get("form")
    if status == 422 and getattr(form, "errors", None):  # say which fields refused, never their values
        current_app.logger.info("%s refused: %s", request.path, form.errors)
    if htmx and block and not htmx.history_restore_request:
        body = render_block(template, block, **context)
    else:
        body = render_template(template, **context)
    response = flask_response(body, status)
    response.headers["Vary"] = "HX-Request"
    return response


def toast(
    response: Response,
    message: str,
    level: str = "success",
    *,
    action: dict[str, Any] | None = None,
    **events: Any,
) -> Response:
    """Attach a toast (and optional client events) to a response via HX-Trigger. `action`:
    a button on the toast, {label, url, values}, that posts `values` to `url` (CSRF included)."""
    note: dict[str, Any] = {"message": str(message), "level": level}
    if action:
        note["action"] = action
    trigger = {"toast": note, **events}
    return htmx_response(response, trigger=trigger)


def retarget(response: Response, selector: str, swap: str = "outerHTML") -> Response:
    """Swap this response somewhere else than the requesting element's target (HX-Retarget)."""
    return htmx_response(response, retarget=selector, reswap=swap)


def hx_redirect(url: str) -> Response:
    return htmx_response("", 204, redirect=url)


def done(url: str, message: str) -> Response:
    """After a successful change: HTMX gets HX-Redirect (never a 3xx), a plain form a redirect."""
    flash(message, "success")
    return hx_redirect(url) if htmx else redirect(url)


def refused(message: str, status: int = 409) -> Response:
    """A change the service refused: a toast for HTMX, the message as a page otherwise."""
    if htmx:
        return toast(flask_response("", status), message, "error")
    return flask_response(render_template("errors/error.html", status=status, message=message), status)
