"""Dry run: for a person and a start time, every step with the instant it would run and the email
it would send — sending nothing, writing nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _

from automation.mailing import shortcodes
from automation.mailing.compose import merge_values, suppression_reason
from automation.mailing.render import display_html
from automation.scenarios import conditions, structure, timing
from automation.scenarios.mail import message_html
from crm.facts import describe
from crm.models import Contact, Enrollment, Lead, Scenario, ScenarioStep, utcnow


@dataclass
class PlannedStep:
    step: ScenarioStep
    at: datetime  # naive UTC
    local: datetime
    note: str = ""
    subject: str = ""
    html: str = ""


def dry_run(
    scenario: Scenario, person: Contact | Lead, start_local: datetime | None = None, limit: int = 50
) -> list[PlannedStep]:
    rep = person.owner
    tz = rep.timezone if rep else current_app.config["BABEL_DEFAULT_TIMEZONE"]
    at = timing.to_utc(start_local.replace(tzinfo=timing.ZoneInfo(tz))) if start_local else utcnow()
    values = merge_values(recipient=person, rep=rep)
    values[shortcodes.UNSUBSCRIBE] = "#unsubscribe"
    plan: list[PlannedStep] = []
    step = structure.first_step(scenario)
    phantom = Enrollment(replied_at=None, last_outbox_id=None)
    while step is not None and len(plan) < limit:
        note = ""
        if step.kind == "email":
            c = step.config
            start = timing.parse_hhmm(c["window_start"]) if c.get("window_start") else None
            end = timing.parse_hhmm(c["window_end"]) if c.get("window_end") else None
            due = timing.next_send_time(at, tz, start, end, c.get("skip_weekends", True))
            if due > at:
                note = _("waits for the send window")
            at = due
            reason = suppression_reason("scenario", person.email or "", person)
            if reason:
                note = _("would be skipped: %(reason)s", reason=describe(reason))
            subject = shortcodes.substitute(c.get("subject", ""), values)
            html = shortcodes.substitute_html(message_html(c.get("message", "")), values)
            if not c.get("sender_id") and rep and rep.signature_html:
                html += rep.signature_html
            html = display_html(html)  # the sandboxed frame has no session: inserted images go inside
            plan.append(PlannedStep(step, at, timing.to_local(at, tz), note, subject, html))
            step = structure.next_step(step)
        elif step.kind == "pause":
            c = step.config
            until = datetime.fromisoformat(c["until"]) if c.get("until") else None
            ends = timing.pause_end(at, tz, hours=c.get("hours") or 0, days=c.get("days") or 0, until=until)
            plan.append(
                PlannedStep(
                    step,
                    at,
                    timing.to_local(at, tz),
                    _("until %(when)s", when=timing.to_local(ends, tz).strftime("%Y-%m-%d %H:%M")),
                )
            )
            at = max(at, ends)
            step = structure.next_step(step)
        elif step.kind == "if":
            if step.config.get("condition") in ("replied", "opened", "clicked"):
                branch, note = "no", _("not known in advance: following “no”")
            else:
                value = conditions.evaluate(step=step, enrollment=phantom, person=person)
                branch, note = (
                    ("yes" if value else "no"),
                    _("today: %(answer)s", answer=_("yes") if value else _("no")),
                )
            plan.append(PlannedStep(step, at, timing.to_local(at, tz), note))
            step = structure.branch_start(step, branch)
        else:
            plan.append(PlannedStep(step, at, timing.to_local(at, tz)))
            step = None
    return plan
