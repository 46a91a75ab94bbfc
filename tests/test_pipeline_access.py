"""Restricted pipelines: admins and members see them; any other rep finds nothing (404), anywhere."""

from __future__ import annotations

import pytest

from crm.extensions import db
from crm.models import Action, Opportunity, Pipeline
from crm.services.pipelines import set_access
from crm.services.quotes import create_quote, store_pdf
from tests.factories import (
    make_account,
    make_action,
    make_contact,
    make_opportunity,
    make_pipeline,
    make_user,
)
from tests.test_route_walk import RULES, _url


@pytest.fixture
def hidden(app, admin):  # type: ignore[no-untyped-def]
    """ "Open" is seen by all; "Key accounts" only by its member Mia (and admins)."""
    open_pipeline = make_pipeline("Open", ["Lead", "Won over"])
    secret = make_pipeline("Key accounts", ["Approach", "Deal"])
    member = make_user(name="Mia Member")
    set_access(secret, restricted=True, members=[member])
    account = make_account(name="Bigco")
    contact = make_contact(account=account, first_name="Bea", last_name="Buyer")
    visible_opp = make_opportunity(
        open_pipeline.stages[0], name="Public deal", account=account, contact=contact
    )
    secret_opp = make_opportunity(secret.stages[0], name="Secret deal", account=account, contact=contact)
    quote = create_quote(secret_opp, actor=admin)
    action = make_action(member, actor=admin, title="Call about the Secret deal", opportunity=secret_opp)
    pdf = store_pdf(quote, b"%PDF-1.4 Secret deal")  # as sending the quote keeps it
    db.session.commit()
    return {
        "open": open_pipeline,
        "secret": secret,
        "member": member,
        "account": account,
        "contact": contact,
        "visible_opp": visible_opp,
        "secret_opp": secret_opp,
        "quote": quote,
        "action": action,
        "pdf": pdf,
    }


def _ids(h: dict) -> dict[str, int]:  # type: ignore[type-arg]
    return {
        "pipeline_id": h["secret"].id,
        "stage_id": h["secret"].stages[0].id,
        "opportunity_id": h["secret_opp"].id,
        "quote_id": h["quote"].id,
        "action_id": h["action"].id,
        "upload_id": h["pdf"].id,
        "<path:name>": h["pdf"].filename,
    }


def _fill(rule, ids: dict[str, int]) -> str:  # type: ignore[no-untyped-def]
    url = rule.rule
    for name, value in ids.items():
        url = url.replace(name if name.startswith("<") else f"<int:{name}>", str(value))
    return _url(type("R", (), {"rule": url})())


HIDDEN_RULES = [
    r
    for r in RULES
    if not r.rule.startswith("/settings/")
    and any(
        f"<int:{n}>" in r.rule
        for n in ("pipeline_id", "opportunity_id", "quote_id", "action_id", "upload_id")
    )
]


def test_the_walk_reaches_boards_opportunities_and_quotes():
    paths = {r.rule for r in HIDDEN_RULES}
    assert {
        "/boards/<int:pipeline_id>",
        "/opportunities/<int:opportunity_id>",
        "/quotes/<int:quote_id>",
        "/actions/<int:action_id>",
        "/files/<int:upload_id>/<path:name>",
    } <= paths
    assert len(HIDDEN_RULES) >= 15


@pytest.mark.parametrize("rule", HIDDEN_RULES, ids=lambda r: r.rule)
def test_a_rep_outside_a_restricted_pipeline_finds_nothing(client, auth, rep, hidden, rule):
    auth.login(rep)
    before = (
        db.session.query(Opportunity).count(),
        db.session.query(Action).count(),
        hidden["secret_opp"].stage_id,
        hidden["secret_opp"].name,
    )
    for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
        data = {"name": "x", "stage_id": str(hidden["secret"].stages[1].id), "text": "hello", "tag": "x"}
        response = client.open(_fill(rule, _ids(hidden)), method=method, data=data)
        assert response.status_code in (403, 404), (rule.rule, method, response.status_code)
        assert "Secret deal" not in response.get_data(as_text=True)
    db.session.expire_all()
    after = (
        db.session.query(Opportunity).count(),
        db.session.query(Action).count(),
        db.session.get(Opportunity, hidden["secret_opp"].id).stage_id,
        db.session.get(Opportunity, hidden["secret_opp"].id).name,
    )
    assert after == before


