"""Run several processes as one (honcho): used by `make run` and by the Procfile's web dyno."""

from __future__ import annotations

import os
import socket
import sys

import honcho.manager
from honcho.manager import Manager

PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def gunicorn_cmd(bind: str, workers: int, threads: int) -> str:
    return (
        f"{PYTHON} -m gunicorn --bind {bind} --workers {workers} --threads {threads} "
        "--worker-class gthread --no-control-socket --graceful-timeout 20 "
        # Idle keep-alive connections outlive the router's (Heroku: 90 s), so the server never
        # closes one a client is reusing at that instant (seen as connection resets under load).
        "--keep-alive 95 "
        "--access-logfile - 'app:create_app()'"
    )


def run_together(processes: dict[str, str], env: dict[str, str], kill_wait: int) -> int:
    """Start every process; when one stops, stop the others. Returns the exit code to use:
    a process that stopped on its own (not by our SIGINT/SIGTERM) is a failure even if it said 0."""
    honcho.manager.KILL_WAIT = kill_wait  # SIGTERM first; SIGKILL only after this many seconds
    manager = Manager()
    child_env = {**os.environ, **env, "PYTHONUNBUFFERED": "1"}
    for name, cmd in processes.items():
        manager.add_process(name, cmd, env=child_env)
    manager.loop()
    code = manager.returncode or 0
    signalled = code in (130, 143)
    return code if code or signalled else 1
