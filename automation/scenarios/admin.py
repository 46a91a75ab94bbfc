"""Building and running scenarios: steps added, edited, moved and removed; activation; deletion."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from automation.queues import enqueue_enrollments
from automation.scenarios import files, structure
from automation.scenarios.engine import finish, timeline
from automation.scenarios.steps import STEPS
from crm.extensions import db
from crm.facts import fact
from crm.models import Enrollment, Scenario, ScenarioStep, Trigger, TriggerEffect, User, utcnow
from crm.services import ServiceError


def create_scenario(label: str, actor: User | None) -> Scenario:
    scenario = Scenario(label=label.strip(), created_by_id=actor.id if actor else None)
    db.session.add(scenario)
    db.session.commit()
    return scenario


def add_step(
    scenario: Scenario,
    kind: str,
    *,
    after: ScenarioStep | None = None,
    parent: ScenarioStep | None = None,
    branch: str | None = None,
    label: str = "",
    config: dict[str, Any] | None = None,
) -> ScenarioStep:
    """Insert a step after `after`, or at the start of a path (main, or an If's branch). An If
    inserted in the middle of a path takes the steps after it into its "no" branch."""
    if kind not in STEPS:
        raise ServiceError(_("Unknown step kind."), 422)
    if after is not None:
        if after.kind in ("if", "end"):
            raise ServiceError(_("Nothing can follow an If or End step on the same path."), 422)
        parent_id, branch, position = after.parent_id, after.branch, after.position + 1
    else:
        parent_id, position = (parent.id if parent else None), 0
        branch = branch if parent else None
    siblings = [
        s
        for s in scenario.steps
        if s.parent_id == parent_id and s.branch == branch and s.position >= position
    ]
    if kind == "end" and siblings:
        raise ServiceError(_("End closes a path: add it at the end of one."), 422)
    step = ScenarioStep(
        kind=kind,
        label=(label or "").strip(),  # empty: the kind's default, shown in the reader's language
        config=config or {},
        parent_id=parent_id,
        branch=branch,
        position=position,
    )
    scenario.steps.append(step)
    db.session.flush()
    files.link_images(step)
    for offset, sibling in enumerate(sorted(siblings, key=lambda s: s.position)):
        if kind == "if":  # what followed the If now follows its "no" answer
            sibling.parent_id, sibling.branch, sibling.position = step.id, "no", offset
        else:
            sibling.position = position + 1 + offset
    problems = structure.open_paths(scenario) if scenario.active else []
    if problems:
        label = scenario.label
        db.session.rollback()
        raise would_open(label, problems)
    _touch(scenario)
    db.session.commit()
    return step


def would_open(label: str, problems: list[str]) -> ServiceError:
    """The refusal of an edit that would leave an active scenario with an open path: people
    walking it could reach a path with no End, or an empty branch."""
    return ServiceError(
        _(
            "“%(label)s” is active and this change would leave a path without an End (%(where)s). "
            "Deactivate it first (people stay on their step), make your changes, then reactivate it.",
            label=label,
            where="; ".join(problems),
        ),
        409,
    )


def check_addition(scenario: Scenario, kind: str) -> None:
    """Refuse at once what add_step would refuse on an active scenario: an If starts with an
    empty "yes" branch (what follows it goes to "no"), so it always opens a path."""
    if scenario.active and kind == "if":
        raise would_open(scenario.label, [_("the “yes” branch of the new If would be empty")])


def check_removal(step: ScenarioStep) -> None:
    """Refuse removing a step (an If: with its branches) that would open a path of an active scenario."""
    scenario = step.scenario
    if scenario.active:
        problems = structure.open_paths(scenario, without={s.id for s in subtree(step)})
        if problems:
            raise would_open(scenario.label, problems)


def update_step(step: ScenarioStep, *, label: str, config: dict[str, Any]) -> None:
    step.label = label.strip()
    step.config = config
    files.link_images(step)
    _touch(step.scenario)
    db.session.commit()


def move_step(step: ScenarioStep, direction: int) -> None:
    """Swap with the neighbour on the same path; an If or End stays last."""
    path = structure.path_of(step)
    index = path.index(step)
    target = index + direction
    if step.kind in ("if", "end") or not 0 <= target < len(path) or path[target].kind in ("if", "end"):
        raise ServiceError(_("This step cannot move that way."), 409)
    step.position, path[target].position = path[target].position, step.position
    _touch(step.scenario)
    db.session.commit()


def people_on(steps: list[ScenarioStep]) -> list[Enrollment]:
    ids = [s.id for s in steps]
    return list(
        db.session.scalars(
            select(Enrollment).where(Enrollment.current_step_id.in_(ids), Enrollment.status == "active")
        )
    )


def subtree(step: ScenarioStep) -> list[ScenarioStep]:
    found = [step]
    for child in step.scenario.steps:
        if child.parent_id == step.id:
            found += subtree(child)
    return found


def delete_step(step: ScenarioStep, *, people_go: str | None = None, actor: User | None = None) -> int:
    """Remove a step (an If takes its branches along). People waiting on it go to the next step
    or to the End, as the admin chose; nobody is left pointing at nothing."""
    check_removal(step)
    doomed = subtree(step)
    waiting = people_on(doomed)
    if waiting and people_go not in ("next", "end"):
        raise ServiceError(_("People are waiting on this step: choose where they go."), 409)
    following = structure.next_step(step) if step.kind != "if" else None
    now = utcnow()
    why = fact("step_removed", label=step.label, kind=step.kind)
    for enrollment in waiting:
        if people_go == "next" and following is not None:
            enrollment.current_step_id, enrollment.step_entered_at, enrollment.next_run_at = (
                following.id,
                now,
                now,
            )
            timeline(
                enrollment,
                following,
                "moved",
                reason=why,
                by=actor.name if actor else None,
            )
        else:
            finish(enrollment, "completed", why)
            timeline(enrollment, None, "completed", reason=why)
    scenario = step.scenario
    path = structure.path_of(step)
    for other in path:
        if other.position > step.position:
            other.position -= 1
    for gone in reversed(doomed):
        scenario.steps.remove(gone)
        db.session.delete(gone)
    _touch(scenario)
    db.session.commit()
    moved = [e.id for e in waiting if e.status == "active"]
    if moved:
        enqueue_enrollments(moved)
    return len(waiting)


def activate(scenario: Scenario) -> None:
    problems = structure.open_paths(scenario)
    if problems:
        raise ServiceError(
            _(
                "Close every path with an End step before activating. Still open: %(where)s.",
                where="; ".join(problems),
            ),
            409,
        )
    scenario.active = True
    db.session.commit()
    # People who waited while it was off go on from their step (emails still wait for their window).
    due = db.session.scalars(
        select(Enrollment.id).where(
            Enrollment.scenario_id == scenario.id,
            Enrollment.status == "active",
            Enrollment.simulation.is_(False),
            Enrollment.next_run_at <= utcnow(),
        )
    ).all()
    if due:
        db.session.execute(update(Enrollment).where(Enrollment.id.in_(due)).values(enqueued_at=utcnow()))
        db.session.commit()
        enqueue_enrollments(list(due))


def deactivate(scenario: Scenario) -> None:
    scenario.active = False
    db.session.commit()


def live_count(scenario: Scenario) -> int:
    return (
        db.session.scalar(
            select(func.count(Enrollment.id)).where(
                Enrollment.scenario_id == scenario.id,
                Enrollment.status == "active",
                Enrollment.simulation.is_(False),
            )
        )
        or 0
    )


def effects_using(scenario: Scenario) -> list[TriggerEffect]:
    """The trigger effects that add people to this scenario or take them out of it."""
    effects = db.session.scalars(
        select(TriggerEffect)
        .where(TriggerEffect.kind.in_(("enroll", "unenroll")))
        .options(selectinload(TriggerEffect.trigger).selectinload(Trigger.pipeline))
        .order_by(TriggerEffect.trigger_id, TriggerEffect.position)
    )
    return [e for e in effects if str((e.config or {}).get("scenario_id")) == str(scenario.id)]


def delete_scenario(scenario: Scenario, *, remove_people: bool) -> None:
    """Delete it with its people; the trigger effects that used it keep its name and show as
    broken (their id is cleared: a scenario created later under the same id must not inherit them)."""
    if live_count(scenario) and not remove_people:
        raise ServiceError(_("People are still in this scenario: confirm that they are removed too."), 409)
    for effect in effects_using(scenario):
        effect.config = {**effect.config, "scenario_id": None, "deleted_scenario": scenario.label}
    db.session.delete(scenario)
    db.session.commit()


def _touch(scenario: Scenario) -> None:
    scenario.updated_at = utcnow()
