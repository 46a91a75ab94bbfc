"""The French UI is whole: what automations and the worker record is a fact, told in the reader's
language when shown (crm.facts), step default labels are not stored, statuses go through labels."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from automation.mailing.compose import queue_email
from automation.scenarios import admin as scenarios
from automation.scenarios import engine
from automation.triggers.batch import process_events
from crm.extensions import db
from crm.facts import clip, describe, fact
from crm.models import DomainEvent, Opportunity, Scenario, ScenarioStep
from crm.services.events import feed
from crm.services.opportunities import set_result
from tests.factories import (
    email_step,
    make_contact,
    make_opportunity,
    make_pipeline,
    make_scenario,
    make_sender,
    make_trigger,
    make_user,
    pause_step,
)

NB = "\u00a0"


def _text(html: str) -> str:
    """Visible text: tags out, runs of ordinary white space as one space (non-breaking kept)."""
    return re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", html))


def _french(user):  # type: ignore[no-untyped-def]
    user.locale = "fr"
    db.session.commit()
    return user


def _process() -> None:
    process_events(list(db.session.scalars(select(DomainEvent.id).where(DomainEvent.processed_at.is_(None)))))


def _won_enrolls(rep, scenario_label="Nurture", active=True):  # type: ignore[no-untyped-def]
    """An opportunity of `rep` (who reads English) won, and an automation enrolling its contact."""
    nurture = make_scenario([pause_step(7)], label=scenario_label, active=active)
    pipeline = make_pipeline()
    contact = make_contact(first_name="Camille", last_name="Roux")
    opp = make_opportunity(pipeline.stages[0], name="Big deal", owner=rep, contact=contact)
    make_trigger(
        pipeline, "result", {"result": "won"}, name="Gagné", effects=[("enroll", {"scenario_id": nurture.id})]
    )
    set_result(db.session.get(Opportunity, opp.id), "won", actor=rep)
    _process()
    return opp, contact


def test_an_automation_line_reads_in_each_readers_language(client, auth, rep, admin):
    opp, contact = _won_enrolls(rep)
    auth.login(rep)
    english = _text(client.get(f"/opportunities/{opp.id}").get_data(as_text=True))
    assert f"Automation “Gagné”: added {contact.display_name} to “Nurture”." in english
    auth.logout()
    auth.login(_french(admin))
    french = _text(client.get(f"/opportunities/{opp.id}").get_data(as_text=True))
    assert (
        f"Automatisme «{NB}Gagné{NB}»{NB}: a ajouté {contact.display_name} au scénario «{NB}Nurture{NB}»."
        in french
    )
    assert "added" not in french and '{"fact"' not in french


def test_a_line_written_in_the_old_english_form_still_shows_as_stored(client, auth, admin):
    opp = make_opportunity(make_pipeline().stages[0], name="Legacy")
    feed(opp, "automation", None, status="done", trigger="Old", text="added Bob to “Nurture”")
    db.session.commit()
    auth.login(_french(admin))
    page = _text(client.get(f"/opportunities/{opp.id}").get_data(as_text=True))
    assert f"Automatisme «{NB}Old{NB}»{NB}: added Bob to “Nurture”." in page


def test_the_automation_runs_page_in_french(client, auth, rep, admin):
    _won_enrolls(rep)
    _won_enrolls(rep, scenario_label="Dormant", active=False)  # this one fails: the scenario is off
    auth.login(_french(admin))
    page = _text(client.get("/settings/automation-runs/").get_data(as_text=True))
    assert "Effectué" in page and "Échec" in page  # run and effect statuses, through crm.labels
    assert f"a ajouté Camille Roux au scénario «{NB}Nurture{NB}»" in page
    assert f"Le scénario «{NB}Dormant{NB}» n’est pas actif." in page
    for english in ("Done", "Failed", "added Camille", "is not active"):
        assert english not in page
    # The failure's own feed line and the admins' notification are French too.
    bell = _text(client.get("/notifications/").get_data(as_text=True))
    assert f"échec de l’effet «{NB}Ajouter à un scénario{NB}»" in bell


def test_a_mail_log_suppression_reason_in_french(client, auth, admin):
    contact = make_contact(email="gone@client.example", unsubscribed=True)
    row = queue_email(
        key="test:suppressed",
        kind="transactional",
        to_email=contact.email,
        subject="Your quote",
        html="<p>Hello</p>",
        sender=make_sender(),
        recipient=contact,
    )
    db.session.commit()
    assert row.status == "suppressed" and describe(row.suppressed_reason) == "unsubscribed from email"
    auth.login(_french(admin))
    listing = _text(client.get("/settings/mail/").get_data(as_text=True))
    detail = _text(client.get(f"/settings/mail/{row.id}").get_data(as_text=True))
    for page in (listing, detail):
        assert "désinscrit des e-mails" in page and "Bloqué" in page
        assert "unsubscribed" not in page and "Suppressed" not in page


def _unsubscribed_in_a_scenario():  # type: ignore[no-untyped-def]
    rep = make_user(name="Alice Martin", email="alice@ourco.example")
    make_sender(email="alice@ourco.example", display_name="Alice Martin")
    contact = make_contact(email="camille@client.example", opt_in=True, owner=rep, unsubscribed=True)
    scenario = make_scenario([email_step("Hi", label="Premier e-mail")])
    enrollment = engine.enroll(scenario, contact)
    engine.advance(enrollment.id)
    return scenario, db.session.get(type(enrollment), enrollment.id, populate_existing=True)


def test_a_scenario_timeline_and_exit_reason_in_french(client, auth, admin):
    scenario, enrollment = _unsubscribed_in_a_scenario()
    assert enrollment.status == "exited"
    auth.login(_french(admin))
    timeline = _text(
        client.get(f"/settings/scenarios/{scenario.id}/people/{enrollment.id}", htmx=True).get_data(
            as_text=True
        )
    )
    expected = f"«{NB}Premier e-mail{NB}»{NB}: étape ignorée — désinscrit des e-mails. Sortie du scénario."
    assert expected in timeline
    people = _text(
        client.get(f"/settings/scenarios/{scenario.id}/people?status=exited", htmx=True).get_data(
            as_text=True
        )
    )
    assert "Sorti" in people and "désinscrit des e-mails" in people and "unsubscribed" not in people


def test_a_step_without_a_typed_label_shows_its_default_in_the_readers_language(client, auth, admin, rep):
    scenario = scenarios.create_scenario("Relances", admin)
    first = scenarios.add_step(scenario, "email", config=email_step("Hi")[1])
    typed = scenarios.add_step(scenario, "pause", after=first, label="Attendre", config=pause_step(3)[1])
    scenarios.add_step(scenario, "end", after=typed)
    labels = dict(db.session.execute(select(ScenarioStep.kind, ScenarioStep.label)).all())
    assert labels == {"email": "", "pause": "Attendre", "end": ""}  # no default stored
    rep.role = "admin"
    db.session.commit()
    auth.login(rep)
    english = _text(client.get(f"/settings/scenarios/{scenario.id}").get_data(as_text=True))
    assert "Email 1 to 1" in english and "End" in english and "Attendre" in english
    auth.logout()
    auth.login(_french(admin))
    french = _text(client.get(f"/settings/scenarios/{scenario.id}").get_data(as_text=True))
    assert "E-mail individuel" in french and "Fin" in french and "Attendre" in french
    assert f"«{NB}Hi{NB}»" in french and "“Hi”" in english  # the email step's subject, quoted
    assert "Email 1 to 1" not in french and not re.search(r"\bEnd\b", french)
    # The step form shows the default as a placeholder, in the reader's language.
    form = client.get(f"/settings/scenarios/{scenario.id}/steps/{first.id}", htmx=True).get_data(as_text=True)
    assert 'placeholder="E-mail individuel"' in form and 'value="E-mail individuel"' not in form


def test_statuses_are_labels_not_codes(client, auth, admin):
    scenario = make_scenario([pause_step(7)], label="Nurture")
    contact = make_contact(first_name="Jeanne", opt_in=True)
    engine.enroll(scenario, contact)
    auth.login(_french(admin))
    panel = _text(client.get(f"/people/contacts/{contact.id}/scenarios", htmx=True).get_data(as_text=True))
    assert "En cours" in panel and "active" not in panel


def test_facts_render_safely_whatever_is_stored(app):
    assert describe(None) == "" and describe("plain text") == "plain text"
    assert describe('{"fact": broken') == '{"fact": broken'  # not JSON: shown as it is
    assert describe(fact("no_such_kind")) == "no_such_kind"
    assert describe(fact("tag_added")) == "tag_added"  # a parameter missing
    nested = fact("gave_up", num=5, error=fact("smtp_unreachable", error="refused"))
    assert describe(nested) == "gave up after 5 attempts: cannot reach the SMTP server: refused"
    long = fact("smtp_unreachable", error="x" * 500)
    assert clip(long, 100) == describe(long)[:100]


ENGLISH = (
    "Automation",
    "queued",
    "End",
    "Email 1 to 1",
    "suppressed",
    "unsubscribed",
    "Done",
    "not opted in",
)


def test_no_english_left_on_the_french_pages_of_the_demo(demo_pages):
    assert len(demo_pages) > 10, list(demo_pages)
    for path, text in demo_pages.items():
        for word in ENGLISH:
            assert not re.search(rf"\b{re.escape(word)}\b", text), (word, path)
        assert '{"fact"' not in text, path


@pytest.fixture
def demo_pages(client, auth):  # type: ignore[no-untyped-def]
    """The French pages of the demo where automations, mail and scenarios tell what they did."""
    from crm.demo import DEMO_LOGINS, load_demo
    from crm.models import Enrollment, FeedEntry, OutboxMessage, User

    load_demo()
    _demo_day()
    email, password, _role = DEMO_LOGINS[0]
    auth.login(_french(db.session.scalars(select(User).where(User.email == email)).one()), password)
    scenario = db.session.scalars(select(Scenario)).first()
    paths = ["/settings/automation-runs/", "/settings/mail/", f"/settings/scenarios/{scenario.id}"]
    paths += [f"/settings/scenarios/{scenario.id}/people?status={s}" for s in ("active", "all")]
    paths += [
        f"/settings/scenarios/{scenario.id}/people/{e}"
        for e in db.session.scalars(select(Enrollment.id).where(Enrollment.simulation.is_(False)))
    ]
    paths += [f"/settings/mail/{m}" for m in db.session.scalars(select(OutboxMessage.id).limit(10))]
    automated = select(FeedEntry.opportunity_id).where(FeedEntry.data["trigger"].as_string().is_not(None))
    paths += [f"/opportunities/{o}" for o in db.session.scalars(automated.distinct().limit(5))]
    pages = {}
    for path in paths:
        # The people list and a person's timeline are fragments: ask for them as their page does.
        response = client.get(path, htmx="/people" in path)
        assert response.status_code == 200, path
        pages[path] = _text(response.get_data(as_text=True))
    return pages


def _demo_day() -> None:
    """What a day of use adds to the demo: one opportunity won and one in R2 (both automations
    fire), a contact who unsubscribed leaving the scenario, and the suppressed mail that makes."""
    from crm.models import Enrollment, Stage
    from crm.services.opportunities import move_opportunity

    opps = db.session.scalars(
        select(Opportunity).where(Opportunity.result == "open").order_by(Opportunity.id)
    )
    won, moved = list(opps)[:2]
    set_result(won, "won", actor=won.owner)
    r2 = db.session.scalars(
        select(Stage).where(Stage.pipeline_id == moved.pipeline_id, Stage.name == "R2")
    ).one()
    move_opportunity(moved, r2, actor=moved.owner)
    _process()
    first, second = db.session.scalars(select(Enrollment).where(Enrollment.simulation.is_(False))).all()[:2]
    step = first.current_step
    step.config = {**step.config, "window_start": "", "window_end": "", "skip_weekends": False}  # send now
    engine.person_of(first).unsubscribed = True
    db.session.commit()
    engine.advance(first.id)
    engine.unenroll(second.scenario, engine.person_of(second), reason=fact("removed_by", name="Ada"))


def test_the_french_catalog_follows_french_typography():
    from pathlib import Path

    from babel.messages.pofile import read_po

    path = Path(__file__).parents[1] / "crm/translations/fr/LC_MESSAGES/messages.po"
    with path.open("rb") as f:
        catalog = read_po(f)
    bad = []
    for message in catalog:
        if not message.id:
            continue
        for text in message.string if isinstance(message.string, tuple) else (message.string,):
            if re.search(r"[“”]| [:;!?]|[^\s\u00a0\u202f\[][;!?]|\.\.", text):
                bad.append(text)
    assert bad == []
