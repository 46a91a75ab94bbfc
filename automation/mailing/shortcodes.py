"""Merge fields such as [[!AssignedToId]], resolved by plain substitution — never by evaluating
user-written templates (a `{{ ... }}` in a template is sent as the text it is)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

PATTERN = re.compile(r"\[\[!?([A-Za-z]+)\]\]")
UNSUBSCRIBE = "UnsubscribeLink"


@dataclass(frozen=True)
class Shortcode:
    name: str
    help: LazyString
    html: bool = False  # the value is already HTML (signature): not escaped in HTML bodies


SHORTCODES = {
    s.name: s
    for s in (
        Shortcode("AssignedToId", _l("email of the rep assigned to the opportunity or contact")),
        Shortcode("ContactFirstName", _l("first name of the contact or lead")),
        Shortcode("ContactLastName", _l("last name of the contact or lead")),
        Shortcode("ContactEmail", _l("email of the contact or lead")),
        Shortcode("AccountName", _l("name of the account")),
        Shortcode("OpportunityName", _l("name of the opportunity")),
        Shortcode("OpportunityAmount", _l("amount of the opportunity")),
        Shortcode("RepName", _l("name of the assigned rep")),
        Shortcode("RepSignature", _l("email signature of the assigned rep"), html=True),
        Shortcode(UNSUBSCRIBE, _l("link that unsubscribes the recipient in one click")),
    )
}


# Who a shortcode standing alone in a recipients list is, in a sentence (never the raw code).
RECIPIENT_LABELS = {
    "AssignedToId": _l("the assigned rep"),
    "ContactEmail": _l("the contact"),
}


def describe_recipients(text: str) -> str:
    """A recipients list as people read it: "the assigned rep, the contact, boss@example.com"."""
    parts = []
    for item in (text or "").split(","):
        item = item.strip()
        if not item:
            continue
        match = PATTERN.fullmatch(item)
        label = RECIPIENT_LABELS.get(match.group(1)) if match else None
        parts.append(str(label) if label is not None else item)
    return ", ".join(parts)


def tag(name: str) -> str:
    return f"[[!{name}]]"


def unknown(text: str) -> list[str]:
    """Shortcodes in `text` that do not exist, as written."""
    return sorted({m.group(0) for m in PATTERN.finditer(text or "") if m.group(1) not in SHORTCODES})


def substitute(text: str, values: dict[str, str], *, html: bool = False) -> str:
    """Replace known shortcodes with `values` (escaped for HTML bodies); others stay as written."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            return match.group(0)
        value = values[name] or ""
        if not html:
            return _plain(value) if SHORTCODES[name].html else value
        return value if SHORTCODES[name].html else escape(value)

    return PATTERN.sub(replace, text or "")


def substitute_html(html: str, values: dict[str, str]) -> str:
    """`substitute` for an HTML body, cleaned again afterwards: escaping a value does not make it safe
    inside an attribute (href="[[!ContactFirstName]]" with a first name `javascript:…`)."""
    from crm.html import sanitize_html

    return sanitize_html(substitute(html, values, html=True))


def _plain(html_value: str) -> str:
    from inscriptis import get_text

    return get_text(html_value).strip()
