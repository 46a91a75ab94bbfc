"""RQ jobs: module-level functions that take ids. The worker runs each in an app context."""

from __future__ import annotations


def process_event(event_id: int) -> str:
    """Consume one domain event: run the pipeline triggers it fires (automation.triggers.engine)."""
    from automation.triggers.engine import process_event as run

    return run(event_id)


def noop() -> None:
    """A job that does nothing: benchmarks measure the queue's own cost with it."""
