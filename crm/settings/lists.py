"""Settings > Action types and Settings > Tags: small lists edited inline."""

from __future__ import annotations

from flask import Blueprint, request
from flask_babel import gettext as _
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from crm.extensions import db
from crm.forms import optional_int
from crm.models import Action, ActionType, Tag, contact_tags, lead_tags, opportunity_tags
from crm.responses import refused, render, toast
from crm.security import protect
from crm.services import ServiceError
from crm.services import actions as action_service
from crm.services import tags as tag_service

bp = protect(Blueprint("settings_lists", __name__, url_prefix="/settings"), admin=True)


def _types(status: int = 200) -> Response:
    types = db.session.scalars(select(ActionType).order_by(ActionType.position, ActionType.name)).all()
    counts = dict(db.session.execute(select(Action.type_id, func.count()).group_by(Action.type_id)).all())
    return render("settings/action_types.html", block="list", types=types, counts=counts, status=status)


@bp.route("/action-types", methods=["GET", "POST"])
def action_types() -> Response:
    if request.method == "POST":
        try:
            action_type = action_service.add_type((request.form.get("name") or "")[:60])
        except ServiceError as err:
            return refused(str(err.message), err.status)
        return toast(_types(), _("Action type “%(name)s” added.", name=action_type.name))
    return _types()


@bp.post("/action-types/<int:type_id>")
def action_type(type_id: int) -> Response:
    action_type = db.get_or_404(ActionType, type_id)
    name = (request.form.get("name") or "").strip()[:60]
    try:
        if not name:
            raise ServiceError(_("An action type needs a name."), 422)
        action_service.rename_type(action_type, name)
        if "active" in request.form:
            action_service.set_type_active(action_type, request.form.get("active") == "1")
    except ServiceError as err:
        db.session.rollback()
        return refused(str(err.message), err.status)
    return toast(_types(), _("Saved."))


def _tags(status: int = 200) -> Response:
    tags = db.session.scalars(select(Tag).order_by(Tag.name)).all()
    counts: dict[int, int] = {}
    for table in (opportunity_tags, contact_tags, lead_tags):
        for tag_id, count in db.session.execute(
            select(table.c.tag_id, func.count()).group_by(table.c.tag_id)
        ).all():
            counts[tag_id] = counts.get(tag_id, 0) + count
    return render("settings/tags.html", block="list", tags=tags, counts=counts, status=status)


@bp.get("/tags")
def tags() -> Response:
    return _tags()


@bp.post("/tags/<int:tag_id>")
def tag(tag_id: int) -> Response:
    tag = db.get_or_404(Tag, tag_id)
    try:
        tag_service.update_tag(
            tag, name=(request.form.get("name") or "")[:60], color=request.form.get("color") or ""
        )
    except ServiceError as err:
        db.session.rollback()
        return refused(str(err.message), err.status)
    return toast(_tags(), _("Saved."), boardChanged=True)


@bp.post("/tags/<int:tag_id>/merge")
def merge(tag_id: int) -> Response:
    source = db.get_or_404(Tag, tag_id)
    target = db.session.get(Tag, optional_int(request.form.get("into")) or 0)
    if target is None:
        return refused(_("Choose the tag to merge into."), 422)
    name, into = source.name, target.name
    try:
        moved = tag_service.merge_tags(source, target)
    except ServiceError as err:
        return refused(str(err.message), err.status)
    return toast(
        _tags(),
        _("“%(name)s” merged into “%(into)s” (%(num)d records moved).", name=name, into=into, num=moved),
    )
