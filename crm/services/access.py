"""Who sees which pipeline: everyone, unless an admin restricted it to some members.

Anything hidden answers 404 (not 403): a rep learns nothing about a pipeline they may not see.
"""

from __future__ import annotations

from flask import abort
from sqlalchemy import ColumnElement, exists, or_, select, true

from crm.extensions import db
from crm.models import Notification, Opportunity, Pipeline, Quote, Stage, User, pipeline_members


def pipeline_visible(user: User) -> ColumnElement[bool]:
    """A WHERE clause on Pipeline: the pipelines `user` may see."""
    if user.is_admin:
        return true()
    return or_(
        Pipeline.restricted.is_(False),
        exists().where(pipeline_members.c.pipeline_id == Pipeline.id, pipeline_members.c.user_id == user.id),
    )


def opportunity_visible(user: User) -> ColumnElement[bool]:
    """A WHERE clause on Opportunity: those in a pipeline `user` may see."""
    if user.is_admin:
        return true()
    return Opportunity.pipeline_id.in_(select(Pipeline.id).where(pipeline_visible(user)))


def notification_visible(user: User) -> ColumnElement[bool]:
    """A WHERE clause on Notification: those about an opportunity `user` may still see."""
    if user.is_admin:
        return true()
    return Notification.opportunity_id.in_(select(Opportunity.id).where(opportunity_visible(user)))


def visible_pipelines(user: User) -> list[Pipeline]:
    return list(
        db.session.scalars(
            select(Pipeline).where(pipeline_visible(user)).order_by(Pipeline.position, Pipeline.id)
        )
    )


def visible_pipeline_rows(user: User) -> tuple[tuple[int, str], ...]:
    """(id, name) of the pipelines `user` may see, in order; cached until one of them changes."""
    from crm import cache

    return cache.cached(
        ("pipelines", user.id),
        ("pipelines", "pipeline_members", "users"),
        lambda: tuple((p.id, p.name) for p in visible_pipelines(user)),
    )


def can_see(user: User, pipeline: Pipeline) -> bool:
    return user.is_admin or not pipeline.restricted or any(m.id == user.id for m in pipeline.members)


def pipeline_or_404(user: User, pipeline_id: int) -> Pipeline:
    pipeline = db.get_or_404(Pipeline, pipeline_id)
    if not can_see(user, pipeline):
        abort(404)
    return pipeline


def stage_or_none(user: User, stage_id: int | None) -> Stage | None:
    stage = db.session.get(Stage, stage_id or 0)
    return stage if stage is not None and can_see(user, stage.pipeline) else None


def opportunity_or_404(user: User, opportunity_id: int) -> Opportunity:
    opportunity = db.get_or_404(Opportunity, opportunity_id)
    if not can_see(user, opportunity.pipeline):
        abort(404)
    return opportunity


def quote_or_404(user: User, quote_id: int) -> Quote:
    quote = db.get_or_404(Quote, quote_id)
    opportunity_or_404(user, quote.opportunity_id)
    return quote
