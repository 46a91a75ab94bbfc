"""Record lists: filters, sortable columns, and bulk actions (assign, tag, enroll) on ticked rows."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select

from crm.extensions import db
from crm.models import (
    Account,
    Contact,
    Enrollment,
    EnrollmentEvent,
    Lead,
    Tag,
    contact_tags,
    lead_tags,
)
from tests.factories import email_step, make_account, make_contact, make_lead, make_scenario, make_user
from tests.test_board import count_queries


def _names(html: str) -> list[str]:
    """The names of the rows, in order (the first cell's link)."""
    return re.findall(r'data-pick [^>]*></td>\s*<td>\s*<a href="/[a-z]+/\d+">([^<]+)</a>', html)


def _toast(response) -> str:  # type: ignore[no-untyped-def]
    return json.loads(response.headers["HX-Trigger"])["toast"]["message"]


@pytest.fixture
def people(app):  # type: ignore[no-untyped-def]
    ann = make_user(name="Ann Owner")
    bob = make_user(name="Bob Owner")
    acme = make_account(name="Acme", owner_id=ann.id)
    globex = make_account(name="Globex", owner_id=bob.id)
    make_account(name="Initech")
    c1 = make_contact(acme, first_name="Carla", last_name="Alpha", owner_id=ann.id, opt_in=True)
    c2 = make_contact(globex, first_name="Dan", last_name="Beta", owner_id=bob.id, opt_in=True)
    c3 = make_contact(None, first_name="Eve", last_name="Gamma", unsubscribed=True, email=None)
    l1 = make_lead(last_name="Fair", source="Trade fair", owner_id=ann.id, opt_in=True)
    l2 = make_lead(last_name="Web", source="Website")
    return {
        "ann": ann,
        "bob": bob,
        "acme": acme,
        "globex": globex,
        "contacts": [c1, c2, c3],
        "leads": [l1, l2],
    }


# Filters -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "query", "expected"),
    [
        ("contacts", "owner={ann}", ["Carla Alpha"]),
        ("contacts", "owner=none", ["Eve Gamma"]),
        ("contacts", "account={acme}", ["Carla Alpha"]),
        ("contacts", "consent=opted_in", ["Carla Alpha", "Dan Beta"]),
        ("contacts", "consent=unsubscribed", ["Eve Gamma"]),
        ("contacts", "consent=not_opted_in", []),
        ("contacts", "owner={bob}&consent=opted_in", ["Dan Beta"]),
        ("leads", "source=Trade+fair", ["Lee Fair"]),
        ("leads", "owner={ann}", ["Lee Fair"]),
        ("leads", "consent=not_opted_in", ["Lee Web"]),
        ("accounts", "owner={bob}", ["Globex"]),
        ("accounts", "owner=none", ["Initech"]),
    ],
)
def test_filters(client, auth, rep, people, kind, query, expected):
    auth.login(rep)
    url = f"/{kind}/?" + query.format(ann=people["ann"].id, bob=people["bob"].id, acme=people["acme"].id)
    body = client.get(url).get_data(as_text=True)
    assert _names(body) == expected, url
    if not expected:
        assert "Nothing matches these filters." in body


def test_filter_by_tag(client, auth, rep, people):
    auth.login(rep)
    client.post(
        "/contacts/bulk",
        data={"action": "tag", "tag": "VIP", "ids": [people["contacts"][1].id]},
        htmx=True,
    )
    tag = db.session.scalars(select(Tag)).one()
    assert _names(client.get(f"/contacts/?tag={tag.id}").get_data(as_text=True)) == ["Dan Beta"]


def test_the_filter_bar_offers_the_reps_accounts_and_sources(client, auth, rep, people):
    auth.login(rep)
    contacts = client.get("/contacts/").get_data(as_text=True)
    assert 'name="owner"' in contacts and ">Ann Owner</option>" in contacts and ">Acme</option>" in contacts
    leads = client.get("/leads/").get_data(as_text=True)
    assert '<option value="Trade fair">Trade fair</option>' in leads and 'name="account"' not in leads


@pytest.mark.parametrize(
    "query",
    [
        "owner=abc",
        "owner=99999999999999",
        "owner=-1",
        "account=xyz",
        "tag=%00",
        "consent=maybe",
        "source=" + "x" * 500,
        "sort=password",
        "sort=owner&dir=sideways",
        "sort=__class__",
        "sort=display_name&dir=desc&page=-4",
    ],
)
@pytest.mark.parametrize("kind", ["accounts", "contacts", "leads"])
def test_unknown_filter_and_sort_values_are_ignored(client, auth, rep, people, kind, query):
    auth.login(rep)
    for htmx in (False, True):
        response = client.get(f"/{kind}/?{query}", htmx=htmx)
        assert response.status_code in (200, 400), (query, response.status_code)


