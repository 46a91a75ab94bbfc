"""The Procfile's single-dyno runner and the worker's shutdown behave as a platform expects."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from redis import Redis
from rq import Queue
from rq.job import Job, JobStatus

from tests.services import ROOT, wait_until

RUNNER = """
import sys
from crm.procs import run_together
sys.exit(run_together({"a": sys.argv[1], "b": sys.argv[2]}, {}, kill_wait=5))
"""


def _run(a: str, b: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", RUNNER, a, b], cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )


def test_if_one_process_dies_the_dyno_exits_non_zero_even_on_exit_0():
    started = time.monotonic()
    result = _run("sleep 60", "true")
    assert result.returncode != 0
    assert time.monotonic() - started < 15  # the survivor was stopped, not waited for


def test_the_failing_process_exit_code_is_kept():
    assert _run("sleep 60", "exit 3").returncode == 3


def test_sigterm_stops_both_and_reports_the_signal():
    proc = subprocess.Popen(
        [sys.executable, "-c", RUNNER, "sleep 60", "sleep 60"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    time.sleep(1.5)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(15) == 143


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
