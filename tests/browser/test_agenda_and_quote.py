"""A rep works the agenda, and builds, sends and reopens a quote — in a real browser."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from sqlalchemy import select

from crm.extensions import db
from crm.models import Action, OutboxMessage, Quote
from crm.services.actions import today_for
from tests.factories import make_account, make_contact, make_opportunity, make_pipeline, make_sender
from tests.services import wait_until


def test_rep_creates_and_closes_an_action_from_the_agenda(page: Page, login, rep):  # type: ignore[no-untyped-def]
    login(rep)
    page.goto("/agenda/")
    page.get_by_role("button", name="New action").click()
    form = page.locator("#new-action form")
    form.locator("#type_id").select_option(label="Call")
    form.locator("#title").fill("Call Camille about the offer")
    form.locator("#due_date").fill(today_for(rep).isoformat())
    form.get_by_role("button", name="Create").click()
    expect(page.locator("#toasts .toast")).to_contain_text("Action created.")
    today = page.locator(".agenda-today")
    expect(today).to_contain_text("Call Camille about the offer")
    expect(page.locator(".nav .count").first).to_have_text("1")
    action = db.session.scalars(select(Action)).one()
    today.get_by_role("button", name="Close “Call Camille about the offer”").click()
    expect(page.locator("#toasts .toast").last).to_contain_text("Action closed.")
    expect(page.locator(".agenda-today")).not_to_contain_text("Call Camille about the offer")
    db.session.rollback()
    assert db.session.get(Action, action.id).closed_at is not None
    page.reload()
    expect(page.locator(".nav .count")).to_have_count(0)


def test_rep_builds_sends_and_reopens_a_quote(page: Page, login, rep, worker, smtp):  # type: ignore[no-untyped-def]
    contact = make_contact(
        make_account(name="Inked Studio"), first_name="Camille", email="camille@inked.example"
    )
    opp = make_opportunity(make_pipeline().stages[1], name="Website redesign", contact=contact, owner=rep)
    make_sender(email=rep.email, display_name=rep.name)
    login(rep)
    page.goto(f"/opportunities/{opp.id}")
    page.get_by_role("button", name="New quote").click()
    expect(page.locator("h1")).to_contain_text("Quote Q-")
    new_line = page.locator("#new-line")
    new_line.locator("#description").fill("Design sprint")
    new_line.locator("#quantity").fill("2")
    new_line.locator("#unit_price").fill("1500")
    new_line.get_by_role("button", name="Add the line").click()
    expect(page.locator("#total-gross")).to_have_text("€3,600.00")
    # Change the quantity in place: the totals follow.
    page.locator("#lines tbody input[name$='-quantity']").fill("3")
    page.locator("#lines tbody input[name$='-quantity']").press("Tab")
    expect(page.locator("#total-gross")).to_have_text("€5,400.00")

    page.get_by_role("button", name="Send").click()
    dialog = page.locator("dialog[open]")
    expect(dialog).to_contain_text("camille@inked.example")
    dialog.get_by_role("button", name="Send").click()
    expect(page.locator("#toasts .toast", has_text="Quote sent to camille@inked.example.")).to_be_visible()
    expect(page.locator("#quote-header .badge")).to_have_text("Sent")
    [mail] = smtp.wait_for(1)
    assert any(p.get_content_type() == "application/pdf" for p in mail.iter_attachments())
    expect(page.locator("#new-line")).to_have_count(0)  # frozen once sent

    page.on("dialog", lambda d: d.accept())
    page.get_by_role("button", name="Reopen").click()
    expect(page.locator("#quote-header .badge")).to_have_text("Reopened")
    expect(page.locator("#new-line")).to_be_visible()
    db.session.rollback()
    assert db.session.scalars(select(Quote)).one().status == "reopened"
    wait_until(lambda: db.session.scalars(select(OutboxMessage.status)).all() == ["sent"])
    page.goto(f"/opportunities/{opp.id}")
    expect(page.locator("#opp-feed")).to_contain_text("reopened quote")
    expect(page.locator("#opp-feed")).to_contain_text("sent quote")
