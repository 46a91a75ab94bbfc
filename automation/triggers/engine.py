"""The trigger engine: a domain event runs the effects of every enabled trigger it matches, in
order, each exactly once (unique run keys), retried with backoff when a failure is temporary,
stopped with its reason when it is not, and told on the opportunity's feed."""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from automation.queues import enqueue_events, schedule_event_retry
from automation.triggers.effects import EFFECTS, EffectContext
from automation.triggers.events import matches
from crm.extensions import db
from crm.facts import clip, fact
from crm.models import DomainEvent, EffectRun, FeedEntry, Opportunity, Trigger, TriggerRun, utcnow
from crm.services import ServiceError, stored_reason
from crm.services.events import feed
from crm.services.job_state import job_scope

log = logging.getLogger(__name__)
MAX_DEPTH = 5
MAX_ATTEMPTS = 5
TRIGGER_EVENTS = (
    "result_changed",
    "stage_changed",
    "opportunity_created",
    "quote_sent",
    "quote_reopened",
    "action_created",
    "action_closed",
)


def retry_delay(attempts: int) -> timedelta:
    """A temporarily failed effect is tried again after base, 3×base, 9×base… capped at one hour."""
    base = current_app.config["TRIGGER_RETRY_BASE_SECONDS"]
    return timedelta(seconds=min(base * 3 ** max(attempts - 1, 0), 3600))


def fired_triggers(
    event: DomainEvent, opportunity: Opportunity | None, triggers: list[Trigger]
) -> list[Trigger]:
    """Which of the pipeline's enabled triggers (in order) this event fires."""
    if opportunity is None or event.kind not in TRIGGER_EVENTS:
        return []
    return [t for t in triggers if matches(t, event)]


