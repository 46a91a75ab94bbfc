"""A rep works the board: drag a card, see it refused, move it by keyboard, mark it won."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from crm.services.opportunities import set_result
from tests.browser.conftest import fresh, mouse_drag
from tests.factories import make_account, make_opportunity, make_pipeline

STAGES = ["Discovery", "Demo", "Negotiation"]


def setup_board(rep, **opp_kw):  # type: ignore[no-untyped-def]
    pipeline = make_pipeline(stages=STAGES)
    first, second, third = pipeline.stages
    opp = make_opportunity(first, actor=rep, name=opp_kw.pop("name", "Acme renewal"), **opp_kw)
    return pipeline, (first, second, third), opp


def column(page: Page, stage) -> object:  # type: ignore[no-untyped-def]
    return page.locator(f".column-body[data-stage-id='{stage.id}']")


def badge(page: Page, stage):  # type: ignore[no-untyped-def]
    return page.locator(f"#col-head-{stage.id} .badge")


def is_move_of(opp):  # type: ignore[no-untyped-def]
    # Read the id now: Playwright calls the predicate outside the test's app context.
    path = f"/opportunities/{opp.id}/move"
    return lambda r: r.request.method == "POST" and r.url.endswith(path)


def test_drag_a_card_to_another_stage_saves_the_move(page: Page, login, rep):  # type: ignore[no-untyped-def]
    pipeline, (first, second, third), opp = setup_board(rep, account=make_account(name="Acme"))
    make_opportunity(first, actor=rep, name="Other deal")
    login(rep)
    page.goto(f"/boards/{pipeline.id}")

    card = page.locator(f"#opp-{opp.id}")
    expect(column(page, first).locator(card)).to_be_visible()
    expect(badge(page, first)).to_have_text("2")
    expect(badge(page, second)).to_have_text("0")

    with page.expect_response(is_move_of(opp)) as move:
        mouse_drag(page, card, column(page, second))
    assert move.value.status == 200, move.value.text()

    # The card sits in the new column, and both column heads count again.
    expect(column(page, second).locator(f"#opp-{opp.id}")).to_be_visible()
    expect(badge(page, first)).to_have_text("1")
    expect(badge(page, second)).to_have_text("1")
    expect(badge(page, third)).to_have_text("0")
    expect(page.locator("#toasts .toast.success")).to_contain_text("Moved to Demo.")
    assert fresh(opp).stage_id == second.id

    # After a reload the server draws it in the new column.
    page.reload()
    expect(column(page, second).locator(f"#opp-{opp.id}")).to_be_visible()
    expect(column(page, first).locator(f"#opp-{opp.id}")).to_have_count(0)
    expect(badge(page, second)).to_have_text("1")

    # The opportunity's feed tells the story.
    page.goto(f"/opportunities/{opp.id}")
    entry = page.locator("#opp-feed li[data-kind=stage_changed]")
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text("Discovery")
    expect(entry).to_contain_text("Demo")
    expect(entry).to_contain_text(rep.name)


def test_a_refused_move_puts_the_card_back_and_says_why(page: Page, login, rep):  # type: ignore[no-untyped-def]
    pipeline, (first, second, _third), opp = setup_board(rep)
    login(rep)
    page.goto(f"/boards/{pipeline.id}")
    card = page.locator(f"#opp-{opp.id}")
    expect(column(page, first).locator(card)).to_be_visible()

    # Someone closes the deal while the board is open.
    set_result(opp, "won", actor=None)

    with page.expect_response(is_move_of(opp)) as move:
        mouse_drag(page, card, column(page, second))
    assert move.value.status == 409

    expect(page.locator("#toasts .toast.error")).to_have_count(1)
    expect(page.locator("#toasts .toast.error")).to_contain_text(
        "A closed opportunity cannot change stage; reopen it first."
    )
    expect(column(page, first).locator(f"#opp-{opp.id}")).to_be_visible()
    expect(column(page, second).locator(f"#opp-{opp.id}")).to_have_count(0)
    expect(card).to_have_attribute("data-stage-id", str(first.id))
    expect(badge(page, first)).to_have_text("1")
    expect(badge(page, second)).to_have_text("0")
    assert fresh(opp).stage_id == first.id


def test_alt_arrow_moves_the_focused_card_to_the_next_stage(page: Page, login, rep):  # type: ignore[no-untyped-def]
    pipeline, (first, second, _third), opp = setup_board(rep)
    login(rep)
    page.goto(f"/boards/{pipeline.id}")
    card = page.locator(f"#opp-{opp.id}")
    card.focus()
    expect(card).to_be_focused()

    with page.expect_response(is_move_of(opp)) as move:
        page.keyboard.press("Alt+ArrowRight")
    assert move.value.status == 200, move.value.text()

    expect(column(page, second).locator(f"#opp-{opp.id}")).to_be_visible()
    expect(card).to_be_focused()
    expect(badge(page, first)).to_have_text("0")
    expect(badge(page, second)).to_have_text("1")

    page.reload()
    expect(column(page, second).locator(f"#opp-{opp.id}")).to_be_visible()
    expect(column(page, first).locator(f"#opp-{opp.id}")).to_have_count(0)
    assert fresh(opp).stage_id == second.id


def test_mark_won_from_the_card(page: Page, login, rep):  # type: ignore[no-untyped-def]
    pipeline, (first, _second, _third), opp = setup_board(rep, account=make_account(name="Globex"))
    login(rep)
    page.goto(f"/boards/{pipeline.id}")
    card = page.locator(f"#opp-{opp.id}")
    expect(badge(page, first)).to_have_text("1")

    card.hover()
    card.get_by_title("Mark won").click()
    dialog = page.locator("dialog[open]")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Acme renewal")
    dialog.locator("textarea").fill("Signed after the pilot")
    dialog.get_by_role("button", name="Confirm").click()

    expect(page.locator("dialog[open]")).to_have_count(0)
    expect(page.locator("#toasts .toast.success")).to_contain_text("Marked as won.")
    expect(page.locator(f"#opp-{opp.id}")).to_have_count(0)
    expect(badge(page, first)).to_have_text("0")
    won = fresh(opp)
    assert (won.result, won.result_reason) == ("won", "Signed after the pilot")

    page.goto(f"/boards/{pipeline.id}/closed?result=won")
    row = page.locator("#closed-results tr").filter(has_text="Acme renewal")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Signed after the pilot")
    expect(row).to_contain_text("Globex")
    expect(page).to_have_url(re.compile(r"result=won"))


def test_a_card_created_on_the_board_moves_and_stays_like_any_other(page: Page, login, rep):  # type: ignore[no-untyped-def]
    pipeline, (first, second, _third), _opp = setup_board(rep)
    login(rep)
    page.goto(f"/boards/{pipeline.id}")
    page.get_by_role("button", name="New opportunity in Discovery").click()
    page.locator(f"#new-slot-{first.id} input[name=name]").fill("Fresh lead")
    page.locator(f"#new-slot-{first.id}").get_by_role("button", name="Create").click()
    card = column(page, first).locator(".card", has_text="Fresh lead")
    expect(card).to_be_visible()
    expect(page.locator(f"#new-slot-{first.id} .card")).to_have_count(0)  # a card of the column

    page.get_by_role("button", name="New opportunity in Discovery").click()  # the form again:
    expect(card).to_be_visible()  # the new card stays
    page.locator(f"#new-slot-{first.id}").get_by_role("button", name="Cancel").click()

    card.focus()
    page.keyboard.press("Alt+ArrowRight")
    expect(column(page, second).locator(".card", has_text="Fresh lead")).to_be_visible()
    expect(page.locator("#toasts .toast.success").last).to_contain_text("Moved to Demo")
    page.reload()
    expect(column(page, second).locator(".card", has_text="Fresh lead")).to_be_visible()
