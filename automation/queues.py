"""The one place that defines RQ queues, job ids, timeouts and retries."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from flask import current_app
from redis import Redis
from rq import Queue

# Listed in priority order: a worker drains events before mail before the rest.
QUEUE_NAMES = ("events", "mail", "default")
EVENT_JOB = "automation.jobs.process_event"
EVENT_TIMEOUT = 60
MAIL_JOB = "automation.mailing.send.send_batch"
MAIL_BATCH = 50  # messages per job: one SMTP connection, one RQ round-trip
MAIL_TIMEOUT = 600


def redis_conn() -> Redis:
    """The app's Redis connection (one pool per app)."""
    conn = current_app.extensions.get("crm_redis")
    if conn is None:
        conn = Redis.from_url(current_app.config["REDIS_URL"], socket_connect_timeout=2, socket_timeout=5)
        current_app.extensions["crm_redis"] = conn
    return conn


def get_queue(name: str) -> Queue:
    return Queue(name, connection=redis_conn())


def event_job_id(event_id: int) -> str:
    return f"event-{event_id}"


def enqueue_events(event_ids: Iterable[int]) -> None:
    """Put domain events on the events queue; ids are stable so a job is easy to find."""
    queue = get_queue("events")
    datas = [
        Queue.prepare_data(
            EVENT_JOB,
            args=(event_id,),
            job_id=event_job_id(event_id),
            timeout=EVENT_TIMEOUT,
            result_ttl=300,
            failure_ttl=86400,
        )
        for event_id in event_ids
    ]
    queue.enqueue_many(datas)


def live_job_ids(job_ids: list[str], started_grace: int = 10) -> set[str]:
    """Which of these jobs Redis still holds as queued or scheduled, or started less than
    `started_grace` seconds ago. A job "started" long ago belonged to a worker that died (SIGKILL):
    it is not coming back, so the sweep may hand its work out again (the work is idempotent)."""
    if not job_ids:
        return set()
    pipe = redis_conn().pipeline(transaction=False)
    for job_id in job_ids:
        pipe.hmget(f"rq:job:{job_id}", "status", "started_at")
    live = set()
    now = datetime.now(UTC)
    for job_id, (status, started_at) in zip(job_ids, pipe.execute(), strict=True):
        if status in (b"queued", b"scheduled", b"deferred"):
            live.add(job_id)
        elif status == b"started" and started_at:
            started = datetime.fromisoformat(started_at.decode().replace("Z", "+00:00"))
            if started.tzinfo is None:
                started = started.replace(tzinfo=UTC)
            if (now - started).total_seconds() < started_grace:
                live.add(job_id)
    return live


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
