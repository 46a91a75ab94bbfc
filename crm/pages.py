"""Fragments are never pages: what HTMX swaps into a page, opened on its own (a new tab, a
bookmark, no JavaScript), comes inside the page that hosts it, or redirects there."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template
from markupsafe import Markup
from werkzeug.wrappers import Response

from crm.extensions import htmx
from crm.responses import render


def fragment_or_page(
    template: str,
    *,
    title: str,
    back_url: str,
    back_label: str,
    list_item: bool = False,
    status: int = 200,
    **context: Any,
) -> Response:
    """`template` alone for HTMX; otherwise inside the layout, titled, with a link back to the page
    that hosts it (for fragments whose host is several pages, or built lazily). `list_item`: the
    fragment is an `<li>` of an actions list."""
    if htmx:
        return render(template, status=status, **context)
    return render(
        "fragment_page.html",
        status=status,
        fragment=template,
        page_title=title,
        back_url=back_url,
        back_label=back_label,
        list_item=list_item,
        **context,
    )


def dialog_html(template: str, **context: Any) -> Markup:
    """A dialog rendered to put into a host page's #modal, open on load (base.html's `modal`)."""
    return Markup(render_template(template, **context))


def fragment_or_redirect(url: str) -> Response | None:
    """None for HTMX (the view renders its fragment); otherwise a redirect to the hosting page."""
    return None if htmx else redirect(url)
