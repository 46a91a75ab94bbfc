"""Fragments kept in each web process until a table they were built from changes.

Each watched table has a version: a random token in Redis, replaced after every commit that wrote
to the table, from any process (web or worker). A fragment is cached with the versions of the
tables it was read from, and served only while those versions are current, so a page never shows
data older than the last commit it could see. A web request reads every version in one round-trip,
before its first query (`load_versions`). Were a replacement lost (Redis away at that moment), a
fragment still lives at most TTL seconds; without Redis nothing is cached.

Writes that bypass the ORM session (raw SQL on a connection) are not seen: they wait out the TTL.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from itertools import chain
from typing import Any, TypeVar

from flask import g, has_app_context, has_request_context
from sqlalchemy import event as sa_event
from sqlalchemy import inspect
from sqlalchemy.orm import ORMExecuteState, Session

log = logging.getLogger(__name__)
T = TypeVar("T")
WATCHED = (
    "opportunities",
    "opportunity_tags",
    "accounts",
    "users",
    "tags",
    "stages",
    "pipelines",
    "pipeline_members",
    "actions",
    "notifications",
)
PREFIX = "crm:version:"
TTL = 60.0
MAX_CHARS = 8_000_000  # about 32 boards of 2,000 cards per web process; small entries count 1,000
_DIRTY = "crm_cache_dirty"
_entries: OrderedDict[Hashable, tuple[tuple[str, ...], float, int, Any]] = OrderedDict()
_weight = 0
_lock = threading.Lock()


def _redis():  # type: ignore[no-untyped-def]
    from automation.queues import redis_conn

    return redis_conn()


def _tables_of(obj: object) -> Iterable[str]:
    """The object's table and the link tables of its many-to-many collections."""
    mapper = inspect(type(obj), raiseerr=False)
    if mapper is None:
        return ()
    links = (rel.secondary.name for rel in mapper.relationships if rel.secondary is not None)
    return chain((t.name for t in mapper.tables), links)  # type: ignore[attr-defined]


@sa_event.listens_for(Session, "after_flush")
def _flushed(session: Session, _ctx: Any) -> None:
    dirty = session.info.setdefault(_DIRTY, set())
    for obj in chain(session.new, session.dirty, session.deleted):
        dirty.update(t for t in _tables_of(obj) if t in WATCHED)


@sa_event.listens_for(Session, "do_orm_execute")
def _executed(state: ORMExecuteState) -> None:
    """Statements run through session.execute (bulk UPDATE, INSERT into a link table…)."""
    if state.is_insert or state.is_update or state.is_delete:
        name = getattr(getattr(state.statement, "table", None), "name", None)
        if name in WATCHED:
            state.session.info.setdefault(_DIRTY, set()).add(name)


@sa_event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    tables = session.info.pop(_DIRTY, None)
    if tables and has_request_context():
        g.pop("crm_versions", None)  # read them again, after this commit
    if tables and has_app_context():
        try:
            pipe = _redis().pipeline(transaction=False)
            for table in tables:
                pipe.set(PREFIX + table, secrets.token_hex(8))
            pipe.execute()
        except Exception:  # Redis away: entries expire after TTL
            log.warning("could not move the versions of %s on", sorted(tables), exc_info=True)


@sa_event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(_DIRTY, None)


def _read_versions() -> dict[str, str] | None:
    try:
        conn = _redis()
        tokens = conn.mget([PREFIX + t for t in WATCHED])
        missing = [t for t, token in zip(WATCHED, tokens, strict=True) if token is None]
        if missing:  # a new (or flushed) Redis: start versions nobody has cached
            pipe = conn.pipeline(transaction=False)
            for table in missing:
                pipe.set(PREFIX + table, secrets.token_hex(8), nx=True)
            pipe.execute()
            tokens = conn.mget([PREFIX + t for t in WATCHED])
        if any(token is None for token in tokens):
            return None
        return {t: token.decode() for t, token in zip(WATCHED, tokens, strict=True)}
    except Exception:
        return None


def load_versions() -> None:
    """Read the versions for this request; called before its first query, so that nothing it
    reads from the database can be older than the versions it caches under."""
    g.crm_versions = _read_versions()


def _versions() -> dict[str, str] | None:
    if not has_request_context():
        return _read_versions()
    if "crm_versions" not in g:
        load_versions()
    return g.crm_versions  # type: ignore[no-any-return]


def cached(key: Hashable, tables: Iterable[str], build: Callable[[], T]) -> T:
    """`build()` once, then again only after a commit to one of `tables` (or TTL seconds)."""
    versions = _versions()
    if versions is None:
        return build()
    current = tuple(versions[t] for t in tables)
    now = time.monotonic()
    with _lock:
        hit = _entries.get(key)
        if hit is not None and hit[0] == current and now - hit[1] < TTL:
            _entries.move_to_end(key)
            return hit[3]  # type: ignore[no-any-return]
    value = build()
    _store(key, (current, now, len(value) if isinstance(value, str) else 1000, value))
    return value


def _store(key: Hashable, entry: tuple[tuple[str, ...], float, int, Any]) -> None:
    global _weight
    with _lock:
        old = _entries.pop(key, None)
        _weight += entry[2] - (old[2] if old else 0)
        _entries[key] = entry
        while _weight > MAX_CHARS and len(_entries) > 1:
            _weight -= _entries.popitem(last=False)[1][2]


def clear() -> None:
    global _weight
    with _lock:
        _entries.clear()
        _weight = 0
