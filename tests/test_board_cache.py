"""The board's cached part never shows data older than the last commit, from any process."""

from __future__ import annotations

from sqlalchemy import event, update

from crm.extensions import db
from crm.models import Account, Opportunity, User
from crm.services.opportunities import move_opportunity, set_tags
from tests.factories import make_account, make_opportunity, make_pipeline, make_trigger, make_user
from tests.services import wait_until


def _board(client, pipeline) -> str:  # type: ignore[no-untyped-def]
    response = client.get(f"/boards/{pipeline.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _selects_of_cards(client, pipeline) -> int:  # type: ignore[no-untyped-def]
    statements: list[str] = []

    def record(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        _board(client, pipeline)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return sum("FROM opportunities" in s for s in statements)


def test_an_unchanged_board_is_served_from_the_cache(client, auth, rep):
    pipeline = make_pipeline("Sales", ["New", "Won over"])
    make_opportunity(pipeline.stages[0], name="Big deal")
    auth.login(rep)
    assert _selects_of_cards(client, pipeline) > 0
    assert _selects_of_cards(client, pipeline) == 0  # nothing changed: no card query at all
    move_opportunity(db.session.get(Opportunity, 1), pipeline.stages[1], actor=None)
    assert _selects_of_cards(client, pipeline) > 0


def test_every_kind_of_change_shows_at_once(client, auth, rep):
    pipeline = make_pipeline("Sales", ["New", "Won over"])
    account = make_account(name="Acme")
    owner = make_user(name="Olga Owner")
    opp = make_opportunity(pipeline.stages[0], name="Big deal", account=account, owner=owner)
    auth.login(rep)
    html = _board(client, pipeline)
    assert "Acme" in html and "Big deal" in html and ">OO<" in html

    db.session.get(Account, account.id).name = "Acme Renamed"
    db.session.commit()
    assert "Acme Renamed" in _board(client, pipeline)

    db.session.execute(update(User).where(User.id == owner.id).values(name="Zoe Zimmer"))
    db.session.commit()
    assert ">ZZ<" in _board(client, pipeline)

    set_tags(db.session.get(Opportunity, opp.id), ["Hot lead"], actor=None)
    assert ">Hot lead</span>" in _board(client, pipeline)

    move_opportunity(db.session.get(Opportunity, opp.id), pipeline.stages[1], actor=None)
    html = _board(client, pipeline)
    column = html.split(f'data-stage-id="{pipeline.stages[1].id}"', 1)[1]
    assert f'id="opp-{opp.id}"' in column


def test_a_change_made_by_the_worker_shows_on_the_next_board(client, auth, rep, worker):
    pipeline = make_pipeline("Sales", ["New", "Won over"])
    make_trigger(
        pipeline, "enter_stage", {"stage_id": pipeline.stages[1].id}, [("add_tag", {"tag": "Closing"})]
    )
    opp = make_opportunity(pipeline.stages[0], name="Big deal")
    auth.login(rep)
    assert ">Closing</span>" not in _board(client, pipeline)  # cached now
    move_opportunity(db.session.get(Opportunity, opp.id), pipeline.stages[1], actor=None)
    # On the card (the tag filter's list outside the cached part would show it anyway).
    wait_until(lambda: ">Closing</span>" in _board(client, pipeline), 20, message="the tag on the card")


def test_each_language_gets_its_own_board(client, auth):
    pipeline = make_pipeline("Sales", ["New"])
    make_opportunity(pipeline.stages[0], name="Big deal")
    english, french = make_user(locale="en"), make_user(locale="fr")
    auth.login(english)
    assert "Funnel" in _board(client, pipeline)
    auth.logout()
    auth.login(french)
    html = _board(client, pipeline)
    assert "Entonnoir" in html and "Funnel" not in html
