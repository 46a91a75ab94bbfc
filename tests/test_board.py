"""The opportunity board: columns, totals, filters, moves, results, inline create, query count."""

from __future__ import annotations

import json
import re
from contextlib import contextmanager
from decimal import Decimal

import pytest
from sqlalchemy import event, func, select

from crm import cache
from crm.extensions import db
from crm.models import DomainEvent, FeedEntry, Opportunity
from crm.services.opportunities import set_result, set_tags
from tests.factories import make_account, make_opportunity, make_pipeline, make_user


@contextmanager
def count_queries():
    statements: list[str] = []

    def record(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def card_ids(html: str, stage_id: int) -> list[int]:
    """Ids of the cards rendered in one column."""
    column = html.split(f'data-stage-id="{stage_id}"', 1)[1].split('<section class="column"', 1)[0]
    return [int(i) for i in re.findall(r'<article class="card"[^>]*id="opp-(\d+)"', column)]


@pytest.fixture
def pipeline():
    return make_pipeline("Sales", ["New", "Qualified", "Proposal"])


def test_columns_show_counts_totals_and_cards(client, auth, rep, pipeline):
    new, qualified, _ = pipeline.stages
    account = make_account(name="Acme Rockets")
    make_opportunity(new, name="Rocket fuel", amount=1500, account=account, owner=rep)
    make_opportunity(new, name="Launch pad", amount=2500)
    make_opportunity(qualified, name="Telemetry", amount=700)
    lost = make_opportunity(qualified, name="Old deal", amount=9000)
    set_result(lost, "lost", actor=None)
    auth.login(rep)
    html = client.get(f"/boards/{pipeline.id}").get_data(as_text=True)
    head = html.split(f'id="col-head-{new.id}"', 1)[1].split("</div>", 1)[0]
    assert '<span class="badge" title="Open opportunities">2</span>' in head
    assert "€4,000" in head
    head_q = html.split(f'id="col-head-{qualified.id}"', 1)[1].split("</div>", 1)[0]
    assert ">1</span>" in head_q and "€700" in head_q
    assert "Rocket fuel" in html and "Acme Rockets" in html and rep.initials in html
    assert "Old deal" not in html  # closed ones leave the open columns


def test_columns_show_the_first_page_then_more(client, auth, rep, pipeline, app):
    new = pipeline.stages[0]
    size = app.config["BOARD_PAGE_SIZE"]
    opps = [make_opportunity(new, amount=10) for _ in range(size + 3)]
    auth.login(rep)
    html = client.get(f"/boards/{pipeline.id}").get_data(as_text=True)
    shown = card_ids(html, new.id)
    assert len(shown) == size
    assert f">{size + 3}</span>" in html  # the count covers all of them
    assert "€" + f"{(size + 3) * 10:,}" in html
    more = client.get(f"/boards/{pipeline.id}/stages/{new.id}/cards?offset={size}", htmx=True)
    rest = [int(i) for i in re.findall(r'id="opp-(\d+)"', more.get_data(as_text=True))]
    assert sorted(shown + rest) == sorted(o.id for o in opps)
    assert "Show more" not in more.get_data(as_text=True)


def test_board_query_count_does_not_grow_with_cards(client, auth, rep, pipeline):
    auth.login(rep)
    stages = pipeline.stages
    for i in range(3):
        make_opportunity(stages[i % 3], tags=["VIP"], account=make_account(), owner=rep)
    cache.clear()  # both renders cold: every fragment built from the database
    with count_queries() as few:
        assert client.get(f"/boards/{pipeline.id}").status_code == 200
    for i in range(60):
        make_opportunity(stages[i % 3], tags=["VIP", f"T{i}"], account=make_account(), owner=make_user())
    cache.clear()
    with count_queries() as many:
        assert client.get(f"/boards/{pipeline.id}").status_code == 200
    assert len(many) == len(few), many
    assert len(many) <= 14  # the page itself plus the navigation badges (agenda, notifications)


def test_filter_mine_and_by_tag(client, auth, rep, pipeline):
    new = pipeline.stages[0]
    mine = make_opportunity(new, name="Mine tagged", owner=rep, tags=["VIP"])
    make_opportunity(new, name="Theirs tagged", owner=make_user(), tags=["VIP"])
    make_opportunity(new, name="Mine plain", owner=rep)
    auth.login(rep)
    html = client.get(f"/boards/{pipeline.id}?mine=1").get_data(as_text=True)
    assert "Mine tagged" in html and "Mine plain" in html and "Theirs tagged" not in html
    tag_id = mine.tags[0].id
    html = client.get(f"/boards/{pipeline.id}?mine=1&tag={tag_id}", htmx=True).get_data(as_text=True)
    assert "Mine tagged" in html and "Mine plain" not in html and "Theirs tagged" not in html
    assert "<html" not in html  # HTMX gets the board region only


def test_move_saves_updates_totals_and_records_feed_and_event(client, auth, rep, pipeline):
    new, qualified, _ = pipeline.stages
    opp = make_opportunity(new, amount=1200)
    auth.login(rep)
    response = client.post(
        f"/opportunities/{opp.id}/move", data={"stage_id": qualified.id, "from_stage_id": new.id}, htmx=True
    )
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert f'id="col-head-{qualified.id}" hx-swap-oob="true"' in body
    assert json.loads(response.headers["HX-Trigger"])["toast"]["message"] == "Moved to Qualified."
    assert db.session.get(Opportunity, opp.id).stage_id == qualified.id
    entry = db.session.scalars(select(FeedEntry).where(FeedEntry.kind == "stage_changed")).one()
    assert entry.data == {"from_stage": "New", "to_stage": "Qualified"} and entry.actor_id == rep.id
    ev = db.session.scalars(select(DomainEvent).where(DomainEvent.kind == "stage_changed")).one()
    assert ev.opportunity_id == opp.id and ev.payload == {
        "from_stage_id": new.id,
        "to_stage_id": qualified.id,
    }
    assert ev.depth == 0 and ev.actor_id == rep.id


def _refused(client, opp, data, status, message):  # type: ignore[no-untyped-def]
    before = (
        db.session.get(Opportunity, opp.id).stage_id,
        db.session.scalar(select(func.count(FeedEntry.id))),
    )
    response = client.post(f"/opportunities/{opp.id}/move", data=data, htmx=True)
    assert response.status_code == status
    assert message in json.loads(response.headers["HX-Trigger"])["toast"]["message"]
    after = (
        db.session.get(Opportunity, opp.id).stage_id,
        db.session.scalar(select(func.count(FeedEntry.id))),
    )
    assert after == before


def test_refused_moves_change_nothing(client, auth, rep, pipeline):
    new, qualified, proposal = pipeline.stages
    other = make_pipeline("Other", ["A", "B"])
    opp = make_opportunity(new)
    auth.login(rep)
    _refused(client, opp, {"stage_id": other.stages[0].id}, 422, "belongs to another pipeline")
    _refused(
        client, opp, {"stage_id": proposal.id, "from_stage_id": qualified.id}, 409, "moved this opportunity"
    )
    _refused(client, opp, {"stage_id": "abc"}, 422, "Choose a stage")
    set_result(opp, "won", actor=None)
    _refused(client, opp, {"stage_id": qualified.id, "from_stage_id": new.id}, 409, "closed opportunity")


def test_mark_won_with_reason_then_list_and_reopen(client, auth, rep, pipeline):
    opp = make_opportunity(pipeline.stages[1], name="Big win")
    auth.login(rep)
    dialog = client.get(f"/opportunities/{opp.id}/result?result=won", htmx=True).get_data(as_text=True)
    assert "<dialog" in dialog and "Mark “Big win” as won" in dialog
    response = client.post(
        f"/opportunities/{opp.id}/result", data={"result": "won", "reason": "Best price"}, htmx=True
    )
    assert response.status_code == 200
    trigger = json.loads(response.headers["HX-Trigger"])
    assert trigger["boardChanged"] and trigger["toast"]["message"] == "Marked as won."
    opp = db.session.get(Opportunity, opp.id)
    assert opp.result == "won" and opp.result_reason == "Best price" and opp.closed_at
    assert "Big win" not in client.get(f"/boards/{pipeline.id}").get_data(as_text=True)
    closed = client.get(f"/boards/{pipeline.id}/closed?result=won").get_data(as_text=True)
    assert "Big win" in closed and "Best price" in closed
    assert "Big win" not in client.get(f"/boards/{pipeline.id}/closed?result=lost").get_data(as_text=True)
    client.post(f"/opportunities/{opp.id}/result", data={"result": "open"}, htmx=True)
    assert db.session.get(Opportunity, opp.id).result == "open"
    assert "Big win" in client.get(f"/boards/{pipeline.id}").get_data(as_text=True)
    kinds = [
        e.payload["to"]
        for e in db.session.scalars(
            select(DomainEvent).where(DomainEvent.kind == "result_changed").order_by(DomainEvent.id)
        )
    ]
    assert kinds == ["won", "open"]


@pytest.mark.parametrize("result", ["lost", "dormant"])
def test_mark_lost_or_dormant(client, auth, rep, pipeline, result):
    opp = make_opportunity(pipeline.stages[0])
    auth.login(rep)
    client.post(f"/opportunities/{opp.id}/result", data={"result": result}, htmx=True)
    assert db.session.get(Opportunity, opp.id).result == result


def test_bad_result_is_refused(client, auth, rep, pipeline):
    opp = make_opportunity(pipeline.stages[0])
    auth.login(rep)
    response = client.post(f"/opportunities/{opp.id}/result", data={"result": "maybe"}, htmx=True)
    assert response.status_code == 422
    assert "Not a valid choice" in response.get_data(as_text=True)
    assert db.session.get(Opportunity, opp.id).result == "open"


def test_create_inline_valid_and_invalid(client, auth, rep, pipeline):
    qualified = pipeline.stages[1]
    auth.login(rep)
    form = client.get(f"/opportunities/new?stage_id={qualified.id}", htmx=True).get_data(as_text=True)
    assert "New opportunity in Qualified" in form
    bad = client.post(
        "/opportunities/new", data={"stage_id": qualified.id, "name": "", "amount": "-5"}, htmx=True
    )
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert "This field is required." in text and "Enter an amount between" in text
    assert db.session.scalar(select(func.count(Opportunity.id))) == 0
    good = client.post(
        "/opportunities/new",
        data={"stage_id": qualified.id, "name": "Fresh deal", "amount": "1234.5", "owner_id": rep.id},
        htmx=True,
    )
    assert good.status_code == 200
    opp = db.session.scalars(select(Opportunity)).one()
    assert (opp.name, opp.amount, opp.stage_id, opp.owner_id) == (
        "Fresh deal",
        Decimal("1234.50"),
        qualified.id,
        rep.id,
    )
    assert f'id="opp-{opp.id}"' in good.get_data(as_text=True)
    assert f'id="col-head-{qualified.id}" hx-swap-oob="true"' in good.get_data(as_text=True)
    assert db.session.scalars(select(DomainEvent.kind)).all() == [
        "opportunity_created"
    ]  # no tags: no tag_added


def test_tags_change_emits_tag_added(client, auth, rep, pipeline):
    opp = make_opportunity(pipeline.stages[0], tags=["Old"])
    set_tags(opp, ["Old", "New one"], actor=rep)
    events = db.session.scalars(
        select(DomainEvent).where(DomainEvent.kind == "tag_added").order_by(DomainEvent.id)
    ).all()
    assert [e.payload["tag"] for e in events] == ["Old", "New one"]
