"""Hostile uploads and redirects: files that lie about their type, double extensions, executables and
oversized files are refused with a message (4xx, never a 500) and nothing is stored; a genuine file
is served with its own type, a disposition and nosniff. `next` on login never leaves the site."""

from __future__ import annotations

import http.cookiejar
import io
import re
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import pytest
from sqlalchemy import func, select

from crm.extensions import db
from crm.models import EmailTemplate, Upload
from tests.conftest import PASSWORD
from tests.factories import PDF, PNG, make_template

IMAGES = "/settings/templates/images"
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
    b"<script>alert(document.domain)</script></svg>"
)
PHP = b"<?php system($_GET['cmd']); ?>"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00"
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56

LYING = "does not match its extension"
NOT_ACCEPTED = "Files of this type are not accepted"

# (filename, content, what the refusal says); each is tried on both upload endpoints.
HOSTILE = [
    pytest.param("logo.png", HTML, LYING, id="html-named-png"),
    pytest.param("photo.jpg", SVG, LYING, id="svg-with-script-named-jpg"),
    pytest.param("banner.gif", PHP, LYING, id="php-named-gif"),
    pytest.param("invoice.pdf.html", HTML, NOT_ACCEPTED, id="double-extension-pdf-html"),
    pytest.param("x.php.png", PHP, LYING, id="double-extension-php-png"),
    pytest.param("image.svg", SVG, NOT_ACCEPTED, id="svg"),
    pytest.param("setup.exe", EXE, NOT_ACCEPTED, id="exe"),
    pytest.param("run.sh", b"#!/bin/sh\nrm -rf /\n", NOT_ACCEPTED, id="shell-script"),
    pytest.param("photo.png.exe", EXE, NOT_ACCEPTED, id="double-extension-png-exe"),
    pytest.param("scan.jpeg", ELF, LYING, id="elf-named-jpeg"),
    pytest.param("logo", PNG, NOT_ACCEPTED, id="no-extension"),
]
# Refused as attachments too (documents are allowed there, so these reach the content check).
HOSTILE_ATTACHMENTS = [
    pytest.param("contract.pdf", EXE, LYING, id="exe-named-pdf"),
    pytest.param("notes.docx", ELF, LYING, id="elf-named-docx"),
    pytest.param("readme.txt", ELF, LYING, id="binary-named-txt"),
    pytest.param("report.pdf", HTML, LYING, id="html-named-pdf"),
]


def _stored_files(app: Any) -> list[Path]:
    root = Path(app.config["UPLOAD_DIR"])
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _upload(client: Any, url: str, filename: str, data: bytes, *, htmx: bool = True, **kw: Any) -> Any:
    field = "image" if url == IMAGES else "file"
    content_type = kw.pop("content_type", None)
    file = (io.BytesIO(data), filename, content_type) if content_type else (io.BytesIO(data), filename)
    return client.post(url, data={field: file}, content_type="multipart/form-data", htmx=htmx)


def _endpoint(kind: str, template: EmailTemplate) -> str:
    return IMAGES if kind == "image" else f"/settings/templates/{template.id}/attachments"


def _refused(response: Any, message: str, *, status: tuple[int, ...] = (413, 422)) -> None:
    assert response.status_code in status, (response.status_code, response.get_data(as_text=True)[:300])
    trigger = response.headers["HX-Trigger"]
    assert '"level": "error"' in trigger and message in trigger, trigger


def _nothing_stored(app: Any, before: list[Path], template: EmailTemplate) -> None:
    db.session.rollback()
    assert db.session.scalar(select(func.count(Upload.id))) == 0
    assert db.session.get(EmailTemplate, template.id).attachments == []
    assert _stored_files(app) == before


@pytest.mark.parametrize("kind", ["image", "attachment"])
@pytest.mark.parametrize(("filename", "data", "message"), HOSTILE)
def test_a_file_lying_about_its_type_is_refused_and_not_stored(
    client, auth, admin, app, kind, filename, data, message
):  # type: ignore[no-untyped-def]
    template = make_template()
    auth.login(admin)
    before = _stored_files(app)
    # The browser's claimed type changes nothing: the content decides.
    response = _upload(client, _endpoint(kind, template), filename, data, content_type="image/png")
    _refused(response, message)
    _nothing_stored(app, before, template)


@pytest.mark.parametrize(("filename", "data", "message"), HOSTILE_ATTACHMENTS)
def test_a_document_lying_about_its_type_is_refused(client, auth, admin, app, filename, data, message):  # type: ignore[no-untyped-def]
    template = make_template()
    auth.login(admin)
    before = _stored_files(app)
    _refused(_upload(client, _endpoint("attachment", template), filename, data), message)
    _nothing_stored(app, before, template)