# Sorting -----------------------------------------------------------------------------------


def test_sort_by_a_header_and_back(client, auth, rep, people):
    auth.login(rep)
    default = client.get("/contacts/").get_data(as_text=True)
    assert _names(default) == ["Carla Alpha", "Dan Beta", "Eve Gamma"]
    assert 'href="/contacts/?sort=account"' in default
    by_account = client.get("/contacts/?sort=account").get_data(as_text=True)
    assert _names(by_account) == ["Carla Alpha", "Dan Beta", "Eve Gamma"]  # Acme, Globex, none last
    assert 'aria-sort="ascending"' in by_account and "▲" in by_account
    assert 'href="/contacts/?sort=account&amp;dir=desc"' in by_account
    desc = client.get("/contacts/?sort=account&dir=desc").get_data(as_text=True)
    assert _names(desc) == ["Dan Beta", "Carla Alpha", "Eve Gamma"]  # empty values still last
    assert 'aria-sort="descending"' in desc and "▼" in desc
    by_owner = client.get("/contacts/?sort=owner&dir=desc").get_data(as_text=True)
    assert _names(by_owner) == ["Dan Beta", "Carla Alpha", "Eve Gamma"]
    name_desc = client.get("/leads/?sort=display_name&dir=desc").get_data(as_text=True)
    assert _names(name_desc) == ["Lee Web", "Lee Fair"]


def test_sort_and_filters_survive_paging(client, auth, rep, people):
    for i in range(30):
        make_account(name=f"Zed {i:02d}", owner_id=people["ann"].id)
    auth.login(rep)
    first = client.get(f"/accounts/?owner={people['ann'].id}&sort=name&dir=desc").get_data(as_text=True)
    assert _names(first)[:2] == ["Zed 29", "Zed 28"]
    nxt = re.search(r'href="(/accounts/\?page=2[^"]*)"', first).group(1).replace("&amp;", "&")
    assert f"owner={people['ann'].id}" in nxt and "sort=name" in nxt and "dir=desc" in nxt
    second = client.get(nxt).get_data(as_text=True)
    assert _names(second) == ["Zed 04", "Zed 03", "Zed 02", "Zed 01", "Zed 00", "Acme"]
    # the filter bar carries the order along
    assert '<input type="hidden" name="sort" value="name">' in second


def test_lists_keep_a_constant_number_of_queries(client, auth, rep, people):
    auth.login(rep)
    url = f"/contacts/?sort=owner&consent=opted_in&q=a&owner={people['ann'].id}"
    client.get(url)
    with count_queries() as few:
        client.get("/contacts/?sort=account")
    for i in range(15):
        make_contact(make_account(name=f"Co {i}"), last_name=f"Many{i}", owner_id=people["bob"].id)
    with count_queries() as many:
        client.get("/contacts/?sort=account")
    assert len(many) == len(few), many


# Bulk actions --------------------------------------------------------------------------------


def test_bulk_assign(client, auth, rep, people):
    c1, _c2, c3 = people["contacts"]
    auth.login(rep)
    response = client.post(
        "/contacts/bulk?sort=owner",
        data={"action": "assign", "owner_id": people["bob"].id, "ids": [c1.id, c3.id]},
        htmx=True,
    )
    assert response.status_code == 200
    assert _toast(response) == "2 records assigned to Bob Owner."
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<div id="results">') and "<html" not in body
    db.session.expire_all()
    assert {c.owner_id for c in db.session.scalars(select(Contact))} == {people["bob"].id}
    assert 'href="/contacts/?sort=owner&amp;dir=desc"' in body  # the same list, still sorted


def test_bulk_assign_without_javascript_redirects_back_to_the_list(client, auth, rep, people):
    auth.login(rep)
    lead = people["leads"][1]
    response = client.post(
        "/leads/bulk?source=Website&page=1",
        data={"action": "assign", "owner_id": people["ann"].id, "ids": [lead.id]},
    )
    assert response.status_code == 302 and response.location == "/leads/?page=1&source=Website"
    assert db.session.get(Lead, lead.id).owner_id == people["ann"].id
    assert "1 record assigned to Ann Owner." in client.get(response.location).get_data(as_text=True)


