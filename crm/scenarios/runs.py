"""A scenario's people: their enrollments and timelines, simulation, and the dry-run preview."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select
from werkzeug.wrappers import Response

from automation.mailing.compose import suppression_reason
from automation.scenarios import engine, replies
from automation.scenarios.mail import rep_sender
from automation.scenarios.preview import dry_run
from automation.scenarios.steps import step_label
from crm.extensions import db, htmx
from crm.facts import describe
from crm.forms import optional_int, page_number
from crm.models import Account, Contact, Enrollment, EnrollmentEvent, Lead, Scenario, SenderAddress, utcnow
from crm.pages import dialog_html, fragment_or_redirect
from crm.responses import refused, render, toast
from crm.scenarios.builder import _scenario
from crm.scenarios.builder import page as scenario_page
from crm.security import protect
from crm.services import ServiceError

bp = protect(Blueprint("scenario_runs", __name__, url_prefix="/settings/scenarios"), admin=True)
RECORDS = {"account": Account, "contact": Contact, "lead": Lead}
PREVIEW_YEARS = (1970, 2999)  # the preview's start
SEND_TO = ("person", "me")  # a simulation's emails go to the person (really), or to the admin as a test


def _enrollment(scenario: Scenario, enrollment_id: int) -> Enrollment:
    enrollment = db.get_or_404(Enrollment, enrollment_id)
    if enrollment.scenario_id != scenario.id:
        abort(404)
    return enrollment


@bp.get("/<int:scenario_id>/people")
def people(scenario_id: int) -> Response:
    scenario = _scenario(scenario_id)
    if redirect_to := fragment_or_redirect(
        url_for("scenarios.show", scenario_id=scenario.id) + "#people-panel"
    ):
        return redirect_to
    status = request.args.get("status", "active")
    query = select(Enrollment).where(Enrollment.scenario_id == scenario.id, Enrollment.simulation.is_(False))
    if status != "all":
        query = query.where(Enrollment.status == status)
    page = db.paginate(query.order_by(Enrollment.id.desc()), page=page_number(), per_page=50, error_out=False)
    names = _names(page.items)
    return render("scenarios/_people.html", scenario=scenario, page=page, names=names, selected=status)


def _names(enrollments: list[Enrollment]) -> dict[tuple[str, int], str]:
    names = {}
    for kind, model in (("contact", Contact), ("lead", Lead)):
        ids = [e.person_id for e in enrollments if e.person_type == kind]
        if ids:
            for person in db.session.scalars(select(model).where(model.id.in_(ids))):
                names[(kind, person.id)] = f"{person.display_name} <{person.email or '—'}>"
    return names


@bp.get("/<int:scenario_id>/people/<int:enrollment_id>")
def timeline(scenario_id: int, enrollment_id: int) -> Response:
    scenario = _scenario(scenario_id)
    enrollment = _enrollment(scenario, enrollment_id)
    events = db.session.scalars(
        select(EnrollmentEvent)
        .where(EnrollmentEvent.enrollment_id == enrollment.id)
        .order_by(EnrollmentEvent.id)
    ).all()
    steps = {s.id: s for s in scenario.steps}
    context = {"scenario": scenario, "enrollment": enrollment, "events": events, "steps": steps}
    if not htmx:  # the scenario's page with the timeline open
        return scenario_page(scenario, modal=dialog_html("scenarios/_timeline.html", **context))
    return render("scenarios/_timeline.html", **context)


@bp.post("/<int:scenario_id>/people/<int:enrollment_id>/replied")
def replied(scenario_id: int, enrollment_id: int) -> Response:
    scenario = _scenario(scenario_id)
    replies.mark_replied(_enrollment(scenario, enrollment_id), how="manual", actor=current_user)
    return toast(timeline(scenario_id, enrollment_id), _("Marked as replied."), peopleChanged=True)


@bp.post("/<int:scenario_id>/people/<int:enrollment_id>/remove")
def remove(scenario_id: int, enrollment_id: int) -> Response:
    scenario = _scenario(scenario_id)
    enrollment = _enrollment(scenario, enrollment_id)
    if enrollment.status == "active":
        engine.finish(enrollment, "removed", _("removed by %(name)s", name=current_user.name))
        engine.timeline(enrollment, enrollment.current_step, "removed", by=current_user.name)
        db.session.commit()
    return toast(timeline(scenario_id, enrollment_id), _("Removed from the scenario."), peopleChanged=True)


def _record() -> tuple[str, object]:
    kind = request.values.get("record_type", "contact")
    model = RECORDS.get(kind)
    record = db.session.get(model, optional_int(request.values.get("record_id")) or 0) if model else None
    if record is None:
        abort(404)
    return kind, record


def _choices(kind: str, q: str) -> list[object]:
    model = RECORDS.get(kind, Contact)
    query = select(model)
    if q:
        like = f"%{q}%"
        cols = [model.name] if model is Account else [model.first_name, model.last_name]
        query = query.where(or_(model.email.ilike(like), *(c.ilike(like) for c in cols)))
    return list(db.session.scalars(query.order_by(model.id).limit(30)))


@bp.get("/<int:scenario_id>/simulate")
def simulate(scenario_id: int) -> Response:
    scenario = _scenario(scenario_id)
    kind = request.args.get("record_type", "contact")
    records = _choices(kind, request.args.get("q", "").strip()[:100])
    block = "records" if request.args.get("block") == "records" else None
    return render(
        "scenarios/simulate.html",
        block=block,
        scenario=scenario,
        kind=kind,
        records=records,
        q=request.args.get("q", ""),
    )


def _checks(scenario: Scenario, person: Contact | Lead, test_recipient: str | None = None) -> list[str]:
    """What would block real sends, said before anything is sent. A test to the admin's own
    address does not go to the person: only that address counts, not the person's opt-in."""
    problems = []
    if test_recipient:
        reason = suppression_reason("scenario", test_recipient)
    else:
        reason = suppression_reason("scenario", person.email or "", person)
    if reason:
        problems.append(describe(reason))
    for step in scenario.steps:
        if step.kind == "email":
            if step.config.get("sender_id"):
                sender = db.session.get(SenderAddress, step.config["sender_id"])
            else:
                sender = rep_sender(person.owner)
            if sender is None or not sender.verified:
                problems.append(_("“%(label)s”: the sender address is not verified", label=step_label(step)))
    return problems


