"""One log format for every process: the web app (gunicorn included), the worker (RQ included)
and `make run`. Lines read `2026-12-03 09:30:00 INFO rq.worker[1234]: message`."""

from __future__ import annotations

import logging
from typing import Any

FORMAT = "%(asctime)s %(levelname)s %(name)s[%(process)d]: %(message)s"
DATEFMT = "%Y-%m-%d %H:%M:%S"


def configure(level: int | str = logging.INFO) -> None:
    """Root handler on stderr in our format, unless something (gunicorn's dictConfig) set one."""
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=level, format=FORMAT, datefmt=DATEFMT)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)  # a line per plugin


def dict_config() -> dict[str, Any]:
    """The same format as a logging dictConfig: gunicorn's error and access logs use it."""
    handler = {"class": "logging.StreamHandler", "formatter": "crm", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"crm": {"format": FORMAT, "datefmt": DATEFMT}},
        "handlers": {"stderr": handler},
        "root": {"level": "INFO", "handlers": ["stderr"]},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
            "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": True},
        },
    }
