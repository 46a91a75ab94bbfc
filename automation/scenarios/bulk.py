"""Many people enter a scenario at once (a list's selection): one query to find who is already
in, one insert for the rest. Who cannot be written to is left out rather than entered to be
blocked at every email: scenario mail goes only to opted-in, subscribed addresses."""
# A constant number of statements for any number of people: Core inserts, ids read back once.

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import and_, insert, or_, select
from sqlalchemy.exc import IntegrityError

from automation.queues import enqueue_enrollments
from automation.scenarios import structure
from automation.scenarios.engine import person_type
from crm.extensions import db
from crm.models import Contact, Enrollment, EnrollmentEvent, Lead, Scenario, User, utcnow
from crm.services import Failure, ServiceError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    entered: int
    already_in: int
    unreachable: int  # unsubscribed, not opted in, or no address

    @property
    def skipped(self) -> int:
        return self.already_in + self.unreachable


def reachable(person: Contact | Lead) -> bool:
    """Whether a scenario's emails could reach this person (automation/mailing/compose.py)."""
    return bool(person.email) and person.opt_in and not person.unsubscribed


def enroll_many(
    scenario: Scenario, people: list[Any], *, actor: User | None, source: str = "bulk"
) -> Outcome:
    """Put `people` (contacts and leads) at the start of `scenario`; commits once."""
    if not scenario.active:
        raise Failure("scenario_inactive", label=scenario.label)
    first = structure.first_step(scenario)
    if first is None:
        raise ServiceError(_("The scenario has no step yet."), 409)
    by_type: dict[str, list[int]] = {}
    for person in people:
        by_type.setdefault(person_type(person), []).append(person.id)
    live: set[tuple[str, int]] = set()
    if by_type:
        rows = db.session.execute(
            select(Enrollment.person_type, Enrollment.person_id).where(
                Enrollment.scenario_id == scenario.id,
                Enrollment.status == "active",
                Enrollment.simulation.is_(False),
                or_(
                    *(
                        and_(Enrollment.person_type == kind, Enrollment.person_id.in_(ids))
                        for kind, ids in by_type.items()
                    )
                ),
            )
        )
        live = {(row.person_type, row.person_id) for row in rows}
    now = utcnow()
    fresh, already_in, unreachable = [], 0, 0
    for person in people:
        if (person_type(person), person.id) in live:
            already_in += 1
        elif not reachable(person):
            unreachable += 1
        else:
            fresh.append(person)
    try:
        ids = _insert(scenario, first.id, fresh, now, source, actor)
        db.session.commit()
    except IntegrityError as err:  # someone entered one of them at this very moment
        db.session.rollback()
        raise ServiceError(_("Some of them were entered meanwhile: try again."), 409) from err
    _hand_over(ids)
    return Outcome(len(ids), already_in, unreachable)


def _insert(
    scenario: Scenario, step_id: int, people: list[Any], now: datetime, source: str, actor: User | None
) -> list[int]:
    """One INSERT of the enrollments and one of their first timeline entries (the ORM would
    insert them one by one on SQLite, to read each id back)."""
    if not people:
        return []
    db.session.execute(
        insert(Enrollment),
        [
            {
                "scenario_id": scenario.id,
                "person_type": person_type(person),
                "person_id": person.id,
                "status": "active",
                "current_step_id": step_id,
                "step_entered_at": now,
                "next_run_at": now,
                "enqueued_at": now,
                "simulation": False,
                "source": source,
                "version": 1,
                "started_at": now,
            }
            for person in people
        ],
    )
    wanted = {(person_type(p), p.id) for p in people}
    rows = db.session.execute(
        select(Enrollment.id, Enrollment.person_type, Enrollment.person_id).where(
            Enrollment.scenario_id == scenario.id,
            Enrollment.status == "active",
            Enrollment.simulation.is_(False),
            Enrollment.started_at == now,
            Enrollment.source == source,
        )
    ).all()
    ids = [row.id for row in rows if (row.person_type, row.person_id) in wanted]
    entry = {"source": source, "by": actor.name if actor else None}
    db.session.execute(
        insert(EnrollmentEvent),
        [
            {"enrollment_id": i, "step_id": None, "kind": "entered", "detail": entry, "created_at": now}
            for i in ids
        ],
    )
    return ids


def _hand_over(ids: list[int]) -> None:
    """To the worker, as automation.dispatch does for enrollments the ORM inserted."""
    if not ids:
        return
    try:
        enqueue_enrollments(ids)
    except Exception:  # Redis down: the sweeps pick them up from the database later
        log.warning("could not enqueue enrollments %s; the sweep will pick them up", ids, exc_info=True)
