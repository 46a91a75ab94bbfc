"""Each effect of an automation is one line on the opportunity's feed: the action, tag or note line
its service writes, signed with the trigger's name (dates in the reader's format), or a line of its
own for effects that write none — never both."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select

from automation.triggers.batch import process_events
from crm.extensions import db
from crm.models import DomainEvent, Opportunity
from crm.services.opportunities import set_result
from tests.factories import (
    action_type,
    make_contact,
    make_opportunity,
    make_pipeline,
    make_scenario,
    make_trigger,
    make_user,
    pause_step,
)


def _feed_lines(html: str) -> list[str]:
    feed = html.split('<ol class="feed">', 1)[1].split("</ol>", 1)[0]
    return [" ".join(re.sub(r"<[^>]+>", " ", li).split()) for li in re.findall(r"<li .*?</li>", feed, re.S)]


def test_an_automation_writes_one_line_per_effect(client, auth, rep):
    alice = make_user(name="Alice Martin", email="alice@ourco.example")
    nurture = make_scenario([pause_step(7)], label="Nurture")
    pipeline = make_pipeline()
    opp = make_opportunity(pipeline.stages[0], name="Big deal", owner=rep, contact=make_contact())
    make_trigger(
        pipeline,
        "result",
        {"result": "won"},
        name="Won → onboarding",
        effects=[
            (
                "create_action",
                {
                    "type_id": action_type("Call").id,
                    "title": "Kick-off call",
                    "description": "",
                    "assignee": "user",
                    "user_ids": [alice.id],
                    "due_days": 0,
                    "due_time": "",
                },
            ),
            ("add_tag", {"tag": "Customer"}),
            ("post_note", {"text": "Welcome aboard", "mention_id": None}),
            ("enroll", {"scenario_id": nurture.id}),
        ],
    )
    set_result(db.session.get(Opportunity, opp.id), "won", actor=rep)
    process_events(list(db.session.scalars(select(DomainEvent.id).where(DomainEvent.processed_at.is_(None)))))

    auth.login(rep)
    lines = _feed_lines(client.get(f"/opportunities/{opp.id}").get_data(as_text=True))
    by_automation = [line for line in lines if "Automation “Won → onboarding”" in line]
    assert len(by_automation) == 4, lines  # four effects, four lines
    assert not any("”: created the action" in line for line in lines)  # the old second line
    action = next(line for line in by_automation if "Kick-off call" in line)
    today = date.today()
    assert (
        "Automation “Won → onboarding” created the action “Kick-off call” (Call) for Alice Martin" in action
    )
    assert today.isoformat() not in action  # the due date in the reader's format, once
    assert any("Automation “Won → onboarding” added tags: Customer." in line for line in by_automation)
    assert any("Welcome aboard" in line for line in by_automation)
    assert any("added" in line and "“Nurture”" in line for line in by_automation)
    assert f"{rep.name} marked it won." in " ".join(lines)  # the rep's own change keeps its author

    # The Automation filter shows all four.
    only = _feed_lines(client.get(f"/opportunities/{opp.id}?feed=automation").get_data(as_text=True))
    assert len(only) == 4 and all("Automation “Won → onboarding”" in line for line in only)
