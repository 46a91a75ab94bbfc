"""Links that HTMX opens in place, opened in a tab of their own, show the whole page around them."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import fresh
from tests.factories import make_opportunity, make_pipeline


def test_the_edit_link_opened_in_a_new_tab_shows_the_page_with_the_form(page: Page, login, rep):  # type: ignore[no-untyped-def]
    pipeline = make_pipeline(stages=["Discovery", "Demo"])
    opp = make_opportunity(pipeline.stages[0], actor=rep, name="Acme renewal")
    opp_id = opp.id
    login(rep)
    page.goto(f"/opportunities/{opp_id}")
    href = page.locator("#opp-fields").get_by_role("link", name="Edit").get_attribute("href")
    tab = page.context.new_page()  # "open in a new tab": the link's address, loaded on its own
    tab.goto(href)
    expect(tab).to_have_url(re.compile(rf"/opportunities/{opp_id}/edit$"))
    expect(tab.get_by_role("heading", name="Acme renewal", level=1)).to_be_visible()  # the page…
    expect(tab.get_by_role("button", name="Log out")).to_be_visible()  # …in the layout
    name = tab.locator("#opp-fields").get_by_label("Name")
    expect(name).to_have_value("Acme renewal")  # …with its form open
    name.fill("Acme renewal 2027")
    tab.locator("#opp-fields").get_by_role("button", name="Save").click()
    expect(tab.locator("#opp-fields dl")).to_be_visible()  # saved, the details shown again
    assert fresh(opp).name == "Acme renewal 2027"


def test_a_won_link_opened_alone_shows_the_page_with_its_dialog(page: Page, login, rep):  # type: ignore[no-untyped-def]
    pipeline = make_pipeline(stages=["Discovery"])
    opp_id = make_opportunity(pipeline.stages[0], actor=rep, name="Globex").id
    login(rep)
    page.goto(f"/opportunities/{opp_id}/result?result=won")
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading")).to_have_text("Mark “Globex” as won")
    expect(page.get_by_role("heading", name="Globex", level=1)).to_be_attached()
