"""Small factories with sequences; they go through the services like the UI does."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

from crm.extensions import db
from crm.models import (
    Account,
    Action,
    ActionType,
    Contact,
    EmailTemplate,
    Lead,
    Opportunity,
    Pipeline,
    Scenario,
    SenderAddress,
    Stage,
    Trigger,
    Upload,
    User,
    utcnow,
)
from crm.services.opportunities import create_opportunity
from crm.services.pipelines import create_pipeline
from crm.services.users import create_user
from tests.conftest import PASSWORD

_seq = itertools.count(1)


def make_user(role: str = "rep", **kw: Any) -> User:
    n = next(_seq)
    return create_user(
        email=kw.pop("email", f"user{n}@example.com"),
        name=kw.pop("name", f"User {n}"),
        password=kw.pop("password", PASSWORD),
        role=role,
        **kw,
    )


def make_pipeline(name: str | None = None, stages: list[str] | None = None) -> Pipeline:
    n = next(_seq)
    return create_pipeline(
        name or f"Pipeline {n}", stages or ["New", "Qualified", "Proposal", "R2", "Won-ready"]
    )


def make_account(**kw: Any) -> Account:
    n = next(_seq)
    account = Account(
        name=kw.pop("name", f"Account {n}"), email=kw.pop("email", f"hello{n}@acme.example"), **kw
    )
    db.session.add(account)
    db.session.commit()
    return account


def make_contact(account: Account | None = None, **kw: Any) -> Contact:
    n = next(_seq)
    contact = Contact(
        first_name=kw.pop("first_name", "Jane"),
        last_name=kw.pop("last_name", f"Doe{n}"),
        email=kw.pop("email", f"jane{n}@acme.example"),
        account=account,
        **kw,
    )
    db.session.add(contact)
    db.session.commit()
    return contact


def make_lead(**kw: Any) -> Lead:
    n = next(_seq)
    lead = Lead(
        first_name="Lee", last_name=kw.pop("last_name", f"Lead{n}"), email=f"lead{n}@example.com", **kw
    )
    db.session.add(lead)
    db.session.commit()
    return lead


def make_opportunity(stage: Stage, actor: User | None = None, **kw: Any) -> Opportunity:
    n = next(_seq)
    return create_opportunity(
        actor=actor,
        stage=stage,
        name=kw.pop("name", f"Deal {n}"),
        amount=Decimal(kw.pop("amount", 1000)),
        **kw,
    )


def make_sender(email: str | None = None, verified: bool = True, **kw: Any) -> SenderAddress:
    n = next(_seq)
    sender = SenderAddress(
        email=email or f"sales{n}@ourco.example",
        display_name=kw.pop("display_name", "Our Team"),
        verified_at=utcnow() if verified else None,
        **kw,
    )
    db.session.add(sender)
    db.session.commit()
    return sender


def make_upload(filename: str, data: bytes) -> Upload:
    from io import BytesIO

    from werkzeug.datastructures import FileStorage

    from crm.uploads import save_upload

    return save_upload(FileStorage(stream=BytesIO(data), filename=filename))


def make_template(**kw: Any) -> EmailTemplate:
    n = next(_seq)
    template = EmailTemplate(
        name=kw.pop("name", f"Template {n}"),
        subject=kw.pop("subject", "Hello [[!ContactFirstName]]"),
        body_html=kw.pop("body_html", "<p>Dear [[!ContactFirstName]],</p><p>News.</p>"),
        **kw,
    )
    db.session.add(template)
    db.session.commit()
    return template


# A valid 1×1 PNG, and the smallest PDF header the type check accepts.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c63f8cfc0f01f0005000101ffa6bdb60b0000000049454e44ae426082"
)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def action_type(name: str = "Call") -> ActionType:
    from crm.services.actions import type_named

    found = type_named(name)
    assert found is not None, name
    return found


def make_action(assignee: User, **kw: Any) -> Action:
    from datetime import date

    from crm.services.actions import create_action

    return create_action(
        actor=kw.pop("actor", assignee),
        type=kw.pop("type", None) or action_type(kw.pop("type_name", "Call")),
        title=kw.pop("title", f"Action {next(_seq)}"),
        assignee=assignee,
        due_date=kw.pop("due_date", date.today()),
        **kw,
    )


def make_scenario(
    steps: list[tuple[str, dict[str, Any]]],
    *,
    label: str = "Sequence",
    active: bool = True,
    **step_labels: str,
) -> Scenario:
    """A linear scenario from (kind, config) pairs; an End is added when the list lacks one."""
    from automation.scenarios import admin

    scenario = admin.create_scenario(label, None)
    after = None
    if not steps or steps[-1][0] not in ("end", "if"):
        steps = [*steps, ("end", {})]
    for index, (kind, config) in enumerate(steps):
        after = admin.add_step(
            scenario, kind, after=after, config=config, label=config.pop("label", f"{kind} {index + 1}")
        )
    if active:
        admin.activate(scenario)
    return scenario


def email_step(
    subject: str, message: str = "Hello [[!ContactFirstName]],\n\nShall we talk?", **kw: Any
) -> tuple[str, dict[str, Any]]:
    config = {
        "subject": subject,
        "message": message,
        "sender_id": None,
        "from_name": "",
        "window_start": "",
        "window_end": "",
        "skip_weekends": False,
        "track_opens": False,
        "track_clicks": False,
    }
    config.update(kw)
    return ("email", config)


def pause_step(days: int = 7, hours: int = 0) -> tuple[str, dict[str, Any]]:
    return ("pause", {"days": days, "hours": hours, "until": None})


def make_trigger(
    pipeline: Pipeline,
    event: str,
    params: dict[str, Any] | None = None,
    effects: list[tuple[str, dict[str, Any]]] | None = None,
    name: str = "",
    enabled: bool = True,
) -> Trigger:
    from automation.triggers import editor

    trigger = editor.create_trigger(pipeline, event, params or {}, name)
    for kind, config in effects or []:
        editor.save_effect(trigger, kind, config, None)
    trigger.enabled = enabled
    db.session.commit()
    return trigger
