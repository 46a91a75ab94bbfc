"""Pipelines and their ordered stages (admin settings)."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select

from crm.extensions import db
from crm.models import Opportunity, Pipeline, Stage, User
from crm.services import ServiceError, same_name


def create_pipeline(name: str, stage_names: list[str] | None = None) -> Pipeline:
    name = name.strip()
    if db.session.scalar(select(Pipeline).where(same_name(Pipeline.name, name))):
        raise ServiceError(_("A pipeline with this name already exists."), 422, field="name")
    position = (db.session.scalar(select(func.max(Pipeline.position))) or 0) + 1
    pipeline = Pipeline(name=name, position=position)
    db.session.add(pipeline)
    for index, stage_name in enumerate(stage_names or []):
        pipeline.stages.append(Stage(name=stage_name, position=index))
    db.session.commit()
    return pipeline


def rename_pipeline(pipeline: Pipeline, name: str) -> None:
    name = name.strip()
    clash = db.session.scalar(
        select(Pipeline).where(same_name(Pipeline.name, name), Pipeline.id != pipeline.id)
    )
    if clash:
        raise ServiceError(_("A pipeline with this name already exists."), 422, field="name")
    pipeline.name = name
    db.session.commit()


def set_access(pipeline: Pipeline, *, restricted: bool, members: list[User]) -> None:
    """Restricted: only admins and `members` see the pipeline, its board and its opportunities."""
    pipeline.restricted = restricted
    pipeline.members = members
    db.session.commit()


def _check_stage_name(pipeline: Pipeline, name: str, stage_id: int | None = None) -> str:
    name = name.strip()
    if not name:
        raise ServiceError(_("A stage needs a name."), 422, field="name")
    if any(s.name.lower() == name.lower() and s.id != stage_id for s in pipeline.stages):
        raise ServiceError(
            _("This pipeline already has a stage named “%(name)s”.", name=name), 422, field="name"
        )
    return name


def add_stage(pipeline: Pipeline, name: str) -> Stage:
    name = _check_stage_name(pipeline, name)
    position = max((s.position for s in pipeline.stages), default=-1) + 1
    stage = Stage(name=name, position=position)
    pipeline.stages.append(stage)
    db.session.commit()
    return stage


def rename_stage(stage: Stage, name: str) -> None:
    stage.name = _check_stage_name(stage.pipeline, name, stage.id)
    db.session.commit()


def set_stage_limits(stage: Stage, *, idle_days: int | None, probability: int | None) -> None:
    """The board's idle flag (days in the stage) and the stage's win probability (percent)."""
    if idle_days is not None and not 0 <= idle_days <= 3650:
        raise ServiceError(_("Idle after: enter a number of days from 0 to 3650."), 422, field="idle_days")
    if probability is not None and not 0 <= probability <= 100:
        raise ServiceError(_("Probability: enter a percentage from 0 to 100."), 422, field="probability")
    stage.idle_days, stage.probability = idle_days, probability
    db.session.commit()


def reorder_stages(pipeline: Pipeline, stage_ids: list[int]) -> None:
    """Set the order of the pipeline's stages; the list must name each stage once."""
    current = {s.id: s for s in pipeline.stages}
    if sorted(stage_ids) != sorted(current):
        raise ServiceError(_("The stage list changed meanwhile; reload the page."), 409)
    for position, stage_id in enumerate(stage_ids):
        current[stage_id].position = position
    db.session.commit()


def delete_stage(stage: Stage) -> None:
    """Refused while any opportunity (open or closed) sits in the stage."""
    count = (
        db.session.scalar(
            select(func.count()).select_from(Opportunity).where(Opportunity.stage_id == stage.id)
        )
        or 0
    )
    if count:
        raise ServiceError(
            ngettext(
                "“%(stage)s” still holds %(num)d opportunity; move it to another stage first.",
                "“%(stage)s” still holds %(num)d opportunities; move them to another stage first.",
                count,
                stage=stage.name,
            )
        )
    pipeline = stage.pipeline
    pipeline.stages.remove(stage)
    db.session.delete(stage)
    for position, remaining in enumerate(pipeline.stages):
        remaining.position = position
    db.session.commit()
