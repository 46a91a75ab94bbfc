"""Records are hubs, in a real browser: a contact's timeline, New action from it, a lead converted,
relative dates with the exact one on hover, phone numbers to call."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import Page, expect
from sqlalchemy import select

from automation.mailing.compose import queue_email
from crm.extensions import db
from crm.models import Contact
from crm.services.actions import today_for
from crm.services.notes import post_note
from tests.browser.conftest import fresh
from tests.factories import (
    make_account,
    make_action,
    make_contact,
    make_lead,
    make_opportunity,
    make_pipeline,
)


def test_contact_timeline_new_action_and_tel_link(page: Page, login, rep):  # type: ignore[no-untyped-def]
    pipeline = make_pipeline("Sales", ["New", "Won"])
    contact = make_contact(
        make_account(name="Inked Studio"), first_name="Camille", last_name="Ink", phone="+33 6 12 34 56 78"
    )
    opp = make_opportunity(pipeline.stages[0], name="Website redesign", contact=contact, owner=rep)
    post_note(opp, "Camille wants a quote by Friday", actor=rep)
    queue_email(
        key="browser:proposal",
        kind="transactional",
        to_email=contact.email,
        subject="Our proposal",
        html="<p>Hello</p>",
        recipient=contact,
        opportunity=opp,
    )
    db.session.commit()
    make_action(
        rep, title="Send the moodboard", contact_id=contact.id, due_date=today_for(rep) - timedelta(days=3)
    )
    login(rep)
    page.goto(f"/contacts/{contact.id}")
    timeline = page.locator("#record-timeline")
    expect(timeline).to_contain_text("Camille wants a quote by Friday")
    expect(timeline).to_contain_text("Email “Our proposal” to")
    expect(timeline).to_contain_text("Send the moodboard")
    expect(timeline.locator('li[data-kind="action"]')).to_contain_text("3 days overdue")
    expect(page.locator('a[href="tel:+33612345678"]')).to_have_text("+33 6 12 34 56 78")

    # Hovering a relative date shows the exact one (its title).
    when = timeline.locator('li[data-kind="deal-note"] time.rel')
    expect(when).to_have_text(re.compile(r"just now|minute"))
    when.hover()
    expect(when).to_have_attribute("title", re.compile(r"\d{4}.*\d{1,2}:\d{2}"))

    # New action, prefilled with the contact: it lands in the timeline.
    timeline.get_by_role("link", name="New action").click()
    form = page.locator("#record-new-action form")
    form.locator("#type_id").select_option(label="Meeting")
    form.locator("#title").fill("Workshop with Camille")
    form.locator("#due_date").fill((today_for(rep) + timedelta(days=2)).isoformat())
    form.get_by_role("button", name="Create").click()
    expect(page.locator("#toasts .toast")).to_contain_text("Action created.")
    entry = page.locator('#record-timeline li[data-kind="action"]', has_text="Workshop with Camille")
    expect(entry).to_contain_text("due in 2 days")
    expect(page.locator("#record-new-action form")).to_have_count(0)
    page.screenshot(path="/tmp/hubs-contact.png", full_page=True)


def test_new_deal_from_a_contact(page: Page, login, rep):  # type: ignore[no-untyped-def]
    make_pipeline("Sales", ["New", "Won"])
    contact = make_contact(first_name="Dora", last_name="Deal")
    login(rep)
    page.goto(f"/contacts/{contact.id}")
    page.locator("#record-timeline").get_by_role("link", name="New deal").click()
    dialog = page.locator("dialog[open]")
    dialog.locator("#deal_name").fill("Annual plan")
    dialog.locator("#stage_id").select_option(label="Sales · New")
    dialog.locator("#amount").fill("4800")
    dialog.get_by_role("button", name="Create").click()
    expect(page.locator("#toasts .toast")).to_contain_text("Opportunity “Annual plan” created.")
    expect(page.locator("dialog[open]")).to_have_count(0)
    expect(page.locator("#record-deals")).to_contain_text("Annual plan")
    expect(page.locator("#record-timeline")).to_contain_text("created the opportunity in New.")


def test_convert_a_lead_and_land_on_the_contact(page: Page, login, rep):  # type: ignore[no-untyped-def]
    make_pipeline("Sales", ["New", "Won"])
    lead = make_lead(last_name="Lovelace", company="Analytical Engines", phone="01 23 45 67 89")
    login(rep)
    page.goto(f"/leads/{lead.id}")
    expect(page.locator('a[href="tel:0123456789"]')).to_be_visible()
    page.get_by_role("link", name="Convert").click()
    dialog = page.locator("dialog[open]")
    expect(dialog.locator("#account_name")).to_have_value("Analytical Engines")
    expect(dialog).to_contain_text("the new contact is enrolled in none")
    dialog.locator("#account_name").fill("")
    dialog.get_by_role("button", name="Convert").click()
    expect(page.locator("dialog[open]")).to_contain_text("Enter the account's name.")
    dialog = page.locator("dialog[open]")
    dialog.locator("#account_name").fill("Analytical Engines Ltd")
    dialog.locator("#with_deal").check()
    dialog.locator("#deal_name").fill("Difference engine")
    dialog.locator("#stage_id").select_option(label="Sales · New")
    dialog.get_by_role("button", name="Convert").click()
    expect(page.locator("h1")).to_have_text("Lee Lovelace")
    expect(page).to_have_url(re.compile(r"/contacts/\d+$"))
    expect(page.locator("#toasts .toast")).to_contain_text("Lee Lovelace converted.")
    expect(page.locator("#record-deals")).to_contain_text("Difference engine")
    contact = db.session.scalars(select(Contact)).one()
    assert contact.account.name == "Analytical Engines Ltd"
    assert fresh(lead).converted_contact_id == contact.id
    page.goto(f"/leads/{lead.id}")
    expect(page.locator(".converted-note")).to_contain_text("Converted to Lee Lovelace")
    expect(page.get_by_role("link", name="Convert")).to_have_count(0)
    page.goto("/leads/")
    expect(page.locator("#results")).not_to_contain_text("Lovelace")
