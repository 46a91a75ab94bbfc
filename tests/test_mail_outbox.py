"""The outbox and the mail job, read back from a real SMTP server through RQ's worker."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from automation.mailing.compose import merge_values, queue_email, render_template_for
from crm.extensions import db
from crm.facts import describe
from crm.models import OutboxMessage, Suppression
from crm.services import ServiceError
from tests.factories import PDF, PNG, make_contact, make_sender, make_template, make_upload, make_user
from tests.services import wait_until


def _row(row_id: int) -> OutboxMessage:
    db.session.expire_all()
    return db.session.get(OutboxMessage, row_id)


def _status(row_id: int, *wanted: str):  # type: ignore[no-untyped-def]
    return lambda: _row(row_id).status in wanted


def test_mail_arrives_with_headers_parts_inline_image_and_attachment(worker, smtp):
    sender = make_sender(email="team@ourco.example", display_name="Équipe Ventes")
    contact = make_contact(first_name="Zoé", last_name="Roux", email="zoe@client.example", opt_in=True)
    image = make_upload("logo.png", PNG)
    doc = make_upload("form to fill.pdf", PDF)
    template = make_template(
        subject="Votre devis, [[!ContactFirstName]] — 15 % de remise",
        body_html=f'<p>Bonjour [[!ContactFirstName]],</p><img src="/files/{image.id}/logo.png" alt="logo">'
        "<p>{{ ''.__class__.__mro__ }} {% if 1 %}x{% endif %}</p>",
    )
    subject, html = render_template_for(template, merge_values(recipient=contact))
    row = queue_email(
        key="test:one",
        kind="marketing",
        to_email=contact.email,
        to_name=contact.display_name,
        subject=subject,
        html=html,
        sender=sender,
        recipient=contact,
        attachment_ids=[doc.id],
    )
    db.session.commit()
    [msg] = smtp.wait_for(1)
    assert msg["Subject"] == "Votre devis, Zoé — 15 % de remise"
    assert msg["From"].addresses[0].display_name == "Équipe Ventes"
    assert msg["From"].addresses[0].addr_spec == "team@ourco.example"
    assert msg["To"].addresses[0].addr_spec == "zoe@client.example"
    assert msg["Message-ID"] == row.message_id
    assert msg["List-Unsubscribe"] == f"<http://crm.test/m/u/{row.token}>"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = msg.get_body(("plain",)).get_content()
    html_part = msg.get_body(("html",)).get_content()
    assert "Bonjour Zoé," in text and "Bonjour Zoé," in html_part
    # SSTI payloads are text, never evaluated.
    assert "{{ ''.__class__.__mro__ }} {% if 1 %}x{% endif %}" in text
    cid = f"upload-{image.id}@salesloop.local"
    assert f'src="cid:{cid}"' in html_part
    parts = {p.get_filename(): p for p in msg.iter_attachments()}
    assert parts["logo.png"]["Content-ID"] == f"<{cid}>" and parts["logo.png"].get_content() == PNG
    assert parts["form to fill.pdf"].get_content() == PDF
    assert parts["form to fill.pdf"].get_content_disposition() == "attachment"
    wait_until(_status(row.id, "sent"))
    assert _row(row.id).attempts == 1 and _row(row.id).sent_at


def test_the_same_cause_never_writes_two_rows(app):
    contact = make_contact(opt_in=True)
    first = queue_email(
        key="cause:42", kind="transactional", to_email=contact.email, subject="A", html="<p>a</p>"
    )
    again = queue_email(
        key="cause:42", kind="transactional", to_email=contact.email, subject="B", html="<p>b</p>"
    )
    db.session.commit()
    assert first.id == again.id
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 1


def test_unverified_sender_is_refused_before_anything_is_queued(app):
    sender = make_sender(email="pending@ourco.example", verified=False)
    with pytest.raises(ServiceError) as err:
        queue_email(
            key="x", kind="transactional", to_email="a@b.example", subject="s", html="h", sender=sender
        )
    assert "pending@ourco.example" in str(err.value.message) and "not verified" in str(err.value.message)
    db.session.rollback()
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0


@pytest.mark.parametrize(
    ("setup", "kind", "reason"),
    [
        ({"opt_in": False}, "marketing", "not opted in"),
        ({"opt_in": True, "unsubscribed": True}, "scenario", "unsubscribed from email"),
        ({"opt_in": True, "email": "not-an-address"}, "marketing", "invalid email address"),
        ({"opt_in": False, "unsubscribed": True}, "transactional", "unsubscribed from email"),
    ],
)
def test_suppressed_recipients_are_not_sent_to(worker, smtp, setup, kind, reason):
    contact = make_contact(**setup)
    row = queue_email(
        key=f"s:{kind}",
        kind=kind,
        to_email=contact.email,
        subject="s",
        html="<p>h</p>",
        sender=make_sender(),
        recipient=contact,
    )
    db.session.commit()
    assert row.status == "suppressed" and describe(row.suppressed_reason) == reason
    ok = queue_email(key="s:ok", kind="system", to_email="ok@example.com", subject="control", html="<p>c</p>")
    db.session.commit()
    smtp.wait_for(1)
    wait_until(_status(ok.id, "sent"))
    assert [m["Subject"] for m in smtp.messages] == ["control"]


def test_an_address_on_the_suppression_list_is_never_mailed(app):
    db.session.add(Suppression(email="gone@example.com", reason="one-click unsubscribe"))
    db.session.commit()
    row = queue_email(key="k", kind="transactional", to_email="Gone@Example.com", subject="s", html="h")
    assert row.status == "suppressed"


def test_internal_mail_to_a_rep_needs_no_opt_in(worker, smtp):
    rep = make_user(email="rep@ourco.example")
    row = queue_email(
        key="internal",
        kind="transactional",
        to_email=rep.email,
        subject="New R2",
        html="<p>go</p>",
        sender=make_sender(),
        recipient=rep,
    )
    db.session.commit()
    assert smtp.wait_for(1)[0]["To"].addresses[0].addr_spec == "rep@ourco.example"
    wait_until(_status(row.id, "sent"))


def test_a_batch_reuses_one_smtp_connection(worker, smtp):
    sender = make_sender()
    rows = [
        queue_email(
            key=f"b{i}",
            kind="transactional",
            to_email=f"p{i}@example.com",
            subject=f"m{i}",
            html="<p>x</p>",
            sender=sender,
        )
        for i in range(12)
    ]
    db.session.commit()
    smtp.wait_for(12)
    assert smtp.connections == 1
    wait_until(lambda: all(_row(r.id).status == "sent" for r in rows))


def test_a_5xx_for_one_recipient_fails_it_at_once_and_never_resends_the_others(worker, smtp):
    smtp.handler.reject["bad@example.com"] = "550 5.1.1 No such user"
    sender = make_sender()
    rows = [
        queue_email(
            key=f"r{i}", kind="transactional", to_email=addr, subject=addr, html="<p>x</p>", sender=sender
        )
        for i, addr in enumerate(["a@example.com", "bad@example.com", "c@example.com"])
    ]
    db.session.commit()
    wait_until(lambda: all(_row(r.id).status in ("sent", "failed") for r in rows), 15)
    bad = _row(rows[1].id)
    assert (
        bad.status == "failed"
        and bad.attempts == 1
        and "550" in bad.last_error
        and "No such user" in bad.last_error
    )
    assert [_row(r.id).status for r in (rows[0], rows[2])] == ["sent", "sent"]
    assert sorted(m["Subject"] for m in smtp.messages) == ["a@example.com", "c@example.com"]


def test_a_4xx_is_retried_with_backoff_then_delivered_once(worker, smtp):
    smtp.handler.reject["busy@example.com"] = "451 4.7.1 Try again later"
    row = queue_email(
        key="t", kind="transactional", to_email="busy@example.com", subject="later", html="<p>x</p>"
    )
    db.session.commit()
    wait_until(lambda: _row(row.id).status == "retrying", 10)
    first = _row(row.id)
    assert "451" in first.last_error and first.next_attempt_at > first.claimed_at
    del smtp.handler.reject["busy@example.com"]
    wait_until(_status(row.id, "sent"), 20)
    assert len(smtp.to("busy@example.com")) == 1 and _row(row.id).attempts >= 2


def test_smtp_down_then_back_delivers_each_mail_exactly_once(worker, smtp):
    smtp.stop()
    rows = [
        queue_email(
            key=f"d{i}", kind="transactional", to_email=f"d{i}@example.com", subject=f"d{i}", html="<p>x</p>"
        )
        for i in range(3)
    ]
    db.session.commit()
    wait_until(
        lambda: all(_row(r.id).status == "retrying" for r in rows), 15, message="retries while SMTP is down"
    )
    assert "cannot reach the SMTP server" in describe(_row(rows[0].id).last_error)
    smtp.start()
    wait_until(
        lambda: all(_row(r.id).status == "sent" for r in rows), 30, message="delivery after SMTP came back"
    )
    assert sorted(m["Subject"] for m in smtp.messages) == ["d0", "d1", "d2"]


def test_rate_limit_defers_past_the_senders_budget(worker, smtp):
    import time
    from datetime import datetime

    if datetime.now().second >= 50:  # keep the three sends inside one clock minute
        time.sleep(61 - datetime.now().second)
    sender = make_sender(rate_per_minute=2)
    rows = [
        queue_email(
            key=f"rl{i}",
            kind="transactional",
            to_email=f"r{i}@example.com",
            subject=f"r{i}",
            html="<p>x</p>",
            sender=sender,
        )
        for i in range(3)
    ]
    db.session.commit()
    smtp.wait_for(2)
    wait_until(
        lambda: _row(rows[2].id).status == "queued" and _row(rows[2].id).next_attempt_at.second == 0, 10
    )
    statuses = sorted(_row(r.id).status for r in rows)
    assert statuses == ["queued", "sent", "sent"]
    assert len(smtp.messages) == 2
