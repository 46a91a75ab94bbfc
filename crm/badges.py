"""The counts in the navigation of every page: open actions due by today, unread notifications.

Read in one query, and kept (crm/cache.py) until an action or a notification changes or the
user's day turns.
"""

from __future__ import annotations

from flask import g
from flask_login import current_user
from sqlalchemy import select

from crm import cache
from crm.extensions import db
from crm.models import User


def _count(user: User) -> tuple[int, int]:
    from crm.services.actions import due_count_query
    from crm.services.notes import unread_count_query

    due, unread = due_count_query(user).scalar_subquery(), unread_count_query(user).scalar_subquery()
    row = db.session.execute(select(due, unread)).one()
    return int(row[0] or 0), int(row[1] or 0)


def counts() -> tuple[int, int]:
    """(actions due, notifications unread) of the current user; (0, 0) when logged out."""
    if not current_user.is_authenticated:
        return 0, 0
    if "crm_badges" not in g:
        from crm.services.actions import today_for

        user = current_user._get_current_object()
        key = ("badges", user.id, today_for(user))
        g.crm_badges = cache.cached(key, ("actions", "notifications"), lambda: _count(user))
    return g.crm_badges  # type: ignore[no-any-return]
