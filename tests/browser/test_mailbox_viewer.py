"""The Mailbox as an admin sees it in Chromium: a captured message shows its inline image, loads
nothing remote and not the open pixel (no open counted), and its links open in a new tab."""

from __future__ import annotations

import mailbox

from playwright.sync_api import expect

from automation.mailing.compose import queue_email
from automation.mailing.render import build_message
from crm.extensions import db
from crm.models import OutboxMessage
from tests.browser.conftest import fresh
from tests.factories import PNG, make_contact, make_sender


def test_looking_at_captured_mail_is_not_opening_it(
    app, admin, login, page, live_server, tmp_path, monkeypatch
):
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
            '<p><img alt="remote" src="https://tracker.invalid/spy.png"></p>'
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

    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    login(admin)
    page.goto(f"/settings/mailbox/{key}")
    frame = page.frame_locator("iframe.mail")
    expect(frame.get_by_role("link", name="see the offer")).to_be_visible()
    logo = frame.get_by_alt_text("logo")
    expect(logo).to_be_visible()
    assert logo.evaluate("img => img.naturalWidth") > 0  # the inline (cid) image is shown
    page.wait_for_timeout(500)
    assert not [u for u in requested if "/m/o/" in u or "tracker.invalid" in u]
    assert fresh(row).opened_at is None and db.session.get(OutboxMessage, row.id).open_count == 0

    with page.context.expect_page() as opened:
        frame.get_by_role("link", name="see the offer").click()
    tab = opened.value
    tab.wait_for_load_state()
    assert tab.url.startswith(f"{live_server}/agenda/?from=mail")  # straight there, not via /m/c/
    assert fresh(row).click_count == 0
