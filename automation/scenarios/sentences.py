"""Sentences of why a person left, paused in or was moved along a scenario."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from crm.facts import sentence


def default_label(kind: str) -> str:
    from automation.scenarios.steps import STEPS

    return str(STEPS[kind].default_label) if kind in STEPS else kind


@sentence("person_or_step_gone")
def _gone(p: dict[str, Any]) -> str:
    return _("the person or the step no longer exists")


@sentence("end_of_path")
def _end_of_path(p: dict[str, Any]) -> str:
    return _("end of path")


@sentence("sender_unverified")
def _sender_unverified(p: dict[str, Any]) -> str:
    return _(
        "%(email)s is not a verified sender address: verify it under Sender addresses.",
        email=p.get("email") or _("(no rep assigned)"),
    )


@sentence("step_removed")
def _step_removed(p: dict[str, Any]) -> str:
    """`label`: as the admin typed it, empty for the kind's default label."""
    return _("step “%(label)s” was removed", label=p.get("label") or default_label(p.get("kind", "")))


@sentence("removed_by")
def _removed_by(p: dict[str, Any]) -> str:
    return _("removed by %(name)s", name=p["name"])


@sentence("scenario_inactive")
def _scenario_inactive(p: dict[str, Any]) -> str:
    return _("The scenario “%(label)s” is not active.", label=p["label"])
