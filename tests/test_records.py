"""Accounts, contacts and leads: list, search, pagination, create and edit with validation in place."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from crm.extensions import db
from crm.models import Account, Contact, Lead
from tests.factories import make_account, make_contact, make_lead, make_opportunity, make_pipeline

VALID = {
    "accounts": {"name": "Acme", "email": "hello@acme.example", "phone": "+33 1 23 45 67 89", "opt_in": "y"},
    "contacts": {"first_name": "Jo", "last_name": "Smith", "email": "jo@acme.example", "phone": "0612345678"},
    "leads": {
        "first_name": "Al",
        "last_name": "Prospect",
        "company": "Prospect Ltd",
        "email": "al@p.example",
    },
}
MODELS = {"accounts": Account, "contacts": Contact, "leads": Lead}


def _count(model) -> int:  # type: ignore[no-untyped-def]
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("kind", list(VALID))
def test_create_valid_record(client, auth, rep, kind):
    auth.login(rep)
    response = client.post(f"/{kind}/new", data={**VALID[kind], "owner_id": rep.id}, htmx=True)
    assert response.status_code == 204
    record = db.session.scalars(select(MODELS[kind])).one()
    assert response.headers["HX-Redirect"] == f"/{kind}/{record.id}"
    assert record.owner_id == rep.id and record.email == VALID[kind]["email"]
    page = client.get(f"/{kind}/{record.id}").get_data(as_text=True)
    assert VALID[kind]["email"] in page


@pytest.mark.parametrize("kind", list(VALID))
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "not-an-email", "Invalid email address."),
        ("phone", "call me maybe", "Use digits, spaces and + ( ) . - only."),
        ("owner_id", "99999", "Not a valid choice."),
    ],
)
def test_invalid_record_rerenders_with_errors_and_saves_nothing(
    client, auth, rep, kind, field, value, message
):
    auth.login(rep)
    response = client.post(f"/{kind}/new", data={**VALID[kind], field: value}, htmx=True)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert message in body and 'aria-invalid="true"' in body
    assert "<html" not in body  # the form fragment only
    assert _count(MODELS[kind]) == 0


@pytest.mark.parametrize("kind", list(VALID))
def test_required_name(client, auth, rep, kind):
    auth.login(rep)
    name_field = "name" if kind == "accounts" else "last_name"
    response = client.post(f"/{kind}/new", data={**VALID[kind], name_field: "  "})
    assert response.status_code == 422
    assert "This field is required." in response.get_data(as_text=True)
    assert _count(MODELS[kind]) == 0


def test_edit_changes_fields_and_invalid_edit_changes_nothing(client, auth, rep):
    account = make_account(name="Before")
    auth.login(rep)
    bad = client.post(f"/accounts/{account.id}/edit", data={"name": "After", "email": "broken"}, htmx=True)
    assert bad.status_code == 422
    assert db.session.get(Account, account.id).name == "Before"
    good = client.post(
        f"/accounts/{account.id}/edit",
        data={"name": "After", "email": "a@b.example", "unsubscribed": "y"},
        htmx=True,
    )
    assert good.status_code == 204
    account = db.session.get(Account, account.id)
    assert (account.name, account.email, account.unsubscribed, account.opt_in) == (
        "After",
        "a@b.example",
        True,
        False,
    )


def test_contact_must_belong_to_an_existing_account(client, auth, rep):
    auth.login(rep)
    response = client.post("/contacts/new", data={**VALID["contacts"], "account_id": "4242"})
    assert response.status_code == 422 and "Not a valid choice." in response.get_data(as_text=True)
    account = make_account()
    response = client.post("/contacts/new", data={**VALID["contacts"], "account_id": account.id})
    assert response.status_code == 302
    assert db.session.scalars(select(Contact)).one().account_id == account.id


def test_search_and_pagination(client, auth, rep):
    for i in range(30):
        make_account(name=f"Company {i:02d}")
    make_account(name="Zebra Works", email="stripes@zebra.example")
    auth.login(rep)
    first = client.get("/accounts/").get_data(as_text=True)
    assert "Company 00" in first and "Company 24" in first and "Company 25" not in first
    assert "Page 1 of 2" in first and "31 records" in first
    second = client.get("/accounts/?page=2").get_data(as_text=True)
    assert "Company 25" in second and "Zebra Works" in second
    found = client.get("/accounts/?q=stripes", htmx=True).get_data(as_text=True)
    assert "Zebra Works" in found and "Company 01" not in found and "<html" not in found
    none = client.get("/accounts/?q=nothing-like-this").get_data(as_text=True)
    assert "No match for “nothing-like-this”." in none
    assert client.get("/accounts/?page=99").status_code == 200


def test_contact_search_by_name_and_lead_search_by_company(client, auth, rep):
    make_contact(first_name="Marie", last_name="Curie")
    make_contact(first_name="Pierre", last_name="Dupond")
    make_lead(company="Radium Inc")
    auth.login(rep)
    page = client.get("/contacts/?q=curie").get_data(as_text=True)
    assert "Marie Curie" in page and "Pierre Dupond" not in page
    assert "Radium Inc" in client.get("/leads/?q=radium").get_data(as_text=True)


def test_account_and_contact_pages_show_their_opportunities(client, auth, rep):
    account = make_account(name="Globex")
    contact = make_contact(account, first_name="Hank", last_name="Scorpio")
    pipeline = make_pipeline()
    make_opportunity(pipeline.stages[1], name="Doomsday device", contact=contact)
    make_opportunity(pipeline.stages[0], name="Unrelated")
    auth.login(rep)
    account_page = client.get(f"/accounts/{account.id}").get_data(as_text=True)
    assert (
        "Doomsday device" in account_page
        and "Hank Scorpio" in account_page
        and "Unrelated" not in account_page
    )
    contact_page = client.get(f"/contacts/{contact.id}").get_data(as_text=True)
    assert "Doomsday device" in contact_page and "Globex" in contact_page
