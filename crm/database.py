"""Engine settings per database."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine


def configure(app: Flask) -> None:
    """SQLite: WAL (web and worker processes share the file), a busy timeout, foreign keys on."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    options = app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
    # sqlite3's own busy handler: wait this long for another process's write lock.
    options.setdefault("connect_args", {}).setdefault("timeout", app.config["SQLITE_BUSY_SECONDS"])

    @event.listens_for(Engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        if type(dbapi_connection).__module__.startswith("sqlite3"):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            # Durable at each checkpoint, without an fsync per commit (the WAL keeps the file sane).
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()
