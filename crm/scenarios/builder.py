"""Settings > Marketing > Marketing automation: the scenario list and the builder."""

from __future__ import annotations

from flask import Blueprint, abort, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from automation.mailing.senders import verified_senders
from automation.scenarios import admin, structure
from automation.scenarios.steps import STEPS, step_label
from crm.extensions import db, htmx
from crm.forms import optional_int
from crm.models import Enrollment, Pipeline, Scenario, ScenarioStep, Tag
from crm.pages import fragment_or_redirect
from crm.responses import done, refused, render, retarget, toast
from crm.scenarios.forms import STEP_FORMS
from crm.scenarios.stats import step_stats
from crm.security import protect
from crm.services import ServiceError
from crm.settings.forms import NameForm

bp = protect(Blueprint("scenarios", __name__, url_prefix="/settings/scenarios"), admin=True)


@bp.app_template_global("steps_icon")
def steps_icon(kind: str) -> str:
    """The glyph of a step kind, for every template that lists steps."""
    return STEPS[kind].icon if kind in STEPS else ""


@bp.app_template_global("step_label")
def step_label_of(step: ScenarioStep | None) -> str:
    """A step's label: the one typed, else its kind's default in the reader's language."""
    return step_label(step) if step is not None else "?"


def _scenario(scenario_id: int) -> Scenario:
    return db.get_or_404(Scenario, scenario_id)


def _step(scenario: Scenario, step_id: int) -> ScenarioStep:
    step = db.get_or_404(ScenarioStep, step_id)
    if step.scenario_id != scenario.id:
        abort(404)
    return step


@bp.route("/", methods=["GET", "POST"])
def index() -> Response:
    form = NameForm()
    if form.validate_on_submit():
        scenario = admin.create_scenario(form.name.data, current_user)
        return done(
            url_for("scenarios.show", scenario_id=scenario.id), _("Scenario created: add its first step.")
        )
    scenarios = db.session.scalars(select(Scenario).order_by(Scenario.label)).all()
    people = dict(
        db.session.execute(
            select(Enrollment.scenario_id, func.count())
            .where(Enrollment.status == "active", Enrollment.simulation.is_(False))
            .group_by(Enrollment.scenario_id)
        ).all()
    )
    status = 422 if form.is_submitted() else 200
    return render(
        "scenarios/list.html", block="form", scenarios=scenarios, people=people, form=form, status=status
    )


def page(scenario: Scenario, block: str | None = None, status: int = 200, **extra: object) -> Response:
    if not (htmx and block):  # the whole page (a request without HTMX): its stats too
        extra.setdefault("stats", step_stats(scenario))
    return render(
        "scenarios/builder.html",
        block=block,
        scenario=scenario,
        tree=structure.tree(scenario),
        open_paths=structure.open_paths(scenario),
        waiting=structure.waiting_counts(scenario),
        steps_kinds=STEPS,
        live=admin.live_count(scenario),
        status=status,
        **extra,
    )


@bp.get("/<int:scenario_id>")
def show(scenario_id: int) -> Response:
    scenario = _scenario(scenario_id)
    block = request.args.get("block") if request.args.get("block") in ("flow", "stats") else None
    return page(scenario, block, stats=step_stats(scenario))


def step_form(kind: str, step: ScenarioStep | None = None):  # type: ignore[no-untyped-def]
    """The kind's form, with its choices, filled from the step's config when editing."""
    form = STEP_FORMS[kind]()
    if hasattr(form, "sender_id"):
        form.sender_id.choices = [("", _("— the assigned rep —"))] + [
            (s.id, f"{s.display_name} <{s.email}>" if s.display_name else s.email) for s in verified_senders()
        ]
    if hasattr(form, "tag_id"):
        form.tag_id.choices = [("", "—")] + [
            (t.id, t.name) for t in db.session.scalars(select(Tag).order_by(Tag.name))
        ]
        form.stage_id.choices = [("", "—")] + [
            (s.id, f"{p.name} › {s.name}")
            for p in db.session.scalars(select(Pipeline).order_by(Pipeline.position))
            for s in p.stages
        ]
    if step is not None and request.method == "GET":
        form.label.data = step.label
        for key, value in step.config.items():
            if key in form and value not in (None, ""):
                field = form[key]
                field.data = _field_value(field, value)
    # Left empty, the label is the kind's default, in each reader's language.
    form.label.render_kw = {**(form.label.render_kw or {}), "placeholder": str(STEPS[kind].default_label)}
    return form


def _field_value(field, value):  # type: ignore[no-untyped-def]
    from datetime import datetime, time

    if field.type == "TimeField":
        return time.fromisoformat(value)
    if field.type == "DateTimeLocalField":
        return datetime.fromisoformat(value)
    return value


def _where(scenario: Scenario, name: str) -> ScenarioStep | None:
    """The step named by ?after= or ?parent= (none when empty; 404 when not a step of this scenario)."""
    raw = request.values.get(name)
    if not raw:
        return None
    step_id = optional_int(raw)
    if step_id is None:
        abort(404)
    return _step(scenario, step_id)


def _flow_page(scenario: Scenario, step: ScenarioStep | None = None) -> Response | None:
    """None for HTMX; otherwise a redirect to the scenario's page, where step forms open (they
    swap into its flow)."""
    anchor = f"#step-{step.id}" if step else "#flow"
    return fragment_or_redirect(url_for("scenarios.show", scenario_id=scenario.id) + anchor)


