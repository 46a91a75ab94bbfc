"""Run several processes as one (honcho): used by `make run` and by the Procfile's web dyno."""

from __future__ import annotations

import os
import socket
import sys
import time
from typing import TextIO

import honcho.manager
from honcho.manager import Manager
from honcho.printer import Printer

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
        f"{PYTHON} -m gunicorn -c python:crm.gunicorn_conf --bind {bind} --workers {workers} --threads {threads} "
        "--worker-class gthread --no-control-socket --graceful-timeout 20 "
        # Idle keep-alive connections outlive the router's (Heroku: 90 s), so the server never
        # closes one a client is reusing at that instant (seen as connection resets under load).
        "--keep-alive 95 "
        "--access-logfile - 'app:create_app()'"
    )


class _Output:
    """stdout that survives its reader going away (`make run | tee log`, then Ctrl-C kills tee):
    later lines are dropped instead of a BrokenPipeError stopping us before our children."""

    def __init__(self, stream: TextIO) -> None:
        self.stream: TextIO | None = stream

    def write(self, text: str) -> int:
        if self.stream is not None:
            try:
                self.stream.write(text)
                self.stream.flush()
            except (BrokenPipeError, OSError):
                self.stream = None
                sys.stdout = open(os.devnull, "w")  # noqa: SIM115  (nor at exit)
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return self.stream is not None and self.stream.isatty()


class OrderedManager(Manager):
    """honcho's Manager, stopping `first` (the worker: it finishes its job while the database and
    Redis are still there) before the others."""

    def __init__(self, first: tuple[str, ...], wait: float, printer: Printer) -> None:
        super().__init__(printer)
        self.first, self.wait = first, wait

    def _killall(self, force: bool = False) -> None:
        if not force:
            for name in self.first:
                proc = self._processes.get(name)
                if proc and proc.get("pid") and "returncode" not in proc:
                    self._system_print(f"stopping {name} first (pid {proc['pid']})\n")
                    self._procmgr.terminate(proc["pid"])
                    if _wait_gone(proc["pid"], self.wait):
                        proc["returncode"] = -15  # gone: no second SIGTERM (the loop records its stop)
        super()._killall(force)


def _wait_gone(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def run_together(
    processes: dict[str, str], env: dict[str, str], kill_wait: int, stop_first: tuple[str, ...] = ("worker",)
) -> int:
    """Start every process; when one stops, stop the others (`stop_first` before the rest).
    Returns the exit code to use: a process that stopped on its own (not by our SIGINT/SIGTERM)
    is a failure even if it said 0."""
    honcho.manager.KILL_WAIT = kill_wait  # SIGTERM first; SIGKILL only after this many seconds
    manager = OrderedManager(stop_first, wait=kill_wait + 20, printer=Printer(_Output(sys.stdout)))
    child_env = {**os.environ, **env, "PYTHONUNBUFFERED": "1"}
    for name, cmd in processes.items():
        manager.add_process(name, cmd, env=child_env)
    manager.loop()
    code = manager.returncode or 0
    signalled = code in (130, 143)
    return code if code or signalled else 1
