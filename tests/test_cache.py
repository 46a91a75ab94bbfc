"""Cached fragments (the board, the navigation badges, the pipelines a user sees) never show data
older than the last commit, from any process, and never what belongs to someone else."""

from __future__ import annotations

from sqlalchemy import event, update

from crm.extensions import db
from crm.models import Account, Opportunity, User
from crm.services.actions import close_action
from crm.services.notes import post_note
from crm.services.opportunities import move_opportunity, set_tags
from crm.services.pipelines import create_pipeline, set_access
from tests.conftest import PASSWORD
from tests.factories import (
    make_account,
    make_action,
    make_opportunity,
    make_pipeline,
    make_trigger,
    make_user,
)
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


def test_an_unchanged_board_sends_no_query_at_all(client, auth, rep):
    pipeline = make_pipeline("Sales", ["New", "Won over"])
    make_opportunity(pipeline.stages[0], name="Big deal")
    auth.login(rep)
    url = f"/boards/{pipeline.id}"
    client.get(url)
    statements: list[str] = []

    def record(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        html = client.get(url).get_data(as_text=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert "Big deal" in html and statements == []  # the user, the badges, the board: all cached


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


def test_the_navigation_badges_follow_actions_and_notifications(client, auth, rep):
    pipeline = make_pipeline("Sales", ["New"])
    opp = make_opportunity(pipeline.stages[0], name="Big deal")
    auth.login(rep)
    html = _board(client, pipeline)
    assert "overdue or due today" not in html and "unread notification" not in html
    action = make_action(rep, title="Call back")
    assert 'title="1 action overdue or due today"' in _board(client, pipeline)
    post_note(opp, "@" + rep.email.split("@")[0] + " look", actor=make_user(name="Nora Note"))
    assert 'aria-label="1 unread notification"' in _board(client, pipeline)
    close_action(db.session.get(type(action), action.id), actor=rep)
    html = _board(client, pipeline)
    assert "overdue or due today" not in html and 'aria-label="1 unread notification"' in html
    make_action(make_user(), title="Someone else's")  # another rep's action is not ours
    assert "overdue or due today" not in _board(client, pipeline)


def test_restricting_a_pipeline_hides_it_from_the_next_page(client, auth, rep):
    sales = make_pipeline("Sales", ["New"])
    secret = make_pipeline("Key accounts", ["New"])
    auth.login(rep)
    assert ">Key accounts</a>" in _board(client, sales)
    set_access(secret, restricted=True, members=[])
    assert ">Key accounts</a>" not in _board(client, sales)
    assert client.get(f"/boards/{secret.id}").status_code == 404
    set_access(secret, restricted=True, members=[db.session.get(User, rep.id)])
    assert ">Key accounts</a>" in _board(client, sales)
    assert client.get(f"/boards/{secret.id}").status_code == 200


def test_what_is_cached_for_one_user_is_not_shown_to_another(client, auth, admin):
    pipeline = make_pipeline("Sales", ["New"])
    ann, bob = make_user(name="Ann Rep"), make_user(name="Bob Rep")
    make_opportunity(pipeline.stages[0], name="Ann's deal", owner=ann)
    make_opportunity(pipeline.stages[0], name="Bob's deal", owner=bob)
    empty = create_pipeline("Empty", [])
    auth.login(ann)
    mine = client.get(f"/boards/{pipeline.id}?mine=1").get_data(as_text=True)
    assert "Ann&#39;s deal" in mine and "Bob&#39;s deal" not in mine
    assert "Add stages" not in _board(client, empty)
    auth.logout()
    auth.login(bob)
    mine = client.get(f"/boards/{pipeline.id}?mine=1").get_data(as_text=True)
    assert "Bob&#39;s deal" in mine and "Ann&#39;s deal" not in mine
    assert ">Bob Rep<" in mine and ">Ann Rep<" not in mine  # the user box is never cached for another
    auth.logout()
    auth.login(admin)
    assert "Add stages" in _board(client, empty)


def test_a_change_to_the_user_applies_on_their_next_request(client, auth, admin, app):
    other = app.test_client()
    other.post("/login", data={"email": admin.email, "password": PASSWORD})
    assert other.get("/settings/users/").status_code == 200  # their user is cached now
    demoted = make_user(role="admin")
    auth.login(demoted)
    assert client.get("/settings/users/").status_code == 200
    data = {
        "email": demoted.email,
        "name": "Dee Moted",
        "role": "rep",
        "timezone": "Europe/Paris",
        "locale": "",
    }
    data["active"] = "y"
    assert other.post(f"/settings/users/{demoted.id}/edit", data=data).status_code == 302
    assert client.get("/settings/users/").status_code == 403
    assert ">Dee Moted<" in client.get("/agenda/").get_data(as_text=True)


def test_a_user_changed_during_a_request_is_saved(client, auth, rep):
    auth.login(rep)
    assert client.get("/agenda/").status_code == 200  # their user is cached now
    assert client.post("/language", data={"locale": "fr", "next": "/agenda/"}).status_code == 302
    assert db.session.get(User, rep.id).locale == "fr"
    assert "Agenda" in client.get("/agenda/").get_data(as_text=True)
    assert 'lang="fr"' in client.get("/agenda/").get_data(as_text=True)


def test_the_top_bar_is_shared_but_its_token_path_and_section_are_this_pages(client, auth, rep):
    import re

    auth.login(rep)
    agenda = client.get("/agenda/?week=1").get_data(as_text=True)
    assert re.search(r'href="/agenda/" class="active">Agenda', agenda)
    assert 'name="next" value="/agenda/?week=1"' in agenda
    accounts = client.get("/accounts/").get_data(as_text=True)
    assert re.search(r'href="/accounts/" class="active">Accounts', accounts)
    assert 'class="active">Agenda' not in accounts and 'name="next" value="/accounts/?"' in accounts
    token = re.search(r'name="csrf_token" value="([^"]+)"', accounts).group(1)  # type: ignore[union-attr]
    assert "\x00" not in accounts and token == re.search(
        r'name="csrf-token" content="([^"]+)"', accounts
    ).group(1)  # type: ignore[union-attr]
    assert client.post("/logout", data={"csrf_token": token}, csrf=False).status_code == 302
    assert client.get("/accounts/").status_code == 302  # logged out: the token was good


def _versions() -> dict[str, str]:
    from crm import cache

    versions = cache._read_versions()
    assert versions is not None
    return versions


def test_a_version_moves_when_the_outer_transaction_commits_not_at_a_savepoint(app):
    from sqlalchemy.orm import Session

    account = make_account(name="Acme")
    before = _versions()["accounts"]
    with Session(db.engine) as other:  # another request or the worker
        other.get_one(Account, account.id).name = "Acme Two"
        other.flush()
        with other.begin_nested():  # released: still part of the outer transaction
            other.get_one(Account, account.id).name = "Acme Three"
        assert _versions()["accounts"] == before  # nothing committed yet
        nested = other.begin_nested()
        other.add(Account(name="Ghost"))
        other.flush()
        nested.rollback()  # undoes the savepoint only: the outer rename stands
        other.commit()
    assert _versions()["accounts"] != before


def test_failed_logins_leave_the_caches_alone(client, auth, rep, app):
    pipeline = make_pipeline("Sales", ["New"])
    auth.login(rep)
    _board(client, pipeline)
    before = _versions()["users"]
    stranger = app.test_client()
    for _ in range(3):
        assert stranger.post("/login", data={"email": rep.email, "password": "wrong"}).status_code != 302
    assert _versions()["users"] == before  # a login counter is on no page
    db.session.get_one(User, rep.id).name = "Renamed Rep"
    db.session.commit()
    assert _versions()["users"] != before


def test_what_a_session_has_not_committed_is_never_cached(app):
    from crm import cache

    account = make_account(name="Acme")
    builds: list[str] = []

    def build() -> str:
        builds.append(name := db.session.get_one(Account, account.id).name)
        return name

    db.session.get_one(Account, account.id).name = "Not saved"  # flushed by the build's query
    assert cache.cached(("test",), ("accounts",), build) == "Not saved"
    db.session.rollback()
    assert cache.cached(("test",), ("accounts",), build) == "Acme"  # built again: nothing kept
    assert cache.cached(("test",), ("accounts",), build) == "Acme"  # kept this time
    assert builds == ["Not saved", "Acme"]


def test_without_redis_every_page_is_built_fresh(client, auth, rep, redis_server):
    pipeline = make_pipeline("Sales", ["New"])
    account = make_account(name="Acme")
    make_opportunity(pipeline.stages[0], name="Big deal", account=account)
    auth.login(rep)
    assert "Acme" in _board(client, pipeline)  # cached
    redis_server.stop()
    try:
        db.session.get_one(Account, account.id).name = "Acme Renamed"
        db.session.commit()  # its version cannot move: this process forgets its fragments
        assert "Acme Renamed" in _board(client, pipeline)
        db.session.get_one(Account, account.id).name = "Acme Again"
        db.session.commit()
        assert "Acme Again" in _board(client, pipeline)
    finally:
        redis_server.start()
