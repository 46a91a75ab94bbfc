"""Fixtures: a real database (SQLite file, or PostgreSQL via DATABASE_URL), a real Redis,
a real SMTP server, RQ's worker (in-process, or real worker processes) and a real browser."""

from __future__ import annotations

import contextvars
import hashlib
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, has_app_context
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import text
from werkzeug.serving import make_server

from tests.services import ROOT, InProcessWorker, RedisServer, SMTPSink, WorkerProcess

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
PASSWORD = "correct-horse-battery"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The fault suite kills and freezes worker processes against the clock: under pytest-xdist
    its tests share one process (`--dist loadgroup`) instead of competing with each other."""
    for item in items:
        if "tests/faults/" in item.nodeid:
            item.add_marker(pytest.mark.xdist_group("workers"))


@pytest.fixture(scope="session")
def tmp_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("crm")


@pytest.fixture(scope="session")
def redis_server(tmp_root: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_root / "redis")
    server.directory.mkdir()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def smtp() -> Iterator[SMTPSink]:
    sink = SMTPSink()
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture(scope="session")
def test_env(tmp_root: Path, redis_server: RedisServer, smtp: SMTPSink) -> dict[str, str]:
    """Environment shared by the app under test and the worker processes it starts."""
    database_url = (
        _worker_database(os.environ.get("DATABASE_URL")) or f"sqlite:///{tmp_root / 'test.sqlite3'}"
    )
    instance = tmp_root / "instance"
    instance.mkdir(exist_ok=True)
    return {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_server.url,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp.port),
        "SECRET_KEY": "test-secret-key",
        "INSTANCE_PATH": str(instance),
        "CRM_ENV": "test",
        "SWEEP_INTERVAL": "1",
        "SWEEP_GRACE_SECONDS": "1",
        "MAIL_RETRY_BASE_SECONDS": "1",
        "MAIL_REQUEUE_SECONDS": "5",
        "UPLOAD_DIR": str(instance / "uploads"),
        "PUBLIC_URL": "http://crm.test",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # cheap: the suite creates ~1,500 users
    }


def _worker_database(url: str | None) -> str | None:
    """Under pytest-xdist each worker gets its own PostgreSQL database (`test_gw0`, …). The suite's
    sessions commit without waiting for the disk (synchronous_commit=off, ~15% of a PostgreSQL
    run): a test database is never meant to outlive a crash of its server."""
    if not url or not url.startswith("postgres"):
        return url
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    base = make_url(url)
    if "options" not in base.query:
        base = base.update_query_dict({"options": "-c synchronous_commit=off"})
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return base.render_as_string(hide_password=False)
    name = f"{base.database}_{worker}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def app(test_env: dict[str, str]) -> Flask:
    os.environ.update(test_env)
    from app import create_app
    from crm.extensions import db

    flask_app = create_app({"TESTING": True, "SERVER_NAME": None})
    flask_app.test_client_class = CSRFClient
    with flask_app.app_context():
        _reset_schema(db)
    return flask_app


def _reset_schema(db: Any) -> None:
    """Drop everything, then build the schema through the migrations (so they are tested too)."""
    from flask_migrate import upgrade

    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        else:
            db.metadata.drop_all(conn)
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    upgrade()
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":  # see _empty_postgresql
            for table in db.metadata.sorted_tables:
                conn.execute(text(f"ALTER TABLE {table.name} SET (autovacuum_enabled = false)"))


@pytest.fixture(autouse=True)
def ctx(request: pytest.FixtureRequest) -> Iterator[None]:
    """Each test runs in an app context on empty tables and an empty Redis."""
    if "app" not in request.fixturenames and not request.node.get_closest_marker("needs_app"):
        yield
        return
    flask_app: Flask = request.getfixturevalue("app")
    from crm.extensions import db, redis_conn
    from crm.services.actions import ensure_default_action_types

    with flask_app.app_context():
        _truncate(db)
        ensure_default_action_types()  # reference data the migration seeds in production
        redis_conn().flushdb()
        from crm import cache

        cache.clear()  # a new Redis starts new versions anyway; this keeps tests apart in memory too
        sink = request.getfixturevalue("smtp")
        sink.clear()
        if sink.controller is None:  # a test stopped it
            sink.start()
        yield
        db.session.rollback()
        db.session.remove()


def _truncate(db: Any) -> None:
    tables = list(reversed(db.metadata.sorted_tables))
    with db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            _empty_postgresql(conn, tables)
        else:
            # Some foreign keys point both ways (outbox <-> enrollments): empty with checks off.
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            for table in tables:
                conn.execute(table.delete())
            conn.commit()
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")
        conn.commit()


def _empty_postgresql(conn: Any, tables: list[Any]) -> None:
    """Empty the tables the last test wrote and restart the id sequences it drew from, in three
    round trips. Not TRUNCATE: it gives each table and index new files, ~100 ms a test on an idle
    machine, ~800 ms on a busy one (TRUNCATE users cascades to nearly every table). DELETE leaves
    dead rows whose room later inserts may take (autovacuum is off on the test tables to keep that
    rare, but pruning on a page still frees room): a test that reads rows in insertion order must
    say ORDER BY, as the app's own queries do."""
    holding = " UNION ALL ".join(f"SELECT '{t.name}' WHERE EXISTS (SELECT 1 FROM {t.name})" for t in tables)
    used = set(conn.execute(text(holding)).scalars()) if tables else set()
    # Foreign keys point both ways (outbox <-> enrollments): no FK triggers while emptying.
    conn.execute(text("SET LOCAL session_replication_role = replica"))
    for table in tables:
        if table.name in used:
            conn.execute(table.delete())
    conn.execute(
        text(
            "SELECT setval(c.oid, 1, false) FROM pg_sequences s"
            " JOIN pg_class c ON c.relname = s.sequencename AND c.relkind = 'S'"
            " WHERE s.schemaname = 'public' AND s.last_value IS NOT NULL"
        )
    )


