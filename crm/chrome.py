"""The top bar of every page (navigation, badges, language, user box).

It depends on little: the user's name and role, the language, which section is open and the two
badge counts. It is rendered once per combination and kept; the CSRF token and the current path,
which change per request, are put in afterwards.
"""

from __future__ import annotations

from functools import lru_cache

from flask import render_template, request
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from crm import badges

CSRF = "\x00csrf\x00"  # NUL never reaches a page from input (crm.web refuses it)
NEXT = "\x00next\x00"
SECTIONS = (
    ("boards", ("board.", "opportunities.")),
    ("agenda", ("agenda.",)),
    ("marketing", ("templates.", "campaigns.", "scenarios.", "scenario_runs.")),
    (
        "settings",
        (
            "pipelines.",
            "users.",
            "senders.",
            "maillog.",
            "mailbox.",
            "settings_lists.",
            "triggers.",
            "trigger_runs.",
        ),
    ),
)
RECORD_KINDS = ("accounts", "contacts", "leads")


def section() -> str:
    """Which entry of the navigation this page belongs to ("" for none)."""
    endpoint = request.endpoint or ""
    for name, prefixes in SECTIONS:
        if endpoint.startswith(prefixes):
            return name
    kind = (request.view_args or {}).get("kind")
    return kind if kind in RECORD_KINDS else ""


@lru_cache(maxsize=2048)
def _render(
    user_name: str, initials: str, is_admin: bool, locale: str, section: str, due: int, unread: int, root: str
) -> str:
    # `locale` and `root` (the script root, for url_for) are part of the key, not read here.
    return render_template(
        "_topbar.html",
        user_name=user_name,
        initials=initials,
        is_admin=is_admin,
        section=section,
        due=due,
        unread=unread,
        csrf=CSRF,
        next_path=NEXT,
    )


def topbar() -> Markup:
    due, unread = badges.counts()
    user = current_user
    html = _render(
        user.name,
        user.initials,
        user.is_admin,
        str(get_locale()),
        section(),
        due,
        unread,
        request.script_root,
    )
    return Markup(html.replace(CSRF, generate_csrf()).replace(NEXT, str(escape(request.full_path))))
