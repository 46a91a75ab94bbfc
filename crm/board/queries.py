"""Board reads: a constant number of queries whatever the number of cards."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Select, case, exists, func, select
from sqlalchemy.orm import selectinload

from crm.board.status import days_in_stage, is_idle, next_action_status, tag_colors
from crm.extensions import db
from crm.models import Account, Action, Opportunity, Pipeline, Stage, Tag, User, opportunity_tags
from crm.models.users import initials_of

SORTS = ("manual", "urgency")


@dataclass(slots=True)
class Card:
    """What a board card shows, read as plain columns (no ORM object per card)."""

    id: int
    name: str
    stage_id: int
    amount: Decimal | None
    account_name: str | None
    owner_name: str | None
    owner_initials: str | None
    expected_close: date | None = None
    entered_at: datetime | None = None
    next_due: date | None = None  # the earliest due date of its open actions
    tags: list[tuple[str, str, str]] = field(default_factory=list)  # name, background, text

    @classmethod
    def of(cls, opp: Opportunity, next_due: date | None = None) -> Card:
        owner = opp.owner
        return cls(
            opp.id,
            opp.name,
            opp.stage_id,
            opp.amount,
            opp.account.name if opp.account else None,
            owner.name if owner else None,
            owner.initials if owner else None,
            opp.expected_close,
            opp.stage_entered_at,
            next_due,
            [(t.name, *tag_colors(t.color)) for t in opp.tags],
        )

    def status(self, today: date) -> str:
        """overdue / today / later / none: when its next open action is due."""
        return next_action_status(self.next_due, today)

    def days(self, today: date) -> int:
        return days_in_stage(self.entered_at, today)

    def idle(self, today: date, idle_days: int | None) -> bool:
        return is_idle(self.days(today), idle_days)


@dataclass
class BoardFilter:
    owner_id: int | None = None
    tag_id: int | None = None

    def apply(self, query: Select) -> Select:  # type: ignore[type-arg]
        if self.owner_id is not None:
            query = query.where(Opportunity.owner_id == self.owner_id)
        if self.tag_id is not None:
            query = query.where(
                exists().where(
                    opportunity_tags.c.opportunity_id == Opportunity.id,
                    opportunity_tags.c.tag_id == self.tag_id,
                )
            )
        return query


@dataclass
class Column:
    stage: Stage
    count: int = 0
    total: Decimal = Decimal("0")
    cards: list[Card] = field(default_factory=list)

    @property
    def has_more(self) -> bool:
        return self.count > len(self.cards)

    @property
    def weighted(self) -> Decimal | None:
        return weighted(self.total, self.stage.probability)


def weighted(total: Decimal, probability: int | None) -> Decimal | None:
    """The amount times the stage's chance of winning; None when the stage has no probability."""
    return None if probability is None else Decimal(total) * probability / 100


def _next_due():  # type: ignore[no-untyped-def]
    """Per opportunity row: the earliest due date of its open actions (a correlated subquery,
    part of the same statement, so no query per card)."""
    return (
        select(func.min(Action.due_date))
        .where(Action.opportunity_id == Opportunity.id, Action.closed_at.is_(None))
        .correlate(Opportunity)
        .scalar_subquery()
    )


def _order(sort: str, today: date) -> tuple[object, ...]:
    """Manual (the default): newest in the stage first. Urgency: overdue, today, later, none."""
    newest = (Opportunity.stage_entered_at.desc(), Opportunity.id.desc())
    if sort != "urgency":
        return newest
    due = _next_due()
    rank = case((due.is_(None), 3), (due < today, 0), (due == today, 1), else_=2)
    return (rank, due, *newest)


def _open_in(pipeline_id: int, flt: BoardFilter) -> Select:  # type: ignore[type-arg]
    return flt.apply(
        select(Opportunity).where(Opportunity.pipeline_id == pipeline_id, Opportunity.result == "open")
    )


def _card_options() -> list:  # type: ignore[type-arg]
    return [
        selectinload(Opportunity.account),
        selectinload(Opportunity.owner),
        selectinload(Opportunity.tags),
    ]


