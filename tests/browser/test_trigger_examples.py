"""The seed's two examples, set up in the editor and fired from the board, in a real browser."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from sqlalchemy import select

from crm.extensions import db
from crm.models import Action
from tests.browser.conftest import mouse_drag
from tests.factories import (
    PDF,
    make_contact,
    make_opportunity,
    make_pipeline,
    make_sender,
    make_template,
    make_upload,
    make_user,
)
from tests.services import wait_until


def _add_trigger(page: Page, event_label: str, **fields: str) -> None:
    page.locator("#triggers").get_by_role("button", name="Add a trigger").click()
    form = page.locator("form.trigger-form")
    form.locator("#event").select_option(label=event_label)
    for field, label in fields.items():
        form.locator(f"#{field}").select_option(label=label)
    form.get_by_role("button", name="Save").click()
    expect(page.locator("form.trigger-form")).to_have_count(0)


def _add_effect(page: Page, effect_name: str) -> None:
    trigger = page.locator("article.trigger").last
    trigger.locator("details.add summary").click()
    trigger.locator("details.add .menu").get_by_role("button", name=effect_name).click()


def test_won_creates_the_administrative_action_for_the_sales_admin(page: Page, login, admin, worker):  # type: ignore[no-untyped-def]
    sales_admin = make_user(name="Sophie Sales-Admin", email="sophie@ourco.example")
    pipeline = make_pipeline("Standard", ["New", "Proposal", "R2"])
    opp = make_opportunity(pipeline.stages[1], name="Oven renewal")
    login(admin)
    page.goto(f"/settings/pipelines/{pipeline.id}")
    _add_trigger(page, "the result becomes…", result="won")
    _add_effect(page, "Create an action")
    form = page.locator("form.effect-form")
    form.locator("#type_id").select_option(label="Administrative")
    form.locator("#title").fill("New won opportunity – handle the order")
    form.locator("#assignee").select_option(label="this user")
    form.locator("#user_ids").select_option(label="Sophie Sales-Admin")
    form.locator("#due_days").fill("0")
    form.get_by_role("button", name="Save").click()
    expect(page.locator("article.trigger .sentence")).to_contain_text(
        "When the result becomes won → create the Administrative action “New won opportunity – handle the order” due the same day"
    )

    page.goto(f"/boards/{pipeline.id}")
    card = page.locator(f"#opp-{opp.id}")
    card.hover()
    card.get_by_role("button", name="Mark won").click()
    page.locator("dialog[open]").get_by_role("button", name="Confirm").click()
    expect(page.locator(f"#opp-{opp.id}")).to_have_count(0)
    wait_until(lambda: db.session.scalars(select(Action)).first() is not None, 15)
    action = db.session.scalars(select(Action)).one()
    from crm.services.actions import today_for

    assert (action.title, action.type.name, action.assignee_id, action.due_date) == (
        "New won opportunity – handle the order",
        "Administrative",
        sales_admin.id,
        today_for(sales_admin),
    )
    page.goto(f"/opportunities/{opp.id}")
    # One feed line for the effect, signed with the trigger (not a second one in another format).
    lines = page.locator("#opp-feed li", has_text="New won opportunity – handle the order")
    expect(lines).to_have_count(1)
    expect(lines).to_contain_text(
        "Automation “When the result becomes won” created the action “New won opportunity – handle the order”"
        " (Administrative) for Sophie Sales-Admin"
    )


def test_entering_r2_emails_the_assigned_rep_the_form_to_fill(page: Page, login, admin, worker, smtp):  # type: ignore[no-untyped-def]
    rep = make_user(name="Alice Martin", email="alice@ourco.example")
    make_sender(email="crm@ourco.example", display_name="Salesloop")
    template = make_template(
        name="Form to fill",
        subject="Form to fill for [[!OpportunityName]]",
        body_html="<p>Hello [[!RepName]], fill the attached form with the prospect.</p>",
    )
    form_pdf = make_upload("administrative-form.pdf", PDF)  # first: it commits, which reloads the template
    template.attachments.append(form_pdf)
    db.session.commit()
    pipeline = make_pipeline("Standard", ["New", "Proposal", "R2"])
    opp = make_opportunity(pipeline.stages[1], name="Oven renewal", owner=rep, contact=make_contact())
    login(admin)
    page.goto(f"/settings/pipelines/{pipeline.id}")
    _add_trigger(page, "the opportunity enters the stage…", stage_id="R2")
    _add_effect(page, "Send an email")
    form = page.locator("form.effect-form")
    form.locator("#template_id").select_option(label="Form to fill")
    form.locator("#sender_id").select_option(label="crm@ourco.example")
    expect(form.locator("#recipients")).to_have_value("[[!AssignedToId]]")
    form.get_by_role("button", name="Save").click()
    expect(page.locator("article.trigger .sentence")).to_contain_text(
        "When the opportunity enters R2 → send email “Form to fill” to the assigned rep"
    )

    page.goto(f"/boards/{pipeline.id}")
    with page.expect_response(lambda r: r.url.endswith(f"/opportunities/{opp.id}/move")):
        mouse_drag(
            page,
            page.locator(f"#opp-{opp.id}"),
            page.locator(f".column-body[data-stage-id='{pipeline.stages[2].id}']"),
        )
    [mail] = smtp.wait_for(1, timeout=15)
    assert mail["To"].addresses[0].addr_spec == "alice@ourco.example"
    assert mail["Subject"] == "Form to fill for Oven renewal"
    [attachment] = list(mail.iter_attachments())
    assert attachment.get_filename() == "administrative-form.pdf" and attachment.get_content() == PDF
