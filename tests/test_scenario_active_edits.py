"""An active scenario never gets an open path: an edit that would leave a path without an End (an
If with an empty branch, a removed End or If) is refused with a message that says to deactivate it
first, and changes nothing. Edits that keep every path closed go through."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from automation.scenarios import admin as builder
from automation.scenarios import engine
from crm.extensions import db
from crm.models import Scenario, ScenarioStep
from tests.factories import email_step, make_contact, make_scenario, pause_step


def _toast(response) -> str:  # type: ignore[no-untyped-def]
    return json.loads(response.headers["HX-Trigger"])["toast"]["message"]


def _shape(scenario_id: int) -> list[tuple[str, str | None, int | None]]:
    db.session.expire_all()
    steps = db.session.scalars(select(ScenarioStep).where(ScenarioStep.scenario_id == scenario_id))
    return sorted((s.kind, s.branch, s.position) for s in steps)


def _branching() -> tuple[Scenario, dict[str, ScenarioStep]]:
    """email → If replied? (yes: End; no: pause → End), active."""
    scenario = make_scenario(
        [email_step("Hello"), ("if", {"condition": "replied", "label": "Replied?"})], active=False
    )
    cond = db.session.scalars(select(ScenarioStep).where(ScenarioStep.kind == "if")).one()
    yes_end = builder.add_step(scenario, "end", parent=cond, branch="yes")
    no_pause = builder.add_step(scenario, "pause", parent=cond, branch="no", config=pause_step(3)[1])
    no_end = builder.add_step(scenario, "end", after=no_pause)
    builder.activate(scenario)
    email = db.session.scalars(select(ScenarioStep).where(ScenarioStep.kind == "email")).one()
    return scenario, {"email": email, "if": cond, "yes_end": yes_end, "no_pause": no_pause, "no_end": no_end}


REFUSED = "is active and this change would leave a path without an End"


@pytest.mark.parametrize("doomed", ["yes_end", "no_end", "if"])
def test_removing_an_end_or_an_if_of_an_active_scenario_is_refused(client, auth, admin, doomed):
    scenario, steps = _branching()
    engine.enroll(scenario, make_contact(opt_in=True))  # someone walks it: no question about them first
    before = _shape(scenario.id)
    auth.login(admin)
    response = client.post(f"/settings/scenarios/{scenario.id}/steps/{steps[doomed].id}/delete", htmx=True)
    message = _toast(response)
    assert response.status_code == 409 and REFUSED in message
    assert (
        "Deactivate it first (people stay on their step), make your changes, then reactivate it." in message
    )
    expected = {"yes_end": "the “yes” branch of “Replied?”", "no_end": "after “pause 2”"}.get(
        doomed, "after “email 1”"
    )
    assert expected in message or doomed == "no_end"
    assert _shape(scenario.id) == before and db.session.get(Scenario, scenario.id).active
    with pytest.raises(Exception, match=REFUSED):
        builder.delete_step(db.session.get(ScenarioStep, steps[doomed].id), people_go="end")
    db.session.rollback()
    assert _shape(scenario.id) == before


def test_adding_an_if_to_an_active_scenario_is_refused_before_its_form_opens(client, auth, admin):
    scenario, steps = _branching()
    before = _shape(scenario.id)
    auth.login(admin)
    url = f"/settings/scenarios/{scenario.id}/steps/new?kind=if&after={steps['email'].id}"
    opened = client.get(url, htmx=True)
    assert opened.status_code == 409 and "the “yes” branch of the new If would be empty" in _toast(opened)
    posted = client.post(url, data={"label": "Opened?", "condition": "opened"}, htmx=True)
    assert posted.status_code == 409 and REFUSED in _toast(posted)
    # The service refuses it too, whoever calls it, and leaves nothing behind.
    with pytest.raises(Exception, match=REFUSED):
        builder.add_step(db.session.get(Scenario, scenario.id), "if", parent=steps["if"], branch="no")
    assert _shape(scenario.id) == before and db.session.get(Scenario, scenario.id).active


def test_edits_that_keep_every_path_closed_go_through_on_an_active_scenario(client, auth, admin):
    scenario, steps = _branching()
    auth.login(admin)
    page = client.get(f"/settings/scenarios/{scenario.id}").get_data(as_text=True)
    assert "To add an If or remove an End, deactivate it first." in page
    added = client.post(
        f"/settings/scenarios/{scenario.id}/steps/new?kind=pause&after={steps['email'].id}",
        data={"label": "Wait", "days": "2"},
        htmx=True,
    )
    assert added.status_code == 200 and _toast(added) == "Step added."
    removed = client.post(f"/settings/scenarios/{scenario.id}/steps/{steps['no_pause'].id}/delete", htmx=True)
    assert removed.status_code == 200 and _toast(removed) == "Step removed."
    db.session.expire_all()
    assert db.session.get(Scenario, scenario.id).active


def test_once_deactivated_the_scenario_can_be_opened_and_only_reactivated_when_closed(client, auth, admin):
    scenario, steps = _branching()
    auth.login(admin)
    client.post(f"/settings/scenarios/{scenario.id}/deactivate", htmx=True)
    removed = client.post(f"/settings/scenarios/{scenario.id}/steps/{steps['yes_end'].id}/delete", htmx=True)
    assert removed.status_code == 200 and _toast(removed) == "Step removed."
    refused = client.post(f"/settings/scenarios/{scenario.id}/activate", htmx=True)
    assert refused.status_code == 409 and "the “yes” branch of “Replied?”" in _toast(refused)
    client.post(
        f"/settings/scenarios/{scenario.id}/steps/new?kind=end&parent={steps['if'].id}&branch=yes", htmx=True
    )
    assert client.post(f"/settings/scenarios/{scenario.id}/activate", htmx=True).status_code == 204
