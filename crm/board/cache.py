"""The board's heavy part (the funnel and the columns of cards), rendered once per board version
and kept in each web process.

The version is a random token in Redis, replaced after every commit that wrote to a table cards
show (opportunities, their tags, accounts, users, stages, pipelines), from any process: web or
worker. A board is therefore never older than the last commit it could see. Were a replacement
lost (Redis away at that moment), an entry still lives at most TTL seconds; without Redis there is
no cache at all.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from itertools import chain
from typing import Any

from flask import has_app_context
from sqlalchemy import event as sa_event
from sqlalchemy.orm import ORMExecuteState, Session

log = logging.getLogger(__name__)
WATCHED = frozenset({"opportunities", "opportunity_tags", "accounts", "users", "tags", "stages", "pipelines"})
VERSION_KEY = "crm:board-version"
TTL = 60.0
SIZE = 32  # keys of one version: pipelines × filters ("mine" is per rep) × languages
_DIRTY = "crm_board_dirty"
_entries: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
_lock = threading.Lock()
_seen: str | None = None  # the version the entries belong to


def _redis():  # type: ignore[no-untyped-def]
    from automation.queues import redis_conn

    return redis_conn()


@sa_event.listens_for(Session, "after_flush")
def _flushed(session: Session, _ctx: Any) -> None:
    if not session.info.get(_DIRTY) and any(
        getattr(type(obj), "__tablename__", None) in WATCHED
        for obj in chain(session.new, session.dirty, session.deleted)
    ):
        session.info[_DIRTY] = True


@sa_event.listens_for(Session, "do_orm_execute")
def _executed(state: ORMExecuteState) -> None:
    """Statements run through session.execute (bulk UPDATE, INSERT into a link table…)."""
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) in WATCHED:
            state.session.info[_DIRTY] = True


@sa_event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    if session.info.pop(_DIRTY, False) and has_app_context():
        try:
            _redis().set(VERSION_KEY, secrets.token_hex(8))
        except Exception:  # Redis away: entries expire after TTL
            log.warning("could not move the board version on", exc_info=True)


@sa_event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(_DIRTY, None)


def _version() -> str | None:
    try:
        conn = _redis()
        token = conn.get(VERSION_KEY)
        if token is None:  # a new (or flushed) Redis: start a version nobody has cached
            conn.set(VERSION_KEY, secrets.token_hex(8), nx=True)
            token = conn.get(VERSION_KEY)
        return token.decode() if token else None
    except Exception:
        return None


def cached(key: Hashable, build: Callable[[], Any]) -> Any:
    """`build()` once per board version (and at most TTL seconds), for this key."""
    version = _version()
    if version is None:
        return build()
    global _seen
    full, now = (key, version), time.monotonic()
    with _lock:
        if version != _seen:  # entries of older versions will never be read again
            _entries.clear()
            _seen = version
        hit = _entries.get(full)
        if hit is not None and now - hit[0] < TTL:
            _entries.move_to_end(full)
            return hit[1]
    value = build()
    with _lock:
        _entries[full] = (now, value)
        while len(_entries) > SIZE:
            _entries.popitem(last=False)
    return value


def clear() -> None:
    with _lock:
        _entries.clear()
