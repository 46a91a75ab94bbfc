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
ENROLLMENT_JOB = "automation.scenarios.engine.advance"  # one enrollment, when its wait is due
ENROLLMENT_BATCH_JOB = "automation.scenarios.engine.advance_batch"
ENROLLMENT_BATCH = 50
ENROLLMENT_TIMEOUT = 600
CAMPAIGN_JOB = "automation.mailing.campaigns.run_campaign"
CAMPAIGN_TIMEOUT = 3600


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


def schedule_event_retry(event_id: int, at: datetime) -> None:
    """Run one event again at `at` (its failed effects' retry), through RQ's scheduler."""
    get_queue("events").enqueue_at(
        scheduler_time(at), EVENT_JOB, [event_id], job_id=f"event-{event_id}-retry-{int(at.timestamp())}"
    )


def enqueue_enrollments(ids: list[int]) -> None:
    """Hand enrollments to the worker, ENROLLMENT_BATCH per job."""
    chunks = [ids[i : i + ENROLLMENT_BATCH] for i in range(0, len(ids), ENROLLMENT_BATCH)]
    get_queue("default").enqueue_many(
        [
            Queue.prepare_data(ENROLLMENT_BATCH_JOB, args=(chunk,), result_ttl=60, timeout=ENROLLMENT_TIMEOUT)
            for chunk in chunks
        ]
    )


def schedule_enrollments(waits: list[tuple[int, datetime]]) -> None:
    """Hand each enrollment's next due instant to RQ's scheduler, in one Redis round-trip.
    The job id names the instant, so handing the same wait twice schedules it once."""
    queue = get_queue("default")
    with queue.connection.pipeline() as pipe:
        for enrollment_id, at in waits:
            queue.enqueue_at(
                scheduler_time(at),
                ENROLLMENT_JOB,
                enrollment_id,
                job_id=f"enrollment-{enrollment_id}-{int(at.timestamp())}",
                job_timeout=ENROLLMENT_TIMEOUT,
                result_ttl=60,
                pipeline=pipe,
            )
        pipe.execute()


def enqueue_campaign(campaign_id: int, at: datetime | None = None) -> None:
    """Start (or go on with) a campaign's sending: now, or at `at` via the scheduler."""
    queue = get_queue("default")
    if at is not None:
        queue.enqueue_at(scheduler_time(at), CAMPAIGN_JOB, campaign_id, job_timeout=CAMPAIGN_TIMEOUT)
    else:
        queue.enqueue(CAMPAIGN_JOB, campaign_id, job_timeout=CAMPAIGN_TIMEOUT)


def scheduler_time(naive_utc: datetime) -> datetime:
    """RQ's scheduler reads naive datetimes as local time and keeps whole seconds (a job may
    fire up to 1 s early): make it aware UTC and round up to the next second."""
    aware = naive_utc.replace(tzinfo=UTC)
    if aware.microsecond:
        aware = aware.replace(microsecond=0) + timedelta(seconds=1)
    return aware