def test_bulk_assign_accounts(client, auth, rep, people):
    auth.login(rep)
    ids = [people["acme"].id, people["globex"].id]
    response = client.post(
        "/accounts/bulk", data={"action": "assign", "owner_id": rep.id, "ids": ids}, htmx=True
    )
    assert _toast(response) == "2 records assigned to Remy Rep."
    assert {a.owner_id for a in db.session.scalars(select(Account).where(Account.id.in_(ids)))} == {rep.id}
    # accounts have no tags nor scenarios of their own here
    for action in ("tag", "enroll"):
        refused = client.post("/accounts/bulk", data={"action": action, "ids": ids, "tag": "x"}, htmx=True)
        assert refused.status_code == 422


@pytest.mark.parametrize("kind", ["contacts", "leads"])
def test_bulk_tag(client, auth, rep, people, kind):
    rows = people[kind]
    auth.login(rep)
    first = client.post(f"/{kind}/bulk", data={"action": "tag", "tag": "VIP", "ids": [rows[0].id]}, htmx=True)
    assert _toast(first) == "Tag “VIP” added to 1 of 1."
    again = client.post(
        f"/{kind}/bulk", data={"action": "tag", "tag": "vip", "ids": [r.id for r in rows]}, htmx=True
    )
    assert _toast(again) == f"Tag “VIP” added to {len(rows) - 1} of {len(rows)}."  # the same tag
    table = contact_tags if kind == "contacts" else lead_tags
    assert db.session.scalar(select(func.count()).select_from(table)) == len(rows)
    assert db.session.scalar(select(func.count(Tag.id))) == 1


def test_bulk_enroll_skips_who_is_already_in_or_cannot_be_written_to(client, auth, rep, people, worker):
    from automation.scenarios import engine

    scenario = make_scenario([email_step("Hello")], label="Nurture")
    c1, c2, c3 = people["contacts"]
    engine.enroll(scenario, c2)
    auth.login(rep)
    response = client.post(
        "/contacts/bulk",
        data={"action": "enroll", "scenario_id": scenario.id, "ids": [c1.id, c2.id, c3.id]},
        htmx=True,
    )
    assert response.status_code == 200
    assert _toast(response) == (
        "1 enrolled in “Nurture”; 2 skipped (1 already in it, "
        "1 unsubscribed, not opted in or without an email address)."
    )
    live = db.session.scalars(select(Enrollment).where(Enrollment.status == "active")).all()
    assert sorted(e.person_id for e in live) == sorted([c1.id, c2.id])
    entered = next(e for e in live if e.person_id == c1.id)
    assert entered.source == "bulk" and entered.current_step_id is not None
    assert [
        ev.kind
        for ev in db.session.scalars(
            select(EnrollmentEvent).where(EnrollmentEvent.enrollment_id == entered.id)
        )
    ] == ["entered"]
    worker.drain()  # handed to the worker, which took the first step
    db.session.expire_all()
    kinds = db.session.scalars(
        select(EnrollmentEvent.kind)
        .where(EnrollmentEvent.enrollment_id == entered.id)
        .order_by(EnrollmentEvent.id)
    ).all()
    assert len(kinds) > 1, kinds


def test_bulk_enroll_leads(client, auth, rep, people, worker):
    scenario = make_scenario([email_step("Hello")], label="Leads drip")
    auth.login(rep)
    response = client.post(
        "/leads/bulk",
        data={"action": "enroll", "scenario_id": scenario.id, "ids": [r.id for r in people["leads"]]},
        htmx=True,
    )
    assert _toast(response).startswith("1 enrolled in “Leads drip”; 1 skipped")
    enrollment = db.session.scalars(select(Enrollment)).one()
    assert (enrollment.person_type, enrollment.person_id) == ("lead", people["leads"][0].id)


