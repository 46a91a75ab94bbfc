#!/usr/bin/env python3
"""Mail budgets (issue: email infrastructure).

- one worker sends ≥ 100 queued emails per second to a local SMTP sink;
- 10,000 queued emails drain while pages stay responsive (board latency sampled during the drain).
Also measures the floor: the same worker class draining no-op jobs.
Usage: .venv/bin/python bench/mail.py [--emails 10000]   (DATABASE_URL=… for PostgreSQL)
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import subprocess
import sys
import threading
import time

from _common import ROOT, Environment, emit, rss_mb, summary


def start_sink(port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-c", "aiosmtpd.handlers.Sink", "-l", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def start_worker(extra_env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, str(ROOT / "worker.py")],
        cwd=ROOT,
        env={**os.environ, **extra_env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def queue_rows(count: int) -> list[int]:
    from sqlalchemy import insert, select

    from crm.extensions import db
    from crm.models import OutboxMessage, utcnow

    now = utcnow()
    html = "<p>Hello,</p><p>Here is our news for this month. Best regards,</p><p>The team</p>"
    rows = [
        {
            "idempotency_key": f"bench:{i}",
            "kind": "transactional",
            "status": "queued",
            "to_email": f"reader{i}@example.com",
            "to_name": f"Reader {i}",
            "from_email": "team@example.com",
            "from_name": "Team",
            "subject": f"News #{i}",
            "html": html,
            "text": "Hello, here is our news.",
            "message_id": f"<bench.{i}.{secrets.token_hex(6)}@bench.local>",
            "headers": {},
            "attachment_ids": [],
            "token": secrets.token_urlsafe(16),
            "simulation": False,
            "track_opens": False,
            "track_clicks": False,
            "attempts": 0,
            "open_count": 0,
            "click_count": 0,
            "next_attempt_at": now,
            "enqueued_at": now,
            "created_at": now,
            "updated_at": now,
        }
        for i in range(count)
    ]
    for start in range(0, count, 2000):
        db.session.execute(insert(OutboxMessage), rows[start : start + 2000])
    db.session.commit()
    return list(db.session.scalars(select(OutboxMessage.id).order_by(OutboxMessage.id)))


def sent_count() -> int:
    from sqlalchemy import func, select

    from crm.extensions import db
    from crm.models import OutboxMessage

    db.session.rollback()
    return (
        db.session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "sent")
        )
        or 0
    )


def noop_floor(jobs: int, env: dict[str, str]) -> float:
    """Jobs per second of the same worker class draining no-op jobs (the RQ overhead alone)."""
    from rq import Queue

    from crm.extensions import redis_conn

    queue = Queue("default", connection=redis_conn())
    queue.enqueue_many([Queue.prepare_data("automation.jobs.noop", result_ttl=0) for _ in range(jobs)])
    worker = start_worker(env)
    started = time.perf_counter()
    while queue.count:
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    worker.terminate()
    worker.wait()
    return jobs / elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--emails", type=int, default=10000)
    args = parser.parse_args()
    env_obj = Environment()
    from crm.procs import free_port

    port = free_port()
    sink = start_sink(port)
    worker_env = {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(port), "SWEEP_INTERVAL": "5"}
    try:
        from board import seed

        from automation.queues import enqueue_mail

        pipeline_id, _stages, _rep = seed(2000)
        client = env_obj.app.test_client()
        client.post("/login", data={"email": "rep0@bench.example", "password": "bench-pass-1"})
        idle = [_time(lambda: client.get(f"/boards/{pipeline_id}")) for _ in range(20)]

        floor = noop_floor(2000, worker_env)

        ids = queue_rows(args.emails)
        enqueue_mail(ids)
        worker = start_worker(worker_env)
        started = time.perf_counter()
        busy: list[float] = []
        stop = threading.Event()

        def sample() -> None:
            with env_obj.app.app_context():
                c = env_obj.app.test_client()
                c.post("/login", data={"email": "rep0@bench.example", "password": "bench-pass-1"})
                while not stop.is_set():
                    busy.append(_time(lambda: c.get(f"/boards/{pipeline_id}")))
                    time.sleep(0.2)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        while sent_count() < args.emails:
            if time.perf_counter() - started > 600:
                raise SystemExit("drain took more than 10 minutes")
            time.sleep(0.25)
        elapsed = time.perf_counter() - started
        worker_rss = rss_mb(worker.pid)
        stop.set()
        sampler.join()
        worker.terminate()
        worker.wait()
        rate = args.emails / elapsed
        engine = os.environ["DATABASE_URL"].split(":")[0]
        print(f"Mail benchmark on {engine}: {args.emails} queued emails, one worker, local SMTP sink")
        print(f"  no-op floor (same worker class)   {floor:7.0f} jobs/s")
        print(f"  emails sent                       {rate:7.0f} /s   ({elapsed:.1f} s)   budget: ≥ 100/s")
        print(f"  emails / floor                    {rate / floor:7.2f}")
        print(f"  board page, idle                  {summary(idle)}")
        print(f"  board page, during the drain      {summary(busy)}")
        print(f"  worker memory (RSS) after the drain {worker_rss:7.0f} MiB")
        emit(
            noop_floor_jobs_s=floor,
            emails_s=rate,
            worker_rss_mb=worker_rss,
            board_idle_ms=statistics.median(idle),
            board_drain_ms=statistics.median(busy),
        )
        print(
            f"  board slowdown during the drain   {statistics.median(busy) / statistics.median(idle):7.2f}x"
        )
    finally:
        sink.terminate()
        env_obj.close()


def _time(fn) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


if __name__ == "__main__":
    main()
