"""Every change to an opportunity: the change, a feed entry and a domain event, in one transaction.

Each service ends the same way on every path, early returns included: with commit=True it commits
(what the caller changed before, in the same transaction, too), else it only flushes."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from crm.extensions import db
from crm.models import CLOSED_RESULTS, RESULTS, Account, Contact, Opportunity, Stage, Tag, User, utcnow
from crm.services import ServiceError, same_names
from crm.services.events import emit, feed

EDITABLE = ("name", "amount", "account_id", "contact_id", "owner_id", "expected_close")


def _finish(commit: bool) -> None:
    if commit:
        db.session.commit()
    else:
        db.session.flush()


def create_opportunity(
    *,
    actor: User | None,
    stage: Stage,
    name: str,
    amount: Decimal = Decimal("0"),
    account: Account | None = None,
    contact: Contact | None = None,
    owner: User | None = None,
    expected_close: date | None = None,
    tags: list[str] | None = None,
    depth: int = 0,
    commit: bool = True,
) -> Opportunity:
    opp = Opportunity(
        name=name.strip(),
        pipeline_id=stage.pipeline_id,
        stage_id=stage.id,
        amount=amount,
        account_id=account.id if account else (contact.account_id if contact else None),
        contact_id=contact.id if contact else None,
        owner_id=owner.id if owner else (actor.id if actor else None),
        expected_close=expected_close,
    )
    db.session.add(opp)
    db.session.flush()
    opp.tags = tags_named(tags or [])
    feed(opp, "created", actor, stage=stage.name)
    emit("opportunity_created", opportunity=opp, actor=actor, payload={"stage_id": stage.id}, depth=depth)
    _tags_added(opp, opp.tags, actor, depth)
    _finish(commit)
    return opp


def move_opportunity(
    opp: Opportunity,
    stage: Stage,
    *,
    actor: User | None,
    expected_stage_id: int | None = None,
    depth: int = 0,
    cause_id: int | None = None,
    commit: bool = True,
    entered_at: datetime | None = None,
) -> bool:
    """Move to another stage of the same pipeline. Returns False when it is already there.
    `entered_at`: when it entered the stage, if not now (an undo puts back the former time,
    so the card returns to its place and its days in the stage)."""
    if stage.pipeline_id != opp.pipeline_id:
        raise ServiceError(_("This stage belongs to another pipeline."), 422)
    if not opp.is_open:
        raise ServiceError(_("A closed opportunity cannot change stage; reopen it first."))
    if expected_stage_id is not None and expected_stage_id != opp.stage_id:
        raise ServiceError(
            _("Someone moved this opportunity to “%(stage)s” meanwhile.", stage=opp.stage.name)
        )
    if stage.id == opp.stage_id:
        _finish(commit)
        return False
    before = opp.stage
    opp.stage_id = stage.id
    opp.stage = stage
    opp.stage_entered_at = entered_at or utcnow()
    feed(opp, "stage_changed", actor, from_stage=before.name, to_stage=stage.name)
    emit(
        "stage_changed",
        opportunity=opp,
        actor=actor,
        payload={"from_stage_id": before.id, "to_stage_id": stage.id},
        depth=depth,
        cause_id=cause_id,
    )
    _finish(commit)
    return True


def set_result(
    opp: Opportunity,
    result: str,
    *,
    actor: User | None,
    reason: str | None = None,
    depth: int = 0,
    cause_id: int | None = None,
    commit: bool = True,
) -> bool:
    """Mark won / lost / dormant, or reopen ("open"). Returns False when nothing changes."""
    if result not in RESULTS:
        raise ServiceError(_("Unknown result."), 422)
    if result == opp.result:
        _finish(commit)
        return False
    before = opp.result
    opp.result = result
    opp.result_reason = (reason or "").strip() or None if result in CLOSED_RESULTS else None
    opp.closed_at = utcnow() if result in CLOSED_RESULTS else None
    feed(opp, "result_changed", actor, from_result=before, to_result=result, reason=opp.result_reason)
    emit(
        "result_changed",
        opportunity=opp,
        actor=actor,
        payload={"from": before, "to": result, "reason": opp.result_reason},
        depth=depth,
        cause_id=cause_id,
    )
    _finish(commit)
    return True


def update_opportunity(
    opp: Opportunity, *, actor: User | None, depth: int = 0, commit: bool = True, **values: object
) -> dict[str, list[object]]:
    """Edit plain fields; the feed lists what changed, old and new."""
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise ServiceError(_("These fields cannot be edited: %(f)s", f=", ".join(sorted(unknown))), 422)
    changes: dict[str, list[object]] = {}
    for key, value in values.items():
        old = getattr(opp, key)
        if key == "amount" and value is not None:
            value = Decimal(str(value))
        if old != value:
            changes[key] = [_plain(old), _plain(value)]
            setattr(opp, key, value)
    if "contact_id" in changes and opp.contact_id and not opp.account_id:
        contact = db.session.get(Contact, opp.contact_id)
        opp.account_id = contact.account_id if contact else None
    if changes:
        feed(opp, "fields_changed", actor, changes=changes)
        emit("opportunity_updated", opportunity=opp, actor=actor, payload={"changes": changes}, depth=depth)
    _finish(commit)
    return changes


def set_tags(
    opp: Opportunity, names: list[str], *, actor: User | None, depth: int = 0, commit: bool = True
) -> tuple[list[str], list[str]]:
    """Replace the opportunity's tags; a `tag_added` event per new tag."""
    wanted = tags_named(names)
    before = {t.name for t in opp.tags}
    after = {t.name for t in wanted}
    added, removed = sorted(after - before), sorted(before - after)
    if not added and not removed:
        _finish(commit)  # the caller's other changes of this transaction are saved all the same
        return [], []
    opp.tags = wanted
    feed(opp, "tags_changed", actor, added=added, removed=removed)
    _tags_added(opp, [t for t in wanted if t.name in added], actor, depth)
    _finish(commit)
    return added, removed


def _tags_added(opp: Opportunity, tags: list[Tag], actor: User | None, depth: int) -> None:
    for tag in tags:
        emit(
            "tag_added",
            opportunity=opp,
            actor=actor,
            payload={"tag_id": tag.id, "tag": tag.name},
            depth=depth,
        )


def tags_named(names: list[str]) -> list[Tag]:
    clean = sorted({n.strip()[:60] for n in names if n and n.strip()}, key=str.lower)
    if not clean:
        return []
    existing = {t.name.lower(): t for t in db.session.scalars(select(Tag).where(same_names(Tag.name, clean)))}
    tags = []
    for name in clean:
        tag = existing.get(name.lower())
        if tag is None:
            tag = Tag(name=name)
            db.session.add(tag)
            existing[name.lower()] = tag
        if tag not in tags:  # "vip, VIP" names one tag once
            tags.append(tag)
    db.session.flush()
    return tags


def _plain(value: object) -> object:
    """JSON-friendly value for the feed."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value
