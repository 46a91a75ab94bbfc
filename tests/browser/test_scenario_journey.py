"""The seed's journey: build email → pause 7 days → email → End, reopen the first email to insert an
image and attach files, simulate it on a contact with EXECUTE, then activate it — in a real browser."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from sqlalchemy import select

from crm.extensions import db
from crm.models import OutboxMessage, Scenario
from tests.browser.conftest import settled
from tests.factories import PDF, PNG, make_contact, make_pipeline, make_sender, make_trigger, make_user
from tests.services import wait_until


def _add(page: Page, kind_name: str, plus_index: int = -1) -> None:
    settled(page)  # a Save just clicked replaces the flow, its "+" menus included
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
    # No label typed: the default is a placeholder, shown in each reader's language once saved.
    expect(form.locator("#label")).to_have_value("")
    expect(form.locator("#label")).to_have_attribute("placeholder", "Email 1 to 1")
    form.locator("#subject").fill("Nice to meet you, [[!ContactFirstName]]")
    form.locator("#message").fill("Hello [[!ContactFirstName]],\n\nThanks for stopping by our stand.")
    form.get_by_role("button", name="Save").click()
    expect(page.locator("#flow .flow-step")).to_have_count(1)

    # Seed 3-2: once saved, the email opens again with an image button and "attachments to the email".
    first_step = page.locator("#flow .flow-step").first
    first_step.get_by_role("button", name="Edit").click()
    form = first_step.locator("form.step-form")
    expect(form.get_by_text("No attachment.")).to_be_visible()
    form.locator("#message").press("Control+End")  # the cursor after the text: the image goes there
    form.get_by_label("Image to insert").set_input_files(
        files=[{"name": "stand.png", "mimeType": "image/png", "buffer": PNG}]
    )
    expect(form.locator("#message")).to_have_value(
        re.compile(r'by our stand\.<img src="/files/\d+/stand\.png"')
    )
    for name in ("Programme.pdf", "Tarifs 2025.pdf"):
        form.get_by_label("File to attach").set_input_files(
            files=[{"name": name, "mimeType": "application/pdf", "buffer": PDF}]
        )
        expect(form.locator(".step-attachments li", has_text=name)).to_be_visible()
        settled(page)  # the new file input listens once the swap has settled
    expect(page.locator("#toasts")).to_contain_text("Attachment added")
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
    first = smtp.messages[0]
    [cid] = re.findall(r'src="cid:([^"]+)"', first.get_body(("html",)).get_content())
    assert [p.get_payload(decode=True) for p in first.walk() if p["Content-ID"] == f"<{cid}>"] == [PNG]
    files = {
        p.get_filename(): p.get_payload(decode=True) for p in first.iter_attachments() if not p["Content-ID"]
    }
    assert files == {"Programme.pdf": PDF, "Tarifs 2025.pdf": PDF}
    assert not list(smtp.messages[1].iter_attachments())
    wait_until(lambda: [r.simulation for r in db.session.scalars(select(OutboxMessage))] == [True, True])

    # Again, as a test to the admin's own address: written for Camille, she gets nothing.
    page.reload()
    page.get_by_role("radio", name=re.compile(r"as a test")).check()
    page.locator("#sim-q").fill("Camille")
    page.get_by_role("button", name="Simulate on").first.click()
    expect(sim).to_contain_text(f"A test: every email goes to you, {admin.email}, not to Camille Durand.")
    sim.get_by_role("button", name="EXECUTE").click()
    expect(sim).to_contain_text(f"email “Nice to meet you, Camille” sent to you, {admin.email}, as a test.")
    smtp.wait_for(3)
    assert smtp.messages[2]["X-Envelope-To"] == admin.email and len(smtp.to("camille@client.example")) == 2

    page.get_by_role("link", name="First contact after the trade show").click()
    page.get_by_role("button", name="Activate").click()
    page.wait_for_url("**/settings/scenarios/")
    expect(page.locator("table.list")).to_contain_text("✓ Active")
    db.session.rollback()
    scenario = db.session.scalars(select(Scenario)).one()
    assert scenario.active

    # A trigger sends people into it; deleting it says so, and the trigger then shows as broken.
    sales = make_pipeline("Sales", ["New", "Trade show"])
    make_trigger(
        sales,
        "enter_stage",
        {"stage_id": sales.stages[1].id},
        [("enroll", {"scenario_id": scenario.id})],
        name="Met at the show",
    )
    # Active: removing its End would open its path. Refused, with what to do instead.
    page.get_by_role("link", name="First contact after the trade show").click()
    page.once("dialog", lambda d: d.accept())  # "Remove “End”?"
    page.get_by_role("button", name="Remove “End”").click()
    expect(page.locator("#toasts .toast.error")).to_contain_text("Deactivate it first")
    expect(page.locator("#flow .flow-step")).to_have_count(4)
    expect(page.locator(".page-head .badge")).to_contain_text("Active")

    page.get_by_role("link", name="Delete").click()
    dialog = page.locator("dialog[open]")
    expect(dialog).to_contain_text("This trigger uses it and will be broken until you edit it:")
    expect(dialog.locator(".uses-triggers li")).to_have_text(re.compile(r"Met at the show\s+\(Sales\)"))
    expect(dialog).to_contain_text("Nobody is in it now.")
    dialog.get_by_role("button", name="Delete the scenario").click()
    page.wait_for_url("**/settings/scenarios/")
    expect(page.locator("#toasts, .flash").first).to_contain_text("was deleted")
    page.goto(f"/settings/pipelines/{sales.id}")
    expect(page.locator("#triggers")).to_contain_text(
        "broken: the scenario “First contact after the trade show” was deleted"
    )
