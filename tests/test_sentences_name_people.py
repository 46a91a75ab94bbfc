"""Sentences about an automation name the people it writes to, never the raw shortcodes."""

from __future__ import annotations

import re
from html import unescape

from sqlalchemy import select

from automation.triggers.batch import process_events
from crm.extensions import db
from crm.models import DomainEvent, Opportunity
from crm.services.opportunities import set_result
from tests.factories import (
    make_contact,
    make_opportunity,
    make_pipeline,
    make_sender,
    make_template,
    make_trigger,
)

NB = "\u00a0"


def _text(html: str) -> str:
    return unescape(re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", html)))  # keeps the no-break spaces


def _won_sends_to_three(rep):  # type: ignore[no-untyped-def]
    pipeline = make_pipeline()
    contact = make_contact(first_name="Camille", last_name="Roux", email="camille@client.example")
    opp = make_opportunity(pipeline.stages[0], name="Big deal", owner=rep, contact=contact)
    make_trigger(
        pipeline,
        "result",
        {"result": "won"},
        name="Won",
        effects=[
            (
                "send_email",
                {
                    "template_id": make_template(name="Thanks").id,
                    "sender_id": make_sender().id,
                    "recipients": "[[!AssignedToId]], [[!ContactEmail]], boss@ourco.example",
                },
            )
        ],
    )
    return pipeline, opp


def test_the_trigger_list_says_who_gets_the_email_in_the_readers_language(client, auth, admin, rep):
    pipeline, _opp = _won_sends_to_three(rep)
    auth.login(admin)
    listing = _text(
        client.get(f"/settings/pipelines/{pipeline.id}/triggers/", htmx=True).get_data(as_text=True)
    )
    assert "send email “Thanks” to the assigned rep, the contact, boss@ourco.example" in listing
    assert "[[!" not in listing

    admin.locale = "fr"
    db.session.commit()
    listing = _text(
        client.get(f"/settings/pipelines/{pipeline.id}/triggers/", htmx=True).get_data(as_text=True)
    )
    assert (
        f"envoyer l’e-mail «{NB}Thanks{NB}» — destinataires{NB}: le commercial assigné, le contact, "
        "boss@ourco.example" in listing
    ), listing[listing.find("Quand") :][:400]


def test_the_feed_line_names_each_person_written_to(client, auth, rep, worker):
    _pipeline, opp = _won_sends_to_three(rep)
    set_result(db.session.get(Opportunity, opp.id), "won", actor=rep)
    process_events(list(db.session.scalars(select(DomainEvent.id).where(DomainEvent.processed_at.is_(None)))))

    auth.login(rep)
    page = _text(client.get(f"/opportunities/{opp.id}").get_data(as_text=True))
    assert (
        f"to {rep.name} <{rep.email}>, Camille Roux <camille@client.example>, boss@ourco.example" in page
    ), page[:3000]
    assert "[[!" not in page
