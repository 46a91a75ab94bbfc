"""Scenarios run by RQ's worker with its scheduler, mail read back at a real SMTP server.

Time is advanced by moving an enrollment's clock back (the step's start and due time), never by
sleeping for days; the window and DST rules are proven in test_timing.py."""

from __future__ import annotations

import base64
from datetime import timedelta

from sqlalchemy import select

from automation import queues
from automation.scenarios import admin, engine
from crm.extensions import db, redis_conn
from crm.facts import describe
from crm.models import Enrollment, EnrollmentEvent, OutboxMessage, Scenario
from tests.factories import email_step, make_contact, make_scenario, make_sender, make_user, pause_step
from tests.services import wait_until

TOKEN = {"X-Inbound-Token": "inbound-secret"}
WRONG = {"X-Inbound-Token": "wrong"}


def _fresh(enrollment_id: int) -> Enrollment:
    db.session.expire_all()
    return db.session.get(Enrollment, enrollment_id)


def _kinds(enrollment_id: int) -> list[str]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(EnrollmentEvent.kind)
            .where(EnrollmentEvent.enrollment_id == enrollment_id)
            .order_by(EnrollmentEvent.id)
        )
    )


def fast_forward(enrollment_id: int, delta: timedelta) -> None:
    """Pretend `delta` has passed for this enrollment, then let the worker look at it."""
    _shift(_fresh(enrollment_id), delta)
    db.session.commit()
    queues.enqueue_enrollments([enrollment_id])


def _shift(enrollment: Enrollment, delta: timedelta) -> None:
    # Computed here, not in SQL: SQLite keeps date-times as text.
    enrollment.step_entered_at -= delta
    if enrollment.next_run_at:
        enrollment.next_run_at -= delta
    if enrollment.enqueued_at:
        enrollment.enqueued_at -= delta


def _rep_and_person(**person):  # type: ignore[no-untyped-def]
    rep = make_user(
        name="Alice Martin",
        email="alice@ourco.example",
        signature_html="<p>Alice Martin<br>Account executive</p>",
    )
    make_sender(email="alice@ourco.example", display_name="Alice Martin")
    contact = make_contact(
        first_name="Camille", email="camille@client.example", opt_in=True, owner=rep, **person
    )
    return rep, contact


def _three_emails() -> Scenario:
    return make_scenario(
        [
            email_step("First contact"),
            pause_step(7),
            email_step("Second try"),
            pause_step(days=3),
            email_step("Last note"),
        ]
    )


def test_three_emails_and_two_pauses_end_to_end_as_the_rep(worker, smtp):
    _rep, contact = _rep_and_person()
    scenario = _three_emails()
    enrollment = engine.enroll(scenario, contact)
    [first] = smtp.wait_for(1)
    assert first["Subject"] == "First contact"
    assert first["From"].addresses[0].addr_spec == "alice@ourco.example"
    assert first["From"].addresses[0].display_name == "Alice Martin"
    html = first.get_body(("html",)).get_content()
    assert "<p>Hello Camille,</p>" in html and "Account executive" in html  # the rep's signature
    assert "Account executive" in first.get_body(("plain",)).get_content()
    assert first["List-Unsubscribe"]
    wait_until(lambda: _kinds(enrollment.id)[-1] == "waiting")
    waiting = _fresh(enrollment.id)
    assert waiting.current_step.kind == "pause"
    assert (
        timedelta(days=6, hours=23)
        < waiting.next_run_at - waiting.step_entered_at
        <= timedelta(days=7, hours=1)
    )
    assert len(smtp.messages) == 1  # nothing more before the pause ends

    fast_forward(enrollment.id, timedelta(days=7, minutes=1))
    smtp.wait_for(2)
    wait_until(
        lambda: (
            _kinds(enrollment.id)[-1] == "waiting"
            and _fresh(enrollment.id).current_step.config.get("days") == 3
        )
    )
    fast_forward(enrollment.id, timedelta(days=3, minutes=1))
    smtp.wait_for(3)
    wait_until(lambda: _fresh(enrollment.id).status == "completed")
    assert [m["Subject"] for m in smtp.messages] == ["First contact", "Second try", "Last note"]
    assert _kinds(enrollment.id) == [
        "entered",
        "sent",
        "waiting",
        "waited",
        "sent",
        "waiting",
        "waited",
        "sent",
        "completed",
    ]


