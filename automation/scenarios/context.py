"""What a step runs with (StepContext) and what it answers (StepResult): shared by the step kinds,
the engine and the one-to-one mail they send, without those importing each other."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import current_app

from crm.models import Contact, Enrollment, Lead, Scenario, ScenarioStep, User


@dataclass
class StepContext:
    enrollment: Enrollment
    step: ScenarioStep
    scenario: Scenario
    person: Contact | Lead
    now: datetime
    simulation: bool = False
    choose_branch: str | None = None  # the admin's pick during a simulation

    @property
    def rep(self) -> User | None:
        return self.person.owner

    @property
    def tz(self) -> str:
        return self.rep.timezone if self.rep else current_app.config["BABEL_DEFAULT_TIMEZONE"]


@dataclass
class StepResult:
    """What a step did: go on, wait until `at`, take a branch, or leave the scenario."""

    outcome: str  # "next" | "wait" | "branch" | "exit" | "end"
    event: str  # timeline kind
    detail: dict[str, Any] = field(default_factory=dict)
    at: datetime | None = None
    branch: str | None = None
