"""The one place that defines RQ queues, job ids, timeouts and retries."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from rq import Queue

from crm.extensions import redis_conn

# Listed in priority order: a worker drains events before mail before the rest.
QUEUE_NAMES = ("events", "mail", "default")
EVENT_JOB = "automation.jobs.process_events"
EVENT_BATCH = 50  # events per job: one RQ round-trip, shared lookups (triggers, opportunities)
EVENT_TIMEOUT = 600
MAIL_JOB = "automation.mailing.send.send_batch"
MAIL_BATCH = 50  # messages per job: one SMTP connection, one RQ round-trip
MAIL_TIMEOUT = 600


def get_queue(name: str) -> Queue:
    return Queue(name, connection=redis_conn())


def enqueue_events(event_ids: Iterable[int]) -> None:
    """Put domain events on the events queue, up to EVENT_BATCH per job, in id order."""
    ids = sorted(event_ids)
    get_queue("events").enqueue_many(
        [
            Queue.prepare_data(
                EVENT_JOB,
                args=(ids[i : i + EVENT_BATCH],),
                timeout=EVENT_TIMEOUT,
                result_ttl=300,
                failure_ttl=86400,
            )
            for i in range(0, len(ids), EVENT_BATCH)
        ]
    )


def enqueue_mail(outbox_ids: Iterable[int], at: datetime | None = None) -> None:
    """Hand outbox rows to the mail queue in batches (now, or at `at` via the scheduler)."""
    ids = sorted(outbox_ids)
    queue = get_queue("mail")
    batches = [ids[i : i + MAIL_BATCH] for i in range(0, len(ids), MAIL_BATCH)]
    if at is not None:
        for batch in batches:
            queue.enqueue_at(
                scheduler_time(at),
                MAIL_JOB,
                batch,
                job_timeout=MAIL_TIMEOUT,
                result_ttl=60,
                failure_ttl=86400,
            )
        return
    queue.enqueue_many(
        [
            Queue.prepare_data(
                MAIL_JOB, args=(batch,), timeout=MAIL_TIMEOUT, result_ttl=60, failure_ttl=86400
            )
            for batch in batches
        ]
    )


def scheduler_time(naive_utc: datetime) -> datetime:
    """RQ's scheduler reads naive datetimes as local time and keeps whole seconds (a job may
    fire up to 1 s early): make it aware UTC and round up to the next second."""
    aware = naive_utc.replace(tzinfo=UTC)
    if aware.microsecond:
        aware = aware.replace(microsecond=0) + timedelta(seconds=1)
    return aware
