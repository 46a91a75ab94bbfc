"""People enter scenarios from their own page, or in bulk from a list filtered by tag."""

from __future__ import annotations

from flask import Blueprint, abort, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import exists, or_, select
from werkzeug.wrappers import Response

from automation.scenarios import engine
from crm.extensions import db
from crm.facts import fact
from crm.forms import optional_int
from crm.models import Account, Contact, Enrollment, Lead, Scenario, contact_tags, lead_tags
from crm.pages import fragment_or_redirect
from crm.responses import refused, render, toast
from crm.security import protect
from crm.services import ServiceError

bp = protect(Blueprint("enroll", __name__, url_prefix="/people"))
KINDS = {"accounts": Account, "contacts": Contact, "leads": Lead}
TAGS = {"contacts": (contact_tags, "contact_id"), "leads": (lead_tags, "lead_id")}
BULK_LIMIT = 5000


def _record(kind: str, record_id: int):  # type: ignore[no-untyped-def]
    model = KINDS.get(kind)
    if model is None:
        abort(404)
    return db.get_or_404(model, record_id)


def _scenario() -> Scenario | None:
    """The scenario chosen in the form; reps only choose among active ones (drafts stay unseen)."""
    scenario = db.session.get(Scenario, optional_int(request.form.get("scenario_id")) or 0)
    if scenario is None or (not scenario.active and not current_user.is_admin):
        return None
    return scenario


def panel(kind: str, record) -> Response:  # type: ignore[no-untyped-def]
    person = (
        engine.resolve_person(record)
        if not isinstance(record, Account) or record.contacts or record.main_contact
        else None
    )
    enrollments = []
    if person is not None:
        enrollments = db.session.scalars(
            select(Enrollment)
            .where(
                Enrollment.person_type == engine.person_type(person),
                Enrollment.person_id == person.id,
                Enrollment.simulation.is_(False),
            )
            .order_by(Enrollment.id.desc())
            .limit(20)
        ).all()
    scenarios = db.session.scalars(
        select(Scenario).where(Scenario.active.is_(True)).order_by(Scenario.label)
    ).all()
    return render(
        "scenarios/_person_panel.html",
        kind=kind,
        record=record,
        person=person,
        enrollments=enrollments,
        scenarios=scenarios,
    )


@bp.get("/<kind>/<int:record_id>/scenarios")
def show(kind: str, record_id: int) -> Response:
    record = _record(kind, record_id)
    url = url_for("records.show", kind=kind, record_id=record.id) + "#person-scenarios"
    return fragment_or_redirect(url) or panel(kind, record)


@bp.post("/<kind>/<int:record_id>/scenarios")
def add(kind: str, record_id: int) -> Response:
    record = _record(kind, record_id)
    scenario = _scenario()
    if scenario is None:
        return refused(_("Choose a scenario."), 422)
    try:
        engine.enroll(scenario, record, source="manual", actor=current_user)
    except ServiceError as err:
        db.session.rollback()
        return refused(str(err.message), err.status)
    return toast(panel(kind, record), _("Added to “%(label)s”.", label=scenario.label))


@bp.post("/<kind>/<int:record_id>/scenarios/<int:scenario_id>/remove")
def remove(kind: str, record_id: int, scenario_id: int) -> Response:
    record = _record(kind, record_id)
    scenario = db.get_or_404(Scenario, scenario_id)
    engine.unenroll(scenario, record, reason=fact("removed_by", name=current_user.name), actor=current_user)
    return toast(panel(kind, record), _("Removed from “%(label)s”.", label=scenario.label))


@bp.post("/<kind>/bulk")
def bulk(kind: str) -> Response:
    """Everyone in the filtered list (a tag, a search) enters the scenario; those already in are skipped."""
    if kind not in TAGS:
        abort(404)
    model = KINDS[kind]
    scenario = _scenario()
    if scenario is None:
        return refused(_("Choose a scenario."), 422)
    query = select(model)
    tag_id = optional_int(request.form.get("tag"))
    if tag_id:
        table, column = TAGS[kind]
        query = query.where(exists().where(table.c[column] == model.id, table.c.tag_id == tag_id))
    q = (request.form.get("q") or "").strip()[:100]
    if q:
        like = f"%{q}%"
        query = query.where(
            or_(model.first_name.ilike(like), model.last_name.ilike(like), model.email.ilike(like))
        )
    people = db.session.scalars(query.order_by(model.id).limit(BULK_LIMIT + 1)).all()
    if len(people) > BULK_LIMIT:
        return refused(_("More than %(num)d people match: narrow the list first.", num=BULK_LIMIT), 422)
    added = skipped = 0
    for person in people:
        try:
            engine.enroll(scenario, person, source="bulk", actor=current_user, commit=False)
            added += 1
        except ServiceError:
            skipped += 1
    db.session.commit()
    return toast(
        render("scenarios/_bulk_done.html", added=added, skipped=skipped, scenario=scenario),
        _(
            "%(added)d added to “%(label)s”, %(skipped)d already in it or not eligible.",
            added=added,
            skipped=skipped,
            label=scenario.label,
        ),
    )
