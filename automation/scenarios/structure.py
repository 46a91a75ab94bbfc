"""The shape of a scenario: paths of steps from Start, If steps branching into two paths.

A path is the ordered steps sharing (parent, branch); the main path has no parent. An If step is
always the last of its path: what follows it lives in its branches. A path is closed when it ends
with End, or with an If whose two branches are closed."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import func, select

from crm.extensions import db
from crm.models import Enrollment, Scenario, ScenarioStep

Key = tuple[int | None, str | None]


@dataclass
class Node:
    step: ScenarioStep
    branches: dict[str, list[Node]] = field(default_factory=dict)


def _paths(scenario: Scenario, without: Collection[int] = ()) -> dict[Key, list[ScenarioStep]]:
    paths: dict[Key, list[ScenarioStep]] = defaultdict(list)
    for step in sorted(scenario.steps, key=lambda s: (s.position, s.id)):
        if step.id not in without:
            paths[(step.parent_id, step.branch)].append(step)
    return paths


def tree(scenario: Scenario, without: Collection[int] = ()) -> list[Node]:
    """The main path as nodes; If nodes carry their "yes" and "no" paths (`without` some steps)."""
    paths = _paths(scenario, without)

    def build(key: Key) -> list[Node]:
        nodes = []
        for step in paths.get(key, []):
            node = Node(step)
            if step.kind == "if":
                node.branches = {b: build((step.id, b)) for b in ("yes", "no")}
            nodes.append(node)
        return nodes

    return build((None, None))


def path_of(step: ScenarioStep) -> list[ScenarioStep]:
    return _paths(step.scenario)[(step.parent_id, step.branch)]


def first_step(scenario: Scenario) -> ScenarioStep | None:
    main = _paths(scenario).get((None, None), [])
    return main[0] if main else None


def next_step(step: ScenarioStep) -> ScenarioStep | None:
    """The step after this one on its path (None at the end of a path)."""
    path = path_of(step)
    index = path.index(step)
    return path[index + 1] if index + 1 < len(path) else None


def branch_start(if_step: ScenarioStep, branch: str) -> ScenarioStep | None:
    path = _paths(if_step.scenario).get((if_step.id, branch), [])
    return path[0] if path else None


def open_paths(scenario: Scenario, without: Collection[int] = ()) -> list[str]:
    """Where the scenario is still open (paths not closed by End), described for the admin;
    `without`: as it would be once those steps are removed."""
    from automation.scenarios.steps import step_label

    problems: list[str] = []

    def check(nodes: list[Node], where: str) -> None:
        if not nodes:
            problems.append(where)
            return
        last = nodes[-1]
        if last.step.kind == "end":
            return
        if last.step.kind == "if":
            label = step_label(last.step)
            check(last.branches["yes"], _("the “yes” branch of “%(label)s”", label=label))
            check(last.branches["no"], _("the “no” branch of “%(label)s”", label=label))
            return
        problems.append(_("after “%(label)s”", label=step_label(last.step)))

    check(tree(scenario, without), _("the main path (it has no step yet)"))
    return problems


def waiting_counts(scenario: Scenario) -> dict[int, int]:
    rows = db.session.execute(
        select(Enrollment.current_step_id, func.count())
        .where(
            Enrollment.scenario_id == scenario.id,
            Enrollment.status == "active",
            Enrollment.simulation.is_(False),
        )
        .group_by(Enrollment.current_step_id)
    ).all()
    return {step_id: count for step_id, count in rows if step_id is not None}
