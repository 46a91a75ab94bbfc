"""The seven trigger events: which domain events they match, and how they read as a sentence."""

from __future__ import annotations

from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from crm.extensions import db
from crm.models import ActionType, DomainEvent, Stage, Trigger

EVENTS: dict[str, LazyString] = {
    "result": _l("the result becomes…"),
    "enter_stage": _l("the opportunity enters the stage…"),
    "stage_change": _l("the stage goes from… to…"),
    "quote_sent": _l("a quote is sent"),
    "quote_reopened": _l("a quote is reopened"),
    "action_created": _l("an action of type… is created"),
    "action_closed": _l("an action of type… is closed"),
}
RESULTS = {"won": _l("won"), "lost": _l("lost"), "dormant": _l("dormant")}


def matches(trigger: Trigger, event: DomainEvent) -> bool:
    """Does this domain event fire this trigger? (X→Y never fires for Z→Y.)"""
    p, payload, kind = trigger.params, event.payload or {}, trigger.event
    if kind == "result":
        return event.kind == "result_changed" and payload.get("to") == p.get("result")
    if kind == "enter_stage":
        if event.kind == "stage_changed":
            return payload.get("to_stage_id") == p.get("stage_id")
        return event.kind == "opportunity_created" and payload.get("stage_id") == p.get("stage_id")
    if kind == "stage_change":
        return (
            event.kind == "stage_changed"
            and payload.get("from_stage_id") == p.get("from_stage_id")
            and payload.get("to_stage_id") == p.get("to_stage_id")
        )
    if kind in ("quote_sent", "quote_reopened"):
        return event.kind == kind
    if kind in ("action_created", "action_closed"):
        return event.kind == kind and payload.get("type_id") == p.get("type_id")
    return False


def problems(trigger: Trigger) -> list[str]:
    """What makes a trigger broken: a stage or action type it names is gone or off."""
    found = []
    p = trigger.params
    for key in ("stage_id", "from_stage_id", "to_stage_id"):
        if key in p:
            stage = db.session.get(Stage, p[key] or 0)
            if stage is None or stage.pipeline_id != trigger.pipeline_id:
                found.append(_("a stage it uses was deleted"))
    if "type_id" in p:
        action_type = db.session.get(ActionType, p["type_id"] or 0)
        if action_type is None:
            found.append(_("its action type was deleted"))
        elif not action_type.active:
            found.append(_("its action type “%(name)s” is deactivated", name=action_type.name))
    return found


def _stage(stage_id: int | None) -> str:
    stage = db.session.get(Stage, stage_id or 0)
    return stage.name if stage else _("(deleted stage)")


def _type(type_id: int | None) -> str:
    action_type = db.session.get(ActionType, type_id or 0)
    return action_type.name if action_type else _("(deleted type)")


def describe(trigger: Trigger) -> str:
    """ "When the stage goes from Proposal to R2" and so on."""
    p = trigger.params
    kind = trigger.event
    if kind == "result":
        return _("When the result becomes %(result)s", result=RESULTS.get(p.get("result"), "?"))
    if kind == "enter_stage":
        return _("When the opportunity enters %(stage)s", stage=_stage(p.get("stage_id")))
    if kind == "stage_change":
        return _(
            "When the stage goes from %(a)s to %(b)s",
            a=_stage(p.get("from_stage_id")),
            b=_stage(p.get("to_stage_id")),
        )
    if kind == "quote_sent":
        return _("When a quote is sent")
    if kind == "quote_reopened":
        return _("When a quote is reopened")
    if kind == "action_created":
        return _("When an action of type %(type)s is created", type=_type(p.get("type_id")))
    if kind == "action_closed":
        return _("When an action of type %(type)s is closed", type=_type(p.get("type_id")))
    return kind