def test_a_job_that_runs_twice_sends_nothing_twice(worker, smtp):
    _rep, contact = _rep_and_person()
    scenario = make_scenario([email_step("Only once"), pause_step(7)])
    enrollment = engine.enroll(scenario, contact)
    smtp.wait_for(1)
    queues.enqueue_enrollments([enrollment.id] * 5)  # a replayed queue, a sweep racing the scheduler…
    wait_until(lambda: _kinds(enrollment.id)[-1] == "waiting")
    worker.drain()  # all five replays
    assert len(smtp.messages) == 1
    assert (
        db.session.scalars(select(OutboxMessage.id)).all()
        and len(db.session.scalars(select(OutboxMessage.id)).all()) == 1
    )


def test_deactivate_keeps_people_on_their_step_and_reactivation_goes_on(worker, smtp):
    _rep, contact = _rep_and_person()
    scenario = make_scenario([email_step("One"), pause_step(7), email_step("Two")])
    enrollment = engine.enroll(scenario, contact)
    smtp.wait_for(1)
    wait_until(lambda: _kinds(enrollment.id)[-1] == "waiting")
    admin.deactivate(db.session.get(Scenario, scenario.id))
    fast_forward(enrollment.id, timedelta(days=8))
    worker.drain()  # the worker looks, sees the scenario off, and leaves the person be
    held = _fresh(enrollment.id)
    assert held.status == "active" and held.current_step.kind == "pause" and len(smtp.messages) == 1
    admin.activate(db.session.get(Scenario, scenario.id))
    smtp.wait_for(2)
    wait_until(lambda: _fresh(enrollment.id).status == "completed")
    assert [m["Subject"] for m in smtp.messages] == ["One", "Two"]


def test_a_reply_stops_the_sequence_and_an_auto_reply_does_not(client, worker, smtp, app):
    app.config["INBOUND_TOKEN"] = "inbound-secret"
    _rep, contact = _rep_and_person()
    scenario = make_scenario([email_step("Hello"), pause_step(7), email_step("Follow-up")])
    enrollment = engine.enroll(scenario, contact)
    [sent] = smtp.wait_for(1)
    wait_until(lambda: _kinds(enrollment.id)[-1] == "waiting")
    ooo = (
        f"From: camille@client.example\r\nTo: alice@ourco.example\r\nSubject: Out of office\r\n"
        f"Auto-Submitted: auto-replied\r\nIn-Reply-To: {sent['Message-ID']}\r\n\r\nI am away.\r\n"
    ).encode()
    assert client.post("/m/inbound", data=ooo, csrf=False, headers=WRONG).status_code == 404
    response = client.post("/m/inbound", data=ooo, csrf=False, headers=TOKEN)
    assert response.json == {"matched": 0, "ignored": "auto-reply"}
    assert _fresh(enrollment.id).status == "active"
    reply = (
        f"From: Camille <camille@client.example>\r\nTo: alice@ourco.example\r\nSubject: Re: Hello\r\n"
        f"In-Reply-To: {sent['Message-ID']}\r\nReferences: {sent['Message-ID']}\r\n\r\nYes, call me.\r\n"
    ).encode()
    assert client.post("/m/inbound", data=reply, csrf=False, headers=TOKEN).json == {"matched": 1}
    stopped = _fresh(enrollment.id)
    assert stopped.status == "replied" and stopped.replied_at is not None
    fast_forward(enrollment.id, timedelta(days=8))
    worker.drain()
    assert len(smtp.messages) == 1  # the follow-up never goes


def _reply(sender: str, in_reply_to: str, references: str = "") -> bytes:
    return (
        f"From: {sender}\r\nTo: alice@ourco.example\r\nSubject: Re: Hello\r\n"
        f"In-Reply-To: {in_reply_to}\r\nReferences: {references or in_reply_to}\r\n\r\nOK.\r\n"
    ).encode()


