"""Board reads: a constant number of queries whatever the number of cards."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import selectinload

from crm.extensions import db
from crm.models import Opportunity, Pipeline, Stage, opportunity_tags


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
    cards: list[Opportunity] = field(default_factory=list)

    @property
    def has_more(self) -> bool:
        return self.count > len(self.cards)


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


def board_columns(pipeline: Pipeline, flt: BoardFilter, limit: int) -> list[Column]:
    """Each stage with its totals and its first `limit` cards, newest in the stage first."""
    columns = {stage.id: Column(stage) for stage in pipeline.stages}
    for stage_id, (count, total) in column_totals(pipeline.id, flt).items():
        if stage_id in columns:
            columns[stage_id].count, columns[stage_id].total = count, total
    rank = (
        func.row_number()
        .over(
            partition_by=Opportunity.stage_id,
            order_by=(Opportunity.stage_entered_at.desc(), Opportunity.id.desc()),
        )
        .label("rank")
    )
    ranked = _open_in(pipeline.id, flt).with_only_columns(Opportunity.id, rank).subquery()
    cards = db.session.scalars(
        select(Opportunity)
        .join(ranked, ranked.c.id == Opportunity.id)
        .where(ranked.c.rank <= limit)
        .options(*_card_options())
        .order_by(ranked.c.rank)
    ).all()
    for card in cards:
        if card.stage_id in columns:
            columns[card.stage_id].cards.append(card)
    return list(columns.values())


def more_cards(
    pipeline_id: int, stage_id: int, flt: BoardFilter, offset: int, limit: int
) -> list[Opportunity]:
    return list(
        db.session.scalars(
            _open_in(pipeline_id, flt)
            .where(Opportunity.stage_id == stage_id)
            .options(*_card_options())
            .order_by(Opportunity.stage_entered_at.desc(), Opportunity.id.desc())
            .offset(offset)
            .limit(limit)
        )
    )


def closed_opportunities(pipeline_id: int, result: str, flt: BoardFilter, page: int, per_page: int = 50):  # type: ignore[no-untyped-def]
    query = flt.apply(
        select(Opportunity)
        .where(Opportunity.pipeline_id == pipeline_id, Opportunity.result == result)
        .options(*_card_options(), selectinload(Opportunity.stage))
        .order_by(Opportunity.closed_at.desc(), Opportunity.id.desc())
    )
    return db.paginate(query, page=page, per_page=per_page, error_out=False)
