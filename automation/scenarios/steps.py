"""Step kinds. Each is one class (its config read from its form, its validation, its run), one form
(crm/scenarios/forms.py, STEP_FORMS) and one partial template
(`templates/scenarios/steps/<kind>.html`), registered in STEPS. Adding a kind touches nothing else."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from flask_babel import LazyString, lazy_pgettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from automation.scenarios import conditions, timing
from automation.scenarios.context import StepContext, StepResult
from crm.models import ScenarioStep


class StepKind:
    kind: ClassVar[str]
    name: ClassVar[LazyString]
    default_label: ClassVar[LazyString]
    icon: ClassVar[str]

    def config_from(self, form: Any) -> dict[str, Any]:
        return {}

    def summary(self, step: ScenarioStep) -> str:
        return ""

    def run(self, ctx: StepContext) -> StepResult:
        raise NotImplementedError


class EmailStep(StepKind):
    kind = "email"
    name = _l("One-to-one email")
    default_label = _l("Email 1 to 1")
    icon = "✉"

    def config_from(self, form: Any) -> dict[str, Any]:
        return {
            "subject": form.subject.data.strip(),
            "message": form.message.data,
            "sender_id": form.sender_id.data,
            "from_name": (form.from_name.data or "").strip(),
            "window_start": form.window_start.data.strftime("%H:%M") if form.window_start.data else "",
            "window_end": form.window_end.data.strftime("%H:%M") if form.window_end.data else "",
            "skip_weekends": bool(form.skip_weekends.data),
            "track_opens": bool(form.track_opens.data),
            "track_clicks": bool(form.track_clicks.data),
        }

    def summary(self, step: ScenarioStep) -> str:
        c = step.config
        window = f" · {c['window_start']}–{c['window_end']}" if c.get("window_start") else ""
        return _("“%(subject)s”", subject=c.get("subject", "")) + window

    def run(self, ctx: StepContext) -> StepResult:
        from automation.scenarios.mail import send_step_email

        config = ctx.step.config
        start = timing.parse_hhmm(config["window_start"]) if config.get("window_start") else None
        end = timing.parse_hhmm(config["window_end"]) if config.get("window_end") else None
        if not ctx.simulation:
            due = timing.next_send_time(ctx.now, ctx.tz, start, end, config.get("skip_weekends", True))
            if due > ctx.now:
                return StepResult("wait", "window", {"until": due.isoformat()}, at=due)
        return send_step_email(ctx)


class PauseStep(StepKind):
    kind = "pause"
    name = lazy_pgettext("scenario step", "Pause")
    default_label = lazy_pgettext("scenario step", "Pause")
    icon = "◷"  # in DejaVu Sans and Segoe UI Symbol; ⏱ shows as a box where no emoji font is installed

    def config_from(self, form: Any) -> dict[str, Any]:
        return {
            "days": form.days.data or 0,
            "hours": form.hours.data or 0,
            "until": form.until.data.isoformat() if form.until.data else None,
        }

    def summary(self, step: ScenarioStep) -> str:
        c = step.config
        if c.get("until"):
            return _("until %(when)s", when=c["until"].replace("T", " "))
        parts = []
        if c.get("days"):
            parts.append(_("%(num)d d", num=c["days"]))
        if c.get("hours"):
            parts.append(_("%(num)d h", num=c["hours"]))
        return " ".join(parts)

    def end(self, ctx: StepContext) -> datetime:
        c = ctx.step.config
        until = datetime.fromisoformat(c["until"]) if c.get("until") else None
        return timing.pause_end(
            ctx.enrollment.step_entered_at,
            ctx.tz,
            hours=c.get("hours") or 0,
            days=c.get("days") or 0,
            until=until,
        )

    def run(self, ctx: StepContext) -> StepResult:
        end = self.end(ctx)
        if ctx.simulation:
            return StepResult("next", "waited", {"skipped_in_simulation": True, "until": end.isoformat()})
        if end > ctx.now:
            return StepResult("wait", "waiting", {"until": end.isoformat()}, at=end)
        return StepResult("next", "waited", {"until": end.isoformat()})


class IfStep(StepKind):
    kind = "if"
    name = _l("If")
    default_label = _l("Condition")
    icon = "⋔"

    def config_from(self, form: Any) -> dict[str, Any]:
        return conditions.config_from(form)

    def summary(self, step: ScenarioStep) -> str:
        return conditions.describe(step.config)

    def run(self, ctx: StepContext) -> StepResult:
        value = conditions.evaluate(step=ctx.step, enrollment=ctx.enrollment, person=ctx.person)
        branch = ctx.choose_branch or ("yes" if value else "no")
        return StepResult("branch", "branch", {"condition": value, "branch": branch}, branch=branch)


class EndStep(StepKind):
    kind = "end"
    name = _l("End")
    default_label = _l("End")
    icon = "⚑"

    def run(self, ctx: StepContext) -> StepResult:
        return StepResult("end", "completed")


STEPS: dict[str, StepKind] = {k.kind: k for k in (EmailStep(), PauseStep(), IfStep(), EndStep())}


def step_label(step: ScenarioStep) -> str:
    """The label the admin typed, else the kind's default label in the reader's language (a step
    stores no default label: it would stay in the language of whoever added it)."""
    if step.label:
        return step.label
    return str(STEPS[step.kind].default_label) if step.kind in STEPS else step.kind
