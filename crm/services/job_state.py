"""What one unit of work shares with the modules it calls, for as long as it runs.

A batch job preloads lookups (suppression list, reps' senders), takes over the hand-over of the
rows it writes, or collects the feed lines an effect's services write. Those used to be loose
`session.info` keys, each defined in the module that happened to need it first; they are now the
fields of one object kept on the session, set for a block with `job_scope`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from typing import Any

from sqlalchemy.orm import Session

from crm.extensions import db

_KEY = "crm_job_state"


@dataclass
class JobState:
    # Models whose new rows the job hands to the queue itself (automation.dispatch skips them).
    skip_dispatch: tuple[type, ...] = ()
    # {model: [ids]}: new rows of these models are collected here after commit, for the job to
    # handle itself, instead of being handed to the queue.
    collect_dispatch: dict[type, list[int]] | None = None
    # While an automation's effect runs: the feed lines its services write (the engine signs
    # them with the trigger instead of adding a line of its own).
    feed_written: list[Any] | None = None
    # A batch's preloaded suppression list (lower-cased addresses); None: ask the database.
    suppressed: set[str] | None = None
    # A batch's cache of each rep's registered sender address, by user id.
    rep_senders: dict[int, Any] | None = None
    # Rows a batch keeps alive across commits (the identity map only holds weak references).
    preloaded: list[Any] = field(default_factory=list)


def job_state(session: Session | None = None) -> JobState:
    """The state of the current unit of work (the defaults when no job set anything)."""
    info = (session if session is not None else db.session()).info
    state = info.get(_KEY)
    if state is None:
        state = info[_KEY] = JobState()
    return state


@contextmanager
def job_scope(session: Session | None = None, **values: Any) -> Iterator[JobState]:
    """Set these fields for the block; they go back to what they were when it ends."""
    names = {f.name for f in fields(JobState)}
    unknown = set(values) - names
    if unknown:
        raise TypeError(f"JobState has no field {', '.join(sorted(unknown))}")
    state = job_state(session)
    before = {name: getattr(state, name) for name in values}
    for name, value in values.items():
        setattr(state, name, value)
    try:
        yield state
    finally:
        for name, value in before.items():
            setattr(state, name, value)
