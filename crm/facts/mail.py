"""Sentences of why a mail was not sent (suppressions, SMTP failures)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from crm.facts import sentence


@sentence("invalid_address")
def _invalid_address(p: dict[str, Any]) -> str:
    return _("invalid email address")


@sentence("suppression_listed")
def _suppression_listed(p: dict[str, Any]) -> str:
    return _("address on the suppression list (unsubscribed)")


@sentence("unsubscribed")
def _unsubscribed(p: dict[str, Any]) -> str:
    return _("unsubscribed from email")


@sentence("not_opted_in")
def _not_opted_in(p: dict[str, Any]) -> str:
    return _("not opted in")


@sentence("smtp_disconnected")
def _smtp_disconnected(p: dict[str, Any]) -> str:
    return _("SMTP server disconnected: %(error)s", error=p["error"])


@sentence("smtp_unreachable")
def _smtp_unreachable(p: dict[str, Any]) -> str:
    return _("cannot reach the SMTP server: %(error)s", error=p["error"])


@sentence("gave_up")
def _gave_up(p: dict[str, Any]) -> str:
    return _("gave up after %(num)d attempts: %(error)s", num=int(p["num"]), error=p["error"])


@sentence("worker_stopped")
def _worker_stopped(p: dict[str, Any]) -> str:
    return _(
        "the worker stopped while sending; sent again (a duplicate is possible if the server had "
        "already accepted it)"
    )
