"""Fragments kept in each web process until a table they were built from changes.

Each watched table has a version: a random token in Redis, replaced after every commit that wrote
to the table, from any process (web or worker). A fragment is cached with the versions of the
tables it was read from, and served only while those versions are current, so a page never shows
data older than the last commit it could see. A request reads every version in one round-trip, at
its first use of the cache and before that fragment's queries: whatever the fragment then reads is
at least as new as those versions (SQLite reads outside a transaction until the first write, and
PostgreSQL's READ COMMITTED sees each statement's latest commit).

What is not cached: a fragment built while the session holds writes not yet committed. Writes
inside a savepoint count when the outer transaction commits. Columns that no fragment shows
(`IGNORED_COLUMNS`: login counters, password hash, timestamps) move no version, so failed logins
do not empty the caches. Writes that bypass the ORM session (raw SQL on a connection) are not
seen: they wait out the TTL. Were a version's replacement lost (Redis away at that moment), a
fragment still lives at most TTL seconds (or the shorter ttl its caller gives). Without Redis
nothing is cached, and after a failure Redis is left alone for DOWN_PAUSE seconds.
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
DOWN_PAUSE = 5.0
IGNORED_COLUMNS = frozenset({"password_hash", "updated_at"})
MAX_CHARS = 8_000_000  # about 32 boards of 2,000 cards per web process; small entries count 1,000
_DIRTY = "crm_cache_dirty"
_entries: OrderedDict[Hashable, tuple[tuple[str, ...], float, int, Any]] = OrderedDict()
_weight = 0
_lock = threading.Lock()
_down_until = 0.0  # Redis failed: no caching until then


def _redis():  # type: ignore[no-untyped-def]
    from crm.extensions import redis_conn

    return redis_conn()


def _redis_failed() -> None:
    global _down_until
    _down_until = time.monotonic() + DOWN_PAUSE


def _tables_of(obj: object) -> Iterable[str]:
    """The object's table and the link tables of its many-to-many collections."""
    mapper = inspect(type(obj), raiseerr=False)
    if mapper is None:
        return ()
    links = (rel.secondary.name for rel in mapper.relationships if rel.secondary is not None)
    return chain((t.name for t in mapper.tables), links)  # type: ignore[attr-defined]


def _changed(obj: object) -> bool:
    """Whether a flushed dirty object changed anything a fragment could show."""
    return any(attr.history.has_changes() for attr in inspect(obj).attrs if attr.key not in IGNORED_COLUMNS)


@sa_event.listens_for(Session, "after_flush")
def _flushed(session: Session, _ctx: Any) -> None:
    dirty = session.info.setdefault(_DIRTY, set())
    for obj in chain(session.new, session.deleted, session.dirty):
        tables = [t for t in _tables_of(obj) if t in WATCHED and t not in dirty]
        if tables and (obj not in session.dirty or _changed(obj)):
            dirty.update(tables)


@sa_event.listens_for(Session, "do_orm_execute")
def _executed(state: ORMExecuteState) -> None:
    """Statements run through session.execute (bulk UPDATE, INSERT into a link table…)."""
    if state.is_insert or state.is_update or state.is_delete:
        name = getattr(getattr(state.statement, "table", None), "name", None)
        if name in WATCHED:
            state.session.info.setdefault(_DIRTY, set()).add(name)


@sa_event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint released: the outer commit decides
        return
    tables = session.info.pop(_DIRTY, None)
    if tables and has_request_context():
        g.pop("crm_versions", None)  # read them again, after this commit
    if tables and has_app_context():
        try:
            pipe = _redis().pipeline(transaction=False)
            for table in tables:
                pipe.set(PREFIX + table, secrets.token_hex(8))
            pipe.execute()
        except Exception:  # Redis away: entries expire after their TTL
            clear()  # this process at least forgets what may now be stale
            _redis_failed()
            log.warning("could not move the versions of %s on", sorted(tables), exc_info=True)


@sa_event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    if not session.in_nested_transaction():  # a savepoint's rollback keeps the outer writes
        session.info.pop(_DIRTY, None)


def _read_versions() -> dict[str, str] | None:
    if time.monotonic() < _down_until:
        return None
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
        _redis_failed()
        log.warning("no cache: Redis cannot be read", exc_info=True)
        return None


def _versions() -> dict[str, str] | None:
    """The versions, read once per request (again after a commit of the request)."""
    if not has_request_context():
        return _read_versions()
    if "crm_versions" not in g:
        g.crm_versions = _read_versions()
    return g.crm_versions  # type: ignore[no-any-return]


def _uncommitted() -> bool:
    from crm.extensions import db

    session = db.session()
    return bool(session.new or session.dirty or session.deleted or session.info.get(_DIRTY))


def cached(key: Hashable, tables: Iterable[str], build: Callable[[], T], ttl: float = TTL) -> T:
    """`build()` once, then again only after a commit to one of `tables` (or `ttl` seconds)."""
    versions = _versions()
    if versions is None:
        return build()
    current = tuple(versions[t] for t in tables)
    now = time.monotonic()
    with _lock:
        hit = _entries.get(key)
        if hit is not None and hit[0] == current and now - hit[1] < ttl:
            _entries.move_to_end(key)
            return hit[3]  # type: ignore[no-any-return]
    value = build()
    if not _uncommitted():  # what this session has not committed must not reach anyone else
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
    """Forget every fragment (and a recent Redis failure)."""
    global _weight, _down_until
    with _lock:
        _entries.clear()
        _weight = 0
        _down_until = 0.0
