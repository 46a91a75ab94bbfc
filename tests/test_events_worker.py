"""Domain events reach RQ's worker; the sweep recovers what Redis lost."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from automation.queues import get_queue
from crm.extensions import db
from crm.models import DomainEvent
from tests.factories import make_opportunity, make_pipeline
from tests.services import wait_until


def _processed(event_id: int) -> bool:
    db.session.expire_all()
    ev = db.session.get(DomainEvent, event_id)
    return ev is not None and ev.processed_at is not None


def _only_event(kind: str) -> DomainEvent:
    return db.session.scalars(select(DomainEvent).where(DomainEvent.kind == kind)).one()


def _age(event: DomainEvent, seconds: int = 10) -> None:
    """Pretend the event was written and handed to Redis `seconds` ago (past the sweep's delays)."""
    event.created_at -= timedelta(seconds=seconds)
    event.enqueued_at -= timedelta(seconds=seconds)
    db.session.commit()


def test_a_board_move_reaches_the_worker(client, auth, rep, worker):
    pipeline = make_pipeline()
    opp = make_opportunity(pipeline.stages[0])
    auth.login(rep)
    response = client.post(
        f"/opportunities/{opp.id}/move", data={"stage_id": pipeline.stages[1].id}, htmx=True
    )
    assert response.status_code == 200
    ev = _only_event("stage_changed")
    wait_until(lambda: _processed(ev.id), 15, message="the worker to process the event")
    assert db.session.get(DomainEvent, ev.id).attempts == 1


def test_an_event_enqueued_after_commit_sits_in_redis_until_a_worker_runs(client, auth, rep):
    pipeline = make_pipeline()
    make_opportunity(pipeline.stages[0])
    ev = _only_event("opportunity_created")
    jobs = get_queue("events").get_jobs()
    assert [job.args for job in jobs] == [([ev.id],)]
    assert db.session.get(DomainEvent, ev.id).processed_at is None


def test_the_sweep_recovers_an_event_whose_job_redis_lost(worker):
    pipeline = make_pipeline()
    make_opportunity(pipeline.stages[0])
    ev = _only_event("opportunity_created")
    # Redis lost the job (flushed, restarted without its data, enqueue failed after commit).
    get_queue("events").connection.flushdb()
    worker.drain()
    assert not _processed(ev.id) and not worker.swept["events"]  # too recent for the sweep
    _age(ev)
    wait_until(lambda: _processed(ev.id), 20, message="the sweep to recover the event")
    assert worker.swept["events"] == 1


def test_a_move_while_redis_is_down_still_saves_and_is_processed_later(
    client, auth, rep, redis_server, worker
):
    pipeline = make_pipeline()
    opp = make_opportunity(pipeline.stages[0])
    auth.login(rep)
    redis_server.stop()
    try:
        response = client.post(
            f"/opportunities/{opp.id}/move", data={"stage_id": pipeline.stages[2].id}, htmx=True
        )
        assert response.status_code == 200  # the user is not punished for Redis being away
        ev = _only_event("stage_changed")
        assert ev.processed_at is None
    finally:
        redis_server.start()
    _age(ev)
    wait_until(lambda: _processed(ev.id), 30, message="the event to be processed after Redis came back")