def test_a_document_is_not_accepted_as_an_image(client, auth, admin, app):  # type: ignore[no-untyped-def]
    template = make_template()
    auth.login(admin)
    before = _stored_files(app)
    _refused(_upload(client, IMAGES, "brochure.pdf", PDF), NOT_ACCEPTED)
    _nothing_stored(app, before, template)


@pytest.mark.parametrize("kind", ["image", "attachment"])
def test_a_file_over_the_size_limit_is_refused_and_not_stored(client, auth, admin, app, kind):  # type: ignore[no-untyped-def]
    template = make_template()
    auth.login(admin)
    before = _stored_files(app)
    limit = app.config["UPLOAD_MAX_MB"] * 1024 * 1024
    name, head = ("big.png", PNG) if kind == "image" else ("big.pdf", PDF)
    # Just over the upload limit: the check names the limit.
    response = _upload(client, _endpoint(kind, template), name, head + b"\0" * (limit - len(head) + 1))
    _refused(response, f"larger than {app.config['UPLOAD_MAX_MB']} MB", status=(413,))
    # Over the request limit too: refused before the view reads it, still with a message.
    huge = head + b"\0" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    _refused(
        _upload(client, _endpoint(kind, template), name, huge), "The upload is too large.", status=(413,)
    )
    # A plain form post (no HTMX) gets the message as a page, not a server error.
    page = _upload(client, _endpoint(kind, template), name, huge, htmx=False)
    assert page.status_code == 413 and "The upload is too large." in page.get_data(as_text=True)
    _nothing_stored(app, before, template)


def test_a_genuine_image_is_accepted_and_served_inline_with_its_own_type(client, auth, admin, app):  # type: ignore[no-untyped-def]
    auth.login(admin)
    # Claimed as text/html by the browser: stored and served as what it is.
    response = _upload(client, IMAGES, "logo.png", PNG, content_type="text/html")
    assert response.status_code == 200 and "Image uploaded" in response.headers["HX-Trigger"]
    upload = db.session.scalars(select(Upload)).one()
    assert (upload.content_type, upload.size) == ("image/png", len(PNG))
    served = client.get(f"/files/{upload.id}/logo.png")
    assert served.status_code == 200 and served.data == PNG
    assert served.headers["Content-Type"] == "image/png"
    assert served.headers["Content-Disposition"] == 'inline; filename="logo.png"'
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served.headers["Content-Security-Policy"]
    assert client.get(f"/files/{upload.id}/other.png").status_code == 404


def test_a_file_is_served_only_to_those_who_may_see_what_owns_it(client, auth, admin, rep):  # type: ignore[no-untyped-def]
    """Template files are company material reps send; a file not attached to anything yet is its
    uploader's (and admins'); anyone else gets 404, as for a hidden record."""
    template = make_template()
    auth.login(admin)
    _upload(client, f"/settings/templates/{template.id}/attachments", "terms.pdf", PDF)
    _upload(client, IMAGES, "in-body.png", PNG)
    _upload(client, IMAGES, "draft.png", PNG)
    files = {u.filename: u for u in db.session.scalars(select(Upload))}
    body = files["in-body.png"]
    template.body_html = f'<p>Hi</p><img src="/files/{body.id}/in-body.png">'
    db.session.commit()
    auth.logout()
    auth.login(rep)
    for name in ("terms.pdf", "in-body.png"):
        assert client.get(f"/files/{files[name].id}/{name}").status_code == 200, name
    assert client.get(f"/files/{files['draft.png'].id}/draft.png").status_code == 404


def test_text_with_markup_is_only_ever_a_text_download(client, auth, admin):  # type: ignore[no-untyped-def]
    """A .txt or .csv holding HTML is accepted (it is text) but never rendered by the browser."""
    template = make_template()
    auth.login(admin)
    for name, content_type in (("notes.txt", "text/plain"), ("list.csv", "text/csv")):
        response = _upload(client, f"/settings/templates/{template.id}/attachments", name, HTML)
        assert response.status_code == 200, response.get_data(as_text=True)
        upload = db.session.scalars(select(Upload).where(Upload.filename == name)).one()
        served = client.get(f"/files/{upload.id}/{name}")
        assert served.headers["Content-Type"].startswith(content_type)
        assert served.headers["Content-Disposition"] == f'attachment; filename="{name}"'
        assert served.headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in served.headers["Content-Security-Policy"]