def test_lists_and_links_leave_the_restricted_pipeline_out(client, auth, rep, hidden):
    auth.login(rep)
    board = client.get(f"/boards/{hidden['open'].id}").get_data(as_text=True)
    assert "Public deal" in board and "Key accounts" not in board
    for kind, record in (("accounts", hidden["account"]), ("contacts", hidden["contact"])):
        page = client.get(f"/{kind}/{record.id}").get_data(as_text=True)
        assert "Public deal" in page and "Secret deal" not in page
    secret_stage = hidden["secret"].stages[0].id
    assert client.get(f"/opportunities/new?stage_id={secret_stage}").status_code == 404
    assert client.get(f"/actions/new?opportunity_id={hidden['secret_opp'].id}").status_code == 404


def test_the_member_and_admins_see_it(client, auth, admin, hidden):
    for user in (hidden["member"], admin):
        auth.login(user)
        board = client.get(f"/boards/{hidden['secret'].id}")
        assert board.status_code == 200 and "Secret deal" in board.get_data(as_text=True)
        assert client.get(f"/opportunities/{hidden['secret_opp'].id}").status_code == 200
        assert client.get(f"/quotes/{hidden['quote'].id}").status_code == 200
        assert "Secret deal" in client.get(f"/contacts/{hidden['contact'].id}").get_data(as_text=True)
        pdf = client.get(f"/files/{hidden['pdf'].id}/{hidden['pdf'].filename}")
        assert pdf.status_code == 200 and pdf.data == b"%PDF-1.4 Secret deal"
        assert "Secret deal" in client.get(f"/actions/{hidden['action'].id}", htmx=True).get_data(
            as_text=True
        )
        auth.logout()


def test_home_sends_a_rep_to_the_first_pipeline_they_see(client, auth, rep, app):
    secret = make_pipeline("First but secret", ["A"])
    secret.position = -1
    set_access(secret, restricted=True, members=[])
    seen = make_pipeline("Seen", ["A"])
    auth.login(rep)
    assert client.get("/").location.endswith(f"/boards/{seen.id}")


def test_an_admin_restricts_a_pipeline_and_opens_it_again(client, auth, admin, rep, app):
    pipeline = make_pipeline("Partners", ["A"])
    auth.login(admin)
    page = client.get(f"/settings/pipelines/{pipeline.id}").get_data(as_text=True)
    assert "Who sees this pipeline" in page and "Remy Rep" in page
    response = client.post(
        f"/settings/pipelines/{pipeline.id}/access",
        data={"restricted": "1", "members": [str(rep.id)]},
        htmx=True,
    )
    assert response.status_code == 200
    assert "Only administrators and the people ticked" in response.headers["HX-Trigger"]
    db.session.expire_all()
    pipeline = db.session.get(Pipeline, pipeline.id)
    assert pipeline.restricted and [m.id for m in pipeline.members] == [rep.id]
    assert "Restricted" in client.get("/settings/pipelines/").get_data(as_text=True)
    response = client.post(f"/settings/pipelines/{pipeline.id}/access", data={"restricted": "0"}, htmx=True)
    db.session.expire_all()
    assert response.status_code == 200 and not db.session.get(Pipeline, pipeline.id).restricted


@pytest.mark.parametrize(
    "data",
    [
        {"restricted": "1", "members": ["987654"]},
        {"restricted": "1", "members": ["abc"]},
        {"restricted": "maybe"},
    ],
)
def test_bad_access_settings_are_refused_and_change_nothing(client, auth, admin, rep, app, data):
    pipeline = make_pipeline("Partners", ["A"])
    auth.login(admin)
    response = client.post(f"/settings/pipelines/{pipeline.id}/access", data=data, htmx=True)
    assert response.status_code == 422
    assert 'class="errors"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert not db.session.get(Pipeline, pipeline.id).restricted


def test_a_rep_cannot_enrol_anyone_in_a_draft_scenario(client, auth, rep, app):
    from crm.models import Enrollment
    from tests.factories import email_step, make_scenario

    draft = make_scenario([email_step("Hello")], label="Unreleased drip", active=False)
    person = make_contact(email="p@client.example", opt_in=True)
    auth.login(rep)
    for url in (f"/people/contacts/{person.id}/scenarios", "/people/contacts/bulk"):
        response = client.post(url, data={"scenario_id": str(draft.id)}, htmx=True)
        assert response.status_code == 422, url
        assert "Unreleased drip" not in response.get_data(as_text=True) + str(response.headers)
    assert db.session.query(Enrollment).count() == 0
    assert "Unreleased drip" not in client.get(f"/people/contacts/{person.id}/scenarios").get_data(
        as_text=True
    )