def fire(event: DomainEvent, opportunity: Opportunity, fired: list[Trigger]) -> str:
    """Run the fired triggers; the event is processed when every run is final. The last run's
    "done" and the event's "processed" share one commit."""
    pending = False
    if event.depth >= MAX_DEPTH:
        _loop_guard(event, opportunity, fired)
    else:
        for index, trigger in enumerate(fired):
            if index:
                db.session.commit()  # the previous run's "done" stands whatever this one does
            pending |= run_trigger(event, opportunity, trigger)
    if pending:
        db.session.commit()
        return "waiting for a retry"
    claimed = db.session.execute(
        update(DomainEvent)
        .where(DomainEvent.id == event.id, DomainEvent.processed_at.is_(None))
        .values(processed_at=utcnow(), attempts=DomainEvent.attempts + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return "processed" if claimed else "already processed"


def _loop_guard(event: DomainEvent, opportunity: Opportunity, fired: list[Trigger]) -> None:
    names = ", ".join(t.name for t in fired)
    feed(
        opportunity,
        "automation",
        None,
        status="stopped",
        trigger=names,
        text=fact("loop_stopped", num=event.depth, max=MAX_DEPTH),
    )
    for trigger in fired:
        db.session.add(
            TriggerRun(
                event_id=event.id,
                trigger_id=trigger.id,
                trigger_name=trigger.name,
                opportunity_id=opportunity.id,
                status="stopped",
                depth=event.depth,
                error=fact("loop_guard", num=event.depth),
                finished_at=utcnow(),
            )
        )
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()


def trigger_run(event: DomainEvent, opportunity: Opportunity, trigger: Trigger) -> TriggerRun:
    """The run of this trigger for this event, created (and committed) on first use."""
    run = db.session.scalar(
        select(TriggerRun).where(TriggerRun.event_id == event.id, TriggerRun.trigger_id == trigger.id)
    )
    if run is None:
        run = TriggerRun(
            event_id=event.id,
            trigger_id=trigger.id,
            trigger_name=trigger.name,
            opportunity_id=opportunity.id,
            depth=event.depth,
        )
        db.session.add(run)
        try:
            db.session.commit()
        except IntegrityError:  # another worker created it first
            db.session.rollback()
            run = db.session.scalar(
                select(TriggerRun).where(TriggerRun.event_id == event.id, TriggerRun.trigger_id == trigger.id)
            )
    return run


def run_trigger(event: DomainEvent, opportunity: Opportunity, trigger: Trigger) -> bool:
    """Run the trigger's effects in order. True when one waits for a retry."""
    run = trigger_run(event, opportunity, trigger)
    if run.status in ("done", "failed", "stopped"):
        return False
    for position, effect in enumerate(trigger.effects):
        key = f"{event.id}:{trigger.id}:{effect.id}"
        previous = db.session.scalar(select(EffectRun).where(EffectRun.key == key))
        if previous is not None and previous.status == "done":
            continue
        if previous is not None and previous.status == "failed":
            return False
        if previous is not None and previous.next_attempt_at and previous.next_attempt_at > utcnow():
            _schedule(event.id, previous.next_attempt_at)
            return True
        outcome = _run_effect(event, opportunity, trigger, effect, run, key, position, previous)
        if outcome != "done":
            return outcome == "retrying"
    run.status, run.finished_at = "done", utcnow()  # committed by fire(), with the event
    return False


def _run_effect(event, opportunity, trigger, effect, run, key, position, previous) -> str:  # type: ignore[no-untyped-def]
    spec = EFFECTS[effect.kind]
    ctx = EffectContext(event, opportunity, trigger, effect, key)
    attempts = (previous.attempts if previous else 0) + 1
    try:
        with force_locale(
            (opportunity.owner.locale if opportunity.owner else None)
            or current_app.config["BABEL_DEFAULT_LOCALE"]
        ):
            with job_scope(feed_written=[]) as state:
                summary = spec.run(ctx)
                written = state.feed_written or []
            if previous is None:
                db.session.add(
                    EffectRun(
                        key=key,
                        trigger_run_id=run.id,
                        effect_id=effect.id,
                        kind=effect.kind,
                        position=position,
                        status="done",
                        attempts=attempts,
                        summary=summary,
                    )
                )
            else:
                previous.status, previous.attempts, previous.summary, previous.error = (
                    "done",
                    attempts,
                    summary,
                    None,
                )
            _tell(opportunity, trigger, summary, written)
        db.session.commit()  # the effect, its run record and its feed line: all or nothing
    except IntegrityError:
        db.session.rollback()  # the same key committed elsewhere: that run did it
        return "done"
    except ServiceError as err:
        db.session.rollback()
        _failed(
            event,
            opportunity,
            trigger,
            effect,
            run,
            key,
            position,
            attempts,
            stored_reason(err),
            temporary=False,
        )
        return "failed"
    except (OperationalError, ConnectionError, OSError) as err:
        db.session.rollback()
        temporary = attempts < MAX_ATTEMPTS
        _failed(
            event,
            opportunity,
            trigger,
            effect,
            run,
            key,
            position,
            attempts,
            f"{type(err).__name__}: {err}",
            temporary=temporary,
        )
        return "retrying" if temporary else "failed"
    for callback in ctx.after_commit:
        try:
            callback()
        except Exception:  # Redis away: the sweeps pick it up
            log.warning("after-commit step of %s failed", key, exc_info=True)
    return "done"


def _tell(opportunity: Opportunity, trigger: Trigger, summary: str, written: list[FeedEntry]) -> None:
    """One feed line per effect: the lines its services wrote (the action, the tags, the note),
    signed with the trigger's name, or else a line of its own saying what it did."""
    own = [entry for entry in written if entry.opportunity_id == opportunity.id]
    for entry in own:
        entry.data = {**entry.data, "trigger": trigger.name}
    if not own:
        feed(opportunity, "automation", None, status="done", trigger=trigger.name, text=summary)


def _failed(event, opportunity, trigger, effect, run, key, position, attempts, reason, *, temporary) -> None:  # type: ignore[no-untyped-def]
    row = db.session.scalar(select(EffectRun).where(EffectRun.key == key))
    if row is None:
        row = EffectRun(
            key=key, trigger_run_id=run.id, effect_id=effect.id, kind=effect.kind, position=position
        )
        db.session.add(row)
    row.attempts, row.error = attempts, clip(reason, 2000)
    run = db.session.get(TriggerRun, run.id)
    if temporary:
        row.status = "retrying"
        row.next_attempt_at = utcnow() + retry_delay(attempts)
    else:
        row.status, row.next_attempt_at = "failed", None
        text = fact("effect_failed", effect=effect.kind, reason=reason)
        fail_run(run, opportunity, trigger, reason, text)
    db.session.commit()
    if temporary:
        _schedule(event.id, row.next_attempt_at)


def fail_run(run: TriggerRun, opportunity: Opportunity, trigger: Trigger, reason: str, text: str) -> None:
    """A run that failed for good: its status and reason, a line on the opportunity's feed and a
    notification to the admins (in the current transaction)."""
    from crm.services.notes import notify_admins

    run.status, run.error, run.finished_at = "failed", clip(reason, 2000), utcnow()
    entry = feed(opportunity, "automation", None, status="failed", trigger=trigger.name, text=text)
    notify_admins(opportunity, entry, fact("automation_notice", trigger=trigger.name, text=text))


def _schedule(event_id: int, at) -> None:  # type: ignore[no-untyped-def]
    # The sweep leaves it alone until the requeue delay after the retry is due.
    db.session.execute(update(DomainEvent).where(DomainEvent.id == event_id).values(enqueued_at=at))
    db.session.commit()
    try:
        schedule_event_retry(event_id, at)
    except Exception:  # the sweep re-enqueues unprocessed events anyway
        log.warning("could not schedule the retry of event %s", event_id, exc_info=True)


def retry_run(run: TriggerRun) -> None:
    """Admin's Retry: failed effects of this run go again, from the failed one on."""
    for effect_run in run.effects:
        if effect_run.status == "failed":
            effect_run.status, effect_run.next_attempt_at, effect_run.error = "retrying", utcnow(), None
    run.status, run.error, run.finished_at = "running", None, None
    db.session.execute(update(DomainEvent).where(DomainEvent.id == run.event_id).values(processed_at=None))
    db.session.commit()
    enqueue_events([run.event_id])
