"""Which rows go to which queue after commit."""

from __future__ import annotations

from automation import dispatch
from automation.queues import enqueue_events, enqueue_mail
from automation.scenarios.engine import enqueue_enrollments
from crm.models import DomainEvent, Enrollment, OutboxMessage


def register() -> None:
    dispatch.on_commit(DomainEvent, enqueue_events)
    dispatch.on_commit(OutboxMessage, enqueue_mail)
    dispatch.on_commit(Enrollment, enqueue_enrollments)
