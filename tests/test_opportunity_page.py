"""The opportunity page: fields edited inline, tags, the feed."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from crm.extensions import db
from crm.models import DomainEvent, FeedEntry, Opportunity
from tests.factories import make_account, make_contact, make_opportunity, make_pipeline


def test_page_shows_fields_stages_and_feed_newest_first(client, auth, rep):
    pipeline = make_pipeline("Sales", ["New", "Qualified", "R2"])
    opp = make_opportunity(pipeline.stages[0], name="Roof repair", actor=rep)
    auth.login(rep)
    client.post(f"/opportunities/{opp.id}/move", data={"stage_id": pipeline.stages[2].id}, htmx=True)
    page = client.get(f"/opportunities/{opp.id}").get_data(as_text=True)
    assert "Roof repair" in page
    feed = page.split('id="opp-feed"', 1)[1]
    moved = feed.index("moved it from New to R2")
    created = feed.index("created the opportunity in New")
    assert moved < created  # newest first
    assert rep.name in feed


def test_edit_inline_saves_and_records_what_changed(client, auth, rep):
    pipeline = make_pipeline()
    account = make_account(name="Initech")
    contact = make_contact(account)
    opp = make_opportunity(pipeline.stages[0], name="TPS reports", amount=100)
    auth.login(rep)
    form = client.get(f"/opportunities/{opp.id}/edit", htmx=True).get_data(as_text=True)
    assert 'id="opp-fields"' in form and "<html" not in form
    response = client.post(
        f"/opportunities/{opp.id}/edit",
        data={
            "name": "TPS reports v2",
            "amount": "2500",
            "contact_id": contact.id,
            "owner_id": rep.id,
            "expected_close": "2027-01-31",
            "tags": "VIP, Q1",
        },
        htmx=True,
    )
    assert response.status_code == 200
    assert json.loads(response.headers["HX-Trigger"])["opportunityChanged"] == opp.id
    opp = db.session.get(Opportunity, opp.id)
    assert (opp.name, opp.amount, opp.contact_id, opp.account_id) == (
        "TPS reports v2",
        Decimal("2500.00"),
        contact.id,
        account.id,
    )
    assert opp.expected_close == date(2027, 1, 31) and sorted(t.name for t in opp.tags) == ["Q1", "VIP"]
    kinds = db.session.scalars(select(FeedEntry.kind).order_by(FeedEntry.id)).all()
    assert kinds == ["created", "fields_changed", "tags_changed"]
    changed = db.session.scalars(select(FeedEntry).where(FeedEntry.kind == "fields_changed")).one()
    assert (
        changed.data["changes"]["amount"] == ["1000.00", "2500.00"]
        or changed.data["changes"]["amount"][1] == "2500"
    )
    events = db.session.scalars(select(DomainEvent.kind).order_by(DomainEvent.id)).all()
    assert events == ["opportunity_created", "opportunity_updated", "tag_added", "tag_added"]


def test_edit_with_unchanged_tags_is_saved(client, auth, rep):
    """ "Saved." means committed: a new name with the same tags used to be answered "Saved." and lost."""
    opp = make_opportunity(make_pipeline().stages[0], name="Old name", amount=100, tags=["VIP"])
    auth.login(rep)
    for htmx, name in ((True, "New name"), (False, "Newer name")):
        response = client.post(
            f"/opportunities/{opp.id}/edit",
            data={"name": name, "amount": "100", "owner_id": rep.id, "tags": "VIP"},
            htmx=htmx,
        )
        assert response.status_code in (200, 302), response.status_code
        db.session.rollback()  # forget anything not committed by the request
        assert db.session.get(Opportunity, opp.id).name == name
        assert name in client.get(f"/opportunities/{opp.id}").get_data(as_text=True)


def test_invalid_edit_changes_nothing(client, auth, rep):
    pipeline = make_pipeline()
    opp = make_opportunity(pipeline.stages[0], name="Keep me", amount=100)
    auth.login(rep)
    for bad in (
        {"name": ""},
        {"amount": "lots"},
        {"amount": "-1"},
        {"expected_close": "31/31/2027"},
        {"contact_id": "999"},
    ):
        response = client.post(f"/opportunities/{opp.id}/edit", data={"name": "Keep me", **bad}, htmx=True)
        assert response.status_code == 422, bad
    opp = db.session.get(Opportunity, opp.id)
    assert (opp.name, opp.amount) == ("Keep me", Decimal("100.00"))
    assert db.session.scalars(select(FeedEntry.kind)).all() == ["created"]


def test_page_regions_render_alone_for_htmx(client, auth, rep):
    opp = make_opportunity(make_pipeline().stages[0])
    auth.login(rep)
    for block in ("header", "fields", "feed"):
        body = client.get(f"/opportunities/{opp.id}?block={block}", htmx=True).get_data(as_text=True)
        assert f'id="opp-{block}"' in body and "<html" not in body
    assert "<html" in client.get(f"/opportunities/{opp.id}?block=nope", htmx=True).get_data(as_text=True)


def test_moving_from_the_page_without_javascript(client, auth, rep):
    pipeline = make_pipeline()
    opp = make_opportunity(pipeline.stages[0])
    auth.login(rep)
    response = client.post(f"/opportunities/{opp.id}/move", data={"stage_id": pipeline.stages[3].id})
    assert response.status_code == 302 and response.location == f"/opportunities/{opp.id}"
    assert db.session.get(Opportunity, opp.id).stage_id == pipeline.stages[3].id
