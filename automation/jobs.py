"""RQ jobs: module-level functions that take ids. The worker runs each in an app context."""

from __future__ import annotations


def process_events(event_ids: list[int]) -> dict[str, int]:
    """Consume domain events: run the pipeline triggers they fire (automation.triggers.batch)."""
    from automation.triggers.batch import process_events as run

    return run(event_ids)


def process_event(event_id: int) -> str:
    """One event (jobs queued before events travelled in batches)."""
    from automation.triggers.batch import process_events as run

    return next(iter(run([event_id])), "nothing to do")


def noop() -> None:
    """A job that does nothing: benchmarks measure the queue's own cost with it."""
