"""The one place that cleans user-written HTML (signatures now, templates later)."""

from __future__ import annotations

import nh3

# ammonia's defaults already drop <script>, event handlers and javascript: URLs;
# we add inline styles (mail signatures rely on them), filtered to safe properties.
_STYLE_PROPS = {
    "color",
    "background-color",
    "font-size",
    "font-weight",
    "font-style",
    "font-family",
    "text-align",
    "text-decoration",
    "margin",
    "padding",
    "border",
    "width",
    "height",
    "line-height",
    "vertical-align",
}
_ATTRS = {"*": {"style", "title"}, "a": {"href", "title"}, "img": {"src", "alt", "width", "height"}}


def sanitize_html(html: str) -> str:
    """Safe HTML for mail and for display: no script, handlers, javascript: URLs or hx-* attributes."""
    return nh3.clean(
        html or "",
        attributes=_ATTRS,
        filter_style_properties=_STYLE_PROPS,
        url_schemes={"http", "https", "mailto", "tel", "cid"},
        link_rel="noopener noreferrer",
    )
