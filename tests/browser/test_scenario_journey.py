"""The seed's journey: build email → pause 7 days → email → End, simulate it on a contact with
EXECUTE, then activate it — in a real browser."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from sqlalchemy import select

from crm.extensions import db
from crm.models import OutboxMessage, Scenario
from tests.factories import make_contact, make_sender, make_user
from tests.services import wait_until


def _add(page: Page, kind_name: str, plus_index: int = -1) -> None:
    page.locator("#flow details.add summary").nth(plus_index).click()
    page.locator("#flow details.add[open] .menu").get_by_role("button", name=kind_name).click()
    # HTMX focuses the new form's [autofocus] label when it settles: wait for it (keyboard-first),
    # or the typing below could race the focus into the wrong field.
    expect(page.locator("form.step-form #label")).to_be_focused()


def test_admin_builds_simulates_and_activates_the_seed_scenario(page: Page, login, admin, worker, smtp):  # type: ignore[no-untyped-def]
    rep = make_user(name="Alice Martin", email="alice@ourco.example", signature_html="<p>Alice Martin</p>")
    make_sender(email="alice@ourco.example", display_name="Alice Martin")
    make_contact(
        first_name="Camille", last_name="Durand", email="camille@client.example", opt_in=True, owner=rep
    )
    login(admin)
    page.goto("/settings/scenarios/")
    page.locator("#name").fill("First contact after the trade show")
    page.get_by_role("button", name="Add and open").click()
    expect(page.locator("h1")).to_have_text("First contact after the trade show")
    marker = page.evaluate("() => (window.__noReload = 1)")
    assert marker == 1

    _add(page, "One-to-one email", 0)
    form = page.locator("form.step-form")
    expect(form.locator("#label")).to_have_value("Email 1 to 1")
    form.locator("#subject").fill("Nice to meet you, [[!ContactFirstName]]")
    form.locator("#message").fill("Hello [[!ContactFirstName]],\n\nThanks for stopping by our stand.")
    form.get_by_role("button", name="Save").click()
    expect(page.locator("#flow .flow-step")).to_have_count(1)

    _add(page, "Pause")
    expect(page.locator("form.step-form #days")).to_have_value("7")
    page.locator("form.step-form").get_by_role("button", name="Save").click()
    expect(page.locator("#flow .flow-step")).to_have_count(2)

    _add(page, "One-to-one email")
    form = page.locator("form.step-form")
    form.locator("#label").fill("Second email")
    form.locator("#subject").fill("Following up")
    form.locator("#message").fill("Any questions, [[!ContactFirstName]]?")
    form.get_by_role("button", name="Save").click()
    expect(page.locator("#flow .flow-step")).to_have_count(3)
    expect(page.locator("#flow .notice")).to_contain_text("Still open")

    _add(page, "End")
    page.locator("form.step-form").get_by_role("button", name="Save").click()
    expect(page.locator("#flow .flow-step")).to_have_count(4)
    expect(page.locator("#flow")).to_contain_text("Every path ends with an End step")
    assert page.evaluate("() => window.__noReload") == 1  # all of it inline, no page reload

    page.get_by_role("link", name="Simulate").click()
    page.locator("#sim-q").fill("Camille")
    page.get_by_role("button", name="Simulate on").first.click()
    sim = page.locator("#simulation")
    expect(sim).to_contain_text("Opted in, valid address")
    sim.get_by_role("button", name="EXECUTE").click()
    expect(sim.locator(".sim-result.good")).to_be_visible()
    expect(sim).to_contain_text("email “Nice to meet you, Camille” sent")
    sim.get_by_role("button", name="EXECUTE").click()
    expect(sim).to_contain_text("pause skipped (simulation)")
    sim.get_by_role("button", name="EXECUTE").click()
    expect(sim).to_contain_text("email “Following up” sent")
    sim.get_by_role("button", name="EXECUTE").click()
    expect(sim).to_contain_text("The simulation is over.")
    smtp.wait_for(2)
    assert [m["Subject"] for m in smtp.messages] == ["Nice to meet you, Camille", "Following up"]
    wait_until(lambda: [r.simulation for r in db.session.scalars(select(OutboxMessage))] == [True, True])

    page.get_by_role("link", name="First contact after the trade show").click()
    page.get_by_role("button", name="Activate").click()
    page.wait_for_url("**/settings/scenarios/")
    expect(page.locator("table.list")).to_contain_text("✓ Active")
    db.session.rollback()
    assert db.session.scalars(select(Scenario)).one().active