def test_bulk_actions_use_a_constant_number_of_queries(client, auth, rep, app, worker):
    scenario = make_scenario([email_step("Hello")], label="Drip")
    owner = make_user(name="New Owner")
    auth.login(rep)

    def run(n: int) -> dict[str, int]:
        ids = [make_contact(opt_in=True).id for _ in range(n)]
        counts = {}
        for action, extra in (
            ("assign", {"owner_id": owner.id}),
            ("tag", {"tag": f"T{n}"}),
            ("enroll", {"scenario_id": scenario.id}),
        ):
            with count_queries() as statements:
                response = client.post(
                    "/contacts/bulk", data={"action": action, "ids": ids, **extra}, htmx=True
                )
            assert response.status_code == 200, response.headers
            counts[action] = len(statements)
        return counts

    run(2)  # warm the caches
    assert run(3) == run(12)


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        ({"action": "assign", "owner_id": "{owner}"}, 422, "Tick at least one row first."),
        (
            {"action": "assign", "owner_id": "{owner}", "ids": ["{c1}", "987654"]},
            404,
            "do not exist any more",
        ),
        (
            {"action": "assign", "owner_id": "{owner}", "ids": ["{c1}", "abc"]},
            422,
            "The selection is not valid",
        ),
        ({"action": "assign", "owner_id": "{owner}", "ids": ["{c1}", "99999999999"]}, 422, "not valid"),
        ({"action": "assign", "owner_id": "{owner}", "ids": ["-3"]}, 422, "not valid"),
        ({"action": "assign", "owner_id": "424242", "ids": ["{c1}"]}, 422, "Choose the rep"),
        ({"action": "assign", "owner_id": "{inactive}", "ids": ["{c1}"]}, 422, "Choose the rep"),
        ({"action": "assign", "ids": ["{c1}"]}, 422, "Choose the rep"),
        ({"action": "delete", "ids": ["{c1}"]}, 422, "Choose what to do"),
        ({"ids": ["{c1}"]}, 422, "Choose what to do"),
        ({"action": "tag", "tag": "  ", "ids": ["{c1}"]}, 422, "Type the tag"),
        ({"action": "tag", "tag": "a, b", "ids": ["{c1}"]}, 422, "One tag at a time"),
        ({"action": "enroll", "scenario_id": "", "ids": ["{c1}"]}, 422, "Choose a scenario."),
        ({"action": "enroll", "scenario_id": "{draft}", "ids": ["{c1}"]}, 422, "Choose a scenario."),
        ({"action": "enroll", "scenario_id": "77777", "ids": ["{c1}"]}, 422, "Choose a scenario."),
    ],
)
def test_bad_bulk_requests_change_nothing_and_say_why(client, auth, rep, people, data, status, message):
    draft = make_scenario([email_step("Hi")], label="Draft", active=False)
    inactive = make_user(name="Gone", active=False)
    values = {
        "owner": people["bob"].id,
        "c1": people["contacts"][0].id,
        "draft": draft.id,
        "inactive": inactive.id,
    }
    form = {
        k: [str(x).format(**values) for x in v] if isinstance(v, list) else v.format(**values)
        for k, v in data.items()
    }
    before = [(c.id, c.owner_id) for c in db.session.scalars(select(Contact).order_by(Contact.id))]
    auth.login(rep)
    response = client.post("/contacts/bulk", data=form, htmx=True)
    assert response.status_code == status
    assert message in _toast(response)
    assert response.headers.get("HX-Reswap") == "none"  # the list stays as it was
    db.session.expire_all()
    assert [(c.id, c.owner_id) for c in db.session.scalars(select(Contact).order_by(Contact.id))] == before
    assert db.session.scalar(select(func.count(Tag.id))) == 0
    assert db.session.scalar(select(func.count(Enrollment.id))) == 0
    plain = client.post("/contacts/bulk", data=form)
    assert plain.status_code == status and message in plain.get_data(as_text=True)


def test_bulk_needs_csrf_and_a_login(client, auth, rep, people):
    data = {"action": "assign", "owner_id": people["bob"].id, "ids": [people["contacts"][0].id]}
    assert client.post("/contacts/bulk", data=data).location.startswith("/login")
    auth.login(rep)
    assert client.post("/contacts/bulk", data=data, csrf=False).status_code == 400
    assert client.post("/people/bulk", data=data).status_code == 404
    assert db.session.get(Contact, people["contacts"][0].id).owner_id == people["ann"].id


def test_the_list_has_checkboxes_and_the_bulk_bar(client, auth, rep, people):
    scenario = make_scenario([email_step("Hi")], label="Welcome")
    auth.login(rep)
    body = client.get("/contacts/?owner=none").get_data(as_text=True)
    assert 'data-pick-all form="bulk-form"' in body
    assert f'name="ids" value="{people["contacts"][2].id}" form="bulk-form"' in body
    assert 'action="/contacts/bulk?owner=none"' in body
    assert f'<option value="{scenario.id}">Welcome</option>' in body and "js/record-lists.js" in body
    accounts = client.get("/accounts/").get_data(as_text=True)
    assert 'value="assign"' in accounts and 'value="enroll"' not in accounts