def test_a_polyglot_png_is_served_as_an_image_that_cannot_run(client, auth, admin):  # type: ignore[no-untyped-def]
    """PNG magic bytes followed by HTML pass the content check; served as image/png, nosniff and
    sandboxed, the browser never reads it as a page."""
    auth.login(admin)
    polyglot = PNG + HTML
    assert _upload(client, IMAGES, "poly.png", polyglot).status_code == 200
    upload = db.session.scalars(select(Upload)).one()
    served = client.get(f"/files/{upload.id}/poly.png")
    assert served.headers["Content-Type"] == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_a_hostile_file_name_is_cleaned_and_escaped(client, auth, admin):  # type: ignore[no-untyped-def]
    auth.login(admin)
    response = _upload(client, IMAGES, "..\\..\\`<img src=x onerror=alert(1)>`.png", PNG)
    assert response.status_code == 200, response.headers.get("HX-Trigger")
    upload = db.session.scalars(select(Upload)).one()
    assert upload.filename == "img src=x onerror=alert(1).png"  # no path, no quotes or brackets
    body = response.get_data(as_text=True)
    assert "<img" not in body.split("data-insert=", 1)[1]  # the tag to insert travels escaped
    served = client.get(f"/files/{upload.id}/{quote(upload.filename)}")
    assert served.headers["Content-Disposition"] == 'inline; filename="img src=x onerror=alert(1).png"'


def _fetch_as(live_server: str, user: Any, path: str) -> tuple[int, dict[str, str]]:
    """GET `path` from the real HTTP server, logged in through the form like a browser."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    login = opener.open(f"{live_server}/login").read().decode()
    token = re.search(r'name="csrf-token" content="([^"]+)"', login).group(1)  # type: ignore[union-attr]
    form = f"csrf_token={quote(token)}&email={quote(user.email)}&password={quote(PASSWORD)}".encode()
    opener.open(f"{live_server}/login", data=form).read()
    with opener.open(f"{live_server}{path}") as response:
        response.read()
        return response.status, dict(response.headers)


@pytest.mark.parametrize("name", ["画像.png", "devis – été €.png"])
def test_a_file_with_a_non_latin_name_is_served_by_a_real_server(client, auth, admin, live_server, name):  # type: ignore[no-untyped-def]
    """Regression: the name went raw into Content-Disposition; HTTP headers are Latin-1, so the
    server dropped the connection (development server) or answered 500 (gunicorn)."""
    auth.login(admin)
    assert _upload(client, IMAGES, name, PNG).status_code == 200
    upload = db.session.scalars(select(Upload)).one()
    served = client.get(f"/files/{upload.id}/{quote(name)}")
    disposition = served.headers["Content-Disposition"]
    disposition.encode("latin-1")  # what every WSGI server requires of a header (PEP 3333)
    assert (
        disposition.startswith('inline; filename="')
        and f"filename*=UTF-8''{quote(name, safe='')}" in disposition
    )
    status, headers = _fetch_as(live_server, admin, f"/files/{upload.id}/{quote(name)}")
    assert status == 200 and headers["Content-Type"] == "image/png"
    assert headers["X-Content-Type-Options"] == "nosniff"


# --- `next` after login never leaves the site --------------------------------------------------

EXTERNAL = [
    "//evil.example",
    "https://evil.example",
    "/\\evil.example",
    "javascript:alert(1)",
    "\\\\evil.example",
    "/%5Cevil.example",
    "%2F%2Fevil.example",
    "/%09/evil.example",
    "%09//evil.example",
    " //evil.example",
    "https:evil.example",
    "http:/evil.example",
    "//evil.example@crm.test",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
]


def _stays_local(location: str) -> None:
    parts = urlsplit(location)
    assert (parts.scheme, parts.netloc) == ("", ""), location
    assert location.startswith("/") and not location.startswith("//") and "\\" not in location, location
    assert not any(ord(c) < 32 for c in location), location


@pytest.mark.parametrize("target", EXTERNAL)
def test_next_on_login_stays_local(client, rep, target):  # type: ignore[no-untyped-def]
    response = client.post(f"/login?next={target}", data={"email": rep.email, "password": PASSWORD})
    assert response.status_code == 302
    _stays_local(response.location)
    assert response.location == "/"
    # Already logged in, a GET of the login page redirects too: same rule.
    again = client.get(f"/login?next={target}")
    assert again.status_code == 302 and again.location == "/"
    # The language switch takes a `next` as well (a form field: already decoded).
    switched = client.post("/language", data={"locale": "en", "next": unquote(target)})
    assert switched.status_code == 302 and switched.location == "/"


def test_next_keeps_a_local_path_everywhere(client, rep):  # type: ignore[no-untyped-def]
    response = client.post(
        "/login?next=/agenda/?week=2026-01-05", data={"email": rep.email, "password": PASSWORD}
    )
    assert response.location == "/agenda/?week=2026-01-05"
    assert client.get("/login?next=/contacts/").location == "/contacts/"
    assert client.post("/language", data={"locale": "fr", "next": "/leads/"}).location == "/leads/"
