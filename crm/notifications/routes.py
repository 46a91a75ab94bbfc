"""The bell: unread @mentions, polled by HTMX; opening one marks it read."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from crm.extensions import db
from crm.models import Notification, utcnow
from crm.pages import fragment_or_page, fragment_or_redirect
from crm.responses import render
from crm.security import protect
from crm.services.access import can_see, notification_visible
from crm.services.notes import unread_count

bp = protect(Blueprint("notifications", __name__, url_prefix="/notifications"))


@bp.get("/bell")
def bell() -> Response:
    if page := fragment_or_redirect(url_for("notifications.index")):  # the top bar's counter, polled
        return page
    return render("notifications/_bell.html", unread=unread_count(current_user))


@bp.get("/")
def index() -> Response:
    items = db.session.scalars(
        select(Notification)
        .where(Notification.user_id == current_user.id, notification_visible(current_user))
        .options(
            selectinload(Notification.opportunity),
            selectinload(Notification.author),
            selectinload(Notification.feed_entry),
        )
        .order_by(Notification.read_at.is_not(None), Notification.created_at.desc())
        .limit(30)
    ).all()
    # The top bar's menu; opened on its own, a page of its own.
    title = str(_l("Notifications"))
    return fragment_or_page(
        "notifications/_list.html",
        title=title,
        back_url=url_for("board.home"),
        back_label=str(_l("Board")),
        items=items,
    )


@bp.get("/<int:notification_id>")
def open_one(notification_id: int) -> Response:
    item = db.get_or_404(Notification, notification_id)
    if item.user_id != current_user.id or not can_see(current_user, item.opportunity.pipeline):
        abort(404)
    if item.read_at is None:
        item.read_at = utcnow()
        db.session.commit()
    return redirect(url_for("opportunities.show", opportunity_id=item.opportunity_id) + "#opp-feed")


@bp.post("/read")
def read_all() -> Response:
    db.session.execute(
        update(Notification)
        .where(Notification.user_id == current_user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    db.session.commit()
    return render("notifications/_bell.html", unread=0)
