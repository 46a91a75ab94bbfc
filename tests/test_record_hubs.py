"""Records are hubs: one timeline per account, contact and lead (what a rep may see of it, in a
constant number of queries), New deal / New action from the page, lead conversion, relative dates."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from automation.mailing.compose import queue_email
from automation.scenarios import engine
from crm import cache
from crm.extensions import db
from crm.formatting import relative_date, relative_time
from crm.models import Account, Action, Contact, Opportunity
from crm.services.notes import post_note
from crm.services.pipelines import set_access
from crm.services.quotes import create_quote
from tests.factories import (
    email_step,
    make_account,
    make_action,
    make_contact,
    make_lead,
    make_opportunity,
    make_pipeline,
    make_scenario,
    make_user,
    pause_step,
)
from tests.test_board import count_queries


def _mail(person, subject: str, opportunity=None):  # type: ignore[no-untyped-def]
    row = queue_email(
        key=f"test:{subject}:{person.id}",
        kind="transactional",
        to_email=person.email,
        subject=subject,
        html="<p>Hi</p>",
        recipient=person,
        opportunity=opportunity,
    )
    db.session.commit()
    return row


@pytest.fixture
def hub(app, admin):  # type: ignore[no-untyped-def]
    """A contact at an account with a visible deal and a deal in a pipeline only Mia may see."""
    open_pipeline = make_pipeline("Open", ["Lead", "Won over"])
    secret = make_pipeline("Key accounts", ["Approach", "Deal"])
    member = make_user(name="Mia Member")
    set_access(secret, restricted=True, members=[member])
    account = make_account(name="Bigco")
    contact = make_contact(account=account, first_name="Bea", last_name="Buyer", phone="+33 1 23 45 67 89")
    public = make_opportunity(open_pipeline.stages[0], name="Public deal", account=account, contact=contact)
    hidden = make_opportunity(secret.stages[0], name="Secret deal", account=account, contact=contact)
    return {"account": account, "contact": contact, "public": public, "hidden": hidden, "member": member}


def _fill(hub, admin, tag: str = ""):  # type: ignore[no-untyped-def]
    """One entry of each kind on the contact: visible ones, and their twins on the hidden deal."""
    contact = hub["contact"]
    post_note(hub["public"], f"Public note{tag}", actor=admin)
    post_note(hub["hidden"], f"Secret note{tag}", actor=admin)
    _mail(contact, f"Proposal{tag}", hub["public"])
    _mail(contact, f"Secret pricing{tag}", hub["hidden"])
    make_action(admin, title=f"Call Bea{tag}", contact_id=contact.id)
    make_action(admin, title=f"Secret call{tag}", opportunity=hub["hidden"])
    create_quote(hub["public"], actor=admin)
    create_quote(hub["hidden"], actor=admin)


def test_contact_timeline_shows_each_kind_newest_first(client, auth, admin, rep, hub):
    _fill(hub, admin)
    scenario = make_scenario([email_step("Hello"), pause_step(3)], label="Welcome sequence")
    engine.enroll(scenario, hub["contact"], actor=admin)
    done = make_action(admin, title="Sent the brochure", contact_id=hub["contact"].id)
    from crm.services.actions import close_action

    close_action(done, actor=admin)
    auth.login(rep)
    page = client.get(f"/contacts/{hub['contact'].id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    timeline = html.split('id="record-timeline"', 1)[1]
    for text in (
        "Public note",
        "Email “Proposal” to",
        "Call “Call Bea” for",
        "Call “Sent the brochure” done.",
        "Quote Q",
        "Welcome sequence",
        "Entered the scenario",
        "created the opportunity in Lead.",
    ):
        assert text in timeline, text
    assert timeline.index("Sent the brochure") < timeline.index("Public note")  # newest first
    assert 'data-kind="scenario-entered"' in timeline and 'data-kind="action-done"' in timeline
    assert f'href="/opportunities/{hub["public"].id}"' in timeline  # entries link to their source
    assert "/settings/mail/" not in timeline  # a rep has no mail log to be sent to
    assert 'class="rel"' in timeline and "title=" in timeline


def test_rep_sees_nothing_of_a_hidden_pipeline_on_the_timeline(client, auth, admin, rep, hub):
    _fill(hub, admin)
    auth.login(rep)
    for kind, record in (("contacts", hub["contact"]), ("accounts", hub["account"])):
        html = client.get(f"/{kind}/{record.id}").get_data(as_text=True)
        assert "Public note" in html and "Proposal" in html
        for secret in ("Secret note", "Secret pricing", "Secret call", "Secret deal"):
            assert secret not in html, (kind, secret)
        assert f"/quotes/{hub['hidden'].id}" not in html
    auth.logout()
    auth.login(hub["member"])  # a member of the pipeline sees it all
    html = client.get(f"/contacts/{hub['contact'].id}").get_data(as_text=True)
    assert "Secret note" in html and "Secret pricing" in html and "Secret call" in html
    auth.logout()
    auth.login(admin)  # an admin also gets the mail log link
    html = client.get(f"/contacts/{hub['contact'].id}").get_data(as_text=True)
    assert "/settings/mail/" in html


def test_account_timeline_gathers_its_contacts_and_deals(client, auth, admin, rep, hub):
    other = make_contact(account=hub["account"], first_name="Carl", last_name="Colleague")
    _mail(other, "Welcome Carl")
    make_action(admin, title="Visit Bigco", account_id=hub["account"].id)
    post_note(hub["public"], "Account-wide note", actor=admin)
    auth.login(rep)
    html = client.get(f"/accounts/{hub['account'].id}").get_data(as_text=True)
    assert "Welcome Carl" in html and "Visit Bigco" in html and "Account-wide note" in html


def test_lead_timeline_has_its_mail_and_scenarios(client, auth, admin, rep):
    lead = make_lead(last_name="Prospect")
    _mail(lead, "First contact")
    scenario = make_scenario([email_step("Hello"), pause_step(3)], label="Lead nurture")
    engine.enroll(scenario, lead, actor=admin)
    auth.login(rep)
    html = client.get(f"/leads/{lead.id}").get_data(as_text=True)
    assert "First contact" in html and "Lead nurture" in html and "Entered the scenario" in html


def test_timeline_query_count_does_not_grow_with_entries(client, auth, admin, rep, hub):
    scenario = make_scenario([email_step("Hello"), pause_step(3)], label="Seq")
    engine.enroll(scenario, hub["contact"], actor=admin)
    _fill(hub, admin)
    auth.login(rep)
    url = f"/contacts/{hub['contact'].id}?block=timeline"
    cache.clear()  # both renders cold: the signed-in user read from the database too
    with count_queries() as few:
        assert client.get(url, htmx=True).status_code == 200
    for i in range(25):
        _fill(hub, admin, tag=f" #{i}")
    cache.clear()
    with count_queries() as many:
        response = client.get(url, htmx=True)
    assert response.status_code == 200
    assert len(many) == len(few), many
    html = response.get_data(as_text=True)
    assert html.count("<li data-kind=") == 50 and "Show more" in html


def test_show_more_brings_the_next_entries(client, auth, admin, rep, hub):
    for i in range(60):
        post_note(hub["public"], f"Note number {i:02d}", actor=admin)
    auth.login(rep)
    first = client.get(f"/contacts/{hub['contact'].id}").get_data(as_text=True)
    assert "Note number 59" in first and "Note number 10" in first and "Note number 09" not in first
    more = client.get(f"/contacts/{hub['contact'].id}/timeline?offset=50", htmx=True)
    body = more.get_data(as_text=True)
    assert more.status_code == 200 and "<html" not in body
    assert "Note number 00" in body and "Note number 59" not in body
    # Opened on its own (no HTMX), the URL leads to the page.
    assert client.get(f"/contacts/{hub['contact'].id}/timeline?offset=50").status_code == 302
    assert client.get(f"/contacts/{hub['contact'].id}/timeline?offset=abc", htmx=True).status_code == 200
    assert client.get("/contacts/999999/timeline", htmx=True).status_code == 404


def test_new_action_from_a_contact_is_prefilled_and_shows_in_the_timeline(client, auth, rep, hub):
    auth.login(rep)
    contact = hub["contact"]
    form = client.get(f"/actions/new?contact_id={contact.id}", htmx=True).get_data(as_text=True)
    assert f'name="contact_id" type="hidden" value="{contact.id}"' in form
    from tests.factories import action_type

    response = client.post(
        "/actions/new",
        data={
            "type_id": action_type("Call").id,
            "title": "Follow up with Bea",
            "assignee_id": rep.id,
            "due_date": (date.today() + timedelta(days=2)).isoformat(),
            "contact_id": contact.id,
        },
        htmx=True,
    )
    assert response.status_code == 200 and "actionsChanged" in response.headers["HX-Trigger"]
    action = db.session.scalars(select(Action).where(Action.title == "Follow up with Bea")).one()
    assert action.contact_id == contact.id and action.account_id == hub["account"].id
    html = client.get(f"/contacts/{contact.id}").get_data(as_text=True)
    assert "Follow up with Bea" in html
    assert client.get("/actions/new?contact_id=999999", htmx=True).status_code == 404


def test_new_deal_from_an_account(client, auth, rep, hub):
    auth.login(rep)
    account = hub["account"]
    stage = hub["public"].stage
    dialog = client.get(f"/accounts/{account.id}/deal", htmx=True).get_data(as_text=True)
    assert "<dialog" in dialog and "Open · Lead" in dialog and "Key accounts" not in dialog
    bad = client.post(f"/accounts/{account.id}/deal", data={"deal_name": "", "stage_id": stage.id}, htmx=True)
    assert bad.status_code == 422 and "Enter a name." in bad.get_data(as_text=True)
    hidden_stage = hub["hidden"].stage  # a stage the rep may not see is no choice
    refused = client.post(
        f"/accounts/{account.id}/deal", data={"deal_name": "Sneaky", "stage_id": hidden_stage.id}, htmx=True
    )
    assert refused.status_code == 422
    ok = client.post(
        f"/accounts/{account.id}/deal",
        data={"deal_name": "Expansion", "stage_id": stage.id, "amount": "1200"},
        htmx=True,
    )
    assert ok.status_code == 200 and "recordChanged" in ok.headers["HX-Trigger"]
    opp = db.session.scalars(select(Opportunity).where(Opportunity.name == "Expansion")).one()
    assert opp.account_id == account.id and opp.amount == Decimal("1200") and opp.owner_id == rep.id
    html = client.get(f"/accounts/{account.id}").get_data(as_text=True)
    assert "Expansion" in html.split('id="record-timeline"', 1)[1]
    assert db.session.scalar(select(func.count()).where(Opportunity.name == "Sneaky")) == 0
    assert client.get("/leads/1/deal").status_code == 404


def test_phone_numbers_are_tel_links_and_emails_mailto(client, auth, rep, hub):
    auth.login(rep)
    contact = hub["contact"]
    page = client.get(f"/contacts/{contact.id}").get_data(as_text=True)
    assert 'href="tel:+33123456789"' in page and f'href="mailto:{contact.email}"' in page
    listing = client.get("/contacts/").get_data(as_text=True)
    assert 'href="tel:+33123456789"' in listing
    opp = client.get(f"/opportunities/{hub['public'].id}").get_data(as_text=True)
    assert 'href="tel:+33123456789"' in opp


# Lead conversion


@pytest.fixture
def lead(app, rep):  # type: ignore[no-untyped-def]
    return make_lead(last_name="Prospect", company="Prospect Ltd", owner_id=rep.id, phone="0612345678")


def _convert(client, lead, **data):  # type: ignore[no-untyped-def]
    form = {
        "account_name": "Prospect Ltd",
        "first_name": "Lee",
        "last_name": "Prospect",
        "email": lead.email,
        "phone": "0612345678",
        **data,
    }
    return client.post(f"/leads/{lead.id}/convert", data=form, htmx=True, csrf=data.pop("csrf", True))


def _counts() -> tuple[int, int, int]:
    return tuple(  # type: ignore[return-value]
        db.session.scalar(select(func.count()).select_from(m)) for m in (Account, Contact, Opportunity)
    )


def test_convert_form_is_prefilled_and_says_what_happens_to_scenarios(client, auth, admin, rep, lead):
    engine.enroll(make_scenario([email_step("Hi"), pause_step(3)], label="Nurture"), lead, actor=admin)
    existing = make_account(name="prospect ltd")
    auth.login(rep)
    html = client.get(f"/leads/{lead.id}/convert", htmx=True).get_data(as_text=True)
    assert 'value="Prospect Ltd"' in html and 'value="0612345678"' in html
    assert f'value="{existing.id}"' in html  # an account of that name may be picked instead
    assert "This lead is in 1 scenario: it stays with the lead" in html
    page = client.get(f"/leads/{lead.id}/convert")
    assert page.status_code == 200 and "<html" in page.get_data(as_text=True)


def test_convert_a_lead_with_a_deal(client, auth, rep, lead):
    pipeline = make_pipeline("Sales", ["New", "Won"])
    auth.login(rep)
    response = _convert(client, lead, with_deal="y", deal_name="First order", stage_id=pipeline.stages[0].id)
    assert response.status_code == 204, response.get_data(as_text=True)
    contact = db.session.scalars(select(Contact)).one()
    assert response.headers["HX-Redirect"] == f"/contacts/{contact.id}"
    account = contact.account
    assert account.name == "Prospect Ltd" and account.main_contact_id == contact.id
    assert contact.owner_id == rep.id and contact.phone == "0612345678"
    opp = db.session.scalars(select(Opportunity)).one()
    assert (opp.name, opp.contact_id, opp.account_id) == ("First order", contact.id, account.id)
    db.session.refresh(lead)
    assert lead.converted_at is not None
    assert (lead.converted_contact_id, lead.converted_account_id) == (contact.id, account.id)
    page = client.get(f"/leads/{lead.id}").get_data(as_text=True)
    assert f'Converted to <a href="/contacts/{contact.id}">Lee Prospect</a>' in page
    assert f"/leads/{lead.id}/convert" not in page
    # The default list leaves converted leads out; "Show converted" brings them back, badged.
    make_lead(last_name="Fresh")
    listing = client.get("/leads/").get_data(as_text=True)
    assert "Fresh" in listing and "Prospect" not in listing.split('id="results"', 1)[1]
    shown = client.get("/leads/?converted=1").get_data(as_text=True).split('id="results"', 1)[1]
    assert "Prospect" in shown and ">Converted</span>" in shown


def test_convert_into_an_existing_account(client, auth, rep, lead):
    existing = make_account(name="Prospect Ltd")
    auth.login(rep)
    assert _convert(client, lead, account_id=existing.id, account_name="").status_code == 204
    contact = db.session.scalars(select(Contact)).one()
    assert contact.account_id == existing.id and _counts() == (1, 1, 0)


def test_converting_twice_is_refused(client, auth, rep, lead):
    auth.login(rep)
    assert _convert(client, lead).status_code == 204
    again = _convert(client, lead)
    assert again.status_code == 409
    assert "already converted" in again.headers["HX-Trigger"]
    assert _counts() == (1, 1, 0)
    assert client.get(f"/leads/{lead.id}/convert").status_code == 409


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"account_name": "  "}, "Enter the account's name."),
        ({"last_name": ""}, "This field is required."),
        ({"with_deal": "y", "deal_name": "X"}, "Choose a stage."),
        ({"with_deal": "y", "deal_name": "X", "stage_id": "abc"}, "Not a valid choice."),
        ({"email": "not-an-email"}, "Invalid email address."),
        ({"account_id": "999999"}, "Not a valid choice."),
    ],
)
def test_bad_conversion_changes_nothing(client, auth, rep, lead, data, message):
    auth.login(rep)
    response = _convert(client, lead, **data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _counts() == (0, 0, 0)
    db.session.refresh(lead)
    assert lead.converted_at is None


def test_conversion_needs_the_csrf_token(client, auth, rep, lead):
    auth.login(rep)
    assert _convert(client, lead, csrf=False).status_code == 400
    assert _counts() == (0, 0, 0)
    assert client.get("/leads/999999/convert").status_code == 404


def test_conversion_into_a_hidden_stage_is_refused(client, auth, admin, rep, lead):
    secret = make_pipeline("Secret", ["A"])
    set_access(secret, restricted=True, members=[])
    auth.login(rep)
    response = _convert(client, lead, with_deal="y", deal_name="X", stage_id=secret.stages[0].id)
    assert response.status_code == 422 and _counts() == (0, 0, 0)


# Relative dates


@pytest.mark.parametrize(
    ("locale", "days", "expected"),
    [
        ("en", -3, "3 days ago"),
        ("en", -1, "yesterday"),
        ("en", 0, "today"),
        ("en", 1, "tomorrow"),
        ("en", 2, "in 2 days"),
        ("en", -60, "2 months ago"),
        ("fr", -3, "il y a 3 jours"),
        ("fr", -1, "hier"),
        ("fr", 2, "dans 2 jours"),
    ],
)
def test_relative_date_reads_in_the_viewers_language(app, locale, days, expected):
    from flask_babel import force_locale

    today = date(2026, 12, 3)
    with app.test_request_context(), force_locale(locale):
        assert relative_date(today + timedelta(days=days), today) == expected


@pytest.mark.parametrize(("locale", "expected"), [("en", "3 days overdue"), ("fr", "3\u00a0jours de retard")])
def test_overdue_reads_as_such(app, locale, expected):
    from flask_babel import force_locale

    today = date(2026, 12, 3)
    with app.test_request_context(), force_locale(locale):
        assert relative_date(today - timedelta(days=3), today, overdue=True) == expected
        assert relative_date(today + timedelta(days=2), today, overdue=True) in ("in 2 days", "dans 2 jours")


def test_relative_time_in_the_viewers_time_zone(app):
    from zoneinfo import ZoneInfo

    from flask_babel import force_locale

    paris = ZoneInfo("Europe/Paris")
    now = datetime(2026, 12, 3, 0, 30, tzinfo=paris)  # 23:30 UTC the day before
    with app.test_request_context(), force_locale("en"):
        # 22:00 UTC on the 2nd is 23:00 in Paris on the 2nd: yesterday there, though 2.5 hours ago.
        assert relative_time(datetime(2026, 12, 2, 22, 0), now) == "yesterday"
        assert relative_time(datetime(2026, 12, 2, 23, 20), now) == "10 minutes ago"
    with app.test_request_context(), force_locale("fr"):
        assert relative_time(datetime(2026, 11, 29, 12, 0), now) == "il y a 4 jours"


def test_pages_show_relative_dates_with_the_exact_one_on_hover(client, auth, rep, hub):
    make_action(
        rep, title="Late call", due_date=date.today() - timedelta(days=3), contact_id=hub["contact"].id
    )
    rep.locale = "fr"
    db.session.commit()
    auth.login(rep)
    agenda = client.get("/agenda/").get_data(as_text=True)
    assert "3\u00a0jours de retard" in agenda and 'title="' in agenda
    opp = client.get(f"/opportunities/{hub['public'].id}").get_data(as_text=True)
    feed = opp.split('id="opp-feed"', 1)[1]
    assert "à l’instant" in feed and 'class="rel"' in feed  # its "created" line, seconds old
