"""A real worker process told to stop (SIGTERM, as a platform does on a deploy): it finishes the
job in hand, and an idle one stops at once."""

from __future__ import annotations

import signal
import time

from redis import Redis
from rq import Queue
from rq.job import Job, JobStatus

from tests.services import wait_until


def test_sigterm_lets_the_worker_finish_its_current_job(start_worker, test_env):
    conn = Redis.from_url(test_env["REDIS_URL"])
    worker = start_worker()
    job = Queue("default", connection=conn).enqueue("time.sleep", 2, job_timeout=30)
    wait_until(
        lambda: Job.fetch(job.id, connection=conn).get_status() == JobStatus.STARTED, 15, message="job start"
    )
    worker.proc.send_signal(signal.SIGTERM)
    assert worker.proc.wait(20) == 0
    assert Job.fetch(job.id, connection=conn).get_status() == JobStatus.FINISHED
    worker.proc = None
    worker.log.close()


def test_sigterm_stops_an_idle_worker_at_once(start_worker):
    worker = start_worker()
    time.sleep(1)  # idle, waiting on its queues
    started = time.monotonic()
    worker.proc.send_signal(signal.SIGTERM)
    assert worker.proc.wait(10) == 0
    assert time.monotonic() - started < 5
    assert "starting a new one" not in worker.output()
    worker.proc = None
    worker.log.close()