def column_totals(pipeline_id: int, flt: BoardFilter) -> dict[int, tuple[int, Decimal]]:
    """Count and amount of open opportunities per stage (all of them, not just the cards shown)."""
    query = flt.apply(
        select(Opportunity.stage_id, func.count(), func.coalesce(func.sum(Opportunity.amount), 0))
        .where(Opportunity.pipeline_id == pipeline_id, Opportunity.result == "open")
        .group_by(Opportunity.stage_id)
    )
    return {sid: (count, Decimal(total)) for sid, count, total in db.session.execute(query)}


def board_columns(
    pipeline: Pipeline, flt: BoardFilter, limit: int, sort: str = "manual", today: date | None = None
) -> list[Column]:
    """Each stage with its totals and its first `limit` cards, in the `sort` order."""
    columns = {stage.id: Column(stage) for stage in pipeline.stages}
    for stage_id, (count, total) in column_totals(pipeline.id, flt).items():
        if stage_id in columns:
            columns[stage_id].count, columns[stage_id].total = count, total
    rank = (
        func.row_number()
        .over(
            partition_by=Opportunity.stage_id,
            order_by=_order(sort, today or date.today()),
        )
        .label("rank")
    )
    ranked = _open_in(pipeline.id, flt).with_only_columns(Opportunity.id, rank).subquery()
    cards = _cards(
        _card_columns().join(ranked, ranked.c.id == Opportunity.id).where(ranked.c.rank <= limit),
        ranked.c.rank,
    )
    for card in cards:
        if card.stage_id in columns:
            columns[card.stage_id].cards.append(card)
    return list(columns.values())


def more_cards(
    pipeline_id: int,
    stage_id: int,
    flt: BoardFilter,
    offset: int,
    limit: int,
    sort: str = "manual",
    today: date | None = None,
) -> list[Card]:
    order = _order(sort, today or date.today())
    ids = (
        _open_in(pipeline_id, flt)
        .with_only_columns(Opportunity.id)
        .where(Opportunity.stage_id == stage_id)
        .order_by(*order)
        .offset(offset)
        .limit(limit)
        .subquery()
    )
    return _cards(_card_columns().join(ids, ids.c.id == Opportunity.id), *order)


def _card_columns() -> Select:  # type: ignore[type-arg]
    return (
        select(
            Opportunity.id,
            Opportunity.name,
            Opportunity.stage_id,
            Opportunity.amount,
            Account.name,
            User.name,
            User.email,
            Opportunity.expected_close,
            Opportunity.stage_entered_at,
            _next_due(),
        )
        .outerjoin(Account, Account.id == Opportunity.account_id)
        .outerjoin(User, User.id == Opportunity.owner_id)
    )


def _cards(query: Select, *order: object) -> list[Card]:  # type: ignore[type-arg]
    """Two queries whatever the number of cards: the cards, then their tags."""
    cards = [
        Card(
            i,
            name,
            stage_id,
            amount,
            account,
            owner,
            initials_of(owner or "", email) if email else None,
            expected_close,
            entered_at,
            next_due,
        )
        for i, name, stage_id, amount, account, owner, email, expected_close, entered_at, next_due in (
            db.session.execute(query.order_by(*order))
        )
    ]
    if cards:
        tags = defaultdict(list)
        for opp_id, name, color in db.session.execute(
            select(opportunity_tags.c.opportunity_id, Tag.name, Tag.color)
            .join(Tag, Tag.id == opportunity_tags.c.tag_id)
            .where(opportunity_tags.c.opportunity_id.in_([c.id for c in cards]))
            .order_by(Tag.name)
        ):
            tags[opp_id].append((name, *tag_colors(color)))
        for card in cards:
            card.tags = tags.get(card.id, [])
    return cards


def closed_opportunities(pipeline_id: int, result: str, flt: BoardFilter, page: int, per_page: int = 50):  # type: ignore[no-untyped-def]
    query = flt.apply(
        select(Opportunity)
        .where(Opportunity.pipeline_id == pipeline_id, Opportunity.result == result)
        .options(*_card_options(), selectinload(Opportunity.stage))
        .order_by(Opportunity.closed_at.desc(), Opportunity.id.desc())
    )
    return db.paginate(query, page=page, per_page=per_page, error_out=False)
