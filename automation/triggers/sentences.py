"""Sentences of what automations (triggers and their effects) did, failed or stopped on."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import format_date, ngettext
from flask_babel import gettext as _

from crm.facts import describe, sentence


def _day(value: Any) -> str:
    try:
        return format_date(date.fromisoformat(str(value)), "medium")
    except ValueError:
        return str(value)


@sentence("action_created")
def _action_created(p: dict[str, Any]) -> str:
    return _(
        "created the action “%(title)s” for %(name)s, due %(due)s",
        title=p["title"],
        name=p["name"],
        due=_day(p["due"]),
    )


@sentence("note_posted")
def _note_posted(p: dict[str, Any]) -> str:
    return _("posted a notification")


@sentence("enrolled")
def _enrolled(p: dict[str, Any]) -> str:
    return _("added %(name)s to “%(label)s”", name=p["name"], label=p["label"])


@sentence("already_enrolled")
def _already_enrolled(p: dict[str, Any]) -> str:
    return _("%(name)s was already in “%(label)s”", name=p["name"], label=p["label"])


@sentence("unenrolled")
def _unenrolled(p: dict[str, Any]) -> str:
    return _("removed %(name)s from “%(label)s”", name=p["name"], label=p["label"])


@sentence("not_enrolled")
def _not_enrolled(p: dict[str, Any]) -> str:
    return _("was not in it")


@sentence("nothing_to_remove")
def _nothing_to_remove(p: dict[str, Any]) -> str:
    return _("nothing to remove")


@sentence("email_queued")
def _email_queued(p: dict[str, Any]) -> str:
    """`to`: [address, why it was suppressed or null, whose address it is or null] for each
    recipient (facts stored before names were kept have two items)."""
    to = []
    for address, reason, *name in p["to"]:
        who = f"{name[0]} <{address}>" if name and name[0] and name[0] != address else address
        to.append(f"{who} ({describe(reason)})" if reason else who)
    return _("queued email “%(subject)s” to %(to)s", subject=p["subject"], to=", ".join(to))


@sentence("tag_added")
def _tag_added(p: dict[str, Any]) -> str:
    return _("added the tag “%(tag)s”", tag=p["tag"])


@sentence("tag_present")
def _tag_present(p: dict[str, Any]) -> str:
    return _("the tag “%(tag)s” was already there", tag=p["tag"])


@sentence("campaign_created")
def _campaign_created(p: dict[str, Any]) -> str:
    return ngettext(
        "created campaign #%(id)s for %(num)d contact",
        "created campaign #%(id)s for %(num)d contacts",
        int(p["num"]),
        id=p["id"],
    )


@sentence("no_rep")
def _no_rep(p: dict[str, Any]) -> str:
    return _("the opportunity has no rep")


@sentence("no_contact")
def _no_contact(p: dict[str, Any]) -> str:
    return _("the opportunity has no contact")


@sentence("no_contact_to_write")
def _no_contact_to_write(p: dict[str, Any]) -> str:
    return _("the opportunity has no contact to write to")


@sentence("scenario_deleted")
def _scenario_deleted(p: dict[str, Any]) -> str:
    why = _("the scenario “%(label)s” was deleted", label=p["label"])
    return _("%(why)s: edit or remove this effect", why=why)


@sentence("template_missing")
def _template_missing(p: dict[str, Any]) -> str:
    return _("the email template is missing")


@sentence("sender_missing")
def _sender_missing(p: dict[str, Any]) -> str:
    return _("the sender address is missing")


@sentence("no_recipient")
def _no_recipient(p: dict[str, Any]) -> str:
    return _("no recipient: the shortcodes gave no address")


@sentence("effect_failed")
def _effect_failed(p: dict[str, Any]) -> str:
    from automation.triggers.effects import EFFECTS

    kind = p["effect"]
    name = EFFECTS[kind].name if kind in EFFECTS else kind
    return _(
        "%(effect)s failed: %(reason)s; the effects after it did not run", effect=name, reason=p["reason"]
    )


@sentence("loop_stopped")
def _loop_stopped(p: dict[str, Any]) -> str:
    return _(
        "stopped: %(num)d automations in a row fired each other (limit %(max)d)",
        num=int(p["num"]),
        max=int(p["max"]),
    )


@sentence("loop_guard")
def _loop_guard(p: dict[str, Any]) -> str:
    return _("loop guard: depth %(num)d", num=int(p["num"]))


@sentence("automation_notice")
def _automation_notice(p: dict[str, Any]) -> str:
    """A notification to the admins: which automation, what happened."""
    return _("%(trigger)s — %(text)s", trigger=p["trigger"], text=p["text"])


@sentence("by_automation")
def _by_automation(p: dict[str, Any]) -> str:
    return _("automation “%(name)s”", name=p["name"])


@sentence("event_gave_up")
def _event_gave_up(p: dict[str, Any]) -> str:
    return _(
        "failed %(num)d times on an unexpected error (%(reason)s); gave up",
        num=int(p["num"]),
        reason=p["reason"],
    )
