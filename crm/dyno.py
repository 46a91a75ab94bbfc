"""The Procfile's `web:` entry on a single dyno: gunicorn and the RQ worker together.

If either dies the dyno exits non-zero; SIGTERM reaches both, and the worker finishes its
current job (RQ's warm shutdown) within the platform's grace period.
"""

from __future__ import annotations

import os
import sys

from crm.procs import PYTHON, gunicorn_cmd, run_together


def main() -> int:
    port = os.environ.get("PORT", "8000")
    workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
    processes = {
        "web": gunicorn_cmd(
            f"0.0.0.0:{port}", workers=workers, threads=int(os.environ.get("WEB_THREADS", "4"))
        ),
        "worker": f"{PYTHON} worker.py",
    }
    env = {
        "CRM_ENV": os.environ.get("CRM_ENV", "production"),
        # One dyno, two processes: the worker yields the CPU to the pages people are waiting for.
        "WORKER_NICE": os.environ.get("WORKER_NICE", "10"),
    }
    return run_together(processes, env, kill_wait=25)


if __name__ == "__main__":
    sys.exit(main())