class CSRFClient(FlaskClient):
    """A test client that sends the CSRF header like our HTMX pages do (csrf=False to omit it)."""

    def csrf_token(self) -> str:
        with self.session_transaction() as sess:
            if "csrf_token" not in sess:
                sess["csrf_token"] = hashlib.sha1(os.urandom(64)).hexdigest()
            raw = sess["csrf_token"]
        return URLSafeTimedSerializer(self.application.secret_key, salt="wtf-csrf-token").dumps(raw)

    def open(self, *args: Any, csrf: bool = True, htmx: bool = False, **kwargs: Any):  # type: ignore[override]
        from crm.extensions import db

        method = (kwargs.get("method") or "GET").upper()
        headers = dict(kwargs.pop("headers", None) or {})
        if htmx:
            headers["HX-Request"] = "true"
        if csrf and method not in SAFE_METHODS:
            headers.setdefault("X-CSRFToken", self.csrf_token())
        # Like in production, each request gets its own app context (its own `g`, its own
        # database session): run it in an empty contextvars context, not inside the test's.
        if not has_app_context():  # a redirect being followed: already inside the request's run
            return super().open(*args, headers=headers, **kwargs)
        db.session.commit()
        # A streamed body (a CSV export) is read here too, in the request's context: its generator
        # holds that context (stream_with_context) and must end it where it began.
        kwargs.setdefault("buffered", True)
        response = contextvars.Context().run(super().open, *args, headers=headers, **kwargs)
        db.session.commit()  # end the test's transaction so it sees what the request wrote
        return response


class Auth:
    def __init__(self, client: CSRFClient) -> None:
        self.client = client

    def login(self, user: Any, password: str = PASSWORD):  # type: ignore[no-untyped-def]
        response = self.client.post("/login", data={"email": user.email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return user

    def logout(self) -> None:
        self.client.post("/logout")


@pytest.fixture
def client(app: Flask) -> CSRFClient:
    return app.test_client()  # type: ignore[return-value]


@pytest.fixture
def auth(client: CSRFClient) -> Auth:
    return Auth(client)


@pytest.fixture
def admin(app: Flask):  # type: ignore[no-untyped-def]
    from tests.factories import make_user

    return make_user(role="admin", name="Ada Admin")


@pytest.fixture
def rep(app: Flask):  # type: ignore[no-untyped-def]
    from tests.factories import make_user

    return make_user(role="rep", name="Remy Rep")


@pytest.fixture
def start_worker(test_env: dict[str, str], tmp_root: Path, app: Flask, request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """Start real RQ worker processes (scheduler and sweeps included); all stop after the test.
    For the tests about the process itself (signals, kills); the others use `worker`."""
    from redis import Redis
    from rq import Worker

    from tests.services import wait_until

    started: list[WorkerProcess] = []
    conn = Redis.from_url(test_env["REDIS_URL"])

    def start(**env: str) -> WorkerProcess:
        name = f"{request.node.name}-{len(started)}".replace("/", "_")[:80]
        proc = WorkerProcess({**test_env, **env}, tmp_root / f"worker-{name}.log")
        before = len(Worker.all(connection=conn))
        proc.start()
        started.append(proc)
        wait_until(
            lambda: len(Worker.all(connection=conn)) > before,
            30,
            message="the worker to register",
            drain=False,
        )
        return proc

    yield start
    for proc in started:
        proc.stop()


@pytest.fixture
def worker(app: Flask, test_env: dict[str, str]) -> Iterator[InProcessWorker]:
    """RQ's worker in the test's process (no `python worker.py` to start: ~4 s a test). Every
    `wait_until` and `smtp.wait_for` drains the queues before it looks; a test asserting that
    something does not happen calls `worker.drain()` before it asserts."""
    from redis import Redis

    from automation.queues import QUEUE_NAMES

    InProcessWorker.active = InProcessWorker(app, Redis.from_url(test_env["REDIS_URL"]), list(QUEUE_NAMES))
    yield InProcessWorker.active
    InProcessWorker.active = None


@pytest.fixture(scope="session")
def live_server(app: Flask) -> Iterator[str]:
    """The app served over HTTP in a thread, for the browser tests."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def chromium_path() -> str | None:
    """CHROMIUM_PATH, else the lightest found: the headless shell, else a full Chromium (.ci/chromium)."""
    return os.environ.get("CHROMIUM_PATH") or next(
        filter(None, map(shutil.which, ("chromium-headless-shell", "chromium", "chromium-browser"))), None
    )


def ensure_chromium() -> str | None:
    """The Chromium to drive; None for Playwright's own. None found: .ci/chromium (what `make
    browser` runs) downloads or installs one, or the browser tests stop with its one-line reason."""
    path = chromium_path()
    if path:
        return path
    result = subprocess.run(
        [str(ROOT / ".ci" / "chromium")],
        env={**os.environ, "PYTHON": sys.executable},
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        lines = result.stderr.strip().splitlines() or [
            ".ci/chromium failed: no Chromium for the browser tests"
        ]
        pytest.fail(lines[-1], pytrace=False)
    return chromium_path()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    path = ensure_chromium()
    args = {
        **browser_type_launch_args,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }
    if path:
        args["executable_path"] = path
    return args


@pytest.fixture(scope="session")
def base_url(live_server: str) -> str:
    return live_server


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "needs_app: the test uses the app context without the app fixture")
    os.environ.setdefault("INSTANCE_PATH", str(ROOT / "instance"))
