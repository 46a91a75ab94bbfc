"""Quotes: lines and totals, the PDF's text, sending through the outbox with the PDF attached, reopening."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from crm.extensions import db
from crm.models import DomainEvent, FeedEntry, OutboxMessage, Quote
from crm.quote_pdf import render_quote_pdf
from crm.services.quotes import add_line, create_quote
from tests.factories import (
    make_account,
    make_contact,
    make_opportunity,
    make_pipeline,
    make_sender,
    make_user,
)
from tests.services import wait_until


@pytest.fixture
def deal():  # type: ignore[no-untyped-def]
    owner = make_user(name="Alice Martin", email="alice@ourco.example", signature_html="<p>Alice — Sales</p>")
    account = make_account(name="Boulangerie Martin")
    contact = make_contact(account, first_name="Émile", last_name="Zola", email="emile@client.example")
    return make_opportunity(make_pipeline().stages[2], name="Ovens renewal", contact=contact, owner=owner)


def _quote_with_lines(deal, actor):  # type: ignore[no-untyped-def]
    quote = create_quote(deal, actor=actor)
    add_line(
        quote,
        description="Oven installation",
        quantity=Decimal("2"),
        unit_price=Decimal("1250.00"),
        vat_rate=Decimal("20"),
        discount=Decimal("10"),
    )
    add_line(
        quote,
        description="Cookbook (reduced VAT)",
        quantity=Decimal("3"),
        unit_price=Decimal("19.90"),
        vat_rate=Decimal("5.5"),
        discount=Decimal("0"),
    )
    return quote


def test_totals_per_line_and_per_vat_rate(app, deal):
    quote = _quote_with_lines(deal, deal.owner)
    assert [line.net for line in quote.lines] == [Decimal("2250.00"), Decimal("59.70")]
    assert quote.total_net == Decimal("2309.70")
    assert quote.tax_by_rate() == [
        (Decimal("5.50"), Decimal("59.70"), Decimal("3.28")),
        (Decimal("20.00"), Decimal("2250.00"), Decimal("450.00")),
    ]
    assert quote.total_gross == Decimal("2762.98")
    assert quote.number.startswith("Q-") and quote.number.endswith(f"{quote.id:05d}")


def test_pdf_text_matches_lines_and_totals(app, deal):
    quote = _quote_with_lines(deal, deal.owner)
    text = "\n".join(
        page.extract_text() for page in PdfReader(io.BytesIO(render_quote_pdf(quote, "en"))).pages
    )
    for expected in (
        f"Quote {quote.number}",
        "Boulangerie Martin",
        "Émile Zola",
        "Ovens renewal",
        "Oven installation",
        "Cookbook (reduced VAT)",
        "€1,250.00",
        "€2,250.00",
        "€59.70",
        "Total excl. VAT",
        "€2,309.70",
        "VAT 20 %",
        "€450.00",
        "VAT 5.5 %",
        "€3.28",
        "Total incl. VAT",
        "€2,762.98",
    ):
        assert expected in text, expected
    french = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(render_quote_pdf(quote, "fr"))).pages)
    assert "Devis" in french and "2\u202f762,98\xa0€" in french


def test_editing_lines_from_the_page(client, auth, rep, deal):
    auth.login(rep)
    created = client.post(f"/opportunities/{deal.id}/quotes", htmx=True)
    quote = db.session.scalars(select(Quote)).one()
    assert created.headers["HX-Redirect"] == f"/quotes/{quote.id}"
    added = client.post(
        f"/quotes/{quote.id}/lines",
        data={
            "description": "Audit",
            "quantity": "1.5",
            "unit_price": "800",
            "vat_rate": "20",
            "discount": "",
        },
        htmx=True,
    )
    assert added.status_code == 200 and "€1,200.00" in added.get_data(as_text=True)
    line = db.session.get(Quote, quote.id).lines[0]
    p = f"l{line.id}-"
    updated = client.post(
        f"/quotes/{quote.id}/lines/{line.id}",
        data={
            f"{p}description": "Audit (2 days)",
            f"{p}quantity": "2",
            f"{p}unit_price": "800",
            f"{p}vat_rate": "20",
            f"{p}discount": "0",
        },
        htmx=True,
    )
    assert "€1,920.00" in updated.get_data(as_text=True)  # 1,600 + 20 % VAT
    bad = client.post(
        f"/quotes/{quote.id}/lines/{line.id}",
        data={f"{p}description": "", f"{p}quantity": "-2", f"{p}unit_price": "x", f"{p}vat_rate": "150"},
        htmx=True,
    )
    assert bad.status_code == 422 and "Between 0 and 100." in bad.headers["HX-Trigger"]
    assert db.session.get(Quote, quote.id).lines[0].description == "Audit (2 days)"
    client.post(f"/quotes/{quote.id}/lines/{line.id}/delete", htmx=True)
    assert db.session.get(Quote, quote.id).lines == []


@pytest.mark.parametrize("problem", ["no lines", "no contact email", "unverified sender", "no sender"])
def test_send_is_refused_with_a_clear_message_and_nothing_queued(client, auth, rep, deal, problem):
    quote = _quote_with_lines(deal, rep) if problem != "no lines" else create_quote(deal, actor=rep)
    sender = make_sender(verified=problem != "unverified sender")
    if problem == "no contact email":
        deal.contact.email = None
        db.session.commit()
    auth.login(rep)
    data = {} if problem == "no sender" else {"sender_id": sender.id}
    response = client.post(f"/quotes/{quote.id}/send", data=data, htmx=True)
    assert response.status_code == 422
    message = {
        "no lines": "Add at least one line",
        "no contact email": "needs a contact with an email",
        "unverified sender": "Not a valid choice",
        "no sender": "Choose a verified sender",
    }[problem]
    assert message in response.get_data(as_text=True) + response.headers.get("HX-Trigger", "")
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0
    assert db.session.get(Quote, quote.id).status == "draft"
    assert db.session.scalars(select(DomainEvent).where(DomainEvent.kind == "quote_sent")).first() is None


def test_send_mails_the_pdf_then_reopen_records_it(client, auth, rep, deal, worker, smtp):
    quote = _quote_with_lines(deal, rep)
    sender = make_sender(email="alice@ourco.example", display_name="Alice Martin")
    auth.login(rep)
    response = client.post(f"/quotes/{quote.id}/send", data={"sender_id": sender.id}, htmx=True)
    assert response.status_code == 200 and response.headers["HX-Refresh"] == "true"
    quote = db.session.get(Quote, quote.id)
    assert quote.status == "sent" and quote.sent_at
    [msg] = smtp.wait_for(1)
    assert msg["To"].addresses[0].addr_spec == "emile@client.example"
    assert msg["Subject"] == f"Quote {quote.number} — Ovens renewal"
    assert (
        "Hello Émile," in msg.get_body(("plain",)).get_content()
        and "Alice — Sales" in msg.get_body(("html",)).get_content()
    )
    [pdf] = [p for p in msg.iter_attachments() if p.get_content_type() == "application/pdf"]
    assert pdf.get_filename() == f"{quote.number}.pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.get_content())).pages)
    assert "€2,762.98" in text and "Oven installation" in text
    [sent_event] = db.session.scalars(select(DomainEvent).where(DomainEvent.kind == "quote_sent")).all()
    assert sent_event.payload["quote_id"] == quote.id and sent_event.opportunity_id == deal.id
    # A sent quote is frozen until reopened.
    assert (
        client.post(
            f"/quotes/{quote.id}/lines",
            data={"description": "x", "quantity": "1", "unit_price": "1", "vat_rate": "20"},
            htmx=True,
        ).status_code
        == 409
    )
    client.post(f"/quotes/{quote.id}/reopen", htmx=True)
    assert db.session.get(Quote, quote.id).status == "reopened"
    [reopened] = db.session.scalars(select(DomainEvent).where(DomainEvent.kind == "quote_reopened")).all()
    assert reopened.payload == {"quote_id": quote.id}
    kinds = db.session.scalars(
        select(FeedEntry.kind).where(FeedEntry.opportunity_id == deal.id).order_by(FeedEntry.id)
    ).all()
    assert kinds[-2:] == ["quote_sent", "quote_reopened"]
    # Sending the reopened quote is a new cause: a second mail, never a duplicate of the first.
    client.post(f"/quotes/{quote.id}/send", data={"sender_id": sender.id}, htmx=True)
    smtp.wait_for(2)
    wait_until(lambda: db.session.scalar(select(func.count(OutboxMessage.id))) == 2)
    page = client.get(f"/opportunities/{deal.id}").get_data(as_text=True)
    assert f"sent quote {quote.number} to emile@client.example" in page and "Email “Quote" in page
