"""The trigger editor on the pipeline page: sentences, refusals on save, warnings, test runs."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from crm.extensions import db
from crm.models import Action, Opportunity, OutboxMessage, Tag, Trigger, TriggerEffect
from crm.services.pipelines import delete_stage
from tests.factories import (
    action_type,
    make_contact,
    make_opportunity,
    make_pipeline,
    make_scenario,
    make_sender,
    make_template,
    make_trigger,
    make_user,
    pause_step,
)


def _toast(response) -> str:  # type: ignore[no-untyped-def]
    return json.loads(response.headers["HX-Trigger"])["toast"]["message"]


def test_build_a_trigger_inline_and_read_it_as_a_sentence(client, auth, admin):
    pipeline = make_pipeline("Sales", ["New", "Proposal", "R2"])
    template = make_template(name="Form to fill")
    sender = make_sender(email="crm@ourco.example")
    auth.login(admin)
    page = client.get(f"/settings/pipelines/{pipeline.id}").get_data(as_text=True)
    assert f"/settings/pipelines/{pipeline.id}/triggers/" in page
    created = client.post(
        f"/settings/pipelines/{pipeline.id}/triggers/new",
        data={
            "event": "stage_change",
            "from_stage_id": pipeline.stages[1].id,
            "to_stage_id": pipeline.stages[2].id,
        },
        htmx=True,
    )
    assert created.headers["HX-Retarget"] == "#triggers"
    trigger = db.session.scalars(select(Trigger)).one()
    client.post(
        f"/settings/pipelines/{pipeline.id}/triggers/{trigger.id}/effects/new?kind=send_email",
        data={"template_id": template.id, "sender_id": sender.id, "recipients": "[[!AssignedToId]]"},
        htmx=True,
    )
    client.post(
        f"/settings/pipelines/{pipeline.id}/triggers/{trigger.id}/effects/new?kind=create_action",
        data={
            "type_id": action_type("Call").id,
            "title": "Call the client",
            "assignee": "owner",
            "due_days": "2",
        },
        htmx=True,
    )
    listing = client.get(f"/settings/pipelines/{pipeline.id}/triggers/", htmx=True).get_data(as_text=True)
    assert (
        "When the stage goes from Proposal to R2 → send email “Form to fill” to the assigned rep; "
        "create the Call action “Call the client” due 2 days later"
    ) in listing.replace("&#34;", '"')
    effects = db.session.scalars(select(TriggerEffect).order_by(TriggerEffect.position)).all()
    client.post(
        f"/settings/pipelines/{pipeline.id}/triggers/{trigger.id}/effects/{effects[1].id}/move",
        data={"direction": "up"},
        htmx=True,
    )
    db.session.expire_all()
    assert [e.kind for e in db.session.get(Trigger, trigger.id).effects] == ["create_action", "send_email"]
    client.post(f"/settings/pipelines/{pipeline.id}/triggers/{trigger.id}/toggle", htmx=True)
    assert db.session.get(Trigger, trigger.id).enabled is False


def test_invalid_effect_settings_are_refused_with_the_reason(client, auth, admin):
    pipeline = make_pipeline()
    trigger = make_trigger(pipeline, "result", {"result": "won"})
    pending = make_sender(email="pending@ourco.example", verified=False)
    template = make_template()
    inactive = make_scenario([pause_step(7)], active=False, label="Draft sequence")
    auth.login(admin)
    base = f"/settings/pipelines/{pipeline.id}/triggers/{trigger.id}/effects/new"
    cases = [
        (
            "send_email",
            {"template_id": template.id, "sender_id": pending.id, "recipients": "[[!AssignedToId]]"},
            "Not a valid choice",
        ),
        ("send_email", {"template_id": 999, "sender_id": "", "recipients": "x@y.z"}, "Not a valid choice"),
        ("enroll", {"scenario_id": inactive.id}, "the scenario “Draft sequence” is not active"),
        (
            "create_action",
            {"type_id": action_type("Call").id, "title": "", "assignee": "owner", "due_days": "0"},
            "This field is required.",
        ),
        (
            "create_action",
            {"type_id": action_type("Call").id, "title": "x", "assignee": "round_robin", "due_days": "0"},
            "Choose at least one user.",
        ),
        ("add_tag", {"tag": ""}, "This field is required."),
    ]
    for kind, data, message in cases:
        response = client.post(f"{base}?kind={kind}", data=data, htmx=True)
        assert response.status_code == 422 and message in response.get_data(as_text=True), (kind, data)
    assert db.session.scalar(select(func.count(TriggerEffect.id))) == 0


def test_a_self_refiring_trigger_is_warned_about_on_save(client, auth, admin):
    pipeline = make_pipeline()
    call = action_type("Call")
    trigger = make_trigger(pipeline, "action_created", {"type_id": call.id})
    auth.login(admin)
    response = client.post(
        f"/settings/pipelines/{pipeline.id}/triggers/{trigger.id}/effects/new?kind=create_action",
        data={"type_id": call.id, "title": "Again", "assignee": "owner", "due_days": "1"},
        htmx=True,
    )
    assert (
        "can re-fire it" in _toast(response)
        and json.loads(response.headers["HX-Trigger"])["toast"]["level"] == "warning"
    )


def test_a_deleted_stage_leaves_the_trigger_visibly_broken(client, auth, admin):
    pipeline = make_pipeline("Sales", ["New", "Gone"])
    gone = pipeline.stages[1]
    make_trigger(pipeline, "enter_stage", {"stage_id": gone.id}, [("add_tag", {"tag": "x"})])
    delete_stage(gone)
    auth.login(admin)
    listing = client.get(f"/settings/pipelines/{pipeline.id}/triggers/", htmx=True).get_data(as_text=True)
    assert "broken: a stage it uses was deleted" in listing and "(deleted stage)" in listing


def test_test_this_trigger_changes_nothing_and_sends_nothing(client, auth, admin, smtp):
    rep = make_user(name="Alice", email="alice@ourco.example")
    pipeline = make_pipeline()
    opp = make_opportunity(pipeline.stages[0], name="Test deal", owner=rep, contact=make_contact())
    template = make_template(subject="Hello [[!OpportunityName]]", body_html="<p>For [[!RepName]]</p>")
    trigger = make_trigger(
        pipeline,
        "result",
        {"result": "won"},
        [
            (
                "create_action",
                {
                    "type_id": action_type("Administrative").id,
                    "title": "Order for [[!OpportunityName]]",
                    "description": "",
                    "assignee": "owner",
                    "user_ids": [],
                    "due_days": 0,
                    "due_time": "",
                },
            ),
            (
                "send_email",
                {
                    "template_id": template.id,
                    "sender_id": make_sender().id,
                    "recipients": "[[!AssignedToId]]",
                },
            ),
            ("add_tag", {"tag": "Dry"}),
        ],
    )
    auth.login(admin)
    page = client.get(
        f"/settings/pipelines/{pipeline.id}/triggers/{trigger.id}/test?opportunity_id={opp.id}", htmx=True
    )
    body = page.get_data(as_text=True)
    assert "would create the action “Order for Test deal” for Alice" in body
    assert "would send “Hello Test deal” to Alice &lt;alice@ourco.example&gt;" in body and "For Alice" in body
    assert (
        db.session.scalar(select(func.count(Action.id))) == 0
        and db.session.scalar(select(func.count(OutboxMessage.id))) == 0
    )
    assert (
        db.session.scalar(select(func.count(Tag.id))) == 0 and db.session.get(Opportunity, opp.id).tags == []
    )
    assert smtp.messages == []
