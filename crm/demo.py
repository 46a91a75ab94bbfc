"""Demo data for `make run`: users, the seed's pipelines, accounts, contacts, leads, opportunities."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import update

from crm.demo_agenda import demo_agenda
from crm.extensions import db
from crm.models import Account, Contact, DomainEvent, Lead, Opportunity, Pipeline, Stage, User, utcnow
from crm.services.opportunities import create_opportunity, move_opportunity, set_result
from crm.services.pipelines import create_pipeline
from crm.services.users import create_user

DEMO_LOGINS = [
    ("admin@example.com", "admin-demo", "admin"),
    ("alice@example.com", "alice-demo", "rep"),
    ("bruno@example.com", "bruno-demo", "rep"),
]
STANDARD = ["Lead in", "Qualified", "R1", "R2", "Proposal", "Negotiation", "Verbal yes", "Contract"]
OTHER = ["To contact", "Contacted", "Meeting", "Follow-up"]
COMPANIES = [
    ("Inked Studio", "inked.example"),
    ("Boulangerie Martin", "martin.example"),
    ("Nordic Freight", "nordicfreight.example"),
    ("Atelier Lumière", "lumiere.example"),
    ("Cobalt Systems", "cobalt.example"),
    ("Verde Farms", "verde.example"),
    ("Helios Energy", "helios.example"),
    ("Pixel & Co", "pixelco.example"),
    ("Maison Dupont", "dupont.example"),
    ("Quantum Legal", "quantumlegal.example"),
]
PEOPLE = [
    ("Camille", "Durand"),
    ("Léa", "Bernard"),
    ("Hugo", "Petit"),
    ("Emma", "Robert"),
    ("Louis", "Richard"),
    ("Chloé", "Moreau"),
    ("Noah", "Simon"),
    ("Manon", "Laurent"),
    ("Jules", "Lefebvre"),
    ("Inès", "Michel"),
    ("Tom", "Garcia"),
    ("Sarah", "David"),
    ("Lucas", "Bertrand"),
    ("Zoé", "Roux"),
    ("Adam", "Vincent"),
    ("Alice", "Fournier"),
    ("Nathan", "Morel"),
    ("Jade", "Girard"),
    ("Théo", "André"),
    ("Lina", "Mercier"),
]
DEALS = [
    "Website redesign",
    "Annual licence",
    "Onboarding pack",
    "Support plan",
    "Pilot project",
    "Fleet tracking",
    "Training day",
    "Data migration",
    "Renewal",
    "Expansion seats",
]


def _slug(text: str) -> str:
    return "".join(c for c in text.lower() if c.isalnum())


def load_demo(seed: int = 7) -> None:
    rnd = random.Random(seed)
    admin = create_user(
        email=DEMO_LOGINS[0][0],
        password=DEMO_LOGINS[0][1],
        name="Sophie Admin",
        role="admin",
        signature_html="<p>Sophie Admin<br>Sales administration</p>",
    )
    alice = create_user(
        email=DEMO_LOGINS[1][0],
        password=DEMO_LOGINS[1][1],
        name="Alice Martin",
        signature_html="<p>Alice Martin<br>Account executive · +33 1 23 45 67 89</p>",
    )
    bruno = create_user(
        email=DEMO_LOGINS[2][0],
        password=DEMO_LOGINS[2][1],
        name="Bruno Leroy",
        locale="fr",
        signature_html="<p>Bruno Leroy<br>Commercial</p>",
    )
    reps = [alice, bruno]
    standard = create_pipeline("Standard", STANDARD)
    other = create_pipeline("Other", OTHER)

    contacts: list[Contact] = []
    people = iter(PEOPLE)
    for name, domain in COMPANIES:
        owner = rnd.choice(reps)
        account = Account(
            name=name,
            email=f"hello@{domain}",
            phone=f"+33 1 {rnd.randint(10, 99)} "
            f"{rnd.randint(10, 99)} {rnd.randint(10, 99)} {rnd.randint(10, 99)}",
            website=f"https://{domain}",
            owner=owner,
            opt_in=True,
        )
        db.session.add(account)
        for _ in range(2):
            first, last = next(people)
            contact = Contact(
                first_name=first,
                last_name=last,
                account=account,
                owner=owner,
                email=f"{first.lower()}.{last.lower()}@{domain}".replace("é", "e")
                .replace("è", "e")
                .replace("ï", "i")
                .replace("ô", "o"),
                job_title=rnd.choice(["CEO", "Head of sales", "Buyer", "CTO", "Office manager"]),
                opt_in=rnd.random() > 0.15,
            )
            db.session.add(contact)
            contacts.append(contact)
    for first, last, company in [
        ("Marc", "Blanc", "Blanc Conseil"),
        ("Julie", "Faure", "Faure Design"),
        ("Paul", "Roche", None),
        ("Nina", "Colin", "Colin & Fils"),
    ]:
        db.session.add(
            Lead(
                first_name=first,
                last_name=last,
                company=company,
                source="Website",
                email=f"{first.lower()}@{_slug(company or last)}.example",
                owner=rnd.choice(reps),
                opt_in=True,
            )
        )
    db.session.commit()

    opportunities: list[Opportunity] = []
    for index in range(40):
        pipeline = standard if index < 32 else other
        stages: list[Stage] = pipeline.stages
        contact = rnd.choice(contacts)
        opp = create_opportunity(
            actor=contact.owner,
            stage=stages[0],
            name=f"{contact.account.name} – {rnd.choice(DEALS)}",
            amount=Decimal(rnd.choice([1200, 2500, 4800, 7500, 9900, 15000, 24000, 38000])),
            contact=contact,
            owner=contact.owner,
            tags=rnd.sample(["VIP", "Inbound", "Partner", "Q4"], rnd.randint(0, 2)),
            expected_close=date.today() + timedelta(days=rnd.randint(5, 90)),
        )
        target = stages[min(int(rnd.random() ** 1.4 * len(stages)), len(stages) - 1)]
        if target.id != opp.stage_id:
            move_opportunity(opp, target, actor=opp.owner)
        if index % 9 == 8:
            set_result(opp, rnd.choice(["won", "lost", "dormant"]), actor=opp.owner, reason="Demo")
        opportunities.append(opp)
    _board_extras(standard, opportunities)
    demo_agenda(opportunities, rnd)
    _marketing(alice, bruno, contacts, rnd)
    _automation(admin, standard, contacts)
    # Demo history is not news: no automation should run on it.
    db.session.execute(update(DomainEvent).values(processed_at=utcnow()))
    db.session.commit()


def _board_extras(standard: Pipeline, opportunities: list[Opportunity]) -> None:
    """Something for the board's cards to show: days in the stage (some idle), stage
    probabilities (weighted totals) and tag colours. Its own random draws, so the rest of the
    demo stays as it was."""
    from crm.models import Tag

    rnd = random.Random(14)
    for position, stage in enumerate(standard.stages):
        stage.probability = min(10 + position * 12, 95)
        stage.idle_days = 21
    for opp in opportunities:
        opp.stage_entered_at = utcnow() - timedelta(days=rnd.randint(0, 40))
    colors = {"VIP": "#b42318", "Inbound": "#0e7490", "Partner": "#6d28d9", "Q4": "#facc15"}
    for tag in db.session.query(Tag).filter(Tag.name.in_(colors)):
        tag.color = colors[tag.name]
    db.session.commit()


def _marketing(alice: User, bruno: User, contacts: list[Contact], rnd: random.Random) -> None:
    """Verified senders (the team's and each rep's own), two templates, newsletter readers."""
    from crm.models import EmailTemplate, SenderAddress
    from crm.services.opportunities import tags_named

    now = utcnow()
    for email, name in (
        ("sales@example.com", "Salesloop Sales"),
        (alice.email, alice.name),
        (bruno.email, bruno.name),
    ):
        db.session.add(SenderAddress(email=email, display_name=name, verified_at=now))
    db.session.add(SenderAddress(email="marketing@example.com", display_name="Marketing"))  # still pending
    db.session.add(
        EmailTemplate(
            name="Form to fill",
            subject="Form to fill with [[!AccountName]]",
            body_html="<p>Hello [[!RepName]],</p><p>[[!OpportunityName]] has reached R2. Fill in the attached "
            "administrative form with the prospect, then attach it to the opportunity.</p>",
        )
    )
    db.session.add(
        EmailTemplate(
            name="Monthly news",
            subject="What's new this month, [[!ContactFirstName]]",
            body_html="<p>Hello [[!ContactFirstName]],</p><p>Here is what changed this month.</p>"
            '<p><a href="https://example.com/news">Read the news</a></p>'
            '<p style="font-size:12px;color:#667085"><a href="[[!UnsubscribeLink]]">Unsubscribe</a></p>',
            track_opens=True,
            track_clicks=True,
        )
    )
    newsletter = tags_named(["Newsletter"])
    for contact in contacts:
        if contact.opt_in and rnd.random() > 0.3:
            contact.tags = newsletter
    db.session.commit()


def _form_pdf() -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", "B", 16)
    pdf.cell(0, 10, "Administrative form", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", "", 11)
    for line in ("Company name:", "Registration number:", "Billing address:", "Signature:"):
        pdf.cell(0, 12, line + " " + "." * 60, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _automation(admin: User, standard, contacts: list[Contact]) -> None:  # type: ignore[no-untyped-def]
    """The seed's two trigger examples on "Standard", and the seed's scenario, active."""
    from io import BytesIO

    from werkzeug.datastructures import FileStorage

    from automation.scenarios import admin as scenarios
    from automation.scenarios import engine
    from automation.triggers import editor
    from crm.models import ActionType, EmailTemplate, SenderAddress
    from crm.services.quotes import store_pdf  # noqa: F401  (same storage as uploads)
    from crm.uploads import save_upload

    form = save_upload(FileStorage(stream=BytesIO(_form_pdf()), filename="administrative-form.pdf"))
    template = db.session.query(EmailTemplate).filter_by(name="Form to fill").one()
    template.attachments.append(form)
    db.session.commit()
    sender = db.session.query(SenderAddress).filter_by(email="sales@example.com").one()
    administrative = db.session.query(ActionType).filter_by(name="Administrative").one()
    r2 = next(s for s in standard.stages if s.name == "R2")
    won = editor.create_trigger(standard, "result", {"result": "won"}, "Won → handle the order")
    editor.save_effect(
        won,
        "create_action",
        {
            "type_id": administrative.id,
            "title": "New won opportunity – handle the order",
            "description": "",
            "assignee": "user",
            "user_ids": [admin.id],
            "due_days": 0,
            "due_time": "",
        },
        None,
    )
    form_trigger = editor.create_trigger(standard, "enter_stage", {"stage_id": r2.id}, "R2 → form to fill")
    editor.save_effect(
        form_trigger,
        "send_email",
        {"template_id": template.id, "sender_id": sender.id, "recipients": "[[!AssignedToId]]"},
        None,
    )

    scenario = scenarios.create_scenario("First contact after the trade show", admin)
    first = scenarios.add_step(
        scenario,
        "email",
        label="First email",
        config={
            "subject": "Nice to meet you, [[!ContactFirstName]]",
            "message": "Hello [[!ContactFirstName]],\n\nThank you for stopping by our stand. Would a short call next week "
            "suit you?",
            "sender_id": None,
            "from_name": "",
            "window_start": "09:00",
            "window_end": "18:00",
            "skip_weekends": True,
            "track_opens": False,
            "track_clicks": False,
        },
    )
    pause = scenarios.add_step(
        scenario, "pause", after=first, label="Pause", config={"days": 7, "hours": 0, "until": None}
    )
    second = scenarios.add_step(
        scenario,
        "email",
        after=pause,
        label="Second email",
        config={
            "subject": "Following up",
            "message": "Hello [[!ContactFirstName]],\n\nDid you have time to look at our offer?",
            "sender_id": None,
            "from_name": "",
            "window_start": "09:00",
            "window_end": "18:00",
            "skip_weekends": True,
            "track_opens": False,
            "track_clicks": False,
        },
    )
    scenarios.add_step(scenario, "end", after=second)
    scenarios.activate(scenario)
    for contact in [c for c in contacts if c.opt_in][:3]:
        engine.enroll(scenario, contact, source="demo")
