"""Settings > Opportunities & Quotes > Processes: pipelines and their ordered stages."""

from __future__ import annotations

from flask import Blueprint, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from crm.extensions import db, htmx
from crm.forms import optional_int
from crm.models import Opportunity, Pipeline, Stage, User
from crm.responses import done, refused, render, toast
from crm.security import protect
from crm.services import ServiceError
from crm.services.pipelines import (
    add_stage,
    create_pipeline,
    delete_stage,
    rename_pipeline,
    rename_stage,
    reorder_stages,
    set_access,
    set_stage_limits,
)
from crm.settings.forms import NameForm, PipelineAccessForm, PipelineForm, StageLimitsForm

bp = protect(Blueprint("pipelines", __name__, url_prefix="/settings/pipelines"), admin=True)


def _counts(pipeline: Pipeline) -> dict[int, int]:
    rows = db.session.execute(
        select(Opportunity.stage_id, func.count())
        .where(Opportunity.pipeline_id == pipeline.id)
        .group_by(Opportunity.stage_id)
    )
    return {stage_id: count for stage_id, count in rows}


def page(pipeline: Pipeline, block: str | None = None, status: int = 200, **extra: object) -> Response:
    """The pipeline's settings page, or one block of it for HTMX; `extra` may replace its forms."""
    context = {
        "counts": _counts(pipeline),
        "stage_form": NameForm(formdata=None),
        "form": PipelineForm(obj=pipeline),
        "access_form": _access_form(pipeline),
        **extra,
    }
    return render("settings/pipeline.html", block=block, pipeline=pipeline, status=status, **context)


def _stages(pipeline: Pipeline, status: int = 200, form: NameForm | None = None) -> Response:
    return page(pipeline, "stages", status, stage_form=form or NameForm(formdata=None))


@bp.route("/", methods=["GET", "POST"])
def index() -> Response:
    form = PipelineForm()
    if form.validate_on_submit():
        try:
            pipeline = create_pipeline(form.name.data)
        except ServiceError as err:
            form.name.errors.append(err.message)
        else:
            return done(url_for("pipelines.show", pipeline_id=pipeline.id), _("Pipeline created."))
    pipelines = db.session.scalars(select(Pipeline).order_by(Pipeline.position, Pipeline.id)).all()
    counts = {
        pid: n
        for pid, n in db.session.execute(
            select(Opportunity.pipeline_id, func.count())
            .where(Opportunity.result == "open")
            .group_by(Opportunity.pipeline_id)
        )
    }
    status = 422 if form.is_submitted() else 200
    return render(
        "settings/pipelines.html", block="form", pipelines=pipelines, counts=counts, form=form, status=status
    )


def _access_form(pipeline: Pipeline | None = None) -> PipelineAccessForm:
    if pipeline is None:
        form = PipelineAccessForm()
    else:
        form = PipelineAccessForm(formdata=None)
        form.restricted.data = "1" if pipeline.restricted else "0"
        form.members.data = [m.id for m in pipeline.members]
    form.members.choices = [  # admins see every pipeline: only reps are listed
        (u.id, u.name)
        for u in db.session.scalars(
            select(User).where(User.active.is_(True), User.role != "admin").order_by(User.name)
        )
    ]
    return form


@bp.get("/<int:pipeline_id>")
def show(pipeline_id: int) -> Response:
    return page(db.get_or_404(Pipeline, pipeline_id))


@bp.post("/<int:pipeline_id>/access")
def access(pipeline_id: int) -> Response:
    pipeline = db.get_or_404(Pipeline, pipeline_id)
    form = _access_form()
    if not form.validate():
        return page(pipeline, "access", 422, access_form=form)
    members = list(db.session.scalars(select(User).where(User.id.in_(form.members.data or []))))
    set_access(pipeline, restricted=form.restricted.data == "1", members=members)
    message = (
        _("Only administrators and the people ticked see this pipeline now.")
        if pipeline.restricted
        else _("Everyone sees this pipeline now.")
    )
    return toast(page(pipeline, "access"), message)


