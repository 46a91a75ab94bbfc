"""If-step conditions: evaluated on the person and their enrollment."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select

from crm.extensions import db
from crm.models import Contact, Enrollment, Lead, Opportunity, OutboxMessage, ScenarioStep, Stage, Tag

# The results an If can test, with their labels (its form offers the same).
RESULTS = [("won", _l("won")), ("lost", _l("lost")), ("dormant", _l("dormant")), ("open", _l("open"))]


def config_from(form: Any) -> dict[str, Any]:
    condition = form.condition.data
    config: dict[str, Any] = {"condition": condition}
    if condition == "has_tag":
        config["tag_id"] = form.tag_id.data
    elif condition == "stage":
        config["stage_id"] = form.stage_id.data
    elif condition == "result":
        config["result"] = form.result.data
    elif condition == "field":
        config["field"], config["value"] = form.field.data, form.value.data.strip()
    return config


def describe(config: dict[str, Any]) -> str:
    condition = config.get("condition")
    if condition == "replied":
        return _("replied to the previous email")
    if condition == "opened":
        return _("opened the previous email")
    if condition == "clicked":
        return _("clicked in the previous email")
    if condition == "has_tag":
        tag = db.session.get(Tag, config.get("tag_id") or 0)
        return _("has the tag “%(name)s”", name=tag.name if tag else "?")
    if condition == "stage":
        stage = db.session.get(Stage, config.get("stage_id") or 0)
        return _("has an open opportunity at “%(name)s”", name=stage.name if stage else "?")
    if condition == "result":
        labels = {key: label for key, label in RESULTS}
        return _("has an opportunity that is %(result)s", result=labels.get(config.get("result"), "?"))
    if condition == "field":
        return _("%(field)s = “%(value)s”", field=config.get("field"), value=config.get("value"))
    return "?"


def evaluate(*, step: ScenarioStep, enrollment: Enrollment, person: Contact | Lead) -> bool:
    config = step.config
    condition = config.get("condition")
    if condition == "replied":
        return enrollment.replied_at is not None
    if condition in ("opened", "clicked"):
        last = db.session.get(OutboxMessage, enrollment.last_outbox_id or 0)
        if last is None:
            return False
        return (last.opened_at if condition == "opened" else last.clicked_at) is not None
    if condition == "has_tag":
        return any(t.id == config.get("tag_id") for t in person.tags)
    if condition in ("stage", "result") and isinstance(person, Contact):
        where = [Opportunity.contact_id == person.id]
        if condition == "stage":
            where += [Opportunity.stage_id == config.get("stage_id"), Opportunity.result == "open"]
        else:
            where.append(Opportunity.result == config.get("result"))
        return bool(db.session.scalar(select(exists().where(*where))))
    if condition == "field":
        actual = getattr(person, config.get("field") or "", None)
        return str(actual or "").strip().lower() == str(config.get("value") or "").strip().lower()
    return False
