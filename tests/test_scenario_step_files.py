"""An email step's files (seed 3-2): an image inserted in the message and "Pièces jointes au mail",
uploaded from the step's editor, checked like template uploads, and sent with every email of the
step — read back at the real SMTP server, for a real enrolment and for a simulation."""

from __future__ import annotations

import io
import json
import re

import pytest
from sqlalchemy import func, select

from automation.scenarios import admin as builder
from automation.scenarios import engine
from crm.extensions import db
from crm.models import ScenarioStep, StepFile, Upload
from tests.factories import PDF, PNG, email_step, make_contact, make_scenario, make_sender, make_user

CSV = "nom;prix\nStand;1 200 €\n".encode()


def _toast(response) -> str:  # type: ignore[no-untyped-def]
    return json.loads(response.headers["HX-Trigger"])["toast"]["message"]


def _email_scenario(active: bool = False):  # type: ignore[no-untyped-def]
    scenario = make_scenario(
        [email_step("Our brochure", "Hello [[!ContactFirstName]],\n\nHere it is.")], active=active
    )
    step = db.session.scalars(
        select(ScenarioStep).where(ScenarioStep.kind == "email", ScenarioStep.scenario_id == scenario.id)
    ).one()
    return scenario, step


def _post_file(client, url: str, field: str, name: str, data: bytes, **kw):  # type: ignore[no-untyped-def]
    return client.post(url, data={field: (io.BytesIO(data), name)}, htmx=True, **kw)


def _files(step_id: int) -> list[tuple[str, str]]:
    db.session.expire_all()
    rows = db.session.execute(
        select(StepFile.role, Upload.filename)
        .join(Upload, Upload.id == StepFile.upload_id)
        .where(StepFile.step_id == step_id)
        .order_by(StepFile.upload_id)
    )
    return [tuple(r) for r in rows]


def _with_image_and_attachments(client, scenario, step) -> str:  # type: ignore[no-untyped-def]
    """Upload an image and two attachments through the editor, save the message with the image."""
    base = f"/settings/scenarios/{scenario.id}/steps/{step.id}"
    image = _post_file(client, f"{base}/images", "image", "logo.png", PNG)
    assert image.status_code == 200, image.get_data(as_text=True)
    tag = re.search(r'data-insert="([^"]+)"', image.get_data(as_text=True)).group(1).replace("&#34;", '"')
    for name, data in (("Brochure été.pdf", PDF), ("prix.csv", CSV)):
        assert _post_file(client, f"{base}/attachments", "file", name, data).status_code == 200
    saved = client.post(
        base,
        data={
            "label": "Brochure",
            "subject": "Our brochure",
            "message": f"Hello [[!ContactFirstName]],\n\n{tag}\n\nSee the files attached.",
            "skip_weekends": "",
        },
        htmx=True,
    )
    assert saved.status_code == 200 and _toast(saved) == "Step saved."
    return tag


def test_the_editor_uploads_an_image_and_attachments_and_lists_them(client, auth, admin):
    scenario, step = _email_scenario()
    auth.login(admin)
    base = f"/settings/scenarios/{scenario.id}/steps/{step.id}"
    editor = client.get(base, htmx=True).get_data(as_text=True)
    assert "Insert image" in editor and "Attachments to the email" in editor and "No attachment." in editor

    image = _post_file(client, f"{base}/images", "image", "logo.png", PNG)
    assert _toast(image) == "Image uploaded: it was inserted at the cursor."
    assert re.search(r'data-insert="&lt;img src=&#34;/files/\d+/logo.png&#34;', image.get_data(as_text=True))
    added = _post_file(client, f"{base}/attachments", "file", "Brochure été.pdf", PDF)
    body = added.get_data(as_text=True)
    assert added.status_code == 200 and "Brochure été.pdf" in body and "Attachment added" in _toast(added)
    _post_file(client, f"{base}/attachments", "file", "prix.csv", CSV)
    assert _files(step.id) == [
        ("image", "logo.png"),
        ("attachment", "Brochure été.pdf"),
        ("attachment", "prix.csv"),
    ]
    assert "prix.csv" in client.get(base, htmx=True).get_data(as_text=True)  # reopened: still there

    pdf = db.session.scalar(select(Upload).where(Upload.filename == "Brochure été.pdf"))
    removed = client.post(f"{base}/attachments/{pdf.id}/remove", htmx=True)
    assert removed.status_code == 200 and "Brochure été.pdf" not in removed.get_data(as_text=True)
    assert _files(step.id) == [("image", "logo.png"), ("attachment", "prix.csv")]

    # Saving a message that no longer shows the image drops the image's link; the attachment stays.
    client.post(base, data={"subject": "Our brochure", "message": "No image now."}, htmx=True)
    assert _files(step.id) == [("attachment", "prix.csv")]


