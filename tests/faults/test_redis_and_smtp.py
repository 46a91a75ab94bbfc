"""Faults 2 and 3: Redis restarted (append-only file on) or flushed mid-run; the SMTP server down,
then back. Nothing lost, nothing sent twice."""

from __future__ import annotations

import time

from sqlalchemy import func, select

from automation.mailing.compose import queue_email
from crm.extensions import db, redis_conn
from crm.models import OutboxMessage
from tests.faults.conftest import Workload, duplicates
from tests.services import wait_until


def test_redis_restarted_mid_run_loses_no_work(fast_worker, redis_server, smtp):
    work = Workload(effects=300, emails=300)
    work.start()
    fast_worker()
    wait_until(
        lambda: (
            db.session.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.status == "sent")) > 30
        ),
        30,
    )
    redis_server.stop()  # jobs still queued live in its append-only file
    time.sleep(1.5)
    redis_server.start()
    wait_until(work.done, 90, interval=0.5, message=f"the workload after the restart ({work.progress()})")
    distinct, extra = duplicates(smtp.wait_for(300))
    assert (distinct, extra) == (300, 0)
    assert work.notes_per_opportunity() == {1: work.moves}


def test_redis_flushed_mid_run_the_sweeps_rebuild_everything_within_60s(fast_worker, smtp):
    work = Workload(effects=300, emails=300)
    work.start()
    fast_worker()
    wait_until(
        lambda: (
            db.session.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.status == "sent")) > 30
        ),
        30,
    )
    redis_conn().flushall()  # every queued and scheduled job is gone
    flushed = time.monotonic()
    wait_until(
        work.done, 60, interval=0.5, message=f"the sweeps to rebuild from the database ({work.progress()})"
    )
    print(f"\n[fault] rebuilt from the database {time.monotonic() - flushed:.1f} s after the flush")
    distinct, extra = duplicates(smtp.wait_for(300))
    assert (distinct, extra) == (300, 0)
    assert work.notes_per_opportunity() == {1: work.moves}


def test_smtp_down_for_a_while_then_every_mail_exactly_once(client, auth, admin, fast_worker, smtp):
    smtp.stop()
    rows = [
        queue_email(
            key=f"down:{i}",
            kind="transactional",
            to_email=f"r{i}@example.com",
            subject=f"m{i}",
            html="<p>x</p>",
        )
        for i in range(200)
    ]
    db.session.commit()
    fast_worker()
    wait_until(
        lambda: (
            db.session.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.status == "retrying"))
            == 200
        ),
        30,
    )
    auth.login(admin)
    log = client.get("/settings/mail/?status=retrying").get_data(as_text=True)
    assert "Retrying" in log and "cannot reach the SMTP server" in log  # visible while it is down
    time.sleep(2)
    smtp.start()
    wait_until(
        lambda: (
            db.session.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.status == "sent"))
            == 200
        ),
        90,
        interval=0.5,
    )
    distinct, extra = duplicates(smtp.wait_for(200))
    assert (distinct, extra) == (200, 0)
    assert all(db.session.get(OutboxMessage, r.id).attempts >= 2 for r in rows[:5])
