"""What every effect kind is: its context while it runs, its interface, and the checks several
kinds share (a template and a verified sender; a scenario that may have been deleted)."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from flask_babel import LazyString
from flask_babel import gettext as _

from automation.mailing.compose import merge_values
from crm.extensions import db
from crm.models import (
    DomainEvent,
    EmailTemplate,
    Opportunity,
    Scenario,
    SenderAddress,
    Trigger,
    TriggerEffect,
)


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


def template_and_sender_problems(config: dict[str, Any]) -> list[str]:
    problems = []
    if db.session.get(EmailTemplate, config.get("template_id") or 0) is None:
        problems.append(_("the email template is missing"))
    sender = db.session.get(SenderAddress, config.get("sender_id") or 0)
    if sender is None:
        problems.append(_("the sender address is missing"))
    elif not sender.verified:
        problems.append(_("the sender address %(email)s is not verified", email=sender.email))
    return problems


def scenario_of(config: dict[str, Any]) -> Scenario | None:
    return db.session.get(Scenario, config.get("scenario_id") or 0)


def scenario_label(config: dict[str, Any]) -> str:
    scenario = scenario_of(config)
    if scenario is not None:
        return scenario.label
    return _("(deleted scenario “%(label)s”)", label=config.get("deleted_scenario") or "?")
