"""RQ worker with its scheduler, on the app's queues, running the periodic sweeps.

Usage: python worker.py [--burst]
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time

from redis import Redis
from redis.exceptions import BusyLoadingError
from redis.exceptions import ConnectionError as RedisConnectionError
from rq import SimpleWorker

from app import create_app
from automation.queues import QUEUE_NAMES
from automation.sweep import run_sweeps
from crm.logs import DATEFMT as LOG_DATEFMT
from crm.logs import FORMAT as LOG_FORMAT
from crm.logs import configure as configure_logs

log = logging.getLogger("worker")
app = create_app()


class CRMWorker(SimpleWorker):
    """Runs jobs in-process (no fork per job: ~3x the throughput) inside an app context,
    and piggybacks the sweeps on RQ's maintenance tick, one worker at a time."""

    def execute_job(self, job, queue):  # type: ignore[no-untyped-def]
        with app.app_context():
            return super().execute_job(job, queue)

    def run_maintenance_tasks(self) -> None:
        super().run_maintenance_tasks()
        interval = app.config["SWEEP_INTERVAL"]
        # One sweeper per interval across all workers; the lock expires on its own.
        if not self.connection.set("crm:sweep-lock", self.name, nx=True, ex=max(interval - 1, 1)):
            return
        try:
            with app.app_context():
                swept = run_sweeps()
            if found := {name: count for name, count in swept.items() if count}:
                log.info("sweep re-enqueued %s", found)
        except Exception:
            log.exception("sweep failed; will try again next tick")


class _QuietMaintenance(logging.Filter):
    """Our maintenance tick is short (sweeps ride on it): keep its routine lines out of the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "cleaning registries" not in (msg := record.getMessage()) and "cleaning group" not in msg


def wait_for_redis(conn: Redis, seconds: float = 30) -> None:
    """A worker started while Redis is still loading its data exits: wait for PONG first."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if conn.ping():
                return
        except (RedisConnectionError, BusyLoadingError):
            if time.monotonic() > deadline:
                raise
        time.sleep(0.2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--burst", action="store_true", help="quit when the queues are empty")
    args = parser.parse_args(argv)
    configure_logs()
    if niceness := int(os.environ.get("WORKER_NICE", "0")):
        # Sharing a dyno with the web process: pages first, the background drain with what is left.
        os.nice(niceness)
        log.info("running at niceness %d", niceness)
    conn = Redis.from_url(app.config["REDIS_URL"])
    logging.getLogger("rq.worker").addFilter(_QuietMaintenance())
    interval = app.config["SWEEP_INTERVAL"]
    # RQ's worker quits when Redis goes away in the middle of a job. Start a fresh one once Redis
    # answers again (what the job was doing is in the database: the sweeps hand it out again).
    while True:
        wait_for_redis(conn, seconds=float("inf"))
        worker = CRMWorker(
            list(QUEUE_NAMES),
            connection=conn,
            # Short ticks: the sweeps run on them and the scheduler comes back fast after a
            # Redis outage (see STACK.md: the default 600 s leaves it down for minutes).
            maintenance_interval=interval,
            worker_ttl=max(interval + 15, 20),
        )
        try:
            worker.work(
                with_scheduler=True,
                burst=args.burst,
                logging_level="INFO",
                log_format=LOG_FORMAT,
                date_format=LOG_DATEFMT,
            )
        except (RedisConnectionError, BusyLoadingError):
            log.warning("lost Redis; starting again once it is back")
            time.sleep(1)
            continue
        # RQ sets the date on every SIGTERM/SIGINT (its stop flag only when a job was running).
        if worker._shutdown_requested_date is not None or args.burst:
            return 0
        log.warning("the worker stopped on its own; starting a new one")
        time.sleep(1)


if __name__ == "__main__":
    sys.exit(main())
