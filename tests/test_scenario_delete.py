"""Deleting a scenario: the confirmation names the triggers that use it and the people in it; after
it, those trigger effects show as broken, and a run that meets one fails with its reason on the
automation runs page and in the admins' notifications."""

from __future__ import annotations

from sqlalchemy import select

from automation.scenarios import admin as builder
from automation.scenarios import engine
from crm.extensions import db
from crm.facts import describe
from crm.models import DomainEvent, FeedEntry, Notification, Opportunity, Scenario, TriggerEffect, TriggerRun
from crm.services.opportunities import move_opportunity
from tests.factories import (
    make_contact,
    make_opportunity,
    make_pipeline,
    make_scenario,
    make_trigger,
    make_user,
    pause_step,
)


def _world():  # type: ignore[no-untyped-def]
    scenario = make_scenario([pause_step(7)], label="Trade show follow-up")
    other = make_scenario([pause_step(3)], label="Newsletter")
    sales = make_pipeline("Sales", ["New", "Demo", "Won over"])
    partners = make_pipeline("Partners", ["Lead", "Signed"])
    enrol = make_trigger(
        sales,
        "enter_stage",
        {"stage_id": sales.stages[1].id},
        [("enroll", {"scenario_id": scenario.id})],
        name="Demo → follow-up",
    )
    stop = make_trigger(
        partners,
        "enter_stage",
        {"stage_id": partners.stages[1].id},
        [("add_tag", {"tag": "Partner"}), ("unenroll", {"scenario_id": scenario.id})],
        name="Signed → stop",
    )
    unrelated = make_trigger(
        sales,
        "enter_stage",
        {"stage_id": sales.stages[2].id},
        [("enroll", {"scenario_id": other.id})],
        name="Won over → newsletter",
    )
    return scenario, sales, partners, enrol, stop, unrelated


def test_the_confirmation_names_the_triggers_and_the_people(client, auth, admin, rep):
    scenario, *_ = _world()
    for name in ("Camille", "Hugo"):
        engine.enroll(scenario, make_contact(first_name=name, opt_in=True))
    auth.login(admin)
    dialog = client.get(f"/settings/scenarios/{scenario.id}/delete", htmx=True).get_data(as_text=True)
    assert "<dialog data-open" in dialog and "Delete “Trade show follow-up”?" in dialog
    assert "These triggers use it and will be broken until you edit them:" in dialog
    assert "Demo → follow-up" in dialog and "(Sales)" in dialog and "adds people to it" in dialog
    assert "Signed → stop" in dialog and "(Partners)" in dialog and "takes people out of it" in dialog
    assert "Won over → newsletter" not in dialog
    assert "2 people are in it now" in dialog
    page = client.get(f"/settings/scenarios/{scenario.id}/delete")  # without JavaScript: a page
    assert page.status_code == 200 and "<dialog open" in page.get_data(as_text=True)
    assert client.get("/settings/scenarios/999999/delete", htmx=True).status_code == 404
    auth.logout()
    auth.login(rep)
    assert client.get(f"/settings/scenarios/{scenario.id}/delete", htmx=True).status_code == 403
    assert db.session.get(Scenario, scenario.id) is not None


def test_after_the_delete_the_triggers_show_as_broken(client, auth, admin):
    scenario, sales, partners, enrol, _stop, unrelated = _world()
    auth.login(admin)
    assert client.post(f"/settings/scenarios/{scenario.id}/delete", htmx=True).status_code == 204
    # SQLite hands the freed id to the next scenario: it must not inherit the triggers.
    builder.create_scenario("Something else", None)
    listing = client.get(f"/settings/pipelines/{sales.id}/triggers/", htmx=True).get_data(as_text=True)
    enrol_part = listing.split(f'id="trigger-{enrol.id}"', 1)[1].split("</article>", 1)[0]
    assert "broken: the scenario “Trade show follow-up” was deleted" in enrol_part
    assert "add the contact to “(deleted scenario “Trade show follow-up”)”" in enrol_part
    unrelated_part = listing.split(f'id="trigger-{unrelated.id}"', 1)[1].split("</article>", 1)[0]
    assert "broken" not in unrelated_part and "Newsletter" in unrelated_part
    other = client.get(f"/settings/pipelines/{partners.id}/triggers/", htmx=True).get_data(as_text=True)
    assert "broken: the scenario “Trade show follow-up” was deleted" in other
    configs = [
        e.config for e in db.session.scalars(select(TriggerEffect).where(TriggerEffect.kind != "add_tag"))
    ]
    assert {"scenario_id": None, "deleted_scenario": "Trade show follow-up"} in configs


def _run_events() -> None:
    from automation.triggers.batch import process_events

    ids = db.session.scalars(select(DomainEvent.id).where(DomainEvent.processed_at.is_(None))).all()
    process_events(list(ids))
    db.session.expire_all()


def test_a_run_that_meets_a_deleted_scenario_fails_clearly_and_tells_the_admins(client, auth, admin):
    scenario, sales, partners, _enrol, _stop, _unrelated = _world()
    other_admin, rep = make_user(role="admin", name="Bea Admin"), make_user(name="Remy Rep")
    builder.delete_scenario(db.session.get(Scenario, scenario.id), remove_people=True)
    opps = [
        make_opportunity(sales.stages[0], name=f"Deal {n}", owner=rep, contact=make_contact()) for n in (1, 2)
    ]
    signed = make_opportunity(partners.stages[0], name="Partner deal", owner=rep, contact=make_contact())
    _run_events()
    for opp in opps:
        move_opportunity(db.session.get(Opportunity, opp.id), sales.stages[1], actor=rep)
    move_opportunity(db.session.get(Opportunity, signed.id), partners.stages[1], actor=rep)
    _run_events()

    runs = db.session.scalars(select(TriggerRun).order_by(TriggerRun.id)).all()
    assert [r.status for r in runs] == ["failed", "failed", "failed"]
    reason = "the scenario “Trade show follow-up” was deleted: edit or remove this effect"
    assert all(describe(r.error) == reason for r in runs)  # facts, told in the reader's language
    assert [t.name for t in db.session.get(Opportunity, signed.id).tags] == [
        "Partner"
    ]  # effects before it ran
    line = db.session.scalars(
        select(FeedEntry).where(FeedEntry.opportunity_id == opps[0].id, FeedEntry.kind == "automation")
    ).one()
    assert line.data["status"] == "failed" and reason in describe(line.data["text"])

    auth.login(admin)
    runs_page = client.get("/settings/automation-runs/?status=failed").get_data(as_text=True)
    assert runs_page.count(reason) >= 3 and "Demo → follow-up" in runs_page and "Signed → stop" in runs_page

    # Each admin hears of each broken trigger once while unread (not once per opportunity); reps not at all.
    for user in (admin, other_admin):
        stored = db.session.scalars(select(Notification.text).where(Notification.user_id == user.id)).all()
        texts = [describe(t) for t in stored]
        assert len(texts) == 2 and all(reason in t for t in texts)
        assert sorted(t.split(" — ")[0] for t in texts) == ["Demo → follow-up", "Signed → stop"]
    assert db.session.scalars(select(Notification).where(Notification.user_id == rep.id)).all() == []
    bell = client.get("/notifications/", htmx=True).get_data(as_text=True)
    assert "Automation “Demo → follow-up” failed on Deal 1" in bell
    assert "Automation “Signed → stop” failed on Partner deal" in bell