@bp.post("/<int:scenario_id>/simulate")
def simulate_start(scenario_id: int) -> Response:
    scenario = _scenario(scenario_id)
    send_to = request.form.get("send_to") or "person"
    if send_to not in SEND_TO:
        return refused(_("Choose who gets the emails: the person, or you as a test."), 422)
    _kind, record = _record()
    try:
        enrollment = engine.enroll(
            scenario,
            record,
            source="simulation",
            actor=current_user,
            simulation=True,
            test_recipient=current_user.email if send_to == "me" else None,
        )
    except ServiceError as err:
        return refused(str(err.message), err.status)
    return _simulation(scenario, enrollment)


def _simulation(scenario: Scenario, enrollment: Enrollment, last: object = None) -> Response:
    person = engine.person_of(enrollment)
    events = db.session.scalars(
        select(EnrollmentEvent)
        .where(EnrollmentEvent.enrollment_id == enrollment.id)
        .order_by(EnrollmentEvent.id)
    ).all()
    steps = {s.id: s for s in scenario.steps}
    return render(
        "scenarios/_simulation.html",
        scenario=scenario,
        enrollment=enrollment,
        person=person,
        checks=_checks(scenario, person, enrollment.test_recipient),
        events=events,
        steps=steps,
        last=last,
    )


@bp.post("/<int:scenario_id>/simulate/<int:enrollment_id>")
def simulate_step(scenario_id: int, enrollment_id: int) -> Response:
    """EXECUTE: run the current step once (pauses are skipped; for an If, the admin may pick the branch)."""
    scenario = _scenario(scenario_id)
    enrollment = _enrollment(scenario, enrollment_id)
    if not enrollment.simulation or enrollment.status != "active":
        return _simulation(scenario, enrollment)
    branch = request.form.get("branch") if request.form.get("branch") in ("yes", "no") else None
    now = utcnow()
    result = engine.run_step(enrollment, now, simulation=True, choose_branch=branch)
    engine.apply(enrollment, result, now)
    db.session.commit()
    return _simulation(scenario, enrollment, last=result)


@bp.get("/<int:scenario_id>/preview")
def preview(scenario_id: int) -> Response:
    scenario = _scenario(scenario_id)
    kind = request.args.get("record_type", "contact")
    records = _choices(kind, "")
    start_raw = request.args.get("start", "")
    plan, person = [], None
    if request.args.get("record_id"):
        _kind, record = _record()
        try:
            start = datetime.fromisoformat(start_raw) if start_raw else None
        except ValueError:
            return refused(_("Enter a valid date and time."), 422)
        # A local date-time, not so far off that the plan's dates leave the calendar.
        if start is not None and (
            start.tzinfo is not None or not PREVIEW_YEARS[0] <= start.year <= PREVIEW_YEARS[1]
        ):
            return refused(_("Enter a valid date and time."), 422)
        person = engine.resolve_person(record)
        plan = dry_run(scenario, person, start)
    return render(
        "scenarios/preview.html",
        scenario=scenario,
        kind=kind,
        records=records,
        plan=plan,
        person=person,
        start=start_raw,
    )
