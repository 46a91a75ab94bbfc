"""Board cards say what to do next: next-action status, days in stage and idle flag, expected
close, tag chips, urgency sort, weighted totals, the funnel refreshed out of band, Undo."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from crm import cache
from crm.board.status import days_in_stage, is_idle, next_action_status, tag_colors
from crm.extensions import db
from crm.models import Action, Opportunity, Tag
from crm.models.base import utcnow
from crm.services.actions import today_for
from tests.factories import make_account, make_action, make_opportunity, make_pipeline, make_user
from tests.test_board import card_ids, count_queries

TODAY = date(2026, 12, 3)


@pytest.mark.parametrize(
    ("next_due", "status"),
    [
        (None, "none"),
        (TODAY - timedelta(days=1), "overdue"),
        (TODAY, "today"),
        (TODAY + timedelta(days=1), "later"),
    ],
)
def test_next_action_status(next_due, status):
    assert next_action_status(next_due, TODAY) == status


def test_days_in_stage_and_idle():
    assert days_in_stage(datetime(2026, 11, 23, 23, 59), TODAY) == 10
    assert days_in_stage(datetime(2026, 12, 3, 8, 0), TODAY) == 0
    assert days_in_stage(datetime(2026, 12, 5), TODAY) == 0  # never negative
    assert is_idle(10, 7) and not is_idle(7, 7) and not is_idle(400, None)


def test_tag_colours_keep_text_readable():
    assert tag_colors("#facc15") == ("#facc15", "#111827")  # yellow: dark text
    assert tag_colors("#B42318") == ("#b42318", "#ffffff")  # dark red: white text
    assert tag_colors("red;background:url(x)") == ("#64748b", "#ffffff")  # nothing else gets in


@pytest.fixture
def pipeline():
    return make_pipeline("Sales", ["New", "Qualified", "Proposal"])


def _opps_with_actions(rep, stage):  # type: ignore[no-untyped-def]
    """One opportunity per status, created so that the newest is the one with nothing planned."""
    today = today_for(rep)
    later = make_opportunity(stage, name="Later deal", owner=rep)
    make_action(rep, opportunity=later, due_date=today + timedelta(days=4))
    overdue = make_opportunity(stage, name="Overdue deal", owner=rep)
    make_action(rep, opportunity=overdue, due_date=today - timedelta(days=2))
    make_action(rep, opportunity=overdue, due_date=today + timedelta(days=9))  # the earliest counts
    due = make_opportunity(stage, name="Today deal", owner=rep)
    make_action(rep, opportunity=due, due_date=today)
    done = make_action(rep, opportunity=make_opportunity(stage, name="Closed action deal"))
    done.closed_at = utcnow()
    none = make_opportunity(stage, name="Nothing deal", owner=rep)
    db.session.commit()
    return {"later": later, "overdue": overdue, "today": due, "closed": done.opportunity, "none": none}


def _status_of(html: str, opp_id: int) -> str:
    return re.search(rf'id="opp-{opp_id}"[^>]*data-status="(\w+)"', html).group(1)


def test_cards_show_their_next_action_status(client, auth, rep, pipeline):
    opps = _opps_with_actions(rep, pipeline.stages[0])
    auth.login(rep)
    html = client.get(f"/boards/{pipeline.id}").get_data(as_text=True)
    for status in ("later", "overdue", "today", "none"):
        assert _status_of(html, opps[status].id) == status
    assert _status_of(html, opps["closed"].id) == "none"  # a closed action plans nothing
    assert 'title="Next action overdue"' in html and 'aria-label="No next action planned"' in html


def test_closing_an_action_refreshes_the_cached_board(client, auth, rep, pipeline):
    opps = _opps_with_actions(rep, pipeline.stages[0])
    auth.login(rep)
    assert (
        _status_of(client.get(f"/boards/{pipeline.id}").get_data(as_text=True), opps["today"].id) == "today"
    )
    for action in db.session.scalars(select(Action).where(Action.opportunity_id == opps["today"].id)):
        action.closed_at = utcnow()
    db.session.commit()
    assert _status_of(client.get(f"/boards/{pipeline.id}").get_data(as_text=True), opps["today"].id) == "none"


def test_urgency_sort_orders_each_column_and_manual_stays_the_default(client, auth, rep, pipeline):
    opps = _opps_with_actions(rep, pipeline.stages[0])
    stage_id = pipeline.stages[0].id
    auth.login(rep)
    manual = card_ids(client.get(f"/boards/{pipeline.id}").get_data(as_text=True), stage_id)
    newest_first = sorted((o.id for o in opps.values()), reverse=True)
    assert manual == newest_first
    html = client.get(f"/boards/{pipeline.id}?sort=urgency").get_data(as_text=True)
    urgent = card_ids(html, stage_id)
    assert urgent[:3] == [opps["overdue"].id, opps["today"].id, opps["later"].id]
    assert sorted(urgent[3:]) == sorted([opps["none"].id, opps["closed"].id])
    assert 'class="on" title="Overdue first' in html  # the control says which order is on
    assert "sort=urgency" in html.split('id="board-region"', 1)[1].split(">", 1)[0]  # refresh keeps it
    # Show more keeps the order too.
    more = client.get(f"/boards/{pipeline.id}/stages/{stage_id}/cards?offset=1&sort=urgency", htmx=True)
    assert [int(i) for i in re.findall(r'id="opp-(\d+)"', more.get_data(as_text=True))] == urgent[1:]
    assert (
        card_ids(client.get(f"/boards/{pipeline.id}?sort=bogus").get_data(as_text=True), stage_id) == manual
    )


def test_days_in_stage_idle_flag_expected_close_and_tag_chips(client, auth, rep, pipeline):
    new = pipeline.stages[0]
    new.idle_days = 5
    old = make_opportunity(new, name="Old one", expected_close=date(2027, 1, 15), tags=["Hot"])
    old.stage_entered_at = utcnow() - timedelta(days=9)
    fresh = make_opportunity(new, name="Fresh one")
    fresh.stage_entered_at = utcnow() - timedelta(days=2)
    db.session.scalars(select(Tag).where(Tag.name == "Hot")).one().color = "#facc15"
    db.session.commit()
    auth.login(rep)
    html = client.get(f"/boards/{pipeline.id}").get_data(as_text=True)
    old_card = html.split(f'id="opp-{old.id}"', 1)[1].split("</article>", 1)[0]
    fresh_card = html.split(f'id="opp-{fresh.id}"', 1)[1].split("</article>", 1)[0]
    assert "9 d in stage" in old_card and "Idle: more than 5 days in this stage" in old_card
    assert "15 Jan" in old_card
    assert '<span class="tag chip" style="background:#facc15;color:#111827">Hot</span>' in old_card
    assert "2 d in stage" in fresh_card and "Idle" not in fresh_card


def test_weighted_totals_beside_the_plain_total(client, auth, rep, pipeline):
    new, qualified, _ = pipeline.stages
    new.probability = 25
    db.session.commit()
    make_opportunity(new, amount=1000)
    make_opportunity(new, amount=3000)
    make_opportunity(qualified, amount=500)
    auth.login(rep)
    html = client.get(f"/boards/{pipeline.id}").get_data(as_text=True)
    head = html.split(f'id="col-head-{new.id}"', 1)[1].split("</div>", 1)[0]
    assert "€4,000" in head and "Weighted <strong>€1,000</strong>" in head and "25&nbsp;%" in head
    head_q = html.split(f'id="col-head-{qualified.id}"', 1)[1].split("</div>", 1)[0]
    assert "€500" in head_q and "Weighted" not in head_q  # no probability, no weighted total


def test_board_query_count_stays_constant_with_actions_and_urgency(client, auth, rep, pipeline):
    auth.login(rep)
    stages = pipeline.stages
    today = today_for(rep)

    def add(n: int) -> None:
        for i in range(n):
            opp = make_opportunity(stages[i % 3], tags=["VIP"], account=make_account(), owner=make_user())
            make_action(rep, opportunity=opp, due_date=today + timedelta(days=i % 5 - 2))

    add(3)
    for sort in ("", "?sort=urgency"):
        cache.clear()
        with count_queries() as few:
            assert client.get(f"/boards/{pipeline.id}{sort}").status_code == 200
        add(40)
        cache.clear()
        with count_queries() as many:
            assert client.get(f"/boards/{pipeline.id}{sort}").status_code == 200
        assert len(many) == len(few) <= 14, many


def test_move_refreshes_the_funnel_and_offers_undo(client, auth, rep, pipeline):
    new, qualified, proposal = pipeline.stages
    opp = make_opportunity(new, amount=1200, owner=rep)
    make_opportunity(qualified, amount=99, owner=make_user())  # filtered out by "mine"
    entered = utcnow() - timedelta(days=6)
    opp.stage_entered_at = entered
    db.session.commit()
    auth.login(rep)
    response = client.post(
        f"/opportunities/{opp.id}/move",
        data={"stage_id": qualified.id, "from_stage_id": new.id, "mine": "1"},
        htmx=True,
    )
    body = response.get_data(as_text=True)
    assert 'id="board-funnel" aria-label="Open opportunities and amount per stage" hx-swap-oob="true"' in body
    funnel = body.split('id="board-funnel"', 1)[1]
    assert re.search(rf'data-funnel-stage="{qualified.id}".*?1 · €1,200', funnel, re.S)
    note = json.loads(response.headers["HX-Trigger"])["toast"]
    undo = note["action"]
    assert undo["label"] == "Undo" and undo["url"] == f"/opportunities/{opp.id}/move"
    assert undo["values"]["stage_id"] == new.id and undo["values"]["from_stage_id"] == qualified.id
    assert undo["values"]["mine"] == "1"  # the board's filters come along

    # A forged or misused token changes nothing.
    forged = {**undo["values"], "undo": undo["values"]["undo"][:-3] + "xyz"}
    elsewhere = {**undo["values"], "stage_id": proposal.id}  # a token for New only
    for bad in (forged, elsewhere):
        refused = client.post(undo["url"], data=bad, htmx=True)
        assert refused.status_code == 422
        assert "can no longer be undone" in json.loads(refused.headers["HX-Trigger"])["toast"]["message"]
        assert db.session.get(Opportunity, opp.id).stage_id == qualified.id

    back = client.post(undo["url"], data=undo["values"], htmx=True)
    assert back.status_code == 200
    trigger = json.loads(back.headers["HX-Trigger"])
    assert trigger["toast"]["message"] == "Moved back to New." and trigger["boardChanged"]
    assert "action" not in trigger["toast"]
    db.session.expire_all()
    moved_back = db.session.get(Opportunity, opp.id)
    assert moved_back.stage_id == new.id and moved_back.stage_entered_at == entered.replace(tzinfo=None)
    # Undone once: the same token cannot move it again (it is no longer in Qualified).
    again = client.post(undo["url"], data=undo["values"], htmx=True)
    assert again.status_code == 409 and db.session.get(Opportunity, opp.id).stage_id == new.id


def test_undo_needs_csrf_and_a_visible_opportunity(client, auth, rep, admin, pipeline):
    new, qualified, _ = pipeline.stages
    opp = make_opportunity(new)
    auth.login(rep)
    response = client.post(
        f"/opportunities/{opp.id}/move", data={"stage_id": qualified.id, "from_stage_id": new.id}, htmx=True
    )
    values = json.loads(response.headers["HX-Trigger"])["toast"]["action"]["values"]
    assert client.post(f"/opportunities/{opp.id}/move", data=values, htmx=True, csrf=False).status_code == 400
    pipeline.restricted = True  # now hidden from the rep
    db.session.commit()
    assert client.post(f"/opportunities/{opp.id}/move", data=values, htmx=True).status_code == 404
    assert db.session.get(Opportunity, opp.id).stage_id == qualified.id


def test_quick_create_with_an_account_refreshes_heads_and_funnel(client, auth, rep, pipeline):
    new = pipeline.stages[0]
    account = make_account(name="Globex")
    auth.login(rep)
    form = client.get(f"/opportunities/new?stage_id={new.id}", htmx=True).get_data(as_text=True)
    assert 'name="account_id"' in form and "Globex" in form
    response = client.post(
        "/opportunities/new",
        data={"name": "Globex pilot", "amount": "900", "stage_id": new.id, "account_id": account.id},
        htmx=True,
    )
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Globex pilot" in body and "Globex" in body
    assert re.search(rf'data-funnel-stage="{new.id}".*?1 · €900', body, re.S)
    assert f'id="col-head-{new.id}" hx-swap-oob="true"' in body
    opp = db.session.scalars(select(Opportunity).where(Opportunity.name == "Globex pilot")).one()
    assert opp.account_id == account.id
    # The account stays optional; an unknown one is refused with the field's message.
    assert (
        client.post(
            "/opportunities/new", data={"name": "No account", "stage_id": new.id}, htmx=True
        ).status_code
        == 200
    )
    bad = client.post(
        "/opportunities/new", data={"name": "Bad", "stage_id": new.id, "account_id": "999999"}, htmx=True
    )
    assert bad.status_code == 422
    assert not db.session.scalars(select(Opportunity).where(Opportunity.name == "Bad")).all()
