"""Many people enter a scenario at once (a list's selection): one query to find who is already
in, one insert for the rest. Who cannot be written to is left out rather than entered to be
blocked at every email: scenario mail goes only to opted-in, subscribed addresses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import and_, or_, select

from automation.scenarios import structure
from automation.scenarios.engine import person_type, timeline
from crm.extensions import db
from crm.models import Contact, Enrollment, Lead, Scenario, User, utcnow
from crm.services import Failure, ServiceError


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
            fresh.append(
                Enrollment(
                    scenario_id=scenario.id,
                    person_type=person_type(person),
                    person_id=person.id,
                    current_step_id=first.id,
                    step_entered_at=now,
                    next_run_at=now,
                    enqueued_at=now,
                    simulation=False,
                    source=source,
                )
            )
    db.session.add_all(fresh)
    db.session.flush()
    for enrollment in fresh:
        timeline(enrollment, None, "entered", source=source, by=actor.name if actor else None)
    db.session.commit()  # after commit, automation.dispatch hands them to the worker
    return Outcome(len(fresh), already_in, unreachable)
