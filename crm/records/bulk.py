"""Bulk actions on the rows ticked in a record list: assign to a rep, add a tag, enter a scenario.

All or nothing: an unknown id, an unknown rep or scenario refuses the whole request with a
message and changes nothing. A constant number of queries, whatever the selection."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from automation.scenarios.bulk import enroll_many
from crm.extensions import db, htmx
from crm.forms import optional_int
from crm.models import Scenario, User
from crm.records.kinds import KINDS
from crm.records.lists import parse
from crm.records.routes import KIND, listing_page
from crm.responses import refused, toast
from crm.security import protect
from crm.services import ServiceError
from crm.services.records import LINKS, assign_records, tag_records

bp = protect(Blueprint("bulk", __name__))
MAX_SELECTED = 500


class Refusal(Exception):
    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.message, self.status = message, status


def _ids() -> list[int]:
    raw = request.form.getlist("ids")
    if not raw:
        raise Refusal(_("Tick at least one row first."))
    if len(raw) > MAX_SELECTED:
        raise Refusal(_("Select at most %(num)d rows at a time.", num=MAX_SELECTED))
    ids = [optional_int(value) for value in raw]
    if any(i is None or i <= 0 for i in ids):
        raise Refusal(_("The selection is not valid: nothing was changed."))
    return list(dict.fromkeys(i for i in ids if i is not None))


def _owner() -> User:
    owner = db.session.get(User, optional_int(request.form.get("owner_id")) or 0)
    if owner is None or not owner.active:
        raise Refusal(_("Choose the rep to assign them to."))
    return owner


def _scenario() -> Scenario:
    """Reps choose among active scenarios only (drafts stay unseen), like on a person's page."""
    scenario = db.session.get(Scenario, optional_int(request.form.get("scenario_id")) or 0)
    if scenario is None or not scenario.active:
        raise Refusal(_("Choose a scenario."))
    return scenario


def _apply(kind: str, action: str) -> str:
    model = KINDS[kind].model
    ids = _ids()
    records = db.session.scalars(select(model).where(model.id.in_(ids))).all()
    if len(records) != len(ids):
        raise Refusal(_("Some of the selected records do not exist any more: nothing was changed."), 404)
    if action == "assign":
        owner = _owner()
        count = assign_records(model, ids, owner)
        return ngettext(
            "%(num)d record assigned to %(name)s.",
            "%(num)d records assigned to %(name)s.",
            count,
            name=owner.name,
        )
    if action == "tag":
        name = (request.form.get("tag") or "").strip()
        if "," in name:
            raise Refusal(_("One tag at a time, without commas."))
        tag, added = tag_records(kind, ids, name)
        return _("Tag “%(tag)s” added to %(added)d of %(num)d.", tag=tag.name, added=added, num=len(ids))
    scenario = _scenario()
    outcome = enroll_many(scenario, list(records), actor=current_user)
    return _(
        "%(entered)d enrolled in “%(label)s”; %(skipped)d skipped (%(already)d already in it, "
        "%(unreachable)d unsubscribed, not opted in or without an email address).",
        entered=outcome.entered,
        label=scenario.label,
        skipped=outcome.skipped,
        already=outcome.already_in,
        unreachable=outcome.unreachable,
    )


@bp.post(f"/{KIND}/bulk")
def apply(kind: str) -> Response:
    action = request.form.get("action", "")
    allowed = ("assign", "tag", "enroll") if kind in LINKS else ("assign",)
    try:
        if action not in allowed:
            raise Refusal(_("Choose what to do with the selected rows."))
        message = _apply(kind, action)
    except (Refusal, ServiceError) as err:
        db.session.rollback()
        response = refused(str(err.message), err.status)
        if htmx:  # a 422 would otherwise replace the list with this empty answer
            response.headers["HX-Reswap"] = "none"
        return response
    listing = parse(KINDS[kind], request.args)
    if not htmx:
        flash(message, "success")
        page = optional_int(request.args.get("page"))
        return redirect(url_for("records.index", kind=kind, page=page, **listing.args()))
    return toast(listing_page(listing), message)
