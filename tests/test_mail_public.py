"""Links that arrive by mail: one-click unsubscribe, open and click tracking, sender verification."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from automation.mailing.compose import queue_email
from automation.mailing.render import build_message
from crm.extensions import db
from crm.models import Contact, OutboxMessage, SenderAddress, Suppression
from tests.factories import make_contact, make_sender
from tests.services import wait_until


def _marketing(contact: Contact, key: str = "m1", **kw) -> OutboxMessage:  # type: ignore[no-untyped-def]
    row = queue_email(
        key=key,
        kind="marketing",
        to_email=contact.email,
        subject="News",
        recipient=contact,
        html=kw.pop(
            "html",
            '<p>Hi <a href="https://example.com/offer?a=1&amp;b=2">offer</a></p>'
            '<p><a href="[[!UnsubscribeLink]]">unsubscribe</a></p>',
        ),
        sender=make_sender(),
        **kw,
    )
    db.session.commit()
    return row


def test_get_shows_a_confirmation_and_changes_nothing(client):
    contact = make_contact(opt_in=True)
    row = _marketing(contact)
    page = client.get(f"/m/u/{row.token}")
    assert page.status_code == 200 and contact.email in page.get_data(as_text=True)
    assert db.session.get(Contact, contact.id).unsubscribed is False
    assert db.session.scalar(select(Suppression.id)) is None


def test_one_click_post_without_login_or_csrf_unsubscribes_and_stops_later_mail(client):
    contact = make_contact(opt_in=True)
    row = _marketing(contact)
    response = client.post(f"/m/u/{row.token}", data={"List-Unsubscribe": "One-Click"}, csrf=False)
    assert response.status_code == 200
    assert db.session.get(Contact, contact.id).unsubscribed is True
    later = _marketing(db.session.get(Contact, contact.id), key="m2")
    assert later.status == "suppressed"
    assert client.post("/m/u/not-a-token", csrf=False).status_code == 404


def test_unsubscribe_link_in_the_body_points_at_the_token(app):
    row = _marketing(make_contact(opt_in=True))
    assert f'href="http://crm.test/m/u/{row.token}"' in row.html
    transactional = queue_email(
        key="t",
        kind="transactional",
        to_email="a@example.com",
        subject="s",
        html='<p><a href="[[!UnsubscribeLink]]">x</a></p>',
    )
    assert (
        "List-Unsubscribe" not in transactional.headers and "[[!UnsubscribeLink]]" not in transactional.html
    )


def test_open_pixel_and_signed_click_redirect(client):
    contact = make_contact(opt_in=True)
    row = _marketing(contact, track_opens=True, track_clicks=True)
    html = build_message(row).html
    pixel = re.search(r'<img src="http://crm\.test(/m/o/[^"]+\.gif)"', html).group(1)
    link = re.search(r'href="http://crm\.test(/m/c/[^"]+)">offer', html).group(1).replace("&amp;", "&")
    assert f'href="http://crm.test/m/u/{row.token}"' in html  # the unsubscribe link is not rewritten
    assert client.get(pixel).headers["Content-Type"] == "image/gif"
    assert db.session.get(OutboxMessage, row.id).opened_at is not None
    response = client.get(link)
    assert response.status_code == 302 and response.location == "https://example.com/offer?a=1&b=2"
    assert db.session.get(OutboxMessage, row.id).click_count == 1
    query = parse_qs(urlsplit(link).query)
    forged = f"/m/c/{row.token}?u=https%3A%2F%2Fevil.example&s={query['s'][0]}"
    assert client.get(forged).status_code == 404


def test_adding_a_sender_mails_a_link_that_verifies_it(client, auth, admin, worker, smtp):
    auth.login(admin)
    response = client.post(
        "/settings/senders/", data={"email": "Team@OurCo.example", "display_name": "Team"}, htmx=True
    )
    assert response.status_code == 200 and "a confirmation link was mailed" in response.headers["HX-Trigger"]
    sender = db.session.scalars(select(SenderAddress)).one()
    assert sender.email == "team@ourco.example" and not sender.verified
    [mail] = smtp.wait_for(1)
    assert mail["To"].addresses[0].addr_spec == "team@ourco.example"
    link = re.search(
        r"http://crm\.test(/m/verify/[^\s\"<)]+)", mail.get_body(("plain",)).get_content()
    ).group(1)
    assert client.get("/m/verify/forged-token").status_code == 404
    page = client.get(link)
    assert page.status_code == 200 and "Address confirmed" in page.get_data(as_text=True)
    assert db.session.get(SenderAddress, sender.id).verified
    dup = client.post("/settings/senders/", data={"email": "team@ourco.example"}, htmx=True)
    assert dup.status_code == 422 and "already registered" in dup.get_data(as_text=True)


def test_resend_link_for_a_pending_sender(client, auth, admin, worker, smtp):
    sender = make_sender(verified=False)
    auth.login(admin)
    assert client.post(f"/settings/senders/{sender.id}/resend", htmx=True).status_code == 200
    assert client.post(f"/settings/senders/{sender.id}/resend", htmx=True).status_code == 200
    smtp.wait_for(2)
    wait_until(lambda: len(smtp.to(sender.email)) == 2)
