"""One timeline for an account, a contact or a lead: mail, notes, actions, quotes, scenario steps
and the deals' own lines, newest first.

One query per kind of source (each limited to what the page can show), merged and sorted here:
the number of queries does not grow with the entries. Whatever belongs to an opportunity in a
pipeline the reader may not see is left out, as it is everywhere else."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, false, func, or_, select
from sqlalchemy.orm import selectinload

from crm.extensions import db
from crm.models import (
    Account,
    Action,
    Contact,
    Enrollment,
    EnrollmentEvent,
    FeedEntry,
    Lead,
    Opportunity,
    OutboxMessage,
    Quote,
    ScenarioStep,
    User,
)
from crm.services.access import opportunity_visible
from crm.services.actions import today_for

PAGE_SIZE = 50
# The deals' lines a person's or a company's timeline shows: what someone wrote or decided.
# Actions, quotes and emails come from their own tables (with their current state).
FEED_KINDS = ("note", "created", "stage_changed", "result_changed", "automation")
# An enrollment's "sent" is the email itself, shown from the outbox with its delivery status.
SCENARIO_SKIP = ("sent",)
PERSON_TYPE = {Contact: "contact", Lead: "lead", Account: "account"}


@dataclass
class Entry:
    """One line: what kind of source, when, and the row it comes from."""

    kind: str  # mail, feed, action, quote, scenario
    at: datetime
    obj: Any
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[datetime, str, int]:
        return (self.at, self.kind, self.obj.id)


@dataclass
class Timeline:
    entries: list[Entry]
    more: bool
    offset: int
    steps: dict[int, ScenarioStep]
    deals: dict[int, str]  # names of the opportunities the entries point at
    today: date  # the reader's (open actions due before it are late)


def _opportunities(record: Any, user: User) -> Any:
    """A subquery: ids of the record's opportunities the reader may see (none for a lead)."""
    if isinstance(record, Account):
        column = Opportunity.account_id
    elif isinstance(record, Contact):
        column = Opportunity.contact_id
    else:
        return select(Opportunity.id).where(false())
    return select(Opportunity.id).where(column == record.id, opportunity_visible(user))


def _unhidden(column: Any, user: User) -> ColumnElement[bool]:
    """Rows tied to no opportunity, or to one the reader may see."""
    return or_(column.is_(None), column.in_(select(Opportunity.id).where(opportunity_visible(user))))


def _people(record: Any) -> list[tuple[str, Any]]:
    """(person type, id or subquery of ids) the mail and scenarios of this record are addressed to."""
    if isinstance(record, Account):
        contacts = select(Contact.id).where(Contact.account_id == record.id)
        return [("account", record.id), ("contact", contacts)]
    return [(PERSON_TYPE[type(record)], record.id)]


def _addressed(type_col: Any, id_col: Any, record: Any) -> ColumnElement[bool]:
    clauses = []
    for person_type, ids in _people(record):
        match = id_col.in_(ids) if not isinstance(ids, int) else id_col == ids
        clauses.append((type_col == person_type) & match)
    return or_(*clauses)


def _mail(record: Any, user: User, deals: Any, limit: int) -> list[Entry]:
    rows = db.session.scalars(
        select(OutboxMessage)
        .where(
            or_(
                _addressed(OutboxMessage.recipient_type, OutboxMessage.recipient_id, record),
                OutboxMessage.opportunity_id.in_(deals),
            ),
            OutboxMessage.kind != "system",
            _unhidden(OutboxMessage.opportunity_id, user),
        )
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
        .limit(limit)
    )
    return [Entry("mail", m.sent_at or m.created_at, m) for m in rows]


def _feed(deals: Any, limit: int) -> list[Entry]:
    rows = db.session.scalars(
        select(FeedEntry)
        .where(FeedEntry.opportunity_id.in_(deals), FeedEntry.kind.in_(FEED_KINDS))
        .options(selectinload(FeedEntry.actor))
        .order_by(FeedEntry.created_at.desc(), FeedEntry.id.desc())
        .limit(limit)
    )
    return [Entry("feed", e.created_at, e) for e in rows]


def _actions(record: Any, user: User, deals: Any, limit: int) -> list[Entry]:
    if isinstance(record, Lead):
        return []
    own = Action.account_id if isinstance(record, Account) else Action.contact_id
    at = func.coalesce(Action.closed_at, Action.created_at)
    rows = db.session.scalars(
        select(Action)
        .where(
            or_(own == record.id, Action.opportunity_id.in_(deals)), _unhidden(Action.opportunity_id, user)
        )
        .options(selectinload(Action.type), selectinload(Action.assignee), selectinload(Action.opportunity))
        .order_by(at.desc(), Action.id.desc())
        .limit(limit)
    )
    return [Entry("action", a.closed_at or a.created_at, a) for a in rows]


def _quotes(deals: Any, limit: int) -> list[Entry]:
    at = func.coalesce(Quote.sent_at, Quote.created_at)
    rows = db.session.scalars(
        select(Quote)
        .where(Quote.opportunity_id.in_(deals))
        .options(selectinload(Quote.opportunity))
        .order_by(at.desc(), Quote.id.desc())
        .limit(limit)
    )
    return [Entry("quote", q.sent_at or q.created_at, q) for q in rows]


def _scenarios(record: Any, user: User, limit: int) -> list[Entry]:
    rows = db.session.execute(
        select(EnrollmentEvent, Enrollment)
        .join(Enrollment, Enrollment.id == EnrollmentEvent.enrollment_id)
        .where(
            _addressed(Enrollment.person_type, Enrollment.person_id, record),
            Enrollment.simulation.is_(False),
            EnrollmentEvent.kind.not_in(SCENARIO_SKIP),
            _unhidden(Enrollment.opportunity_id, user),
        )
        .options(selectinload(Enrollment.scenario))
        .order_by(EnrollmentEvent.created_at.desc(), EnrollmentEvent.id.desc())
        .limit(limit)
    ).all()
    return [Entry("scenario", ev.created_at, ev, {"enrollment": enr}) for ev, enr in rows]


def record_timeline(record: Any, user: User, *, offset: int = 0, size: int = PAGE_SIZE) -> Timeline:
    """The newest `size` entries after the first `offset`, and whether there are more."""
    deals = _opportunities(record, user)
    limit = offset + size + 1  # enough of each kind to fill this page whatever the mix
    entries = [
        *_mail(record, user, deals, limit),
        *_feed(deals, limit),
        *_actions(record, user, deals, limit),
        *_quotes(deals, limit),
        *_scenarios(record, user, limit),
    ]
    entries.sort(key=lambda e: e.key, reverse=True)
    page = entries[offset : offset + size]
    step_ids = {e.obj.step_id for e in page if e.kind == "scenario" and e.obj.step_id}
    steps = db.session.scalars(select(ScenarioStep).where(ScenarioStep.id.in_(step_ids)))
    deal_ids = {e.obj.opportunity_id for e in page if e.kind in ("mail", "feed") and e.obj.opportunity_id}
    names = db.session.execute(select(Opportunity.id, Opportunity.name).where(Opportunity.id.in_(deal_ids)))
    return Timeline(
        entries=page,
        more=len(entries) > offset + size,
        offset=offset,
        steps={s.id: s for s in steps},
        deals={row.id: row.name for row in names},
        today=today_for(user),
    )
