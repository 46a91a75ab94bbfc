"""On a phone (390 × 844) no page is wider than the screen: the navigation folds behind a Menu
button, forms and panels stack, the board and wide tables scroll inside themselves."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import settled
from tests.factories import (
    email_step,
    make_account,
    make_contact,
    make_opportunity,
    make_pipeline,
    make_scenario,
    make_template,
)

PHONE = {"width": 390, "height": 844}


def _world(admin):  # type: ignore[no-untyped-def]
    pipeline = make_pipeline(
        "Key accounts with a long name",
        ["Lead in", "Qualified", "R1", "R2", "Proposal", "Negotiation", "Verbal yes", "Contract"],
    )
    account = make_account(name="Établissements Durand-Laforêt et associés")
    contact = make_contact(
        account, first_name="Marie-Clémentine", last_name="de La Rochefoucauld-Montmorency"
    )
    opp = make_opportunity(
        pipeline.stages[0],
        actor=admin,
        name="Renouvellement du contrat cadre 2027",
        account=account,
        contact=contact,
    )
    scenario = make_scenario(
        [email_step("Bienvenue chez nous, [[!ContactFirstName]]")], label="Relance salon"
    )
    template = make_template()
    return pipeline, account, contact, opp, scenario, template


def test_no_page_is_wider_than_a_phone(page: Page, login, admin):  # type: ignore[no-untyped-def]
    pipeline, account, contact, opp, scenario, template = _world(admin)
    login(admin)
    page.set_viewport_size(PHONE)
    paths = [
        f"/boards/{pipeline.id}",
        f"/opportunities/{opp.id}",
        f"/opportunities/{opp.id}/edit",
        f"/contacts/{contact.id}",
        f"/accounts/{account.id}",
        "/contacts/",
        "/agenda/",
        "/profile/",
        "/settings/pipelines/",
        f"/settings/pipelines/{pipeline.id}",
        "/settings/users/",
        "/settings/senders/",
        f"/settings/templates/{template.id}",
        "/settings/scenarios/",
        f"/settings/scenarios/{scenario.id}",
        "/settings/mail/",
        "/settings/automation-runs/",
    ]
    wider = []
    for path in paths:
        page.goto(path)
        settled(page)  # loaded, and what htmx loads with it too
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            wider.append((path, width))
    assert wider == []


def test_the_navigation_folds_behind_a_menu_button_on_a_phone(page: Page, login, admin):  # type: ignore[no-untyped-def]
    login(admin)
    menu = page.get_by_role("button", name="Menu")
    expect(menu).to_be_hidden()  # a wide screen shows the navigation itself
    expect(page.get_by_role("link", name="Agenda")).to_be_visible()
    page.set_viewport_size(PHONE)
    expect(page.get_by_role("link", name="Agenda")).to_be_hidden()
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    page.get_by_role("link", name="Agenda").click()
    page.wait_for_url("**/agenda/**")
    expect(page.get_by_role("link", name="Contacts")).to_be_hidden()  # folded again on the new page