@bp.route("/<int:scenario_id>/steps/new", methods=["GET", "POST"])
def add(scenario_id: int) -> Response:
    scenario = _scenario(scenario_id)
    kind = request.values.get("kind", "")
    if kind not in STEPS:
        abort(404)
    if request.method == "GET" and (flow := _flow_page(scenario)):
        return flow
    after, parent = _where(scenario, "after"), _where(scenario, "parent")
    branch = request.values.get("branch") if request.values.get("branch") in ("yes", "no") else None
    try:
        admin.check_addition(scenario, kind)
    except ServiceError as err:
        return refused(str(err.message), err.status)
    form = step_form(kind)
    where = {
        "after": after.id if after else "",
        "parent": parent.id if parent else "",
        "branch": branch or "",
    }
    if request.method == "POST" and form.validate():
        try:
            admin.add_step(
                scenario,
                kind,
                after=after,
                parent=parent,
                branch=branch,
                label=form.label.data or "",
                config=STEPS[kind].config_from(form),
            )
        except ServiceError as err:
            db.session.rollback()
            return refused(str(err.message), err.status)
        return retarget(toast(page(scenario, "flow"), _("Step added.")), "#flow")
    status = 422 if request.method == "POST" else 200
    return render(
        f"scenarios/steps/{kind}.html",
        form=form,
        scenario=scenario,
        step=None,
        where=where,
        spec=STEPS[kind],
        status=status,
    )


@bp.route("/<int:scenario_id>/steps/<int:step_id>", methods=["GET", "POST"])
def edit(scenario_id: int, step_id: int) -> Response:
    scenario = _scenario(scenario_id)
    step = _step(scenario, step_id)
    if request.method == "GET" and (flow := _flow_page(scenario, step)):
        return flow
    form = step_form(step.kind, step)
    if request.method == "POST" and form.validate():
        admin.update_step(step, label=form.label.data or "", config=STEPS[step.kind].config_from(form))
        return retarget(toast(page(scenario, "flow"), _("Step saved.")), "#flow")
    status = 422 if request.method == "POST" else 200
    return render(
        f"scenarios/steps/{step.kind}.html",
        form=form,
        scenario=scenario,
        step=step,
        where={},
        spec=STEPS[step.kind],
        status=status,
    )


@bp.post("/<int:scenario_id>/steps/<int:step_id>/move")
def move(scenario_id: int, step_id: int) -> Response:
    scenario = _scenario(scenario_id)
    try:
        admin.move_step(_step(scenario, step_id), -1 if request.form.get("direction") == "up" else 1)
    except ServiceError as err:
        return refused(str(err.message), err.status)
    return page(scenario, "flow")


@bp.post("/<int:scenario_id>/steps/<int:step_id>/delete")
def delete_step(scenario_id: int, step_id: int) -> Response:
    scenario = _scenario(scenario_id)
    step = _step(scenario, step_id)
    try:
        admin.check_removal(step)  # before asking where people go: there is nothing to ask
    except ServiceError as err:
        return refused(str(err.message), err.status)
    people_go = request.form.get("people_go")
    waiting = len(admin.people_on(admin.subtree(step)))
    if waiting and people_go not in ("next", "end"):
        has_next = step.kind != "if" and structure.next_step(step) is not None
        return render(
            "scenarios/_where.html", scenario=scenario, step=step, waiting=waiting, has_next=has_next
        )
    moved = admin.delete_step(step, people_go=people_go, actor=current_user)
    message = _("Step removed.") if not moved else _("Step removed; %(num)d people moved.", num=moved)
    return retarget(toast(page(scenario, "flow"), message, closeDialog=True), "#flow")


@bp.post("/<int:scenario_id>/activate")
def activate(scenario_id: int) -> Response:
    scenario = _scenario(scenario_id)
    try:
        admin.activate(scenario)
    except ServiceError as err:
        return refused(str(err.message), err.status)
    return done(url_for("scenarios.index"), _("“%(label)s” is active.", label=scenario.label))


@bp.post("/<int:scenario_id>/deactivate")
def deactivate(scenario_id: int) -> Response:
    scenario = _scenario(scenario_id)
    admin.deactivate(scenario)
    return done(
        url_for("scenarios.show", scenario_id=scenario.id),
        _(
            "“%(label)s” is inactive: people stay on their step until you reactivate it.",
            label=scenario.label,
        ),
    )


@bp.get("/<int:scenario_id>/delete")
def confirm_delete(scenario_id: int) -> Response:
    """The confirmation names what the deletion breaks: triggers that use it, people in it."""
    scenario = _scenario(scenario_id)
    return render(
        "scenarios/delete.html",
        block="dialog",
        scenario=scenario,
        effects=admin.effects_using(scenario),
        live=admin.live_count(scenario),
    )


@bp.post("/<int:scenario_id>/delete")
def delete(scenario_id: int) -> Response:
    scenario = _scenario(scenario_id)
    label = scenario.label
    try:
        admin.delete_scenario(scenario, remove_people=request.form.get("remove_people") == "1")
    except ServiceError as err:
        return refused(str(err.message), err.status)
    return done(url_for("scenarios.index"), _("“%(label)s” was deleted.", label=label))


@bp.post("/<int:scenario_id>/rename")
def rename(scenario_id: int) -> Response:
    scenario = _scenario(scenario_id)
    label = (request.form.get("label") or "").strip()[:200]
    if not label:
        return refused(_("A scenario needs a label."), 422)
    scenario.label = label
    db.session.commit()
    return toast(page(scenario, "flow"), _("Renamed."))
