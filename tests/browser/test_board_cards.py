"""Cards say what to do next: a rep sees the overdue badge, the idle flag and the weighted total
an admin set, drags a card by its title, undoes the move, and watches the funnel follow."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import Page, expect

from crm.extensions import db
from crm.models.base import utcnow
from crm.services.actions import today_for
from tests.browser.conftest import fresh, mouse_drag
from tests.factories import make_account, make_action, make_opportunity, make_pipeline

STAGES = ["Discovery", "Demo", "Negotiation"]


def column(page: Page, stage):  # type: ignore[no-untyped-def]
    return page.locator(f".column-body[data-stage-id='{stage.id}']")


def funnel_value(page: Page, stage):  # type: ignore[no-untyped-def]
    return page.locator(f"#board-funnel li[data-funnel-stage='{stage.id}'] .funnel-value")


def is_move_of(opp):  # type: ignore[no-untyped-def]
    path = f"/opportunities/{opp.id}/move"
    return lambda r: r.request.method == "POST" and r.url.endswith(path)


def test_overdue_badge_and_urgency_sort(page: Page, login, rep):  # type: ignore[no-untyped-def]
    pipeline = make_pipeline(stages=STAGES)
    first = pipeline.stages[0]
    late = make_opportunity(first, name="Late follow-up", owner=rep)
    make_action(rep, opportunity=late, title="Call back", due_date=today_for(rep) - timedelta(days=3))
    planned = make_opportunity(first, name="Planned deal", owner=rep)
    make_action(rep, opportunity=planned, due_date=today_for(rep) + timedelta(days=3))
    make_opportunity(first, name="Nothing planned", owner=rep)  # the newest: first by hand
    login(rep)
    page.goto(f"/boards/{pipeline.id}")

    badge = page.locator(f"#opp-{late.id} .next-action")
    expect(badge).to_have_class(re.compile(r"\boverdue\b"))
    expect(badge).to_have_attribute("title", "Next action overdue")
    expect(page.locator(f"#opp-{planned.id} .next-action")).to_have_attribute(
        "aria-label", "Next action planned later"
    )
    titles = column(page, first).locator(".card .title")
    expect(titles).to_have_text(["Nothing planned", "Planned deal", "Late follow-up"])

    page.get_by_role("link", name="Urgency").click()
    expect(titles).to_have_text(["Late follow-up", "Planned deal", "Nothing planned"])
    expect(page).to_have_url(re.compile(r"sort=urgency"))
    page.reload()  # remembered in the address
    expect(titles).to_have_text(["Late follow-up", "Planned deal", "Nothing planned"])
    page.get_by_role("link", name="Manual").click()
    expect(titles).to_have_text(["Nothing planned", "Planned deal", "Late follow-up"])


def test_admin_sets_idle_days_and_probability_then_the_board_shows_them(page: Page, login, admin):  # type: ignore[no-untyped-def]
    pipeline = make_pipeline(stages=STAGES)
    first = pipeline.stages[0]
    stale = make_opportunity(first, name="Stale deal", amount=3000)
    stale.stage_entered_at = utcnow() - timedelta(days=12)
    make_opportunity(first, name="Fresh deal", amount=1000)
    db.session.commit()
    login(admin)
    page.goto(f"/boards/{pipeline.id}")
    expect(page.locator(f"#opp-{stale.id} .in-stage")).to_have_text("12 d in stage")
    expect(page.locator(".card.idle")).to_have_count(0)
    expect(page.locator(f"#col-head-{first.id} .weighted")).to_have_count(0)

    page.goto(f"/settings/pipelines/{pipeline.id}")
    idle = page.locator(f"#stage-idle-{first.id}")
    idle.fill("-4")  # refused, and said why
    idle.press("Tab")
    expect(page.locator("#toasts .toast.error")).to_contain_text(
        "Idle after: enter a number of days from 0 to 3650."
    )
    assert fresh(first).idle_days is None
    with page.expect_response(lambda r: r.url.endswith("/limits") and r.status == 200):
        idle.fill("10")
        idle.press("Tab")
    with page.expect_response(lambda r: r.url.endswith("/limits") and r.status == 200):
        page.locator(f"#stage-probability-{first.id}").fill("40")
        page.locator(f"#stage-probability-{first.id}").press("Tab")
    expect(page.locator("#toasts .toast.success").last).to_contain_text("Stage “Discovery” saved.")
    assert (fresh(first).idle_days, fresh(first).probability) == (10, 40)

    page.goto(f"/boards/{pipeline.id}")
    flag = page.locator(f"#opp-{stale.id} .in-stage.idle")
    expect(flag).to_contain_text("Idle")
    expect(flag).to_have_attribute("title", "Idle: more than 10 days in this stage")
    expect(page.locator(".card.idle")).to_have_count(1)
    head = page.locator(f"#col-head-{first.id}")
    expect(head.locator(".total")).to_have_text("€4,000")
    expect(head.locator(".weighted")).to_contain_text("Weighted €1,600")


def test_drag_by_the_title_then_undo_and_the_funnel_follows(page: Page, login, rep):  # type: ignore[no-untyped-def]
    pipeline = make_pipeline(stages=STAGES)
    first, second, _ = pipeline.stages
    older = make_opportunity(first, name="Older deal", owner=rep, amount=100)
    older.stage_entered_at = utcnow() - timedelta(days=9)
    opp = make_opportunity(first, name="Middle deal", owner=rep, amount=2000)
    opp.stage_entered_at = utcnow() - timedelta(days=5)
    make_opportunity(first, name="Newest deal", owner=rep, amount=300)
    db.session.commit()
    login(rep)
    page.goto(f"/boards/{pipeline.id}")
    expect(funnel_value(page, first)).to_have_text("3 · €2,400")
    expect(funnel_value(page, second)).to_have_text("0 · €0")
    titles = column(page, first).locator(".card .title")
    expect(titles).to_have_text(["Newest deal", "Middle deal", "Older deal"])

    title = page.locator(f"#opp-{opp.id} .title")
    with page.expect_response(is_move_of(opp)) as move:
        mouse_drag(page, title, column(page, second))
    assert move.value.status == 200, move.value.text()
    expect(column(page, second).locator(f"#opp-{opp.id}")).to_be_visible()
    expect(page).to_have_url(re.compile(rf"/boards/{pipeline.id}$"))  # the drag opened nothing
    expect(funnel_value(page, first)).to_have_text("2 · €400")
    expect(funnel_value(page, second)).to_have_text("1 · €2,000")
    assert fresh(opp).stage_id == second.id

    toast = page.locator("#toasts .toast.success", has_text="Moved to Demo.")
    with page.expect_response(is_move_of(opp)) as undo:
        toast.get_by_role("button", name="Undo").click()
    assert undo.value.status == 200, undo.value.text()
    expect(page.locator("#toasts .toast.success", has_text="Moved back to Discovery.")).to_be_visible()
    expect(titles).to_have_text(["Newest deal", "Middle deal", "Older deal"])  # its place again
    expect(page.locator(f"#opp-{opp.id} .in-stage")).to_have_text("5 d in stage")
    expect(funnel_value(page, first)).to_have_text("3 · €2,400")
    expect(funnel_value(page, second)).to_have_text("0 · €0")
    assert fresh(opp).stage_id == first.id

    # A click on the title still opens the deal.
    page.locator(f"#opp-{opp.id} .title").click()
    expect(page).to_have_url(re.compile(rf"/opportunities/{opp.id}$"))


def test_quick_buttons_leave_the_title_free(page: Page, login, rep):  # type: ignore[no-untyped-def]
    pipeline = make_pipeline(stages=STAGES)
    opp = make_opportunity(pipeline.stages[0], name="A deal with a rather long name to wrap", owner=rep)
    login(rep)
    page.goto(f"/boards/{pipeline.id}")
    card = page.locator(f"#opp-{opp.id}")
    card.hover()
    quick = card.locator(".quick")
    expect(quick).to_be_visible()
    q, t = quick.bounding_box(), card.locator(".title").bounding_box()
    assert q and t and q["y"] >= t["y"] + t["height"], (q, t)


def test_quick_create_with_an_account_updates_the_funnel(page: Page, login, rep):  # type: ignore[no-untyped-def]
    pipeline = make_pipeline(stages=STAGES)
    first = pipeline.stages[0]
    make_account(name="Initech")
    make_opportunity(first, name="Existing", owner=rep, amount=500)
    login(rep)
    page.goto(f"/boards/{pipeline.id}")
    expect(funnel_value(page, first)).to_have_text("1 · €500")

    page.get_by_role("button", name="New opportunity in Discovery").click()
    slot = page.locator(f"#new-slot-{first.id}")
    slot.locator("input[name=name]").fill("Initech rollout")
    slot.locator("input[name=amount]").fill("1500")
    slot.get_by_label("Account").select_option(label="Initech")
    slot.get_by_role("button", name="Create").click()

    card = column(page, first).locator(".card", has_text="Initech rollout")
    expect(card).to_be_visible()
    expect(card.locator(".meta").first).to_have_text("Initech")
    expect(funnel_value(page, first)).to_have_text("2 · €2,000")
    expect(page.locator(f"#col-head-{first.id} .badge")).to_have_text("2")
