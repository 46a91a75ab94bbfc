"""Effects that write mail: one email to the people of the deal, or a campaign to its contacts."""

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from automation.mailing import shortcodes
from automation.mailing.compose import queue_email, render_template_for
from automation.queues import enqueue_campaign
from automation.triggers.effect_kind import EffectContext, EffectKind, template_and_sender_problems
from crm.extensions import db
from crm.facts import fact
from crm.models import (
    EmailTemplate,
    SenderAddress,
)
from crm.services import Failure


class SendEmail(EffectKind):
    kind = "send_email"
    name = _l("Send an email")

    def check(self, config: dict[str, Any]) -> list[str]:
        problems = template_and_sender_problems(config)
        bad = shortcodes.unknown(config.get("recipients") or "")
        if bad:
            problems.append(_("unknown shortcode %(bad)s", bad=", ".join(bad)))
        return problems

    def describe(self, config: dict[str, Any]) -> str:
        template = db.session.get(EmailTemplate, config.get("template_id") or 0)
        return _(
            "send email “%(name)s” to %(to)s",
            name=template.name if template else "?",
            to=shortcodes.describe_recipients(config.get("recipients", "")),
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
            reason = row.suppressed_reason if row.status == "suppressed" else None
            sent.append([address, reason, _person_name(recipient)])
        if not sent:
            raise Failure("no_recipient")
        return fact("email_queued", subject=subject, to=sent)

    def preview(self, ctx: EffectContext) -> tuple[str, str]:
        _template, subject, html = self._render(ctx)
        to = ", ".join(_named(a, _person_name(r)) for a, r in self.recipients(ctx)) or _("nobody")
        return _("would send “%(subject)s” to %(to)s", subject=subject, to=to), html


def _person_name(person: Any) -> str | None:
    """The name of the user or contact an address belongs to (None: an address typed as such)."""
    if person is None:
        return None
    return getattr(person, "display_name", None) or getattr(person, "name", None) or None


def _named(address: str, name: str | None) -> str:
    return f"{name} <{address}>" if name and name != address else address


class CreateCampaign(EffectKind):
    kind = "create_campaign"
    name = _l("Create an email campaign")

    def check(self, config: dict[str, Any]) -> list[str]:
        return template_and_sender_problems(config)

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
