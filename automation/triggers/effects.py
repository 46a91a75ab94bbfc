"""Effect kinds. Each is one class (config read from its form, save-time check, sentence, run),
one form (crm/triggers/forms.py, EFFECT_FORMS) and one partial template
(`templates/triggers/effects/<kind>.html`), registered in EFFECTS. Effects call the same services
as the UI, inside the engine's transaction, with the event's depth + 1. What all kinds share is in
`effect_kind`; the kinds that write mail are in `effects_mail`."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import func, select

from automation.mailing import shortcodes
from automation.triggers.effect_kind import EffectContext, EffectKind, scenario_label, scenario_of
from automation.triggers.effects_mail import CreateCampaign, SendEmail
from crm.extensions import db
from crm.facts import fact
from crm.models import (
    ActionType,
    EffectRun,
    Scenario,
    User,
)
from crm.services import Failure

__all__ = ["EFFECTS", "EffectContext", "EffectKind"]


class CreateAction(EffectKind):
    kind = "create_action"
    name = _l("Create an action")

    def config_from(self, form: Any) -> dict[str, Any]:
        config = super().config_from(form)
        config["due_time"] = form.due_time.data.strftime("%H:%M") if form.due_time.data else ""
        return config

    def check(self, config: dict[str, Any]) -> list[str]:
        action_type = db.session.get(ActionType, config.get("type_id") or 0)
        return [] if action_type and action_type.active else [_("the action type is missing or deactivated")]

    def describe(self, config: dict[str, Any]) -> str:
        action_type = db.session.get(ActionType, config.get("type_id") or 0)
        names = {"type": action_type.name if action_type else "?", "title": config.get("title", "")}
        days = int(config.get("due_days") or 0)
        if not days:
            return _("create the %(type)s action “%(title)s” due the same day", **names)
        return ngettext(
            "create the %(type)s action “%(title)s” due %(num)d day later",
            "create the %(type)s action “%(title)s” due %(num)d days later",
            days,
            **names,
        )

    def assignee(self, ctx: EffectContext) -> User:
        config = ctx.effect.config
        mode, ids = config.get("assignee"), [int(i) for i in config.get("user_ids") or []]
        if mode == "owner":
            if ctx.opportunity.owner is None:
                raise Failure("no_rep")
            return ctx.opportunity.owner
        if mode == "round_robin" and ids:
            # Deterministic turn: how many times this effect already ran (a replay picks the same one).
            done = (
                db.session.scalar(
                    select(func.count(EffectRun.id)).where(
                        EffectRun.effect_id == ctx.effect.id, EffectRun.status == "done"
                    )
                )
                or 0
            )
            return db.session.get(User, ids[done % len(ids)])
        return db.session.get(User, ids[0])

    def _due(self, ctx: EffectContext, user: User) -> tuple[Any, Any]:
        from automation.scenarios.timing import to_local

        day = to_local(ctx.event.created_at, user.timezone).date() + timedelta(
            days=int(ctx.effect.config.get("due_days") or 0)
        )
        at = ctx.effect.config.get("due_time") or ""
        return day, datetime.strptime(at, "%H:%M").time() if at else None

    def run(self, ctx: EffectContext) -> str:
        from crm.services.actions import create_action

        config = ctx.effect.config
        user = self.assignee(ctx)
        due_date, due_time = self._due(ctx, user)
        action = create_action(
            actor=None,
            type=db.session.get(ActionType, config["type_id"]),
            # Shortcodes filled in can make the title outgrow its column: cut, not fail.
            title=shortcodes.substitute(config.get("title", ""), ctx.values())[:200],
            notes=shortcodes.substitute(config.get("description") or "", ctx.values()),
            assignee=user,
            due_date=due_date,
            due_time=due_time,
            opportunity=ctx.opportunity,
            depth=ctx.depth,
            cause_id=ctx.event.id,
            commit=False,
        )
        return fact("action_created", title=action.title, name=user.name, due=due_date.isoformat())

    def preview(self, ctx: EffectContext) -> tuple[str, str]:
        user = self.assignee(ctx)
        due_date, _time = self._due(ctx, user)
        title = shortcodes.substitute(ctx.effect.config.get("title", ""), ctx.values())
        return _(
            "would create the action “%(title)s” for %(name)s, due %(due)s",
            title=title,
            name=user.name,
            due=due_date.isoformat(),
        ), ""


class PostNote(EffectKind):
    kind = "post_note"
    name = _l("Post a notification")

    def describe(self, config: dict[str, Any]) -> str:
        return _("post “%(text)s” on the feed", text=(config.get("text") or "")[:60])

    def _text(self, ctx: EffectContext) -> str:
        text = shortcodes.substitute(ctx.effect.config.get("text", ""), ctx.values())
        user = db.session.get(User, ctx.effect.config.get("mention_id") or 0)
        return f"@{user.email.split('@')[0]} {text}" if user else text

    def run(self, ctx: EffectContext) -> str:
        from crm.services.notes import post_note

        post_note(ctx.opportunity, self._text(ctx), actor=None, depth=ctx.depth, commit=False)
        return fact("note_posted")

    def preview(self, ctx: EffectContext) -> tuple[str, str]:
        return _("would post “%(text)s”", text=self._text(ctx)), ""


class Enroll(EffectKind):
    kind = "enroll"
    name = _l("Add to a scenario")

    def check(self, config: dict[str, Any]) -> list[str]:
        scenario = scenario_of(config)
        if scenario is None:
            return [_("the scenario is missing")]
        return [] if scenario.active else [_("the scenario “%(label)s” is not active", label=scenario.label)]

    def broken(self, config: dict[str, Any]) -> list[str]:
        if scenario_of(config) is not None:
            return []
        return [_("the scenario “%(label)s” was deleted", label=config.get("deleted_scenario") or "?")]

    def describe(self, config: dict[str, Any]) -> str:
        return _("add the contact to “%(label)s”", label=scenario_label(config))

    def _target(self, ctx: EffectContext) -> Scenario:
        """The scenario, or a failure that says why there is none (an admin deleted it)."""
        scenario = scenario_of(ctx.effect.config)
        if scenario is None:
            raise Failure("scenario_deleted", label=ctx.effect.config.get("deleted_scenario") or "?")
        return scenario

    def run(self, ctx: EffectContext) -> str:
        from automation.scenarios import engine

        scenario = self._target(ctx)
        contact = ctx.opportunity.contact
        if contact is None:
            raise Failure("no_contact")
        if engine.live_enrollment(scenario, contact) is not None:
            return fact("already_enrolled", name=contact.display_name, label=scenario.label)
        engine.enroll(
            scenario, contact, source=f"trigger:{ctx.trigger.id}", opportunity=ctx.opportunity, commit=False
        )
        return fact("enrolled", name=contact.display_name, label=scenario.label)


class Unenroll(Enroll):
    kind = "unenroll"
    name = _l("Remove from a scenario")

    def check(self, config: dict[str, Any]) -> list[str]:
        return [] if scenario_of(config) else [_("the scenario is missing")]

    def describe(self, config: dict[str, Any]) -> str:
        return _("remove the contact from “%(label)s”", label=scenario_label(config))

    def run(self, ctx: EffectContext) -> str:
        from automation.scenarios import engine

        scenario = self._target(ctx)
        contact = ctx.opportunity.contact
        if contact is None:
            return fact("nothing_to_remove")
        removed = engine.unenroll(
            scenario, contact, reason=fact("by_automation", name=ctx.trigger.name), commit=False
        )
        if not removed:
            return fact("not_enrolled")
        return fact("unenrolled", name=contact.display_name, label=scenario.label)


class AddTag(EffectKind):
    kind = "add_tag"
    name = _l("Add a tag")

    def describe(self, config: dict[str, Any]) -> str:
        return _("add the tag “%(tag)s”", tag=config.get("tag", ""))

    def run(self, ctx: EffectContext) -> str:
        from crm.services.tags import add_tag

        tag = ctx.effect.config.get("tag", "")
        added = add_tag(ctx.opportunity, tag, actor=None, depth=ctx.depth, commit=False)
        return fact("tag_added" if added else "tag_present", tag=tag)


EFFECTS: dict[str, EffectKind] = {
    e.kind: e
    for e in (CreateAction(), PostNote(), Enroll(), Unenroll(), SendEmail(), AddTag(), CreateCampaign())
}
