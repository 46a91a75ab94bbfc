"""Actions (activities): created, edited, closed — each change with its feed line and event."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import Select, func, select

from crm.extensions import db
from crm.models import DEFAULT_ACTION_TYPES, Action, ActionType, Opportunity, User, utcnow
from crm.services import ServiceError, same_name
from crm.services.events import emit, feed


def today_for(user: User) -> date:
    """The user's own today (their time zone), not the server's."""
    return datetime.now(ZoneInfo(user.timezone)).date()


def due_count_query(user: User) -> Select[tuple[int]]:
    """How many open actions of `user` are overdue or due today: the badge in the navigation."""
    return select(func.count(Action.id)).where(
        Action.assignee_id == user.id, Action.closed_at.is_(None), Action.due_date <= today_for(user)
    )


def ensure_default_action_types() -> None:
    """Call, Meeting, Email, Administrative, To-do (the migration seeds them; tests and demo reuse this)."""
    if db.session.scalar(select(func.count(ActionType.id))):
        return
    for position, name in enumerate(DEFAULT_ACTION_TYPES):
        db.session.add(ActionType(name=name, position=position))
    db.session.commit()


def type_named(name: str) -> ActionType | None:
    return db.session.scalar(select(ActionType).where(same_name(ActionType.name, name)))


def create_action(
    *,
    actor: User | None,
    type: ActionType,
    title: str,
    assignee: User,
    due_date: date,
    due_time: time | None = None,
    notes: str = "",
    opportunity: Opportunity | None = None,
    contact_id: int | None = None,
    account_id: int | None = None,
    depth: int = 0,
    cause_id: int | None = None,
    commit: bool = True,
) -> Action:
    if not type.active:
        raise ServiceError(
            _("The action type “%(name)s” is deactivated.", name=type.name), 422, field="type_id"
        )
    action = Action(
        type_id=type.id,
        title=title.strip(),
        notes=notes.strip(),
        assignee_id=assignee.id,
        due_date=due_date,
        due_time=due_time,
        opportunity_id=opportunity.id if opportunity else None,
        contact_id=contact_id or (opportunity.contact_id if opportunity else None),
        account_id=account_id or (opportunity.account_id if opportunity else None),
        created_by_id=actor.id if actor else None,
    )
    db.session.add(action)
    db.session.flush()
    if opportunity is not None:
        feed(
            opportunity,
            "action_created",
            actor,
            action_id=action.id,
            type=type.name,
            title=action.title,
            assignee=assignee.name,
            due=due_date.isoformat(),
        )
    emit(
        "action_created",
        opportunity=opportunity,
        actor=actor,
        depth=depth,
        cause_id=cause_id,
        payload={"action_id": action.id, "type_id": type.id},
    )
    _finish(commit)
    return action


def update_action(action: Action, *, actor: User, **values: object) -> None:
    for key in ("type_id", "title", "notes", "assignee_id", "due_date", "due_time"):
        if key in values:
            setattr(action, key, values[key])
    db.session.commit()


def close_action(action: Action, *, actor: User | None, depth: int = 0, commit: bool = True) -> bool:
    """Close an open action (False when it was already closed)."""
    if action.closed_at is not None:
        _finish(commit)
        return False
    action.closed_at = utcnow()
    action.closed_by_id = actor.id if actor else None
    if action.opportunity is not None:
        feed(
            action.opportunity,
            "action_closed",
            actor,
            action_id=action.id,
            type=action.type.name,
            title=action.title,
        )
    emit(
        "action_closed",
        opportunity=action.opportunity,
        actor=actor,
        depth=depth,
        payload={"action_id": action.id, "type_id": action.type_id},
    )
    _finish(commit)
    return True


def reopen_action(action: Action, *, actor: User) -> None:
    action.closed_at = None
    action.closed_by_id = None
    db.session.commit()


def add_type(name: str) -> ActionType:
    name = name.strip()
    if type_named(name):
        raise ServiceError(_("This action type already exists."), 422, field="name")
    position = (db.session.scalar(select(func.max(ActionType.position))) or 0) + 1
    action_type = ActionType(name=name, position=position)
    db.session.add(action_type)
    db.session.commit()
    return action_type


def rename_type(action_type: ActionType, name: str) -> None:
    other = type_named(name.strip())
    if other is not None and other.id != action_type.id:
        raise ServiceError(_("This action type already exists."), 422, field="name")
    action_type.name = name.strip()
    db.session.commit()


def set_type_active(action_type: ActionType, active: bool) -> None:
    action_type.active = active
    db.session.commit()


def _finish(commit: bool) -> None:
    if commit:
        db.session.commit()
    else:
        db.session.flush()
