"""Find anything from the keyboard, sort a list by its headers, act on ticked rows — in a browser."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import fresh, settled
from tests.factories import make_account, make_contact, make_lead, make_opportunity, make_pipeline, make_user

PHONE = {"width": 390, "height": 844}


def _world():  # type: ignore[no-untyped-def]
    acme = make_account(name="Acme Rockets", email="hello@acme.example")
    wile = make_contact(acme, first_name="Wile", last_name="Coyote", email="wile@desert.example")
    make_contact(
        make_account(name="Globex", email="info@globex.example"),
        first_name="Hank",
        last_name="Scorpio",
        email="hank@globex.example",
    )
    make_lead(last_name="Prospect", company="Acme Labs")
    deal = make_opportunity(
        make_pipeline("Sales").stages[0], name="Rocket skates", account=acme, contact=wile
    )
    return acme, wile, deal


def test_ctrl_k_type_arrows_and_enter_open_a_record(page: Page, login, rep):  # type: ignore[no-untyped-def]
    _acme, wile, _deal = _world()
    login(rep)
    page.goto("/agenda/")
    dialog = page.locator("#find-dialog")
    expect(dialog).to_be_hidden()
    page.keyboard.press("Control+k")
    expect(dialog).to_be_visible()
    box = dialog.get_by_role("combobox")
    expect(box).to_be_focused()
    box.press_sequentially("acme")
    results = dialog.locator("#find-dialog-results")
    expect(results.get_by_role("group", name="Deals")).to_contain_text("Rocket skates")
    expect(results.get_by_role("group", name="Accounts")).to_contain_text("Acme Rockets")
    expect(results.get_by_role("group", name="Contacts")).to_contain_text("Wile Coyote")  # by its account
    expect(results.get_by_role("group", name="Leads")).to_contain_text("Acme Labs")
    expect(results.get_by_role("group", name="Contacts")).not_to_contain_text("Hank Scorpio")
    options = results.get_by_role("option")
    expect(options.first).to_have_attribute("aria-selected", "true")  # ready for Enter
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(options.nth(2)).to_have_attribute("aria-selected", "true")
    expect(options.nth(2)).to_contain_text("Wile Coyote")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/contacts/{wile.id}")
    expect(page.locator("h1")).to_contain_text("Wile Coyote")
    # Cmd-K works too, and Esc closes
    page.keyboard.press("Meta+k")
    expect(page.locator("#find-dialog")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#find-dialog")).to_be_hidden()


def test_slash_opens_the_search_but_not_while_typing(page: Page, login, rep):  # type: ignore[no-untyped-def]
    _acme, _wile, deal = _world()
    login(rep)
    page.goto("/contacts/")
    page.locator("#q").click()
    page.keyboard.type("a/b")
    expect(page.locator("#q")).to_have_value("a/b")  # a field keeps its slash
    expect(page.locator("#find-dialog")).to_be_hidden()
    page.locator("h1").click()
    page.keyboard.press("/")
    dialog = page.locator("#find-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_role("combobox").press_sequentially("skates")
    expect(dialog.get_by_role("option").first).to_contain_text("Rocket skates")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/opportunities/{deal.id}")


def test_the_search_button_and_the_results_page(page: Page, login, rep):  # type: ignore[no-untyped-def]
    _world()
    for i in range(10):
        make_contact(first_name="Many", last_name=f"Match{i}")
    login(rep)
    page.goto("/agenda/")
    page.locator(".find-open").click()
    dialog = page.locator("#find-dialog")
    dialog.get_by_role("combobox").press_sequentially("many")
    see_all = dialog.get_by_role("option", name="See all matching contacts")
    expect(see_all).to_be_visible()
    expect(dialog.locator(".find-hit")).to_have_count(8)
    see_all.click()
    page.wait_for_url("**/contacts/?q=many")
    expect(page.locator("table.list tbody tr")).to_have_count(10)
    page.goto("/search?q=rocket")  # the page without the dialog
    expect(page.locator("#search-page-results")).to_contain_text("Rocket skates")
    page.locator("#search-q").fill("coyote")
    expect(page.locator("#search-page-results")).to_contain_text("Wile Coyote")
    expect(page.locator("#search-page-results")).to_contain_text("Rocket skates")  # Wile's deal
    expect(page.locator("#search-page-results")).not_to_contain_text("Acme Labs")
    expect(page).to_have_url(re.compile(r"/search\?q=coyote"))


def test_a_list_sorted_by_a_header(page: Page, login, rep):  # type: ignore[no-untyped-def]
    make_contact(make_account(name="Zenith"), first_name="Ann", last_name="Able")
    make_contact(make_account(name="Acme"), first_name="Zoe", last_name="Zed")
    make_contact(None, first_name="Bob", last_name="Bee")
    login(rep)
    page.goto("/contacts/")
    names = page.locator("table.list tbody tr td:nth-child(2)")
    expect(names).to_have_text(["Ann Able", "Bob Bee", "Zoe Zed"])
    page.get_by_role("link", name="Account", exact=True).click()
    page.wait_for_url("**/contacts/?sort=account")
    expect(names).to_have_text(["Zoe Zed", "Ann Able", "Bob Bee"])  # Acme, Zenith, none
    expect(page.locator("th[aria-sort=ascending]")).to_contain_text("Account ▲")
    page.locator("th[aria-sort=ascending] a.sort").click()
    page.wait_for_url("**/contacts/?sort=account&dir=desc")
    expect(names).to_have_text(["Ann Able", "Zoe Zed", "Bob Bee"])
    expect(page.locator("th[aria-sort=descending]")).to_contain_text("Account ▼")
    page.reload()  # kept in the URL
    expect(names).to_have_text(["Ann Able", "Zoe Zed", "Bob Bee"])
    page.locator("#filter-consent").select_option(label="Not opted in")  # a filter keeps the order
    expect(page).to_have_url(re.compile(r"consent=not_opted_in"))
    expect(page).to_have_url(re.compile(r"sort=account"))
    expect(names).to_have_text(["Ann Able", "Zoe Zed", "Bob Bee"])


def test_tick_two_rows_and_assign_them_to_a_rep(page: Page, login, rep):  # type: ignore[no-untyped-def]
    nina = make_user(name="Nina New")
    first = make_contact(first_name="Ann", last_name="Able", owner_id=rep.id)
    make_contact(first_name="Bob", last_name="Bee", owner_id=rep.id)
    third = make_contact(first_name="Cy", last_name="Cole", owner_id=rep.id)
    login(rep)
    page.goto("/contacts/")
    bar = page.locator("#bulk-form")
    expect(bar).to_contain_text("Tick rows to act on them")
    expect(bar.get_by_role("button", name="Assign")).to_be_disabled()
    page.get_by_label("Select Ann Able").check()
    page.get_by_label("Select Cy Cole").check()
    expect(bar).to_contain_text("2 rows selected")
    bar.get_by_label("Assign to").select_option(label="Nina New")
    bar.get_by_role("button", name="Assign").click()
    expect(page.locator("#toasts .toast")).to_contain_text("2 records assigned to Nina New.")
    rows = page.locator("table.list tbody tr")
    expect(rows.filter(has_text="Ann Able").locator("td.owner")).to_have_text("Nina New")
    expect(rows.filter(has_text="Cy Cole").locator("td.owner")).to_have_text("Nina New")
    expect(rows.filter(has_text="Bob Bee").locator("td.owner")).to_have_text(rep.name)
    expect(bar).to_contain_text("Tick rows to act on them")  # the new list starts unticked
    assert fresh(first).owner_id == nina.id and fresh(third).owner_id == nina.id
    # select all on the page
    page.get_by_label("Select all on this page").check()
    expect(page.locator("#bulk-form")).to_contain_text("3 rows selected")
    page.get_by_label("Select Bob Bee").uncheck()
    expect(page.locator("#bulk-form")).to_contain_text("2 rows selected")


def test_search_and_lists_fit_a_phone(page: Page, login, rep):  # type: ignore[no-untyped-def]
    _world()
    login(rep)
    page.set_viewport_size(PHONE)
    for path in ("/search?q=acme", "/contacts/?sort=account", "/leads/", "/accounts/"):
        page.goto(path)
        settled(page)  # loaded, and what htmx loads with it too
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], path
    page.goto("/contacts/")
    page.locator(".find-open").click()
    page.locator("#find-q").press_sequentially("acme")
    expect(page.locator("#find-dialog-results")).to_contain_text("Wile Coyote")
    box = page.locator("#find-dialog").bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
