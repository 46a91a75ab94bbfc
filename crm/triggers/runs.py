"""Settings > Automation runs: every trigger run, per-effect status and error, Retry for failed runs."""

from __future__ import annotations

from flask import Blueprint, request
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from automation.triggers.engine import retry_run
from crm.extensions import db
from crm.forms import optional_int, page_number
from crm.models import RUN_STATUSES, Pipeline, Trigger, TriggerRun
from crm.responses import refused, render, toast
from crm.security import protect

bp = protect(Blueprint("trigger_runs", __name__, url_prefix="/settings/automation-runs"), admin=True)


def _page() -> Response:
    status = request.args.get("status", "")
    pipeline_id = optional_int(request.args.get("pipeline"))
    query = select(TriggerRun).options(selectinload(TriggerRun.effects)).order_by(TriggerRun.id.desc())
    if status in RUN_STATUSES:
        query = query.where(TriggerRun.status == status)
    if pipeline_id:
        query = query.where(
            TriggerRun.trigger_id.in_(select(Trigger.id).where(Trigger.pipeline_id == pipeline_id))
        )
    page = db.paginate(query, page=page_number(), per_page=50, error_out=False)
    pipelines = db.session.scalars(select(Pipeline).order_by(Pipeline.position)).all()
    return render(
        "triggers/runs.html",
        block="results",
        page=page,
        selected=status,
        pipeline_id=pipeline_id,
        pipelines=pipelines,
        statuses=RUN_STATUSES,
    )


@bp.get("/")
def index() -> Response:
    return _page()


@bp.post("/<int:run_id>/retry")
def retry(run_id: int) -> Response:
    run = db.get_or_404(TriggerRun, run_id)
    if run.status != "failed":
        return refused(_("Only a failed run can be retried."), 409)
    retry_run(run)
    return toast(_page(), _("Retrying “%(name)s”.", name=run.trigger_name))
