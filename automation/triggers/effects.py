"""Effect kinds. Each is one class (config read from its form, save-time check, sentence, run), one form
(crm/triggers/forms.py, EFFECT_FORMS) and one partial template (`templates/triggers/effects/<kind>.html`), registered in EFFECTS. Effects call the same services as
the UI, inside the engine's transaction, with the event's depth + 1."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar

from flask_babel import LazyString, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from automation.mailing import shortcodes
from automation.mailing.compose import merge_values, queue_email, render_template_for
from automation.queues import enqueue_campaign
from crm.extensions import db
from crm.facts import fact
from crm.models import (
    ActionType,
    DomainEvent,
    EffectRun,
    EmailTemplate,
    Opportunity,
    Scenario,
    SenderAddress,
    Trigger,
    TriggerEffect,
    User,
)
from crm.services import Failure


@dataclass
class EffectContext:
    event: DomainEvent
    opportunity: Opportunity
    trigger: Trigger
    effect: TriggerEffect
    key: str
    dry_run: bool = False
    after_commit: list[Callable[[], None]] = field(default_factory=list)

    @property
    def depth(self) -> int:
        return self.event.depth + 1

    def values(self) -> dict[str, str]:
        return merge_values(opportunity=self.opportunity)


class EffectKind:
    kind: ClassVar[str]
    name: ClassVar[LazyString]

    def config_from(self, form: Any) -> dict[str, Any]:
        return {name: f.data for name, f in form._fields.items() if name != "csrf_token"}

    def check(self, config: dict[str, Any]) -> list[str]:
        """Reasons to refuse this configuration when the admin saves it."""
        return []

    def broken(self, config: dict[str, Any]) -> list[str]:
        """What makes a saved effect fail whatever the event (something it uses was deleted)."""
        return []

    def describe(self, config: dict[str, Any]) -> str:
        return str(self.name)

    def run(self, ctx: EffectContext) -> str:
        """Do it; what was done is a fact (crm.facts), told in the reader's language when shown."""
        raise NotImplementedError

    def preview(self, ctx: EffectContext) -> tuple[str, str]:
        """(what it would do, rendered email HTML or "") — nothing written, nothing sent."""
        return self.describe(ctx.effect.config), ""


def _template_and_sender(config: dict[str, Any]) -> list[str]:
    problems = []
    if db.session.get(EmailTemplate, config.get("template_id") or 0) is None:
        problems.append(_("the email template is missing"))
    sender = db.session.get(SenderAddress, config.get("sender_id") or 0)
    if sender is None:
        problems.append(_("the sender address is missing"))
    elif not sender.verified:
        problems.append(_("the sender address %(email)s is not verified", email=sender.email))
    return problems


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


def _scenario(config: dict[str, Any]) -> Scenario | None:
    return db.session.get(Scenario, config.get("scenario_id") or 0)


def _scenario_label(config: dict[str, Any]) -> str:
    scenario = _scenario(config)
    if scenario is not None:
        return scenario.label
    return _("(deleted scenario “%(label)s”)", label=config.get("deleted_scenario") or "?")


class Enroll(EffectKind):
    kind = "enroll"
    name = _l("Add to a scenario")

    def check(self, config: dict[str, Any]) -> list[str]:
        scenario = _scenario(config)
        if scenario is None:
            return [_("the scenario is missing")]
        return [] if scenario.active else [_("the scenario “%(label)s” is not active", label=scenario.label)]

    def broken(self, config: dict[str, Any]) -> list[str]:
        if _scenario(config) is not None:
            return []
        return [_("the scenario “%(label)s” was deleted", label=config.get("deleted_scenario") or "?")]

    def describe(self, config: dict[str, Any]) -> str:
        return _("add the contact to “%(label)s”", label=_scenario_label(config))

    def _target(self, ctx: EffectContext) -> Scenario:
        """The scenario, or a failure that says why there is none (an admin deleted it)."""
        scenario = _scenario(ctx.effect.config)
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
        return [] if _scenario(config) else [_("the scenario is missing")]

    def describe(self, config: dict[str, Any]) -> str:
        return _("remove the contact from “%(label)s”", label=_scenario_label(config))

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


