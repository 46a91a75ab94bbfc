"""Hardening: error pages without a URL adapter, CSP and no-store, the password policy, mail shown
in the app that is never tracked, sender links that stay in their mailbox."""

from __future__ import annotations

import http.client
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from automation.mailing.compose import queue_email
from automation.mailing.render import build_message
from crm.extensions import db
from crm.mailview import viewer_html as mail_view
from crm.models import OutboxMessage, User
from tests.factories import make_contact, make_sender


@pytest.mark.parametrize("host", ["a" * 300, "x" * 5000, "a" * 70 + ".example", "a..b"])
def test_an_unroutable_host_gets_a_400_page_not_a_500(client, host):
    response = client.get("/login", headers={"Host": host})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "The request could not be understood." in body and 'href="/static/css/app.css"' in body


def test_an_unroutable_host_over_a_real_connection(live_server):
    url = urlsplit(live_server)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    conn.putrequest("GET", "/opportunities/1", skip_host=True)
    conn.putheader("Host", "h" * 2000)
    conn.endheaders()
    response = conn.getresponse()
    assert response.status == 400 and b"The request could not be understood." in response.read()


def test_every_page_has_a_csp_and_signed_in_pages_are_never_cached(client, auth, rep):
    login_page = client.get("/login")
    csp = login_page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-eval" not in csp
    assert "no-store" not in login_page.headers.get("Cache-Control", "")
    auth.login(rep)
    for url in ("/accounts/", "/agenda/", "/notifications/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "no-store", url
        assert "script-src 'self'" in response.headers["Content-Security-Policy"], url
    assert "no-store" not in client.get("/static/css/app.css").headers.get("Cache-Control", "")


def test_no_template_carries_inline_script_or_an_eval_filter():
    """What the CSP forbids (inline handlers, inline scripts, htmx trigger filters that need eval)
    would fail silently in the browser: none of it is in the templates."""
    found = []
    for path in Path("templates").rglob("*.html"):
        text = path.read_text()
        if re.search(r"\son[a-z]+=\"", text) or re.search(r"<script(?![^>]*\bsrc=)", text):
            found.append(str(path))
        for trigger in re.findall(r'hx-trigger="([^"]*)"', text):
            if any(re.match(r"^[\w:.-]+\[", spec.strip()) for spec in trigger.split(",")):
                found.append(str(path))  # an event filter, evaluated as JavaScript
        if "hx-on" in text or '"js:' in text:
            found.append(str(path))
    assert found == []


@pytest.mark.parametrize(
    ("password", "refused"),
    [
        ("password123", True),
        ("Azerty2024", True),
        ("JeanneDupont", True),  # the user's own name
        ("short-1", True),
        ("plum-ferry-quartz", False),
    ],
)
def test_a_password_easy_to_guess_is_refused_and_nothing_is_saved(client, auth, admin, password, refused):
    auth.login(admin)
    form = {"email": "jeanne@ourco.example", "name": "Jeanne Dupont", "role": "rep"}
    form |= {"timezone": "Europe/Paris", "locale": "", "active": "y", "password": password}
    response = client.post("/settings/users/new", data=form, htmx=True)
    created = db.session.scalar(select(User).where(User.email == "jeanne@ourco.example"))
    if refused:
        assert response.status_code == 422 and created is None
        body = response.get_data(as_text=True)
        assert "too easy to guess" in body or "at least 10 characters" in body
    else:
        assert response.status_code == 204 and created is not None  # HX-Redirect to the list


def test_a_senders_confirmation_link_is_never_shown_in_the_app(client, auth, admin):
    auth.login(admin)
    client.post("/settings/senders/", data={"email": "team@ourco.example", "display_name": "Team"}, htmx=True)
    row = db.session.scalars(select(OutboxMessage)).one()
    assert "/m/verify/" in row.html  # it is in the mail, for that mailbox
    page = client.get(f"/settings/mail/{row.id}").get_data(as_text=True)
    assert "/m/verify/" not in page and "only that mailbox may read it" in page


def test_looking_at_a_sent_message_counts_no_open_and_no_click(client, auth, admin):
    contact = make_contact(opt_in=True)
    row = queue_email(
        key="look",
        kind="marketing",
        to_email=contact.email,
        subject="News",
        recipient=contact,
        html='<p><a href="https://example.com/offer">offer</a><img src="https://tracker.example/x.png"></p>',
        sender=make_sender(),
        track_opens=True,
        track_clicks=True,
    )
    db.session.commit()
    sent = build_message(row).html
    pixel = re.search(r'src="http://crm\.test(/m/o/[^"]+\.gif)"', sent).group(1)
    auth.login(admin)
    page = client.get(f"/settings/mail/{row.id}")
    assert "img-src data:" in page.headers["Content-Security-Policy"]
    # The app's own fetch of the pixel (a page of ours asking) is not the recipient opening it.
    client.get(pixel, headers={"Sec-Fetch-Site": "same-origin"})
    client.get(pixel, headers={"Referer": "http://localhost/settings/mail/1"})
    assert db.session.get(OutboxMessage, row.id).opened_at is None
    framed = mail_view(sent)
    assert "/m/o/" not in framed and "/m/c/" not in framed
    assert 'href="https://example.com/offer"' in framed and framed.startswith('<base target="_blank">')
