"""Fault 4: three workers with their schedulers on one Redis and database, the active scheduler
frozen (SIGSTOP) past its lock: every due step runs once. Fault 5: the database unavailable during a
stage move: a clear error, nothing half-applied, no event orphaned."""

from __future__ import annotations

import json
import signal
import socket
import sqlite3
import threading
import time
from contextlib import contextmanager, suppress
from datetime import timedelta

import psutil
from redis import Redis
from sqlalchemy import func, select

from automation.scenarios import engine
from crm.extensions import db
from crm.models import DomainEvent, Enrollment, FeedEntry, Opportunity, OutboxMessage, utcnow
from tests.factories import (
    email_step,
    make_contact,
    make_opportunity,
    make_pipeline,
    make_scenario,
    make_sender,
    make_user,
    pause_step,
)
from tests.faults.conftest import duplicates
from tests.services import wait_until


def _scheduler_processes(conn: Redis) -> list[psutil.Process]:
    """The process holding the scheduler lock of the "default" queue, and its children."""
    name = (conn.get("rq:scheduler-lock:default") or b"").decode()
    pid = int(conn.hget(f"rq:scheduler:{name}", "pid") or 0)
    process = psutil.Process(pid)
    return [process, *process.children(recursive=True)]


def test_three_workers_and_a_frozen_scheduler_run_each_due_step_once(fast_worker, smtp, test_env):
    rep = make_user(email="alice@ourco.example")
    make_sender(email="alice@ourco.example")
    scenario = make_scenario([pause_step(days=0, hours=1), email_step("After the pause")])
    people = [make_contact(email=f"s{i}@client.example", opt_in=True, owner=rep) for i in range(60)]
    enrollments = [engine.enroll(scenario, p) for p in people]
    soon = utcnow() + timedelta(seconds=6)
    for e in enrollments:  # their hour-long pause began 59m54s ago: it ends in six seconds
        db.session.get(Enrollment, e.id).step_entered_at = soon - timedelta(hours=1)
    db.session.commit()
    for _ in range(3):
        fast_worker()
    conn = Redis.from_url(test_env["REDIS_URL"])
    wait_until(lambda: conn.get("rq:scheduler-lock:default"), 15, message="a scheduler to hold the lock")
    wait_until(
        lambda: (
            db.session.scalar(select(func.count(Enrollment.id)).where(Enrollment.enqueued_at == soon)) == 60
            or len(smtp.messages) > 0
        ),
        15,
        message="the wake-ups to be scheduled",
    )
    frozen = _scheduler_processes(conn)
    for process in frozen:
        process.send_signal(signal.SIGSTOP)
    conn.delete("rq:scheduler-lock:default")  # its lock lapses while it is frozen
    try:
        smtp.wait_for(60, timeout=60)  # another worker's scheduler took over
    finally:
        for process in frozen:
            process.send_signal(signal.SIGCONT)
    time.sleep(4)  # the thawed scheduler may enqueue what it had in hand: it must change nothing
    distinct, extra = duplicates(smtp.messages)
    assert (distinct, extra) == (60, 0)
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 60


@contextmanager
def database_outage(url: str):  # type: ignore[no-untyped-def]
    """Yield a DATABASE_URL that works, and a function that cuts the database off until the block
    ends. PostgreSQL: a TCP proxy whose connections are dropped and refused. SQLite: another
    process holding the write lock."""
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        locker: list[sqlite3.Connection] = []

        def cut() -> None:
            conn = sqlite3.connect(path, timeout=1)
            conn.execute("BEGIN EXCLUSIVE")
            locker.append(conn)

        try:
            yield url, cut
        finally:
            for conn in locker:
                conn.rollback()
                conn.close()
        return
    proxy = TcpProxy(("127.0.0.1", 5432))
    proxy.start()
    try:
        yield url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}"), proxy.cut
    finally:
        proxy.close()


class TcpProxy:
    """A tiny TCP relay we can pull the plug on."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.open = True
        self.sockets: list[socket.socket] = []

    def start(self) -> None:
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _addr = self.server.accept()
            except OSError:
                return
            if not self.open:
                client.close()
                continue
            upstream = socket.create_connection(self.target)
            self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a: socket.socket, b: socket.socket) -> None:
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                with suppress(OSError):
                    s.close()

    def cut(self) -> None:
        self.open = False
        for s in self.sockets:
            with suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.cut()
        self.server.close()


def test_database_unavailable_during_a_stage_move_changes_nothing(test_env, rep):
    from app import create_app
    from tests.conftest import PASSWORD, CSRFClient

    pipeline = make_pipeline()
    opp = make_opportunity(pipeline.stages[0])
    before = (
        db.session.scalar(select(func.count(DomainEvent.id))),
        db.session.scalar(select(func.count(FeedEntry.id))),
    )
    with database_outage(test_env["DATABASE_URL"]) as (url, cut):
        other = create_app(
            {
                "TESTING": True,
                "SQLALCHEMY_DATABASE_URI": url,
                "SQLITE_BUSY_SECONDS": 1,
                "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
            }
        )
        other.test_client_class = CSRFClient
        client = other.test_client()
        assert client.post("/login", data={"email": rep.email, "password": PASSWORD}).status_code == 302
        cut()
        response = client.post(
            f"/opportunities/{opp.id}/move", data={"stage_id": pipeline.stages[1].id}, htmx=True
        )
        page = client.post(f"/opportunities/{opp.id}/move", data={"stage_id": pipeline.stages[1].id})
    assert page.status_code == 503 and "database cannot be reached" in page.get_data(as_text=True)
    assert response.status_code == 503
    assert "database cannot be reached" in json.loads(response.headers["HX-Trigger"])["toast"]["message"]
    db.session.expire_all()
    assert db.session.get(Opportunity, opp.id).stage_id == pipeline.stages[0].id  # not half-applied
    after = (
        db.session.scalar(select(func.count(DomainEvent.id))),
        db.session.scalar(select(func.count(FeedEntry.id))),
    )
    assert after == before  # no event, no feed line without its change