class SendEmail(EffectKind):
    kind = "send_email"
    name = _l("Send an email")

    def check(self, config: dict[str, Any]) -> list[str]:
        problems = _template_and_sender(config)
        bad = shortcodes.unknown(config.get("recipients") or "")
        if bad:
            problems.append(_("unknown shortcode %(bad)s", bad=", ".join(bad)))
        return problems

    def describe(self, config: dict[str, Any]) -> str:
        template = db.session.get(EmailTemplate, config.get("template_id") or 0)
        return _(
            "send email “%(name)s” to %(to)s",
            name=template.name if template else "?",
            to=config.get("recipients", ""),
        )

    def recipients(self, ctx: EffectContext) -> list[tuple[str, Any]]:
        """(address, the user or contact it belongs to) for each recipient, shortcodes resolved."""
        values = ctx.values()
        found = []
        for item in (ctx.effect.config.get("recipients") or "").split(","):
            address = shortcodes.substitute(item.strip(), values).strip()
            if not address:
                continue
            owner = (
                ctx.opportunity.owner
                if ctx.opportunity.owner and ctx.opportunity.owner.email == address
                else None
            )
            contact = (
                ctx.opportunity.contact
                if ctx.opportunity.contact and ctx.opportunity.contact.email == address
                else None
            )
            found.append((address, owner or contact))
        return found

    def _render(self, ctx: EffectContext) -> tuple[EmailTemplate, str, str]:
        template = db.session.get(EmailTemplate, ctx.effect.config.get("template_id") or 0)
        if template is None:
            raise Failure("template_missing")
        subject, html = render_template_for(template, ctx.values())
        return template, subject, html

    def run(self, ctx: EffectContext) -> str:
        template, subject, html = self._render(ctx)
        sender = db.session.get(SenderAddress, ctx.effect.config.get("sender_id") or 0)
        if sender is None:
            raise Failure("sender_missing")
        sent = []
        for index, (address, recipient) in enumerate(self.recipients(ctx)):
            row = queue_email(
                key=f"trigger:{ctx.key}:{index}",
                kind="transactional",
                to_email=address,
                subject=subject,
                html=html,
                sender=sender,
                recipient=recipient,
                opportunity=ctx.opportunity,
                template=template,
                attachment_ids=[a.id for a in template.attachments],
                track_opens=template.track_opens,
                track_clicks=template.track_clicks,
            )
            sent.append([address, row.suppressed_reason if row.status == "suppressed" else None])
        if not sent:
            raise Failure("no_recipient")
        return fact("email_queued", subject=subject, to=sent)

    def preview(self, ctx: EffectContext) -> tuple[str, str]:
        _template, subject, html = self._render(ctx)
        to = ", ".join(a for a, _r in self.recipients(ctx)) or _("nobody")
        return _("would send “%(subject)s” to %(to)s", subject=subject, to=to), html


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


class CreateCampaign(EffectKind):
    kind = "create_campaign"
    name = _l("Create an email campaign")

    def check(self, config: dict[str, Any]) -> list[str]:
        return _template_and_sender(config)

    def describe(self, config: dict[str, Any]) -> str:
        template = db.session.get(EmailTemplate, config.get("template_id") or 0)
        return _(
            "create a campaign “%(name)s” (%(mode)s)",
            name=template.name if template else "?",
            mode=_("sent at once") if config.get("mode") == "send" else _("draft"),
        )

    def _audience(self, ctx: EffectContext) -> list[int]:
        opp = ctx.opportunity
        if ctx.effect.config.get("audience") == "account" and opp.account is not None:
            return [c.id for c in opp.account.contacts]
        return [opp.contact_id] if opp.contact_id else []

    def run(self, ctx: EffectContext) -> str:
        from automation.mailing import campaigns

        ids = self._audience(ctx)
        if not ids:
            raise Failure("no_contact_to_write")
        config = ctx.effect.config
        campaign = campaigns.create_campaign(
            name=f"{ctx.trigger.name or ctx.opportunity.name} — {ctx.opportunity.name}",
            template=db.session.get(EmailTemplate, config["template_id"]),
            sender=db.session.get(SenderAddress, config["sender_id"]),
            audience={"type": "contacts", "ids": ids},
            actor=None,
            opportunity=ctx.opportunity,
            commit=False,
        )
        if config.get("mode") == "send":
            campaigns.start(campaign, commit=False, enqueue=False)
            ctx.after_commit.append(lambda cid=campaign.id: enqueue_campaign(cid))
        return fact("campaign_created", id=campaign.id, num=len(ids))


EFFECTS: dict[str, EffectKind] = {
    e.kind: e
    for e in (CreateAction(), PostNote(), Enroll(), Unenroll(), SendEmail(), AddTag(), CreateCampaign())
}
