"""Translated names of stored values (statuses, kinds), for templates: `labels.outbox[row.status]`."""

from __future__ import annotations

from types import SimpleNamespace

from flask_babel import lazy_gettext as _l

labels = SimpleNamespace(
    result={"open": _l("Open"), "won": _l("Won"), "lost": _l("Lost"), "dormant": _l("Dormant")},
    outbox={
        "queued": _l("Queued"),
        "sending": _l("Sending"),
        "sent": _l("Sent"),
        "retrying": _l("Retrying"),
        "failed": _l("Failed"),
        "suppressed": _l("Suppressed"),
    },
    mail_kind={
        "system": _l("System"),
        "transactional": _l("Transactional"),
        "marketing": _l("Marketing"),
        "scenario": _l("Scenario"),
    },
    quote={
        "draft": _l("Draft"),
        "sent": _l("Sent"),
        "accepted": _l("Accepted"),
        "refused": _l("Refused"),
        "reopened": _l("Reopened"),
    },
    campaign={
        "draft": _l("Draft"),
        "scheduled": _l("Scheduled"),
        "sending": _l("Sending"),
        "paused": _l("Paused"),
        "sent": _l("Sent"),
    },
    run={
        "running": _l("Running"),
        "done": _l("Done"),
        "failed": _l("Failed"),
        "retrying": _l("Retrying"),
        "stopped": _l("Stopped"),
    },
    enrollment={
        "active": _l("In it"),
        "completed": _l("Completed"),
        "exited": _l("Left"),
        "replied": _l("Replied"),
        "removed": _l("Removed"),
    },
)
