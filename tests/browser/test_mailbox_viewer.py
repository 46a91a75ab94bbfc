"""The Mailbox as an admin sees it in Chromium: a captured message shows its inline image, loads
nothing remote and not the open pixel (no open counted), and its links open in a new tab."""

from __future__ import annotations

import mailbox
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect

from automation.mailing.compose import queue_email
from automation.mailing.render import build_message
from crm.extensions import db
from crm.models import OutboxMessage
from tests.browser.conftest import fresh
from tests.factories import PNG, make_contact, make_sender


@pytest.fixture
def tracker() -> Iterator[tuple[str, list[str]]]:
    """A real remote server standing for a sender's tracker: every path asked of it is kept."""
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/gif")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", hits
    server.shutdown()
    server.server_close()


def test_looking_at_captured_mail_is_not_opening_it(
    app, admin, login, page, live_server, tracker, tmp_path, monkeypatch
):
    tracker_url, tracker_hits = tracker
    monkeypatch.setitem(app.config, "PUBLIC_URL", live_server)  # the pixel would really reach us
    sink = mailbox.Maildir(tmp_path / "sink", create=True)
    monkeypatch.setitem(app.config, "MAIL_SINK_DIR", str(tmp_path / "sink"))
    contact = make_contact(opt_in=True)
    row = queue_email(
        key="seen-in-mailbox",
        kind="marketing",
        to_email=contact.email,
        subject="Spring offer",
        recipient=contact,
        html=(
            f'<p>Hello <a href="{live_server}/agenda/?from=mail">see the offer</a></p>'
            f'<p><img alt="remote" src="{tracker_url}/spy.png"></p>'
        ),
        sender=make_sender(),
        track_opens=True,
        track_clicks=True,
    )
    db.session.commit()
    message = build_message(row)
    message.attach("logo.png", "image/png", PNG, "inline", headers={"Content-ID": "<logo@crm.test>"})
    message.html += '<p><img alt="logo" src="cid:logo@crm.test"></p>'
    key = sink.add(message.as_bytes())
    assert "/m/o/" in message.html  # the pixel is in what was sent

    answered: list[str] = []
    page.on("requestfinished", lambda request: answered.append(request.url))
    login(admin)
    page.goto(f"/settings/mailbox/{key}")
    frame = page.frame_locator("iframe.mail")
    expect(frame.get_by_role("link", name="see the offer")).to_be_visible()
    logo = frame.get_by_alt_text("logo")
    expect(logo).to_be_visible()
    assert logo.evaluate("img => img.naturalWidth") > 0  # the inline (cid) image is shown
    page.wait_for_timeout(500)
    assert tracker_hits == []  # no remote image reached its server
    # Chromium may list a request its CSP then blocks; none of these got an answer
    assert not [r for r in answered if "/m/o/" in r or tracker_url in r]
    assert fresh(row).opened_at is None and db.session.get(OutboxMessage, row.id).open_count == 0

    with page.context.expect_page() as opened:
        frame.get_by_role("link", name="see the offer").click()
    tab = opened.value
    tab.wait_for_load_state()
    assert tab.url.startswith(f"{live_server}/agenda/?from=mail")  # straight there, not via /m/c/
    assert fresh(row).click_count == 0
