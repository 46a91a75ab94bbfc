"""Search across deals, accounts, contacts and leads: matching, grouping, limits, access, page."""

from __future__ import annotations

import pytest

from crm.services.pipelines import set_access
from tests.factories import make_account, make_contact, make_lead, make_opportunity, make_pipeline, make_user
from tests.test_board import count_queries


@pytest.fixture
def world(app):  # type: ignore[no-untyped-def]
    acme = make_account(name="Acme Rockets", email="hello@acme.example")
    make_account(name="Globex", email="info@globex.example")
    wile = make_contact(acme, first_name="Wile", last_name="Coyote", email="wile@desert.example")
    make_contact(None, first_name="Road", last_name="Runner", email="meep@desert.example")
    make_lead(last_name="Prospect", company="Acme Labs")
    pipeline = make_pipeline("Sales")
    deal = make_opportunity(pipeline.stages[0], name="Rocket skates", account=acme, contact=wile)
    return {"acme": acme, "wile": wile, "deal": deal, "pipeline": pipeline}


def _body(response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_an_account_name_finds_the_account_its_contacts_its_deals_and_leads(client, auth, rep, world):
    auth.login(rep)
    body = _body(client.get("/search?q=acme", htmx=True))
    assert "<html" not in body  # the results block only
    for text in ("Acme Rockets", "Wile Coyote", "Rocket skates", "Acme Labs"):
        assert text in body, text
    assert "Globex" not in body and "Road Runner" not in body
    # grouped by kind, deals first
    assert body.index(">Deals<") < body.index(">Accounts<") < body.index(">Contacts<") < body.index(">Leads<")
    assert f'href="/opportunities/{world["deal"].id}"' in body
    assert f'href="/contacts/{world["wile"].id}"' in body


@pytest.mark.parametrize(
    ("q", "found", "missing"),
    [
        ("WILE", "Wile Coyote", "Road Runner"),  # case-insensitive
        ("meep@desert", "Road Runner", "Wile Coyote"),  # email
        ("wile coyote", "Wile Coyote", "Road Runner"),  # every word must match
        ("coyote acme", "Wile Coyote", "Road Runner"),  # a name and the account's name
        ("info@globex", "Globex", "Acme Rockets"),
        ("skates", "Rocket skates", "Acme Labs"),
    ],
)
def test_matching(client, auth, rep, world, q, found, missing):
    auth.login(rep)
    body = _body(client.get("/search", query_string={"q": q}, htmx=True))
    assert found in body and missing not in body


@pytest.mark.parametrize("q", ["%", "_", "\\", "100%_\\"])
def test_wildcards_match_themselves(client, auth, rep, world, q):
    auth.login(rep)
    body = _body(client.get("/search", query_string={"q": q}, htmx=True))
    assert "Acme Rockets" not in body and "No match for" in body


def test_a_rep_never_finds_a_deal_of_a_pipeline_hidden_from_them(client, auth, rep, world):
    secret = make_pipeline("Key accounts", ["Approach"])
    member = make_user(name="Mia Member")
    set_access(secret, restricted=True, members=[member])
    make_opportunity(secret.stages[0], name="Secret rocket", account=world["acme"])
    auth.login(rep)
    body = _body(client.get("/search?q=rocket", htmx=True))
    assert "Rocket skates" in body and "Secret rocket" not in body
    assert "Secret rocket" not in _body(client.get("/search?q=rocket&kind=deals"))
    auth.logout()
    auth.login(member)
    assert "Secret rocket" in _body(client.get("/search?q=rocket", htmx=True))


def test_results_are_limited_per_kind_with_a_link_to_all_of_them(client, auth, rep, world):
    for i in range(12):
        make_contact(world["acme"], first_name="Many", last_name=f"Match{i:02d}")
    auth.login(rep)
    body = _body(client.get("/search?q=many", htmx=True))
    assert body.count('class="find-hit"') == 8
    assert 'href="/contacts/?q=many"' in body and "See all matching contacts" in body
    listed = _body(client.get("/contacts/?q=many"))
    assert "Match11" in listed and "Match00" in listed
    # contacts found through their account's name are in the list's search too
    assert "Wile Coyote" in _body(client.get("/contacts/?q=rockets"))


def test_see_all_deals_is_a_paged_full_page(client, auth, rep, world):
    for i in range(30):
        make_opportunity(world["pipeline"].stages[0], name=f"Skates v{i:02d}")
    auth.login(rep)
    grouped = _body(client.get("/search?q=skates", htmx=True))
    assert 'href="/search?q=skates&amp;kind=deals"' in grouped
    page = _body(client.get("/search?q=skates&kind=deals"))
    assert "<html" in page and page.count('class="find-hit"') == 25 and "Page 1 of 2" in page
    second = _body(client.get("/search?q=skates&kind=deals&page=2"))
    assert second.count('class="find-hit"') == 6


def test_a_constant_number_of_queries(client, auth, rep, world):
    auth.login(rep)
    client.get("/search?q=a", htmx=True)  # warm the caches (the user, the top bar)
    with count_queries() as few:
        client.get("/search?q=a", htmx=True)
    for i in range(20):
        acme = make_account(name=f"Acme {i}")
        make_contact(acme, first_name="Ann", last_name=f"Acme{i}")
        make_opportunity(world["pipeline"].stages[0], name=f"Acme deal {i}", account=acme)
        make_lead(last_name=f"Acmelead{i}")
    with count_queries() as many:
        client.get("/search?q=a", htmx=True)
    assert len(many) == len(few) <= 6, many


def test_the_full_page_fallback(client, auth, rep, world):
    auth.login(rep)
    page = _body(client.get("/search?q=coyote"))
    assert "<html" in page and "Wile Coyote" in page and 'id="search-page-results"' in page
    empty = _body(client.get("/search"))
    assert "Type a name" in empty
    assert "No match for “zzz”." in _body(client.get("/search?q=zzz"))


@pytest.mark.parametrize(
    "query",
    [
        {"q": "x" * 5000},
        {"q": "a b c d e f g h i j"},
        {"q": "acme", "kind": "nonsense"},
        {"q": "acme", "kind": "deals", "page": "abc"},
        {"q": "acme", "kind": "contacts", "page": "99999999999"},
        {"q": "   "},
        {"q": ["acme", "globex"]},
    ],
)
def test_odd_queries_never_fail(client, auth, rep, world, query):
    auth.login(rep)
    for htmx in (False, True):
        assert client.get("/search", query_string=query, htmx=htmx).status_code == 200


def test_every_page_has_the_search_dialog_and_anonymous_users_go_to_login(client, auth, rep, world):
    assert client.get("/search?q=acme").location.startswith("/login")
    auth.login(rep)
    page = _body(client.get("/contacts/"))
    assert 'id="find-dialog"' in page and "js/search.js" in page and 'href="/search"' in page