@pytest.mark.parametrize(
    ("field", "endpoint", "name", "data", "message", "status"),
    [
        ("image", "images", "brochure.pdf", PDF, "Files of this type are not accepted", 422),
        ("image", "images", "fake.png", b"<script>alert(1)</script>", "does not match its extension", 422),
        ("file", "attachments", "run.exe", b"MZ\x90\x00", "Files of this type are not accepted", 422),
        ("file", "attachments", "empty.pdf", b"", "The file is empty.", 422),
    ],
)
def test_bad_files_are_refused_with_a_message_and_nothing_is_linked(  # type: ignore[no-untyped-def]
    client, auth, admin, field, endpoint, name, data, message, status
):
    scenario, step = _email_scenario()
    auth.login(admin)
    response = _post_file(
        client, f"/settings/scenarios/{scenario.id}/steps/{step.id}/{endpoint}", field, name, data
    )
    assert response.status_code == status and message in _toast(response)
    assert f'id="{"image-slot" if field == "image" else "step-attachments"}-{step.id}"' in response.get_data(
        as_text=True
    )  # the region comes back as it was, so the next try has somewhere to go
    assert _files(step.id) == [] and db.session.scalar(select(func.count(Upload.id))) == 0


def test_wrong_ids_rights_and_csrf(client, auth, admin, rep):
    scenario, step = _email_scenario()
    end = db.session.scalars(
        select(ScenarioStep).where(ScenarioStep.kind == "end", ScenarioStep.scenario_id == scenario.id)
    ).one()
    other, _other_step = _email_scenario()
    base = f"/settings/scenarios/{scenario.id}/steps"
    auth.login(admin)
    assert _post_file(client, f"{base}/{end.id}/attachments", "file", "a.pdf", PDF).status_code == 404
    assert _post_file(client, f"{base}/999999/images", "image", "a.png", PNG).status_code == 404
    wrong = f"/settings/scenarios/{other.id}/steps/{step.id}/attachments"
    assert _post_file(client, wrong, "file", "a.pdf", PDF).status_code == 404
    assert client.post(f"{base}/{step.id}/attachments/999999/remove", htmx=True).status_code == 404
    no_token = _post_file(client, f"{base}/{step.id}/attachments", "file", "a.pdf", PDF, csrf=False)
    assert no_token.status_code == 400
    auth.logout()
    auth.login(rep)
    assert _post_file(client, f"{base}/{step.id}/attachments", "file", "a.pdf", PDF).status_code == 403
    assert _files(step.id) == []


def _rep_and_contact():  # type: ignore[no-untyped-def]
    rep = make_user(name="Alice Martin", email="alice@ourco.example")
    make_sender(email="alice@ourco.example", display_name="Alice Martin")
    return make_contact(first_name="Camille", email="camille@client.example", opt_in=True, owner=rep)


def _assert_inline_image_and_attachments(mail) -> None:  # type: ignore[no-untyped-def]
    html = mail.get_body(("html",)).get_content()
    [cid] = re.findall(r'src="cid:([^"]+)"', html)
    assert (
        "/files/" not in html and "<p>Hello Camille,</p>" in html and "<p>See the files attached.</p>" in html
    )
    inline = [p for p in mail.walk() if p["Content-ID"] == f"<{cid}>"]
    assert len(inline) == 1 and inline[0].get_content() == PNG and inline[0].get_content_type() == "image/png"
    attached = {
        p.get_filename(): p.get_payload(decode=True)
        for p in mail.iter_attachments()
        if p["Content-ID"] is None
    }
    assert attached == {"Brochure été.pdf": PDF, "prix.csv": CSV}  # byte for byte


def test_enrolled_people_get_the_image_inline_and_every_attachment(client, auth, admin, worker, smtp):
    contact = _rep_and_contact()
    scenario, step = _email_scenario()
    auth.login(admin)
    _with_image_and_attachments(client, scenario, step)
    builder.activate(scenario)
    engine.enroll(scenario, contact)
    [mail] = smtp.wait_for(1)
    assert mail["Subject"] == "Our brochure"
    _assert_inline_image_and_attachments(mail)


def test_a_simulation_sends_the_image_and_the_attachments_too(client, auth, admin, worker, smtp):
    contact = _rep_and_contact()
    scenario, step = _email_scenario()
    auth.login(admin)
    _with_image_and_attachments(client, scenario, step)
    start = client.post(
        f"/settings/scenarios/{scenario.id}/simulate",
        data={"record_type": "contact", "record_id": contact.id},
        htmx=True,
    )
    enrollment_id = int(re.search(r'id="sim-(\d+)"', start.get_data(as_text=True)).group(1))
    step_run = client.post(f"/settings/scenarios/{scenario.id}/simulate/{enrollment_id}", htmx=True)
    assert "email “Our brochure” sent" in step_run.get_data(as_text=True)
    [mail] = smtp.wait_for(1)
    _assert_inline_image_and_attachments(mail)


def test_removing_the_step_removes_its_file_links(client, auth, admin):
    scenario, step = _email_scenario()
    auth.login(admin)
    _with_image_and_attachments(client, scenario, step)
    assert len(_files(step.id)) == 3
    builder.delete_step(db.session.get(ScenarioStep, step.id))
    assert db.session.scalar(select(func.count()).select_from(StepFile)) == 0


def test_the_dry_run_preview_shows_the_inserted_image(client, auth, admin):
    contact = _rep_and_contact()
    scenario, step = _email_scenario()
    auth.login(admin)
    _with_image_and_attachments(client, scenario, step)
    page = client.get(
        f"/settings/scenarios/{scenario.id}/preview?record_type=contact&record_id={contact.id}"
    ).get_data(as_text=True)
    # In the sandboxed frame (no session, so no /files/ link would load) the image travels inside.
    assert "data:image/png;base64," in page and "/files/" not in page.split("srcdoc=", 1)[1].split(">", 1)[0]
