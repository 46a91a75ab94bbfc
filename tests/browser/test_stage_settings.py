"""An admin shapes a pipeline: add, rename, reorder and delete stages; create a pipeline."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from crm.extensions import db
from crm.models import Pipeline, Stage
from tests.browser.conftest import mouse_drag
from tests.factories import make_opportunity, make_pipeline

STAGES = ["Prospect", "Meeting", "Offer"]


def stage_names(page: Page):  # type: ignore[no-untyped-def]
    return page.locator("ul#stage-list li input[name=name]")


def expect_stage_names(page: Page, names: list[str]) -> None:
    inputs = stage_names(page)
    expect(inputs).to_have_count(len(names))
    for i, name in enumerate(names):
        expect(inputs.nth(i)).to_have_value(name)


def saved_names(pipeline_id: int) -> list[str]:
    db.session.rollback()
    db.session.expire_all()
    return [s.name for s in db.session.get(Pipeline, pipeline_id).stages]


def mark_window(page: Page) -> None:
    """A full page load would forget this; an HTMX swap keeps it."""
    page.evaluate("window.__sameDocument = 'still here'")


def assert_same_document(page: Page) -> None:
    assert page.evaluate("window.__sameDocument") == "still here", "the page was reloaded"


def open_pipeline(page: Page, login, admin, names=STAGES):  # type: ignore[no-untyped-def]
    pipeline = make_pipeline(name="Enterprise", stages=list(names))
    login(admin)
    page.goto(f"/settings/pipelines/{pipeline.id}")
    expect(stage_names(page)).to_have_count(len(names))
    mark_window(page)
    return pipeline


def test_add_a_stage_without_reloading(page: Page, login, admin):  # type: ignore[no-untyped-def]
    pipeline = open_pipeline(page, login, admin)
    form = page.locator("form").filter(has=page.get_by_role("button", name="Add a stage"))
    form.locator("input[name=name]").fill("Legal review")
    form.get_by_role("button", name="Add a stage").click()

    expect(stage_names(page)).to_have_count(4)
    expect(stage_names(page).nth(3)).to_have_value("Legal review")
    expect(page.locator("#toasts .toast.success")).to_contain_text("Stage “Legal review” added.")
    # The form is ready for the next one.
    expect(
        page.locator("form")
        .filter(has=page.get_by_role("button", name="Add a stage"))
        .locator("input[name=name]")
    ).to_have_value("")
    assert_same_document(page)
    assert saved_names(pipeline.id) == [*STAGES, "Legal review"]


def test_rename_a_stage_inline(page: Page, login, admin):  # type: ignore[no-untyped-def]
    pipeline = open_pipeline(page, login, admin)
    name = stage_names(page).nth(1)
    with page.expect_response(lambda r: r.request.method == "POST" and "/rename" in r.url) as renamed:
        name.fill("Discovery call")
        name.press("Enter")
    assert renamed.value.status == 200, renamed.value.text()

    expect(page.locator("#toasts .toast.success").first).to_contain_text("Stage renamed.")
    expect(stage_names(page).nth(1)).to_have_value("Discovery call")
    expect(page.locator("#toasts .toast.error")).to_have_count(0)
    assert_same_document(page)
    assert saved_names(pipeline.id) == ["Prospect", "Discovery call", "Offer"]

    page.reload()
    expect_stage_names(page, ["Prospect", "Discovery call", "Offer"])


def test_reorder_stages_by_dragging_the_handle(page: Page, login, admin):  # type: ignore[no-untyped-def]
    pipeline = open_pipeline(page, login, admin)
    handles = page.locator("ul#stage-list li .sortable-handle")
    with page.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith("/stages/order")
    ) as saved:
        mouse_drag(page, handles.nth(2), page.locator("ul#stage-list li").nth(0), y_ratio=0.2)
    assert saved.value.status == 200, saved.value.text()

    expect_stage_names(page, ["Offer", "Prospect", "Meeting"])
    expect(page.locator("#toasts .toast.success")).to_contain_text("Order saved.")
    assert_same_document(page)

    page.reload()
    expect_stage_names(page, ["Offer", "Prospect", "Meeting"])
    assert saved_names(pipeline.id) == ["Offer", "Prospect", "Meeting"]


def test_reorder_stages_with_the_keyboard(page: Page, login, admin):  # type: ignore[no-untyped-def]
    pipeline = open_pipeline(page, login, admin)
    handle = page.locator("ul#stage-list li .sortable-handle").nth(1)
    handle.focus()
    with page.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith("/stages/order")
    ) as saved:
        page.keyboard.press("Alt+ArrowUp")
    assert saved.value.status == 200, saved.value.text()

    expect_stage_names(page, ["Meeting", "Prospect", "Offer"])
    expect(page.locator("#toasts .toast.success")).to_contain_text("Order saved.")
    assert_same_document(page)

    page.reload()
    expect_stage_names(page, ["Meeting", "Prospect", "Offer"])
    assert saved_names(pipeline.id) == ["Meeting", "Prospect", "Offer"]


def test_keyboard_reorder_keeps_the_focus_for_the_next_move(page: Page, login, admin):  # type: ignore[no-untyped-def]
    pipeline = open_pipeline(page, login, admin)
    page.locator("ul#stage-list li .sortable-handle").nth(2).focus()
    page.evaluate("window.listBefore = document.getElementById('stage-list')")
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/stages/order")):
        page.keyboard.press("Alt+ArrowUp")
    # The response re-renders the list: the handle of "Offer" in the new list must get the focus
    # back, so that a keyboard user keeps going.
    page.wait_for_function(
        "() => document.getElementById('stage-list') !== window.listBefore"
        " && document.activeElement.closest('#stage-list') === document.getElementById('stage-list')",
        timeout=5_000,
    )
    expect_stage_names(page, ["Prospect", "Offer", "Meeting"])
    expect(page.locator("ul#stage-list li").nth(1).locator(".sortable-handle")).to_be_focused(timeout=2_000)
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/stages/order")):
        page.keyboard.press("Alt+ArrowUp")
    expect_stage_names(page, ["Offer", "Prospect", "Meeting"])
    assert saved_names(pipeline.id) == ["Offer", "Prospect", "Meeting"]


def test_a_stage_holding_an_opportunity_cannot_be_deleted(page: Page, login, admin):  # type: ignore[no-untyped-def]
    pipeline = make_pipeline(name="Enterprise", stages=list(STAGES))
    make_opportunity(pipeline.stages[1], actor=admin, name="Big deal")
    login(admin)
    page.goto(f"/settings/pipelines/{pipeline.id}")
    mark_window(page)

    confirms: list[str] = []

    def accept(dialog):  # type: ignore[no-untyped-def]
        confirms.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    row = page.locator("ul#stage-list li").filter(has=page.locator("input[value=Meeting]"))
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/delete")) as deleted:
        row.get_by_role("button", name="Delete").click()
    assert deleted.value.status == 409

    assert confirms == ["Delete the stage “Meeting”?"]
    expect(page.locator("#toasts .toast.error")).to_have_count(1)
    expect(page.locator("#toasts .toast.error")).to_contain_text(
        "“Meeting” still holds 1 opportunity; move it to another stage first."
    )
    expect_stage_names(page, STAGES)
    assert_same_document(page)
    assert saved_names(pipeline.id) == STAGES

    page.reload()
    expect_stage_names(page, STAGES)


def test_an_empty_stage_can_be_deleted(page: Page, login, admin):  # type: ignore[no-untyped-def]
    pipeline = open_pipeline(page, login, admin)
    page.on("dialog", lambda d: d.accept())
    row = page.locator("ul#stage-list li").filter(has=page.locator("input[value=Meeting]"))
    row.get_by_role("button", name="Delete").click()

    expect(page.locator("#toasts .toast.success")).to_contain_text("Stage “Meeting” deleted.")
    expect_stage_names(page, ["Prospect", "Offer"])
    assert_same_document(page)
    assert saved_names(pipeline.id) == ["Prospect", "Offer"]


def test_create_a_pipeline_and_land_on_it(page: Page, login, admin):  # type: ignore[no-untyped-def]
    login(admin)
    page.goto("/settings/pipelines/")
    form = page.locator("#pipeline-form")
    form.locator("input[name=name]").fill("Partners")
    form.get_by_role("button", name="Add and open").click()

    expect(page).to_have_url(re.compile(r"/settings/pipelines/\d+$"))
    expect(page.locator("#pipeline-name")).to_have_value("Partners")
    expect(page.locator("#toasts .toast.success")).to_contain_text("Pipeline created.")
    expect(page.locator("ul#stage-list")).to_contain_text("No stage yet")

    db.session.rollback()
    created = db.session.query(Pipeline).filter_by(name="Partners").one()
    assert page.url.endswith(f"/settings/pipelines/{created.id}")
    assert db.session.query(Stage).filter_by(pipeline_id=created.id).count() == 0


def test_restrict_a_pipeline_to_one_rep(page: Page, login, admin, rep):  # type: ignore[no-untyped-def]
    from tests.factories import make_user

    make_pipeline("Everyone's", ["A"])
    secret = make_pipeline("Key accounts", ["A"])
    outsider = make_user(name="Otto Outsider")
    login(admin)
    page.goto(f"/settings/pipelines/{secret.id}")
    panel = page.locator("#pipeline-access")
    panel.get_by_label("Administrators and the people ticked below").check()
    panel.get_by_label("Remy Rep").check()
    panel.get_by_role("button", name="Save").click()
    expect(page.locator("#toasts .toast.success")).to_contain_text(
        "Only administrators and the people ticked"
    )
    expect(panel.get_by_label("Remy Rep")).to_be_checked()

    page.get_by_role("button", name="Log out").click()
    login(outsider)
    page.goto("/")
    expect(page.locator("main")).not_to_contain_text("Key accounts")
    response = page.goto(f"/boards/{secret.id}")
    assert response is not None and response.status == 404

    page.get_by_role("button", name="Log out").click()
    login(rep)
    page.goto(f"/boards/{secret.id}")
    expect(page.locator("main")).to_contain_text("Key accounts")
