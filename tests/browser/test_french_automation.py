"""A French reader sees what an automation did in French, though the rep it ran for reads English."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from crm.extensions import db
from crm.models import Opportunity
from crm.services.opportunities import set_result
from tests.factories import (
    make_contact,
    make_opportunity,
    make_pipeline,
    make_scenario,
    make_trigger,
    pause_step,
)
from tests.services import wait_until

NB = "\u00a0"


def test_a_french_admin_reads_the_automation_line_in_french(page: Page, login, admin, rep, worker):  # type: ignore[no-untyped-def]
    nurture = make_scenario([pause_step(7)], label="Nurture")
    pipeline = make_pipeline()
    contact = make_contact(first_name="Camille", last_name="Roux")
    opp = make_opportunity(pipeline.stages[0], name="Big deal", owner=rep, contact=contact)
    make_trigger(
        pipeline, "result", {"result": "won"}, name="Gagné", effects=[("enroll", {"scenario_id": nurture.id})]
    )
    login(admin)
    admin.locale = "fr"  # after logging in: the login helper reads the English top bar
    db.session.commit()
    set_result(db.session.get(Opportunity, opp.id), "won", actor=rep)  # the worker runs the automation

    def told() -> bool:
        page.goto(f"/opportunities/{opp.id}")
        return page.locator('.feed li[data-kind="automation"]').count() > 0

    wait_until(told, 15)
    line = page.locator('.feed li[data-kind="automation"]')
    expect(line).to_contain_text(
        f"Automatisme «{NB}Gagné{NB}»{NB}: a ajouté Camille Roux au scénario «{NB}Nurture{NB}»."
    )
    expect(line).not_to_contain_text("added")
