"""Each user's agenda: overdue, today, upcoming, and a week view with its load per day."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from flask import Blueprint, abort, request, url_for
from flask_babel import format_date
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from crm.charts import Bar, columns
from crm.extensions import db
from crm.forms import optional_int
from crm.models import Action, User
from crm.pages import fragment_or_redirect
from crm.responses import render
from crm.security import protect
from crm.services.actions import due_count_query, today_for

bp = protect(Blueprint("agenda", __name__, url_prefix="/agenda"))
UPCOMING_DAYS = 14


def due_count(user: User) -> int:
    return db.session.scalar(due_count_query(user)) or 0


def _person() -> User:
    user_id = optional_int(request.args.get("user"))
    if user_id is None or user_id == current_user.id:
        return current_user
    if not current_user.is_admin:
        abort(403)
    return db.get_or_404(User, user_id)


def _week_start(value: str | None, today: date) -> date:
    try:
        day = date.fromisoformat(value) if value else today
    except ValueError:
        day = today
    start = day - timedelta(days=day.weekday())
    # The page links to the weeks before and after: both must exist in the calendar.
    if not date.min + timedelta(days=7) <= start <= date.max - timedelta(days=7):
        return today - timedelta(days=today.weekday())
    return start


@bp.get("/badge")
def badge() -> Response:
    if page := fragment_or_redirect(url_for("agenda.show")):  # the top bar's counter, polled
        return page
    return render("agenda/_badge.html", due=due_count(current_user))


@bp.get("/")
def show() -> Response:
    person = _person()
    today = today_for(person)
    week = _week_start(request.args.get("week"), today)
    options = (selectinload(Action.type), selectinload(Action.opportunity), selectinload(Action.assignee))
    open_actions = db.session.scalars(
        select(Action)
        .where(
            Action.assignee_id == person.id,
            Action.closed_at.is_(None),
            Action.due_date <= today + timedelta(days=UPCOMING_DAYS),
        )
        .options(*options)
        .order_by(Action.due_date, Action.due_time, Action.id)
    ).all()
    sections = {
        "overdue": [a for a in open_actions if a.due_date < today],
        "today": [a for a in open_actions if a.due_date == today],
        "upcoming": [a for a in open_actions if a.due_date > today],
    }
    in_week = db.session.scalars(
        select(Action)
        .where(
            Action.assignee_id == person.id,
            Action.due_date >= week,
            Action.due_date < week + timedelta(days=7),
        )
        .options(*options)
        .order_by(Action.due_time, Action.id)
    ).all()
    days: dict[date, list[Action]] = defaultdict(list)
    for action in in_week:
        days[action.due_date].append(action)
    week_days = [week + timedelta(days=i) for i in range(7)]
    load = columns(
        width=760,
        height=110,
        bars=[
            Bar(
                format_date(d, "EEE d"),
                len(days[d]),
                str(len(days[d])) if days[d] else "",
                title=f"{format_date(d, 'full')}: {len(days[d])}",
            )
            for d in week_days
        ],
    )
    users = (
        db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.name)).all()
        if current_user.is_admin
        else []
    )
    return render(
        "agenda/show.html",
        block=request.args.get("block") if request.args.get("block") in ("lists", "week") else None,
        person=person,
        today=today,
        sections=sections,
        week=week,
        week_days=week_days,
        days=days,
        load=load,
        users=users,
        prev_week=week - timedelta(days=7),
        next_week=week + timedelta(days=7),
    )
