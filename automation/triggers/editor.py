"""Editing triggers and their effects, reading them as sentences, spotting self-refiring loops, and
the "Test this trigger" dry run (which writes nothing: everything happens in a rolled-back savepoint)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from automation.triggers.effects import EFFECTS, EffectContext
from automation.triggers.events import describe, problems
from crm.extensions import db
from crm.models import DomainEvent, Opportunity, Pipeline, Trigger, TriggerEffect, utcnow
from crm.services import ServiceError


def create_trigger(pipeline: Pipeline, event: str, params: dict[str, Any], name: str) -> Trigger:
    position = (
        db.session.scalar(select(func.max(Trigger.position)).where(Trigger.pipeline_id == pipeline.id)) or 0
    ) + 1
    trigger = Trigger(pipeline_id=pipeline.id, event=event, params=params, position=position)
    db.session.add(trigger)
    db.session.flush()
    trigger.name = name.strip() or describe(trigger)
    db.session.commit()
    return trigger


def update_trigger(trigger: Trigger, event: str, params: dict[str, Any], name: str) -> None:
    trigger.event, trigger.params = event, params
    trigger.name = name.strip() or describe(trigger)
    db.session.commit()


def save_effect(
    trigger: Trigger, kind: str, config: dict[str, Any], effect: TriggerEffect | None
) -> TriggerEffect:
    if effect is None:
        effect = TriggerEffect(kind=kind, position=max((e.position for e in trigger.effects), default=-1) + 1)
        trigger.effects.append(effect)
    effect.config = config
    db.session.commit()
    return effect


def move_effect(effect: TriggerEffect, direction: int) -> None:
    siblings = list(effect.trigger.effects)
    index = siblings.index(effect)
    target = index + direction
    if 0 <= target < len(siblings):
        effect.position, siblings[target].position = siblings[target].position, effect.position
        db.session.commit()


def delete_effect(effect: TriggerEffect) -> None:
    trigger = effect.trigger
    trigger.effects.remove(effect)
    db.session.delete(effect)
    for position, other in enumerate(trigger.effects):
        other.position = position
    db.session.commit()


def sentence(trigger: Trigger) -> str:
    """ "When the stage goes from Proposal to R2 → send email 'Form to fill' to …; create action …"."""
    effects = "; ".join(EFFECTS[e.kind].describe(e.config) for e in trigger.effects) or _("(no effect yet)")
    return f"{describe(trigger)} → {effects}"


def warnings(trigger: Trigger) -> list[str]:
    """Configurations that can re-fire themselves (the loop guard would stop them, but say so now)."""
    found = []
    if trigger.event == "action_created":
        for effect in trigger.effects:
            if effect.kind == "create_action" and effect.config.get("type_id") == trigger.params.get(
                "type_id"
            ):
                found.append(_("creating an action of the type that fires this trigger can re-fire it"))
    broken = problems(trigger) + [w for e in trigger.effects for w in EFFECTS[e.kind].broken(e.config)]
    return found + [_("broken: %(why)s", why=why) for why in broken]


def dry_run(trigger: Trigger, opportunity: Opportunity) -> list[tuple[TriggerEffect, str, str, str | None]]:
    """(effect, what it would do, rendered email HTML, error) for each effect; nothing is kept."""
    event = DomainEvent(
        id=0,
        kind="test",
        opportunity_id=opportunity.id,
        pipeline_id=opportunity.pipeline_id,
        payload={},
        depth=0,
        created_at=utcnow(),
    )
    results = []
    savepoint = db.session.begin_nested()
    try:
        for effect in trigger.effects:
            ctx = EffectContext(
                event, opportunity, trigger, effect, key=f"test:{trigger.id}:{effect.id}", dry_run=True
            )
            try:
                summary, html = EFFECTS[effect.kind].preview(ctx)
                results.append((effect, summary, html, None))
            except ServiceError as err:
                results.append((effect, "", "", str(err.message)))
    finally:
        savepoint.rollback()
    return results
