"""Actions, their events, and the agenda."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from crm.extensions import db
from crm.models import Action, ActionType, DomainEvent, FeedEntry
from crm.services.actions import today_for
from tests.factories import action_type, make_action, make_opportunity, make_pipeline, make_user


def _events(kind: str) -> list[DomainEvent]:
    return list(
        db.session.scalars(select(DomainEvent).where(DomainEvent.kind == kind).order_by(DomainEvent.id))
    )


def test_default_action_types_are_seeded(app):
    assert [t.name for t in db.session.scalars(select(ActionType).order_by(ActionType.position))] == [
        "Call",
        "Meeting",
        "Email",
        "Administrative",
        "To-do",
    ]


def test_create_and_close_from_the_opportunity_emit_events_with_the_type(client, auth, rep):
    opp = make_opportunity(make_pipeline().stages[0])
    auth.login(rep)
    meeting = action_type("Meeting")
    form = client.get(f"/actions/new?opportunity_id={opp.id}", htmx=True).get_data(as_text=True)
    assert 'name="opportunity_id"' in form and "Meeting" in form
    response = client.post(
        "/actions/new",
        data={
            "type_id": meeting.id,
            "title": "Demo with the CTO",
            "assignee_id": rep.id,
            "due_date": "2026-12-01",
            "due_time": "14:30",
            "opportunity_id": opp.id,
        },
        htmx=True,
    )
    assert response.status_code == 200 and json.loads(response.headers["HX-Trigger"])["actionsChanged"]
    action = db.session.scalars(select(Action)).one()
    assert (action.title, action.type_id, action.opportunity_id, action.due_time.hour) == (
        "Demo with the CTO",
        meeting.id,
        opp.id,
        14,
    )
    [created] = _events("action_created")
    assert created.opportunity_id == opp.id and created.payload == {
        "action_id": action.id,
        "type_id": meeting.id,
    }
    client.post(f"/actions/{action.id}/close", htmx=True)
    action = db.session.get(Action, action.id)
    assert action.closed_at and action.closed_by_id == rep.id
    [closed] = _events("action_closed")
    assert closed.payload == {"action_id": action.id, "type_id": meeting.id}
    assert client.post(f"/actions/{action.id}/close", htmx=True).status_code == 200
    assert len(_events("action_closed")) == 1  # closing twice is not a second event
    kinds = db.session.scalars(
        select(FeedEntry.kind).where(FeedEntry.opportunity_id == opp.id).order_by(FeedEntry.id)
    ).all()
    assert kinds == ["created", "action_created", "action_closed"]
    page = client.get(f"/opportunities/{opp.id}").get_data(as_text=True)
    assert "created the action “Demo with the CTO” (Meeting)" in page and "closed the action" in page


def test_invalid_action_is_refused_and_nothing_written(client, auth, rep):
    auth.login(rep)
    call = action_type("Call")
    for bad in (
        {"type_id": ""},
        {"title": ""},
        {"due_date": "tomorrow"},
        {"assignee_id": "9999"},
        {"type_id": "9999"},
        {"due_time": "25:99"},
    ):
        data = {"type_id": call.id, "title": "x", "assignee_id": rep.id, "due_date": "2026-12-01", **bad}
        assert client.post("/actions/new", data=data, htmx=True).status_code == 422, bad
    assert db.session.scalars(select(Action)).first() is None
    assert _events("action_created") == []


def test_deactivated_type_is_not_offered_and_is_refused(client, auth, rep):
    call = action_type("Call")
    call.active = False
    db.session.commit()
    auth.login(rep)
    assert ">Call<" not in client.get("/actions/new", htmx=True).get_data(as_text=True)
    data = {"type_id": call.id, "title": "x", "assignee_id": rep.id, "due_date": "2026-12-01"}
    assert client.post("/actions/new", data=data, htmx=True).status_code == 422


def test_agenda_sections_week_view_and_badge(client, auth, rep):
    today = today_for(rep)
    make_action(rep, title="Late call", due_date=today - timedelta(days=2))
    make_action(rep, title="Call today", due_date=today)
    make_action(rep, title="Next week meeting", due_date=today + timedelta(days=6), type_name="Meeting")
    done = make_action(rep, title="Closed one", due_date=today)
    done.closed_at = done.created_at
    db.session.commit()
    make_action(make_user(), title="Someone else", due_date=today)
    auth.login(rep)
    page = client.get("/agenda/").get_data(as_text=True)
    overdue = page.split("agenda-overdue", 1)[1].split("agenda-today", 1)[0]
    todays = page.split("agenda-today", 1)[1].split("agenda-upcoming", 1)[0]
    upcoming = page.split("agenda-upcoming", 1)[1].split("agenda-week", 1)[0]
    assert "Late call" in overdue and "Call today" in todays and "Next week meeting" in upcoming
    assert "Closed one" not in todays and "Someone else" not in page
    assert 'title="2 actions overdue or due today"' in page  # the badge in the navigation
    assert '<svg class="chart columns"' in page  # the week's load


def test_admin_sees_anyones_agenda_and_a_rep_does_not(client, auth, admin, rep):
    make_action(rep, title="Rep call")
    auth.login(admin)
    assert "Rep call" in client.get(f"/agenda/?user={rep.id}").get_data(as_text=True)
    auth.logout()
    other = make_user()
    auth.login(other)
    assert client.get(f"/agenda/?user={rep.id}").status_code == 403


def test_a_rep_cannot_close_someone_elses_action(client, auth, rep):
    action = make_action(make_user(), title="Not yours")
    auth.login(rep)
    assert client.post(f"/actions/{action.id}/close", htmx=True).status_code == 403
    assert db.session.get(Action, action.id).closed_at is None


def test_a_rep_reads_the_actions_of_opportunities_they_see_and_no_one_elses(client, auth, rep):
    colleague = make_user()
    opp = make_opportunity(make_pipeline().stages[0], name="Shared deal")
    on_deal = make_action(colleague, title="Demo for the shared deal", opportunity=opp)
    private = make_action(colleague, title="Dentist")
    auth.login(rep)
    assert "Demo for the shared deal" in client.get(f"/actions/{on_deal.id}", htmx=True).get_data(
        as_text=True
    )
    refused = client.get(f"/actions/{private.id}")
    assert refused.status_code == 403 and "Dentist" not in refused.get_data(as_text=True)
    assert client.get(f"/actions/{on_deal.id}/edit").status_code == 403
    assert client.get("/actions/987654").status_code == 404


def test_action_types_settings(client, auth, admin):
    auth.login(admin)
    client.post("/settings/action-types", data={"name": "Demo"}, htmx=True)
    demo = db.session.scalars(select(ActionType).where(ActionType.name == "Demo")).one()
    dup = client.post("/settings/action-types", data={"name": "demo"}, htmx=True)
    assert dup.status_code == 422
    client.post(f"/settings/action-types/{demo.id}", data={"name": "Product demo"}, htmx=True)
    client.post(f"/settings/action-types/{demo.id}", data={"name": "Product demo", "active": "0"}, htmx=True)
    demo = db.session.get(ActionType, demo.id)
    assert (demo.name, demo.active) == ("Product demo", False)
