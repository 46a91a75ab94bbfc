"""The counts in the navigation of every page: open actions due by today, unread notifications.

Read in one query, and kept (crm/cache.py) until an action or a notification changes or the
user's day turns.
"""

from __future__ import annotations

from flask import g
from flask_login import current_user
from sqlalchemy import func, select

from crm import cache
from crm.extensions import db
from crm.models import Action, Notification, User


def _count(user: User) -> tuple[int, int]:
    from crm.agenda.routes import today_for

    due = select(func.count(Action.id)).where(
        Action.assignee_id == user.id, Action.closed_at.is_(None), Action.due_date <= today_for(user)
    )
    unread = select(func.count(Notification.id)).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)
    )
    row = db.session.execute(select(due.scalar_subquery(), unread.scalar_subquery())).one()
    return int(row[0] or 0), int(row[1] or 0)


def counts() -> tuple[int, int]:
    """(actions due, notifications unread) of the current user; (0, 0) when logged out."""
    if not current_user.is_authenticated:
        return 0, 0
    if "crm_badges" not in g:
        from crm.agenda.routes import today_for

        user = current_user._get_current_object()
        key = ("badges", user.id, today_for(user))
        g.crm_badges = cache.cached(key, ("actions", "notifications"), lambda: _count(user))
    return g.crm_badges  # type: ignore[no-any-return]
