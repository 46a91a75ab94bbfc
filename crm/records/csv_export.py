"""The rows of a CSV export, read in batches: a few queries per 500 rows, never one per row, and
never the whole file in memory (the caller streams what these generators yield)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from crm.board.queries import BoardFilter
from crm.extensions import db
from crm.models import Opportunity, Pipeline, User
from crm.records.csv_format import COLUMNS, export_columns
from crm.records.lists import Listing, kept
from crm.services.access import opportunity_visible

BATCH = 500


def _batches(query: Select, model: Any) -> Iterator[Any]:  # type: ignore[type-arg]
    """Every row of `query` by ascending id, BATCH at a time (keyset: no OFFSET to rescan)."""
    last = 0
    while True:
        batch = db.session.scalars(query.where(model.id > last).order_by(model.id).limit(BATCH)).all()
        yield from batch
        if len(batch) < BATCH:
            return
        last = batch[-1].id


def record_rows(listing: Listing) -> Iterator[list[Any]]:
    """The records the list shows with its search and filters (every page), as rows under
    export_columns(kind)."""
    kind = listing.kind
    model = kind.model
    options = [selectinload(model.owner)]
    if hasattr(model, "account"):
        options.append(selectinload(model.account))
    if hasattr(model, "tags"):
        options.append(selectinload(model.tags))
    query = kept(listing).options(*options)
    columns = COLUMNS[kind.slug]
    for record in _batches(query, model):
        yield [record.id, *(_record_value(record, col) for col in columns), record.created_at]


def _record_value(record: Any, column: str) -> Any:
    if column == "owner_email":
        return record.owner.email if record.owner else None
    if column == "account":
        return record.account.name if record.account else None
    if column == "tags":
        return ", ".join(t.name for t in record.tags)
    return getattr(record, column)


def deal_rows(user: User, pipeline: Pipeline, result: str, flt: BoardFilter) -> Iterator[list[Any]]:
    """The opportunities of `pipeline` with `result` that the board (or the closed list) shows
    `user` with filter `flt`; nothing from a pipeline hidden from them."""
    query = flt.apply(
        select(Opportunity)
        .where(
            Opportunity.pipeline_id == pipeline.id,
            Opportunity.result == result,
            opportunity_visible(user),
        )
        .options(
            selectinload(Opportunity.stage),
            selectinload(Opportunity.account),
            selectinload(Opportunity.contact),
            selectinload(Opportunity.owner),
            selectinload(Opportunity.tags),
        )
    )
    for o in _batches(query, Opportunity):
        yield [
            o.id,
            o.name,
            pipeline.name,
            o.stage.name,
            o.result,
            o.amount,
            o.account.name if o.account else None,
            o.contact.display_name if o.contact else None,
            o.contact.email if o.contact else None,
            o.owner.email if o.owner else None,
            o.expected_close,
            o.closed_at,
            o.result_reason,
            ", ".join(t.name for t in o.tags),
            o.created_at,
        ]


__all__ = ["deal_rows", "export_columns", "record_rows"]
