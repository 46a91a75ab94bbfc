"""Templates (sanitised HTML, shortcodes refused when unknown, preview), uploads and the mail log."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from automation.mailing.compose import queue_email
from crm.extensions import db
from crm.models import EmailTemplate, OutboxMessage, Upload
from tests.factories import PDF, PNG, make_contact, make_template, make_upload

FORM = {
    "name": "Form to fill",
    "subject": "Your form, [[!ContactFirstName]]",
    "body_html": "<p>Hello [[!ContactFirstName]]</p>",
}


def test_unknown_shortcode_is_refused_with_the_list_of_valid_ones(client, auth, admin):
    auth.login(admin)
    response = client.post(
        "/settings/templates/new", data={**FORM, "body_html": "<p>[[!Nope]] [[Bad]]</p>"}, htmx=True
    )
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert (
        "Unknown shortcode [[!Nope]], [[Bad]]" in body
        and "[[!AssignedToId]]" in body
        and "[[!RepSignature]]" in body
    )
    assert db.session.scalar(select(func.count(EmailTemplate.id))) == 0


def test_body_is_sanitised_on_save(client, auth, admin):
    auth.login(admin)
    hostile = (
        '<p onclick="steal()" hx-get="/settings/users/">Hi<script>alert(1)</script>'
        '<a href="javascript:alert(2)">x</a><img src="x" onerror="alert(3)"><iframe src="//evil"></iframe></p>'
    )
    response = client.post("/settings/templates/new", data={**FORM, "body_html": hostile}, htmx=True)
    assert response.status_code == 204
    saved = db.session.scalars(select(EmailTemplate)).one().body_html
    for bad in ("script", "onclick", "hx-get", "javascript:", "onerror", "iframe"):
        assert bad not in saved
    assert "Hi" in saved


def test_duplicate_name_and_missing_fields(client, auth, admin):
    make_template(name="Form to fill")
    auth.login(admin)
    dup = client.post("/settings/templates/new", data=FORM, htmx=True)
    assert dup.status_code == 422 and "already exists" in dup.get_data(as_text=True)
    empty = client.post("/settings/templates/new", data={"name": "x"}, htmx=True)
    assert empty.status_code == 422
    assert db.session.scalar(select(func.count(EmailTemplate.id))) == 1


def test_preview_renders_for_a_chosen_contact_and_keeps_payloads_inert(client, auth, admin):
    contact = make_contact(first_name="Léa", last_name="Bernard")
    auth.login(admin)
    response = client.post(
        "/settings/templates/preview",
        data={
            **FORM,
            "body_html": "<p>Hi [[!ContactFirstName]] {{ config }} <b>[[!RepName]]</b></p>",
            "contact_id": contact.id,
        },
        htmx=True,
    )
    body = response.get_data(as_text=True)
    assert "Your form, Léa" in body
    assert "Hi Léa {{ config }} &lt;b&gt;Ada Admin&lt;/b&gt;" in body  # inside the iframe's srcdoc, escaped
    assert "SECRET_KEY" not in body


def test_image_upload_answers_the_tag_to_insert_and_is_served_inline(client, auth, admin):
    auth.login(admin)
    response = client.post(
        "/settings/templates/images",
        data={"image": (io.BytesIO(PNG), "logo.png")},
        content_type="multipart/form-data",
        htmx=True,
    )
    assert response.status_code == 200
    upload = db.session.scalars(select(Upload)).one()
    assert f'data-insert="&lt;img src=&#34;/files/{upload.id}/logo.png&#34;' in response.get_data(
        as_text=True
    )
    served = client.get(f"/files/{upload.id}/logo.png")
    assert served.data == PNG and served.headers["Content-Disposition"].startswith("inline")


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        ("evil.png", b"<script>alert(1)</script>", "does not match its extension"),
        ("invoice.pdf.exe", b"MZ\x90\x00", "not accepted"),
        ("photo.png.pdf", PNG, "does not match its extension"),
        ("page.html", b"<html></html>", "not accepted"),
        ("vector.svg", b"<svg onload=alert(1)>", "not accepted"),
        ("empty.pdf", b"", "empty"),
    ],
)
def test_uploads_with_a_lying_or_forbidden_type_are_refused(client, auth, admin, filename, data, message):
    template = make_template()
    auth.login(admin)
    response = client.post(
        f"/settings/templates/{template.id}/attachments",
        data={"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
        htmx=True,
    )
    assert response.status_code in (413, 422)
    assert message in response.headers["HX-Trigger"]
    assert db.session.scalar(select(func.count(Upload.id))) == 0


def test_oversized_upload_is_refused(client, auth, admin, app):
    template = make_template()
    auth.login(admin)
    big = b"%PDF-1.4\n" + b"0" * (app.config["UPLOAD_MAX_MB"] * 1024 * 1024 + 10)
    response = client.post(
        f"/settings/templates/{template.id}/attachments",
        data={"file": (io.BytesIO(big), "big.pdf")},
        content_type="multipart/form-data",
        htmx=True,
    )
    assert response.status_code == 413
    assert db.session.scalar(select(func.count(Upload.id))) == 0


def test_attachment_is_added_removed_and_served_as_a_download(client, auth, admin):
    template = make_template()
    auth.login(admin)
    added = client.post(
        f"/settings/templates/{template.id}/attachments",
        data={"file": (io.BytesIO(PDF), "Form.pdf")},
        content_type="multipart/form-data",
        htmx=True,
    )
    assert added.status_code == 200 and "Form.pdf" in added.get_data(as_text=True)
    upload = db.session.get(EmailTemplate, template.id).attachments[0]
    served = client.get(f"/files/{upload.id}/Form.pdf")
    assert served.data == PDF and served.headers["Content-Disposition"] == 'attachment; filename="Form.pdf"'
    client.post(f"/settings/templates/{template.id}/attachments/{upload.id}/remove", htmx=True)
    assert db.session.get(EmailTemplate, template.id).attachments == []


def test_files_need_a_login(client):
    upload = make_upload("a.pdf", PDF)
    assert client.get(f"/files/{upload.id}/a.pdf").status_code == 302


def test_mail_log_lists_filters_shows_and_retries(client, auth, admin):
    ok = queue_email(
        key="a", kind="transactional", to_email="ok@example.com", subject="Fine", html="<p>x</p>"
    )
    bad = queue_email(
        key="b", kind="marketing", to_email="bad@example.com", subject="Broken", html="<p>y</p>"
    )
    db.session.commit()
    bad.status, bad.last_error = "failed", "550 No such user"
    db.session.commit()
    auth.login(admin)
    page = client.get("/settings/mail/").get_data(as_text=True)
    assert "Fine" in page and "Broken" in page and "550 No such user" in page
    failed_only = client.get("/settings/mail/?status=failed", htmx=True).get_data(as_text=True)
    assert "Broken" in failed_only and "Fine" not in failed_only
    detail = client.get(f"/settings/mail/{ok.id}").get_data(as_text=True)
    assert ok.message_id.strip("<>") in detail or ok.message_id in detail
    assert client.post(f"/settings/mail/{ok.id}/retry", htmx=True).status_code == 409
    assert client.post(f"/settings/mail/{bad.id}/retry", htmx=True).status_code == 200
    row = db.session.get(OutboxMessage, bad.id)
    assert row.status == "queued" and row.attempts == 0
