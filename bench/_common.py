"""Shared set-up for the benchmarks: a throwaway database, Redis and app, and timing helpers."""

from __future__ import annotations

import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


class Environment:
    """Temp dir, SQLite (unless DATABASE_URL is set), an embedded redis-server, the app."""

    def __init__(self) -> None:
        from crm.devserver import redis_server_binary
        from crm.procs import free_port

        self.tmp = Path(tempfile.mkdtemp(prefix="crm-bench-"))
        port = free_port()
        self.redis = subprocess.Popen(
            [
                redis_server_binary(),
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--dir",
                str(self.tmp),
            ],
            stdout=subprocess.DEVNULL,
        )
        os.environ.setdefault("DATABASE_URL", f"sqlite:///{self.tmp / 'bench.sqlite3'}")
        os.environ["REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
        os.environ["INSTANCE_PATH"] = str(self.tmp)
        os.environ["SECRET_KEY"] = "bench"
        os.environ["CRM_ENV"] = "test"
        time.sleep(0.3)
        from app import create_app

        self.app = create_app({"WTF_CSRF_ENABLED": False})
        self.ctx = self.app.app_context()
        self.ctx.push()
        from flask_migrate import upgrade
        from sqlalchemy import text

        from crm.extensions import db

        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()

    def close(self) -> None:
        self.ctx.pop()
        self.redis.terminate()
        self.redis.wait()


def timed(fn: Callable[[], object], runs: int, warmup: int = 3) -> list[float]:
    """Wall-clock milliseconds of each run, after a few warm-up runs."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def summary(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    return f"median {statistics.median(ordered):7.1f} ms   p95 {p95:7.1f} ms   (n={len(ordered)})"


def emit(**figures: object) -> None:
    """Hand figures to `bench/run` (which sets BENCH_JSON); a no-op when a script runs alone."""
    import json

    path = os.environ.get("BENCH_JSON")
    if not path:
        return
    data = json.loads(Path(path).read_text()) if Path(path).exists() else {}
    data.update(figures)
    Path(path).write_text(json.dumps(data, indent=1, default=str))


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    return ordered[max(0, int(len(ordered) * pct / 100) - 1)]


def rss_mb(pid: int, children: bool = True) -> float:
    """Resident memory of a process (and its children), in MiB."""
    import psutil

    process = psutil.Process(pid)
    procs = [process, *(process.children(recursive=True) if children else [])]
    total = 0
    for p in procs:
        with contextlib.suppress(psutil.NoSuchProcess):
            total += p.memory_info().rss
    return total / 2**20
