"""Which rows go to which queue after commit."""

from __future__ import annotations

from automation import dispatch
from automation.queues import enqueue_enrollments, enqueue_events, enqueue_mail
from crm.models import DomainEvent, Enrollment, OutboxMessage


def register() -> None:
    from automation.scenarios import sentences as _scenario_sentences  # noqa: F401  (they register)
    from automation.triggers import sentences as _trigger_sentences  # noqa: F401

    dispatch.on_commit(DomainEvent, enqueue_events)
    dispatch.on_commit(OutboxMessage, enqueue_mail)
    dispatch.on_commit(Enrollment, enqueue_enrollments)
