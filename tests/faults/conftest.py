"""Fault-suite helpers: a workload of trigger effects and scenario emails, and counters at the sink."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from sqlalchemy import func, select

from automation.scenarios import engine
from crm.extensions import db
from crm.facts import fact
from crm.models import Contact, EffectRun, Enrollment, FeedEntry, OutboxMessage, utcnow
from crm.services.opportunities import move_opportunity
from tests.factories import (
    email_step,
    make_opportunity,
    make_pipeline,
    make_scenario,
    make_sender,
    make_trigger,
    make_user,
)

# Short leases so a killed worker's half-done work comes back within the test's time bound.
FAST = {
    "MAIL_SENDING_LEASE_SECONDS": "3",
    "MAIL_REQUEUE_SECONDS": "3",
    "SWEEP_INTERVAL": "1",
    "SWEEP_GRACE_SECONDS": "1",
    "TRIGGER_RETRY_BASE_SECONDS": "1",
}


@pytest.fixture
def fast_worker(start_worker):  # type: ignore[no-untyped-def]
    return lambda **env: start_worker(**{**FAST, **env})


class Workload:
    """`effects` trigger effects (two per stage move) and `emails` scenario emails (one per person)."""

    def __init__(self, effects: int, emails: int) -> None:
        self.moves = effects // 2
        self.emails = emails
        rep = make_user(name="Alice", email="alice@ourco.example")
        make_sender(email="alice@ourco.example")
        pipeline = make_pipeline("Faults", ["A", "B"])
        make_trigger(
            pipeline,
            "enter_stage",
            {"stage_id": pipeline.stages[1].id},
            name="B → tag and note",
            effects=[("add_tag", {"tag": "Reached B"}), ("post_note", {"text": "in B", "mention_id": None})],
        )
        self.opps = [make_opportunity(pipeline.stages[0], owner=rep) for _ in range(self.moves)]
        scenario = make_scenario([email_step("Hello [[!ContactFirstName]]")], label="Faults")
        now = utcnow()
        db.session.add_all(
            [
                Contact(
                    first_name=f"P{i}",
                    last_name="Fault",
                    email=f"p{i}@client.example",
                    opt_in=True,
                    unsubscribed=False,
                    owner_id=rep.id,
                    created_at=now,
                    updated_at=now,
                )
                for i in range(emails)
            ]
        )
        db.session.commit()
        self.contacts = list(db.session.scalars(select(Contact).where(Contact.last_name == "Fault")))
        self.scenario, self.stage_b = scenario, pipeline.stages[1]

    def start(self) -> None:
        """Everything becomes due at once: stage moves (events) and enrollments (first email)."""
        for opp in self.opps:
            move_opportunity(opp, self.stage_b, actor=None, commit=False)
        for contact in self.contacts:
            engine.enroll(self.scenario, contact, commit=False)
        db.session.commit()

    def done(self) -> bool:
        db.session.expire_all()
        effects = db.session.scalar(select(func.count(EffectRun.id)).where(EffectRun.status == "done"))
        sent = db.session.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.status == "sent"))
        live = db.session.scalar(select(func.count(Enrollment.id)).where(Enrollment.status == "active"))
        return effects == self.moves * 2 and sent == self.emails and live == 0

    def progress(self) -> str:
        db.session.expire_all()
        statuses = dict(
            db.session.execute(
                select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
            ).all()
        )
        effects = db.session.scalar(select(func.count(EffectRun.id)).where(EffectRun.status == "done"))
        return f"effects {effects}/{self.moves * 2}, mail {statuses}"

    def notes_per_opportunity(self) -> Counter:
        rows = db.session.execute(
            select(FeedEntry.opportunity_id, func.count())
            .where(FeedEntry.kind == "note")
            .group_by(FeedEntry.opportunity_id)
        ).all()
        return Counter(count for _id, count in rows)


def duplicates(messages) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """(distinct Message-IDs, extra copies) among what the SMTP server accepted."""
    ids = Counter(str(m["Message-ID"]) for m in messages)
    return len(ids), sum(n - 1 for n in ids.values())


def resent_after_lease() -> int:
    """Rows the sweep sent again because a worker died between claiming and recording them."""
    return (
        db.session.scalar(
            select(func.count(OutboxMessage.id)).where(OutboxMessage.last_error == fact("worker_stopped"))
        )
        or 0
    )


def jitter(low: float, high: float) -> float:
    return random.uniform(low, high)
