"""Pipeline triggers run by RQ's worker: matching, every effect, order, exactly once, loop guard."""

from __future__ import annotations

from sqlalchemy import func, select

from crm.extensions import db
from crm.facts import describe
from crm.models import (
    Action,
    Campaign,
    DomainEvent,
    Enrollment,
    FeedEntry,
    Opportunity,
    OutboxMessage,
    TriggerRun,
)
from crm.services.actions import close_action
from crm.services.events import by_automation
from crm.services.opportunities import move_opportunity, set_result
from crm.services.quotes import reopen_quote
from tests.factories import (
    action_type,
    make_action,
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
from tests.services import wait_until


def _processed() -> bool:
    db.session.expire_all()
    return (
        db.session.scalar(select(func.count(DomainEvent.id)).where(DomainEvent.processed_at.is_(None))) == 0
    )


def _runs() -> list[str]:
    db.session.expire_all()
    return sorted(r.trigger_name for r in db.session.scalars(select(TriggerRun)))


def _note(name: str) -> tuple[str, dict]:
    return ("post_note", {"text": f"fired {name}", "mention_id": None})


def test_each_event_fires_its_triggers_and_no_others(worker):
    pipeline = make_pipeline("Sales", ["New", "Proposal", "R2", "Other"])
    new, proposal, r2, other = pipeline.stages
    call, meeting = action_type("Call"), action_type("Meeting")
    for name, event, params in [
        ("won", "result", {"result": "won"}),
        ("lost", "result", {"result": "lost"}),
        ("enter R2", "enter_stage", {"stage_id": r2.id}),
        ("Proposal to R2", "stage_change", {"from_stage_id": proposal.id, "to_stage_id": r2.id}),
        ("quote sent", "quote_sent", {}),
        ("quote reopened", "quote_reopened", {}),
        ("call created", "action_created", {"type_id": call.id}),
        ("meeting closed", "action_closed", {"type_id": meeting.id}),
    ]:
        make_trigger(pipeline, event, params, [_note(name)], name=name)
    opp = make_opportunity(new)
    wait_until(_processed, 15)
    assert _runs() == []
    move_opportunity(opp, other, actor=None)
    move_opportunity(
        db.session.get(Opportunity, opp.id), r2, actor=None
    )  # Other → R2: enters R2, but not Proposal → R2
    wait_until(_processed, 15)
    assert _runs() == ["enter R2"]
    move_opportunity(db.session.get(Opportunity, opp.id), proposal, actor=None)
    move_opportunity(db.session.get(Opportunity, opp.id), r2, actor=None)
    wait_until(_processed, 15)
    assert _runs() == ["Proposal to R2", "enter R2", "enter R2"]
    make_action(
        make_user(), type_name="Meeting", opportunity=db.session.get(Opportunity, opp.id)
    )  # created, not closed
    call_action = make_action(make_user(), type_name="Call", opportunity=db.session.get(Opportunity, opp.id))
    close_action(call_action, actor=None)  # a Call closed: no "meeting closed"
    wait_until(_processed, 15)
    assert _runs() == ["Proposal to R2", "call created", "enter R2", "enter R2"]
    from crm.services.quotes import create_quote

    quote = create_quote(db.session.get(Opportunity, opp.id), actor=make_user())
    quote.status = "sent"
    db.session.commit()
    reopen_quote(quote, actor=None)
    set_result(db.session.get(Opportunity, opp.id), "won", actor=None)
    wait_until(_processed, 15)
    assert _runs() == ["Proposal to R2", "call created", "enter R2", "enter R2", "quote reopened", "won"]


def test_every_effect_kind_does_what_it_says_in_order(worker, smtp):
    rep = make_user(name="Alice Martin", email="alice@ourco.example")
    sales_admin = make_user(name="Sophie Admin", email="sophie@ourco.example")
    sender = make_sender(email="crm@ourco.example")
    contact = make_contact(first_name="Camille", email="camille@client.example", opt_in=True, owner=rep)
    template = make_template(
        name="Form to fill",
        subject="Form for [[!OpportunityName]]",
        body_html="<p>Fill it, [[!RepName]].</p>",
    )
    nurture = make_scenario([pause_step(7)], label="Nurture")
    old = make_scenario([pause_step(7)], label="Old sequence")
    pipeline = make_pipeline()
    opp = make_opportunity(pipeline.stages[0], name="Big deal", contact=contact, owner=rep)
    from automation.scenarios import engine

    engine.enroll(old, contact)
    make_trigger(
        pipeline,
        "result",
        {"result": "won"},
        name="Won → everything",
        effects=[
            (
                "create_action",
                {
                    "type_id": action_type("Administrative").id,
                    "title": "Handle the order for [[!OpportunityName]]",
                    "description": "",
                    "assignee": "user",
                    "user_ids": [sales_admin.id],
                    "due_days": 0,
                    "due_time": "",
                },
            ),
            ("post_note", {"text": "Won by [[!RepName]]!", "mention_id": sales_admin.id}),
            ("enroll", {"scenario_id": nurture.id}),
            ("unenroll", {"scenario_id": old.id}),
            (
                "send_email",
                {
                    "template_id": template.id,
                    "sender_id": sender.id,
                    "recipients": "[[!AssignedToId]], boss@ourco.example",
                },
            ),
            ("add_tag", {"tag": "Customer"}),
            (
                "create_campaign",
                {"template_id": template.id, "sender_id": sender.id, "audience": "contact", "mode": "draft"},
            ),
        ],
    )
    set_result(opp, "won", actor=rep)
    wait_until(lambda: db.session.scalars(select(TriggerRun.status)).all() == ["done"], 20)
    [action] = db.session.scalars(select(Action)).all()
    assert (action.title, action.assignee_id, action.type.name) == (
        "Handle the order for Big deal",
        sales_admin.id,
        "Administrative",
    )
    # One feed line per effect: the action, note and tags lines its services wrote, signed with
    # the trigger, and a line of its own for the others.
    feed = db.session.scalars(select(FeedEntry).where(by_automation()).order_by(FeedEntry.id)).all()
    assert [e.kind for e in feed] == [
        "action_created",
        "note",
        "automation",
        "automation",
        "automation",
        "tags_changed",
        "automation",
    ]
    assert {e.data["trigger"] for e in feed} == {"Won → everything"}
    assert feed[1].data["text"] == "@sophie Won by Alice Martin!"
    # Automation lines store facts, told in the reader's language (here the default, English).
    assert describe(feed[2].data["text"]).startswith("added Camille")
    assert describe(feed[-1].data["text"]).startswith("created campaign")
    live = {
        e.scenario_id for e in db.session.scalars(select(Enrollment).where(Enrollment.status == "active"))
    }
    assert live == {nurture.id}
    mails = smtp.wait_for(2)
    assert sorted(m["To"].addresses[0].addr_spec for m in mails) == [
        "alice@ourco.example",
        "boss@ourco.example",
    ]
    assert all(m["Subject"] == "Form for Big deal" for m in mails)
    assert [t.name for t in db.session.get(Opportunity, opp.id).tags] == ["Customer"]
    campaign = db.session.scalars(select(Campaign)).one()
    assert campaign.status == "draft" and campaign.audience == {"type": "contacts", "ids": [contact.id]}
    assert db.session.scalar(select(func.count(FeedEntry.id)).where(by_automation())) == 7


def test_a_disabled_trigger_does_nothing(worker):
    pipeline = make_pipeline()
    make_trigger(pipeline, "result", {"result": "won"}, [("add_tag", {"tag": "X"})], enabled=False)
    opp = make_opportunity(pipeline.stages[0])
    set_result(opp, "won", actor=None)
    wait_until(_processed, 15)
    assert _runs() == [] and db.session.get(Opportunity, opp.id).tags == []


def test_a_permanent_failure_stops_the_later_effects_and_says_why_then_retry(client, auth, admin, worker):
    pipeline = make_pipeline()
    scenario = make_scenario([pause_step(7)], label="Nurture")
    contact = make_contact(opt_in=True)
    make_trigger(
        pipeline,
        "result",
        {"result": "won"},
        name="Won → nurture",
        effects=[
            ("add_tag", {"tag": "First"}),
            ("enroll", {"scenario_id": scenario.id}),
            ("add_tag", {"tag": "Never"}),
        ],
    )
    from automation.scenarios import admin as scenarios

    scenarios.deactivate(scenario)  # it was fine when the trigger was saved; it is not any more
    opp = make_opportunity(pipeline.stages[0], contact=contact)
    set_result(opp, "won", actor=None)
    wait_until(lambda: db.session.scalars(select(TriggerRun.status)).all() == ["failed"], 15)
    run = db.session.scalars(select(TriggerRun)).one()
    assert "is not active" in describe(run.error)
    assert [t.name for t in db.session.get(Opportunity, opp.id).tags] == ["First"]
    failed = db.session.scalars(
        select(FeedEntry).where(
            FeedEntry.kind == "automation", FeedEntry.data["status"].as_string() == "failed"
        )
    ).all()
    assert failed and "the effects after it did not run" in describe(failed[0].data["text"])
    auth.login(admin)
    page = client.get("/settings/automation-runs/?status=failed").get_data(as_text=True)
    assert "Won → nurture" in page and "is not active" in page
    scenarios.activate(db.session.get(type(scenario), scenario.id))
    client.post(f"/settings/automation-runs/{run.id}/retry", htmx=True)
    wait_until(lambda: db.session.scalars(select(TriggerRun.status)).all() == ["done"], 15)
    assert sorted(t.name for t in db.session.get(Opportunity, opp.id).tags) == ["First", "Never"]
    assert db.session.scalar(select(func.count(Enrollment.id))) == 1


def test_the_loop_guard_stops_a_self_feeding_trigger(worker):
    pipeline = make_pipeline()
    call = action_type("Call")
    make_trigger(
        pipeline,
        "action_created",
        {"type_id": call.id},
        name="Call → call",
        effects=[
            (
                "create_action",
                {
                    "type_id": call.id,
                    "title": "Call again",
                    "description": "",
                    "assignee": "owner",
                    "user_ids": [],
                    "due_days": 1,
                    "due_time": "",
                },
            )
        ],
    )
    rep = make_user()
    opp = make_opportunity(pipeline.stages[0], owner=rep)
    make_action(rep, type_name="Call", opportunity=opp)
    wait_until(
        lambda: (
            db.session.scalar(select(func.count(TriggerRun.id)).where(TriggerRun.status == "stopped")) == 1
        ),
        20,
    )
    wait_until(_processed, 15)
    assert db.session.scalar(select(func.count(Action.id))) == 6  # the first, then five in the chain
    stopped = db.session.scalars(select(FeedEntry).where(FeedEntry.kind == "automation")).all()[-1]
    assert stopped.data["status"] == "stopped" and "fired each other" in describe(stopped.data["text"])


def test_a_replayed_event_does_nothing_twice(worker):
    pipeline = make_pipeline()
    make_trigger(pipeline, "result", {"result": "won"}, [("add_tag", {"tag": "A"}), _note("once")])
    opp = make_opportunity(pipeline.stages[0])
    set_result(opp, "won", actor=None)
    wait_until(_processed, 15)
    from sqlalchemy import update

    from automation.queues import enqueue_events

    event_id = db.session.scalars(select(DomainEvent.id).where(DomainEvent.kind == "result_changed")).one()
    db.session.execute(update(DomainEvent).where(DomainEvent.id == event_id).values(processed_at=None))
    db.session.commit()
    for _ in range(3):  # Redis replayed it, three times
        enqueue_events([event_id])
    wait_until(_processed, 15)
    assert db.session.scalar(select(func.count(FeedEntry.id)).where(FeedEntry.kind == "note")) == 1
    assert db.session.scalar(select(func.count(FeedEntry.id)).where(by_automation())) == 2
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0


def test_a_burst_travels_in_batches_and_caused_events_ride_along(app, worker, monkeypatch):
    """120 moves in one commit: 3 jobs of ≤50 events; the tag_added events the effects cause are
    handled in those same jobs (no job of their own), every effect exactly once."""
    from rq.registry import FinishedJobRegistry, StartedJobRegistry

    from automation.queues import get_queue

    pipeline = make_pipeline("Sales", ["New", "Won over"])
    new, won_over = pipeline.stages
    make_trigger(pipeline, "enter_stage", {"stage_id": won_over.id}, [("add_tag", {"tag": "Hot"})])
    opps = [make_opportunity(new, name=f"Deal {i}") for i in range(120)]
    queue = get_queue("events")
    queue.empty()
    db.session.execute(
        DomainEvent.__table__.update()
        .where(DomainEvent.processed_at.is_(None))
        .values(processed_at=func.now())
    )
    db.session.commit()
    for opp in opps:
        move_opportunity(db.session.get(Opportunity, opp.id), won_over, actor=None, commit=False)
    db.session.commit()
    assert [len(job.args[0]) for job in queue.get_jobs()] == [50, 50, 20]
    monkeypatch.setitem(app.config, "SWEEP_GRACE_SECONDS", 120)  # no sweep re-enqueueing them
    wait_until(_processed, 60, message="the worker to process the 240 events")
    kinds = dict(db.session.execute(select(DomainEvent.kind, func.count()).group_by(DomainEvent.kind)).all())
    assert kinds["stage_changed"] == 120 and kinds["tag_added"] == 120
    assert db.session.scalar(select(func.count(TriggerRun.id)).where(TriggerRun.status == "done")) == 120
    automation_lines = select(func.count(FeedEntry.id)).where(by_automation())
    assert db.session.scalar(automation_lines) == 120
    # RQ files a job as finished a moment after its last commit: wait for the three, then no more.
    finished = FinishedJobRegistry(queue=queue)
    wait_until(lambda: len(finished) >= 3 and not queue.count, 15, message="the 3 jobs to finish")
    assert len(finished) == 3 and not StartedJobRegistry(queue=queue).get_job_ids()


def test_an_event_that_breaks_does_not_hold_back_the_others_of_its_batch(app):
    """An unexpected error in one event's effect (here a due time a form could never save): that
    event records the error and stays unprocessed for the sweep; the rest of the batch goes on."""
    import pytest

    from automation.triggers.batch import EventsFailed, process_events
    from crm.models import TriggerEffect

    pipeline = make_pipeline("Sales", ["New", "Broken", "Fine"])
    new, broken, fine = pipeline.stages
    bad = make_trigger(
        pipeline,
        "enter_stage",
        {"stage_id": broken.id},
        [("create_action", {"type_id": action_type("Call").id, "title": "Call", "assignee": "owner"})],
    )
    db.session.get(TriggerEffect, bad.effects[0].id).config = {**bad.effects[0].config, "due_time": "25:99"}
    db.session.commit()
    make_trigger(pipeline, "enter_stage", {"stage_id": fine.id}, [("add_tag", {"tag": "Fine"})])
    rep = make_user()
    first, second = make_opportunity(new, owner=rep), make_opportunity(new, owner=rep)
    db.session.execute(DomainEvent.__table__.update().values(processed_at=func.now()))
    db.session.commit()
    move_opportunity(db.session.get(Opportunity, first.id), broken, actor=None)
    move_opportunity(db.session.get(Opportunity, second.id), fine, actor=None)
    ids = db.session.scalars(
        select(DomainEvent.id).where(DomainEvent.processed_at.is_(None)).order_by(DomainEvent.id)
    ).all()
    with pytest.raises(EventsFailed):
        process_events(list(ids))
    db.session.expire_all()
    failed, done = (db.session.get(DomainEvent, i) for i in ids)
    assert failed.processed_at is None and failed.attempts == 1 and "ValueError" in failed.last_error
    assert done.processed_at is not None
    assert [t.name for t in db.session.get(Opportunity, second.id).tags] == ["Fine"]

    # It keeps failing: after five attempts the run fails with the reason, on the feed, for good.
    for _ in range(4):
        with pytest.raises(EventsFailed):
            process_events([failed.id])
    db.session.expire_all()
    assert db.session.get(DomainEvent, failed.id).processed_at is not None
    run = db.session.scalars(select(TriggerRun).where(TriggerRun.event_id == failed.id)).one()
    assert run.status == "failed" and "ValueError" in run.error
    line = db.session.scalars(
        select(FeedEntry).where(FeedEntry.opportunity_id == first.id, FeedEntry.kind == "automation")
    ).one()
    assert line.data["status"] == "failed" and "gave up" in describe(line.data["text"])
    assert process_events([failed.id]) == {}  # done: nothing more happens
