"""An admin writes an email template, inserts an image, and previews it for a contact."""

from __future__ import annotations

import base64
import re

from playwright.sync_api import Page, expect
from sqlalchemy import select

from crm.extensions import db
from crm.models import EmailTemplate
from tests.factories import PNG, make_contact


def test_admin_creates_a_template_with_an_image_and_previews_it(page: Page, login, admin, tmp_path):  # type: ignore[no-untyped-def]
    make_contact(first_name="Camille", last_name="Durand")
    login(admin)
    page.goto("/settings/templates/new")
    page.locator("#name").fill("Form to fill")
    page.locator("#subject").fill("Your form, [[!ContactFirstName]]")
    body = page.locator("#body_html")
    body.fill("<p>Hello [[!ContactFirstName]],</p><p>Here is the form:</p>")
    body.press("End")
    image = tmp_path / "logo.png"
    image.write_bytes(PNG)
    with page.expect_response(lambda r: r.url.endswith("/settings/templates/images")):
        page.locator("input[name=image]").set_input_files(str(image))
    expect(page.locator("#toasts .toast")).to_contain_text("Image uploaded")
    expect(body).to_have_value(re.compile(r'<img src="/files/\d+/logo\.png" alt="logo\.png">'))

    page.locator("#preview-contact").select_option(label="Camille Durand")
    expect(page.locator("#preview .preview-subject")).to_have_text("Your form, Camille")
    # The preview frame is sandboxed (no scripts, no session): the image travels inside it.
    srcdoc = page.locator("#preview iframe").get_attribute("srcdoc")
    assert srcdoc.startswith('<base target="_blank"><p>Hello Camille,</p>')  # links open in a new tab
    assert f'src="data:image/png;base64,{base64.b64encode(PNG).decode()}"' in srcdoc
    expect(page.locator("#preview iframe")).to_be_visible()

    page.get_by_role("button", name="Save").click()
    expect(page.locator("#toasts .toast")).to_contain_text("Template saved.")
    template = db.session.scalars(select(EmailTemplate)).one()
    assert template.subject == "Your form, [[!ContactFirstName]]" and "/files/" in template.body_html


def test_unknown_shortcode_shows_in_place(page: Page, login, admin):  # type: ignore[no-untyped-def]
    login(admin)
    page.goto("/settings/templates/new")
    page.locator("#name").fill("Broken")
    page.locator("#subject").fill("Hi [[!Nickname]]")
    page.locator("#body_html").fill("<p>x</p>")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#template-form .errors")).to_contain_text("Unknown shortcode [[!Nickname]]")
    assert db.session.scalars(select(EmailTemplate)).first() is None