def test_only_the_person_written_to_or_their_company_stops_a_sequence(client, worker, smtp, app):
    """A forwarded message answered by a stranger stops nothing; the token is never in the URL
    (access logs keep URLs); a References header of 40,000 ids is cut to its newest ones."""
    app.config["INBOUND_TOKEN"] = "inbound-secret"
    _rep, contact = _rep_and_person()  # camille@client.example
    scenario = make_scenario([email_step("Hello"), pause_step(7), email_step("Follow-up")])
    enrollment = engine.enroll(scenario, contact)
    [sent] = smtp.wait_for(1)
    sent_id = sent["Message-ID"]
    post = lambda body, **kw: client.post("/m/inbound", data=body, csrf=False, **kw)  # noqa: E731
    assert (
        post(_reply("camille@client.example", sent_id), query_string={"token": "inbound-secret"}).status_code
        == 404
    )
    assert post(_reply("Eve <eve@elsewhere.example>", sent_id), headers=TOKEN).json == {"matched": 0}
    assert post(_reply("someone@gmail.com", sent_id), headers=TOKEN).json == {"matched": 0}
    buried = " ".join([sent_id] + [f"<{n}@spam.example>" for n in range(40_000)])
    assert post(_reply("camille@client.example", "", buried), headers=TOKEN).json == {"matched": 0}
    assert _fresh(enrollment.id).status == "active"
    colleague = _reply("Dominique <dominique@client.example>", "<other@x.example>", f"<a@b> {sent_id}")
    basic = {"Authorization": "Basic " + base64.b64encode(b"inbound:inbound-secret").decode()}
    assert post(colleague, headers=basic).json == {"matched": 1}
    assert _fresh(enrollment.id).status == "replied"


def test_unsubscribed_people_are_skipped_with_the_reason(worker, smtp):
    _rep, contact = _rep_and_person(unsubscribed=True)
    scenario = make_scenario([email_step("Hi")])
    enrollment = engine.enroll(scenario, contact)
    wait_until(lambda: _fresh(enrollment.id).status == "exited")
    gone = _fresh(enrollment.id)
    assert describe(gone.exit_reason) == "unsubscribed from email"
    assert _kinds(enrollment.id) == ["entered", "skipped"]
    assert smtp.messages == []


def test_an_unverified_rep_address_blocks_visibly_and_resumes_once_verified(worker, smtp):
    rep = make_user(email="bob@ourco.example")
    sender = make_sender(email="bob@ourco.example", verified=False)
    contact = make_contact(opt_in=True, owner=rep)
    scenario = make_scenario([email_step("Hi")])
    enrollment = engine.enroll(scenario, contact)
    wait_until(lambda: "blocked" in _kinds(enrollment.id))
    event = db.session.scalars(select(EnrollmentEvent).where(EnrollmentEvent.kind == "blocked")).one()
    assert "bob@ourco.example is not a verified sender address" in describe(event.detail["reason"])
    assert _fresh(enrollment.id).status == "active"  # not lost
    sender = db.session.get(type(sender), sender.id)
    from crm.models import utcnow

    sender.verified_at = utcnow()
    db.session.commit()
    fast_forward(enrollment.id, timedelta(hours=1, minutes=1))
    smtp.wait_for(1)


def test_a_redis_flush_in_the_middle_loses_nobody(worker, smtp):
    _rep, contact = _rep_and_person()
    other = make_contact(first_name="Léa", email="lea@client.example", opt_in=True, owner=contact.owner)
    scenario = make_scenario([email_step("One"), pause_step(7), email_step("Two")])
    first = engine.enroll(scenario, contact)
    second = engine.enroll(scenario, other)
    smtp.wait_for(2)
    wait_until(lambda: _kinds(first.id)[-1] == "waiting" and _kinds(second.id)[-1] == "waiting")
    redis_conn().flushdb()  # the scheduled wake-ups are gone
    for enrollment in db.session.scalars(select(Enrollment)):
        _shift(enrollment, timedelta(days=8))
    db.session.commit()
    smtp.wait_for(4, timeout=30)  # the sweep found both from the database
    wait_until(lambda: _fresh(first.id).status == "completed" and _fresh(second.id).status == "completed")
    assert sorted(m["Subject"] for m in smtp.messages) == ["One", "One", "Two", "Two"]


def test_a_person_is_in_a_scenario_at_most_once(app):
    _rep, contact = _rep_and_person()
    scenario = make_scenario([email_step("Hi")])
    engine.enroll(scenario, contact)
    import pytest

    from crm.services import ServiceError

    with pytest.raises(ServiceError, match="already in this scenario"):
        engine.enroll(scenario, contact)
    assert engine.unenroll(scenario, contact, reason="test")
    engine.enroll(scenario, contact)  # after leaving, they may come back