@bp.post("/<int:pipeline_id>/rename")
def rename(pipeline_id: int) -> Response:
    pipeline = db.get_or_404(Pipeline, pipeline_id)
    form = PipelineForm()
    if form.validate():
        try:
            rename_pipeline(pipeline, form.name.data)
        except ServiceError as err:
            form.name.errors.append(err.message)
        else:
            return toast(page(pipeline, "heading", form=form), _("Renamed."))
    db.session.rollback()
    return page(pipeline, "heading", 422, form=form)


@bp.post("/<int:pipeline_id>/stages")
def add(pipeline_id: int) -> Response:
    pipeline = db.get_or_404(Pipeline, pipeline_id)
    form = NameForm()
    if form.validate():
        try:
            stage = add_stage(pipeline, form.name.data)
        except ServiceError as err:
            form.name.errors.append(err.message)
        else:
            return toast(_stages(pipeline), _("Stage “%(name)s” added.", name=stage.name))
    return _stages(pipeline, 422, form)


@bp.post("/<int:pipeline_id>/stages/order")
def reorder(pipeline_id: int) -> Response:
    pipeline = db.get_or_404(Pipeline, pipeline_id)
    ids = [optional_int(v) for v in request.form.getlist("stage")]
    try:
        reorder_stages(pipeline, [i for i in ids if i is not None] if None not in ids else [])
    except ServiceError as err:
        return refused(str(err.message), err.status)
    return toast(_stages(pipeline), _("Order saved."))


@bp.post("/<int:pipeline_id>/stages/<int:stage_id>/rename")
def rename_one(pipeline_id: int, stage_id: int) -> Response:
    stage = _stage(pipeline_id, stage_id)
    form = NameForm()
    if form.validate():
        try:
            rename_stage(stage, form.name.data)
        except ServiceError as err:
            db.session.rollback()
            return refused(str(err.message), 422)
        return toast(_stages(stage.pipeline), _("Stage renamed."))
    return refused(" ".join(str(e) for e in form.name.errors), 422)


@bp.post("/<int:pipeline_id>/stages/<int:stage_id>/limits")
def limits(pipeline_id: int, stage_id: int) -> Response:
    """Idle after N days and probability, saved together; bad input is refused, nothing saved."""
    stage = _stage(pipeline_id, stage_id)
    form = StageLimitsForm()
    if not form.validate():
        errors = [str(e) for field in (form.idle_days, form.probability) for e in field.errors]
        return _limits_refused(stage, " ".join(errors or [_("The form expired; reload the page.")]))
    try:
        set_stage_limits(stage, idle_days=form.idle_days.data, probability=form.probability.data)
    except ServiceError as err:
        db.session.rollback()
        return _limits_refused(stage, str(err.message))
    if not htmx:
        return done(
            url_for("pipelines.show", pipeline_id=pipeline_id), _("Stage “%(name)s” saved.", name=stage.name)
        )
    return toast(_stages(stage.pipeline), _("Stage “%(name)s” saved.", name=stage.name))


def _limits_refused(stage: Stage, message: str) -> Response:
    """HTMX swaps a 422: the stages again, as saved (nothing changed), and the reason in a toast."""
    if not htmx:
        return refused(message, 422)
    return toast(_stages(stage.pipeline, 422), message, "error")


@bp.post("/<int:pipeline_id>/stages/<int:stage_id>/delete")
def delete(pipeline_id: int, stage_id: int) -> Response:
    stage = _stage(pipeline_id, stage_id)
    name = stage.name
    try:
        delete_stage(stage)
    except ServiceError as err:
        return refused(str(err.message), err.status)
    return toast(_stages(db.get_or_404(Pipeline, pipeline_id)), _("Stage “%(name)s” deleted.", name=name))


def _stage(pipeline_id: int, stage_id: int) -> Stage:
    stage = db.get_or_404(Stage, stage_id)
    if stage.pipeline_id != pipeline_id:
        from flask import abort

        abort(404)
    return stage
