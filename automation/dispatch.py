"""After-commit dispatch: rows that stand for work (domain events, outbox mail) are handed to
RQ only once their transaction has committed. If Redis is unreachable the commit still stands
and the worker's sweeps pick the rows up later."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import has_app_context
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from crm.services.job_state import job_state

log = logging.getLogger(__name__)
_PENDING = "crm_pending_dispatch"
_HANDLERS: dict[type, Callable[[list[int]], None]] = {}


def on_commit(model: type, handler: Callable[[list[int]], None]) -> None:
    """After a commit that inserted rows of `model`, call `handler(ids)`."""
    _HANDLERS[model] = handler


@sa_event.listens_for(Session, "after_flush")
def _collect(session: Session, _ctx: Any) -> None:
    skip = job_state(session).skip_dispatch
    for obj in session.new:
        if type(obj) in _HANDLERS and type(obj) not in skip:
            session.info.setdefault(_PENDING, {}).setdefault(type(obj), []).append(obj.id)


@sa_event.listens_for(Session, "after_commit")
def _dispatch(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending or not has_app_context():
        return
    collect = job_state(session).collect_dispatch or {}
    for model, ids in pending.items():
        if model in collect:
            collect[model].extend(ids)
            continue
        try:
            _HANDLERS[model](ids)
        except Exception:  # Redis down: the sweeps re-enqueue from the database later
            log.warning(
                "could not enqueue %s %s; the sweep will pick them up", model.__name__, ids, exc_info=True
            )


@sa_event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_PENDING, None)
