"""A simulation sends to the person (the seed's mode), or to the admin's own address as a test:
the choice is stored on the simulation, and the panel says on every step where each mail went."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
from sqlalchemy import func, select

from crm.extensions import db
from crm.models import Enrollment, OutboxMessage
from tests.factories import email_step, make_contact, make_scenario, make_sender, make_user, pause_step


@pytest.fixture
def setup(app):  # type: ignore[no-untyped-def]
    rep = make_user(email="alice@ourco.example", name="Alice")
    make_sender(email="alice@ourco.example")
    # Not opted in and unsubscribed: a real send to her would be blocked.
    contact = make_contact(
        first_name="Camille", last_name="Durand", email="camille@client.example", owner=rep, opt_in=False
    )
    scenario = make_scenario([email_step("Hi [[!ContactFirstName]]"), pause_step(3), email_step("Again")])
    return scenario, contact


def _start(client, scenario, contact, **data):  # type: ignore[no-untyped-def]
    form = {"record_type": "contact", "record_id": contact.id, **data}
    return client.post(f"/settings/scenarios/{scenario.id}/simulate", data=form, htmx=True)


def _execute(client, scenario, enrollment_id: int) -> str:  # type: ignore[no-untyped-def]
    response = client.post(f"/settings/scenarios/{scenario.id}/simulate/{enrollment_id}", htmx=True)
    return unescape(response.get_data(as_text=True))


def test_send_to_me_mails_the_admin_with_the_persons_content(client, auth, admin, worker, smtp, setup):
    scenario, contact = setup
    contact.unsubscribed = True
    db.session.commit()
    auth.login(admin)
    body = unescape(_start(client, scenario, contact, send_to="me").get_data(as_text=True))
    assert f"A test: every email goes to you, {admin.email}, not to Camille Durand." in body
    assert "sent even if they are not opted in or unsubscribed" in body
    assert "real sends would be blocked" not in body  # her opt-in does not matter: she gets nothing
    enrollment_id = int(re.search(r'id="sim-(\d+)"', body).group(1))
    assert db.session.get(Enrollment, enrollment_id).test_recipient == admin.email

    first = _execute(client, scenario, enrollment_id)
    assert f"email “Hi Camille” sent to you, {admin.email}, as a test." in first
    _execute(client, scenario, enrollment_id)  # the pause
    last = _execute(client, scenario, enrollment_id)
    assert f"email “Again” sent to you, {admin.email}, as a test." in last
    assert last.count("as a test.") == 2  # said on every step that sent

    smtp.wait_for(2)
    assert [m["X-Envelope-To"] for m in smtp.messages] == [admin.email, admin.email]
    assert smtp.to("camille@client.example") == []
    html = smtp.messages[0].get_body(("html",)).get_content()
    assert smtp.messages[0]["Subject"] == "Hi Camille" and "Hello Camille," in html
    rows = db.session.scalars(select(OutboxMessage)).all()
    assert all(r.simulation and r.to_email == admin.email and r.recipient_id is None for r in rows)


def test_the_default_still_sends_to_the_person_and_says_so(client, auth, admin, worker, smtp, setup):
    scenario, contact = setup
    contact.opt_in = True
    db.session.commit()
    auth.login(admin)
    body = unescape(_start(client, scenario, contact).get_data(as_text=True))  # no choice: the person
    assert "Emails are really sent to Camille Durand <camille@client.example>." in body
    enrollment_id = int(re.search(r'id="sim-(\d+)"', body).group(1))
    assert db.session.get(Enrollment, enrollment_id).test_recipient is None
    first = _execute(client, scenario, enrollment_id)
    assert "email “Hi Camille” sent to Camille Durand <camille@client.example>." in first
    assert "as a test" not in first
    smtp.wait_for(1)
    assert [m["X-Envelope-To"] for m in smtp.messages] == ["camille@client.example"]
    assert smtp.to(admin.email) == []
    # The explicit choice is the same.
    explicit = unescape(_start(client, scenario, contact, send_to="person").get_data(as_text=True))
    assert "Emails are really sent to Camille Durand" in explicit


@pytest.mark.parametrize("value", ["everyone", "ME", "admin@example.com"])
def test_an_unknown_mode_is_refused_and_creates_nothing(client, auth, admin, setup, value):
    scenario, contact = setup
    auth.login(admin)
    response = _start(client, scenario, contact, send_to=value)
    assert response.status_code == 422
    message = json.loads(response.headers["HX-Trigger"])["toast"]["message"]
    assert message == "Choose who gets the emails: the person, or you as a test."
    assert db.session.scalar(select(func.count(Enrollment.id))) == 0
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0


def test_a_rep_cannot_simulate(client, auth, rep, setup):
    scenario, contact = setup
    auth.login(rep)
    assert _start(client, scenario, contact, send_to="me").status_code == 403
    assert db.session.scalar(select(func.count(Enrollment.id))) == 0
