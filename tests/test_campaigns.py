"""Campaigns: audience, send now through the worker, live progress, pause and resume with nobody
getting it twice."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from automation.mailing.campaigns import audience_size
from crm.extensions import db
from crm.models import Campaign, OutboxMessage
from crm.services.records import save_record
from tests.factories import make_contact, make_opportunity, make_pipeline, make_sender, make_template
from tests.services import wait_until


def _tagged(n: int, tag: str = "Newsletter", **kw) -> list:  # type: ignore[no-untyped-def]
    people = []
    for i in range(n):
        contact = make_contact(email=f"reader{i}@example.com", opt_in=kw.get("opt_in", True))
        save_record(contact, {"tags": tag})
        people.append(contact)
    return people


def _create(client, sender, template, **audience) -> Campaign:  # type: ignore[no-untyped-def]
    data = {"name": "Autumn news", "template_id": template.id, "sender_id": sender.id, **audience}
    response = client.post("/settings/campaigns/new", data=data, htmx=True)
    assert response.status_code == 204, response.get_data(as_text=True)
    return db.session.scalars(select(Campaign)).one()


def _progress(client, campaign_id: int) -> str:
    return client.get(f"/settings/campaigns/{campaign_id}?block=progress", htmx=True).get_data(as_text=True)


def test_audiences_by_tag_stage_and_pick(app):
    people = _tagged(3)
    make_contact(opt_in=True)  # not tagged
    pipeline = make_pipeline()
    make_opportunity(pipeline.stages[2], contact=people[0])
    tag_id = people[0].tags[0].id
    assert audience_size({"type": "tag", "tag_id": tag_id}) == 3
    assert audience_size({"type": "stage", "stage_id": pipeline.stages[2].id}) == 1
    assert audience_size({"type": "contacts", "ids": [people[1].id, people[2].id]}) == 2


def test_send_now_reaches_everyone_once_with_live_progress(client, auth, admin, worker, smtp):
    people = _tagged(6)
    people[5].opt_in = False  # suppressed, not sent
    db.session.commit()
    sender, template = make_sender(), make_template(subject="News for [[!ContactFirstName]]")
    auth.login(admin)
    campaign = _create(client, sender, template, audience_type="tag", tag_id=people[0].tags[0].id)
    assert "Draft" in client.get(f"/settings/campaigns/{campaign.id}").get_data(as_text=True)
    started = client.post(f"/settings/campaigns/{campaign.id}/start", htmx=True)
    assert started.status_code == 200 and "Sending started." in started.headers["HX-Trigger"]
    assert 'hx-trigger="every 1s"' in _progress(client, campaign.id)
    smtp.wait_for(5)
    wait_until(
        lambda: "5 sent · 1 suppressed · 0 failed · 0 to go, of 6" in _progress(client, campaign.id), 20
    )
    assert db.session.get(Campaign, campaign.id).status == "sent"
    last_poll = client.get(f"/settings/campaigns/{campaign.id}?block=progress", htmx=True)
    assert 'hx-trigger="every 1s"' not in last_poll.get_data(as_text=True)  # polling stops when done
    assert last_poll.headers["HX-Trigger"] == "campaignChanged"  # and the header (status, buttons) refreshes
    assert Counter(m["To"].addresses[0].addr_spec for m in smtp.messages) == Counter(
        p.email for p in people[:5]
    )
    assert all(m["List-Unsubscribe-Post"] for m in smtp.messages)
    again = client.post(f"/settings/campaigns/{campaign.id}/start", htmx=True)
    assert again.status_code == 409


def test_pause_holds_everything_and_resume_sends_each_once(client, auth, admin, worker, smtp):
    people = _tagged(8)
    sender, template = make_sender(), make_template()
    auth.login(admin)
    campaign = _create(client, sender, template, audience_type="contacts", contact_ids=[p.id for p in people])
    smtp.stop()  # the first sends fail and wait for a retry
    client.post(f"/settings/campaigns/{campaign.id}/start", htmx=True)
    wait_until(
        lambda: (
            db.session.scalar(
                select(func.count(OutboxMessage.id)).where(
                    OutboxMessage.campaign_id == campaign.id, OutboxMessage.status == "retrying"
                )
            )
            == 8
        ),
        20,
    )
    paused = client.post(f"/settings/campaigns/{campaign.id}/pause", htmx=True)
    assert "Campaign paused" in paused.headers["HX-Trigger"]
    smtp.start()
    import time

    time.sleep(4)  # retries come due (1 s backoff) but the pause holds them
    worker.drain()
    assert smtp.messages == []
    client.post(f"/settings/campaigns/{campaign.id}/resume", htmx=True)
    smtp.wait_for(8, timeout=30)
    wait_until(
        lambda: (
            db.session.get(Campaign, campaign.id).status == "sent"
            or "0 to go" in _progress(client, campaign.id)
        ),
        20,
    )
    time.sleep(1.5)  # a retry due in a second would send a copy
    worker.drain()
    counts = Counter(m["To"].addresses[0].addr_spec for m in smtp.messages)
    assert counts == Counter(p.email for p in people)  # everyone, exactly once


def test_campaign_form_validation(client, auth, admin):
    sender, template = make_sender(), make_template()
    pending = make_sender(verified=False)
    auth.login(admin)
    cases = [
        {"name": "", "template_id": template.id, "sender_id": sender.id, "audience_type": "tag"},
        {
            "name": "x",
            "template_id": template.id,
            "sender_id": pending.id,
            "audience_type": "contacts",
            "contact_ids": [],
        },
        {"name": "x", "template_id": template.id, "sender_id": sender.id, "audience_type": "tag"},
        {"name": "x", "template_id": template.id, "sender_id": sender.id, "audience_type": "contacts"},
        {"name": "x", "template_id": 999, "sender_id": sender.id, "audience_type": "stage", "stage_id": 1},
    ]
    for data in cases:
        assert client.post("/settings/campaigns/new", data=data, htmx=True).status_code == 422, data
    assert db.session.scalar(select(func.count(Campaign.id))) == 0


def test_schedule_in_the_future(client, auth, admin):
    people = _tagged(1)
    auth.login(admin)
    campaign = _create(
        client, make_sender(), make_template(), audience_type="tag", tag_id=people[0].tags[0].id
    )
    response = client.post(
        f"/settings/campaigns/{campaign.id}/start", data={"send_at": "2099-01-01T09:30"}, htmx=True
    )
    assert "Campaign scheduled." in response.headers["HX-Trigger"]
    campaign = db.session.get(Campaign, campaign.id)
    assert campaign.status == "scheduled" and campaign.scheduled_at.year == 2099
    assert campaign.scheduled_at.hour == 8  # 09:30 in Europe/Paris (winter) is 08:30 UTC
    bad = client.post(f"/settings/campaigns/{campaign.id}/start", data={"send_at": "soon"}, htmx=True)
    assert bad.status_code == 422
