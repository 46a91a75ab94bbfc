"""Property-based fuzzing of every form and HTMX endpoint a logged-in user can reach.

Each endpoint gets its own small world (a pipeline, records, an opportunity with a quote, an
action, a sender, a template, a scenario, a trigger, a campaign…) and an admin and a rep already
logged in. Hypothesis then sends it requests mixing valid-looking values with hostile ones: empty,
10,000-character and unicode/NUL/control strings, negative, huge and not-a-number numbers, unknown
and non-numeric ids, lists where one value is expected, impossible dates. For every request:

* the answer is never a 5xx (nor an exception, which the test client raises instead of a 500);
* an answer the app refuses (4xx) wrote nothing: the row count of every table and the columns of
  the record the endpoint targets are the same before and after. Accepted requests may write.

Examples share the database (the tables are only emptied between test functions), so each
request is compared with a snapshot taken just before it. Runs are derandomized for CI.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from werkzeug.routing import IntegerConverter
from werkzeug.security import generate_password_hash

from crm.extensions import db
from tests.conftest import PASSWORD

# --------------------------------------------------------------------------------------------------
# Values


MISSING = object()  # the field is left out of the request

HOSTILE_TEXT = [
    "",
    " ",
    "\t\r\n",
    "\x00",
    "a\x00b",
    "\x07\x08\x1b[31mred\x7f",
    "x" * 10_000,
    "é" * 61,
    "É" * 201,
    "İ",
    "ΑΣ",
    "ẞ",
    "ﬀ",
    "\u202eevil",
    "\ufeffbom",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "[[!ContactFirstName]]",
    "[[!Nope]]",
    "[[!",
    "%",
    "_%\\",
    "' OR 1=1 --",
    "@ada @remy @",
    "🙂" * 100,
    "a,b,,c, ,",
    "," * 300,
    "  padded  ",
    "Émeraude",
    "ÉMERAUDE",
    "émeraude",
]
HOSTILE_NUMBERS = [
    "",
    " ",
    "abc",
    "-1",
    "-0",
    "-0.01",
    "0",
    "0.001",
    "1e3",
    "1e999999",
    "-1e999999",
    "NaN",
    "-NaN",
    "sNaN",
    "Infinity",
    "-Infinity",
    "9" * 40,
    "1_000",
    "１２",
    "0x1A",
    "1,5",
    " 7 ",
    "100.01",
    "1000001",
    "10000000000",
    "9999999999.999",
    str(2**63),
    str(-(2**63) - 1),
]
# The values most likely to break something (see Field.extreme).
EXTREME_TEXT = ["x" * 10_000, "ΑΣ", "ÉMERAUDE", " "]
EXTREME_NUMBERS = ["9" * 40, str(2**63), "sNaN", "-1"]
EXTREME_IDS = [str(2**63), "abc", "-1", "987654"]
EXTREME_DATES = ["0001-01-01", "9999-12-31", "2026-02-30"]
EXTREME_DATETIMES = ["0001-01-01T00:00", "9999-12-31T23:59", "2026-03-29T02:30"]
HOSTILE_IDS = [
    "",
    " ",
    "0",
    "-1",
    "987654",
    str(2**63),
    str(10**30),
    "abc",
    "1.0",
    "1e3",
    "None",
    "١",
    "\x00",
]
# In a URL: unknown (0, never created, the largest database integer), beyond the converter's
# range (5,000 digits: more than int() reads), or not a plain number at all ("١" is the digit 1 to Python's int(): an alias, not unknown).
UNKNOWN_PATH_IDS = [
    *("0", "٠", "987654", str(2**63 - 1), str(2**63), str(10**30), "9" * 5000),
    *("-1", "abc", "1.0", "+1"),
]
HOSTILE_PATH_IDS = [*UNKNOWN_PATH_IDS, "١", "0" * 30 + "1"]
HOSTILE_DATES = [
    "",
    "2026-02-30",
    "2025-02-29",
    "2026-13-01",
    "2026-00-10",
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "-2026-01-01",
    "2026-1-1",
    "20260101",
    "tomorrow",
    "2026-03-01T10:00",
    "2026-03-01\x00",
]
HOSTILE_TIMES = ["", "24:00", "25:61", "9", "9:5", "12:00:00", "noon", "-01:00", "09:00\x00", "23:59:60"]
HOSTILE_DATETIMES = [
    "",
    "0001-01-01T00:00",
    "9999-12-31T23:59",
    "2026-02-30T10:00",
    "2026-03-29T02:30",  # does not exist in Europe/Paris (clocks go forward)
    "2026-10-25T02:30",  # exists twice in Europe/Paris
    "2026-03-01 10:00",
    "2026-03-01T10:00:00",
    "2026-03-01T10:00+05:00",
    "2026-03-01T10:00Z",
    "2026-03-01",
    "soon",
]
BOOLEANS = ["y", "on", "1", "true", "", "0", "false", "n", "off"]
READABLE = st.text(st.characters(codec="ascii", categories=("L", "N", "Zs")), min_size=1, max_size=30).filter(
    lambda s: s.strip()
)
ANY_TEXT = st.text(st.characters(codec="utf-8"), max_size=40)


@dataclass(frozen=True)
class Field:
    """How to fill one form field: a plausible value, a hostile one, or one of the few hostile
    values most likely to break something (boundaries: the largest ids, impossible dates…)."""

    valid: st.SearchStrategy[Any]
    hostile: st.SearchStrategy[Any]
    extreme: st.SearchStrategy[Any] | None = None


def text(*examples: str, required: bool = True) -> Field:
    valid = st.one_of(st.sampled_from(examples or ("Acme",)), READABLE)
    if not required:
        valid = st.one_of(valid, st.just(""))
    return Field(valid, st.one_of(st.sampled_from(HOSTILE_TEXT), ANY_TEXT), st.sampled_from(EXTREME_TEXT))


def number(lo: int, hi: int, decimals: bool = True) -> Field:
    valid = st.integers(lo, hi).map(str)
    if decimals:
        valid = st.one_of(valid, st.decimals(lo, hi, places=2, allow_nan=False).map(str))
    return Field(valid, st.sampled_from(HOSTILE_NUMBERS), st.sampled_from(EXTREME_NUMBERS))


def ids(*values: int | None, blank: bool = False) -> Field:
    good = [str(v) for v in values if v is not None] + ([""] if blank else [])
    return Field(st.sampled_from(good or [""]), st.sampled_from(HOSTILE_IDS), st.sampled_from(EXTREME_IDS))


def choice(*values: str) -> Field:
    return Field(
        st.sampled_from(values), st.sampled_from(["", "bogus", values[0].upper(), f"{values[0]} ", "\x00"])
    )


def boolean() -> Field:
    return Field(st.sampled_from(["y", ""]), st.sampled_from(BOOLEANS))


def day() -> Field:
    return Field(
        st.dates(date(2020, 1, 1), date(2030, 12, 31)).map(date.isoformat),
        st.sampled_from(HOSTILE_DATES),
        st.sampled_from(EXTREME_DATES),
    )


def clock() -> Field:
    return Field(
        st.sampled_from(["09:00", "13:30", "18:00", ""]), st.sampled_from(HOSTILE_TIMES), st.just("24:00")
    )


def blank_ok(field: Field) -> Field:
    """The same field, where empty is a valid answer too."""
    return Field(st.one_of(field.valid, st.just("")), field.hostile, field.extreme)


def moment() -> Field:
    valid = st.datetimes(datetime(2020, 1, 1), datetime(2030, 12, 31)).map(
        lambda d: d.strftime("%Y-%m-%dT%H:%M")
    )
    return Field(
        st.one_of(st.just("2026-06-01T09:30"), valid),
        st.sampled_from(HOSTILE_DATETIMES),
        st.sampled_from(EXTREME_DATETIMES),
    )


def upload() -> Field:
    png = bytes.fromhex(
        "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
        "0000000d49444154789c63f8cfc0f01f0005000101ffa6bdb60b0000000049454e44ae426082"
    )
    names = st.sampled_from(
        [
            "pixel.png",
            "notes.txt",
            "doc.pdf",
            "../../etc/passwd",
            "a\x00.png",
            "",
            "é" * 300 + ".png",
            "x.exe",
        ]
    )
    contents = st.sampled_from(
        [png, b"plain words\n", b"%PDF-1.4\n%%EOF\n", b"", b"\x00\x01\x02", b"MZ\x90\x00"]
    )
    valid = st.tuples(st.just(png), st.just("pixel.png"))
    return Field(valid, st.tuples(contents, names))


# --------------------------------------------------------------------------------------------------
# The world each endpoint is fuzzed against


@dataclass
class World:
    admin: int
    rep: int
    other: int
    pipeline: int
    pipeline2: int
    stages: list[int]
    stages2: list[int]
    tags: list[int]
    tag_names: list[str]
    account: int
    contact: int
    lead: int
    opp: int
    opp2: int
    types: list[int]
    action: int
    quote: int
    line: int
    sent_quote: int
    sender: int
    unverified_sender: int
    template: int
    upload: int
    scenario: int
    draft_scenario: int
    steps: dict[str, int]
    enrollment: int
    simulation: int
    trigger: int
    effects: list[int]
    campaign: int
    run: int
    outbox: int
    records: dict[str, int] = field(default_factory=dict)


def _user(role: str, name: str, email: str) -> Any:
    from crm.models import User

    # A one-round hash: logging in must not cost a real key derivation per test.
    user = User(
        email=email, name=name, role=role, password_hash=generate_password_hash(PASSWORD, "pbkdf2:sha256:1")
    )
    db.session.add(user)
    db.session.commit()
    return user


def build_world() -> World:
    from automation.scenarios import admin as scenarios
    from automation.scenarios import engine
    from crm.models import ActionType, Campaign, DomainEvent, EffectRun, OutboxMessage, Quote, TriggerRun
    from crm.services import quotes
    from crm.services.opportunities import set_result, tags_named
    from tests import factories as f

    admin = _user("admin", "Ada Admin", "ada@example.com")
    rep = _user("rep", "Remy Rep", "remy@example.com")
    other = _user("rep", "Zoé Ŝecond", "zoe@example.com")
    pipeline = f.make_pipeline("Ventes Été", ["New", "Qualified", "Proposal", "Empty"])
    pipeline2 = f.make_pipeline("Ébène", ["Lead", "Won-ready"])
    pipeline2.restricted = True  # only admins see it: the rep's requests there are refused
    stages = [s.id for s in pipeline.stages]
    tags = tags_named(["Émeraude", "vip", "ΑΣ"])
    db.session.commit()
    account = f.make_account(name="Åcme")
    contact = f.make_contact(account, first_name="Jane", last_name="Doe", email="jane@acme.example")
    contact.tags = [tags[1]]
    lead = f.make_lead(last_name="Lëad")
    lead.tags = [tags[0]]
    db.session.commit()
    opp = f.make_opportunity(
        pipeline.stages[0], admin, name="Big deal", account=account, contact=contact, tags=["vip"]
    )
    opp.owner_id = rep.id
    opp2 = f.make_opportunity(pipeline.stages[1], admin, name="Small deal", tags=["Émeraude"])
    won = f.make_opportunity(pipeline.stages[2], admin, name="Done deal")
    set_result(won, "won", actor=admin)
    types = list(db.session.scalars(select(ActionType.id).order_by(ActionType.position)))
    action = f.make_action(rep, actor=admin, opportunity=opp, title="Call Jane")
    quote = quotes.create_quote(opp, actor=admin, valid_until=date.today() + timedelta(days=30))
    line = quotes.add_line(quote, description="Design", quantity=2, unit_price=100, vat_rate=20, discount=0)
    sent = quotes.create_quote(opp, actor=admin)
    quotes.add_line(sent, description="Build", quantity=1, unit_price=500, vat_rate=20, discount=0)
    db.session.get(Quote, sent.id).status = "sent"
    sender = f.make_sender("sales@ourco.example")
    unverified = f.make_sender("new@ourco.example", verified=False)
    template = f.make_template(name="Bienvenue Émilie")
    f.make_template(name="Second")
    upload = f.make_upload("pixel.png", f.PNG)
    template.attachments.append(upload)
    db.session.commit()
    scenario = f.make_scenario(
        [f.email_step("Hello"), f.pause_step(), ("if", {"condition": "opened"})], active=False
    )
    step_ids = {s.kind: s.id for s in scenario.steps}
    if_step = next(s for s in scenario.steps if s.kind == "if")
    step_ids["end"] = scenarios.add_step(scenario, "end", parent=if_step, branch="yes").id
    scenarios.add_step(scenario, "end", parent=if_step, branch="no")
    scenarios.activate(scenario)
    draft = f.make_scenario([f.email_step("Draft")], label="Brouillon", active=False)
    enrollment = engine.enroll(scenario, contact, actor=admin)
    simulation = engine.enroll(scenario, lead, actor=admin, simulation=True)
    trigger = f.make_trigger(
        pipeline,
        "result",
        {"result": "won"},
        effects=[
            (
                "create_action",
                {
                    "type_id": types[0],
                    "title": "Thank [[!ContactFirstName]]",
                    "description": "",
                    "assignee": "owner",
                    "user_ids": [],
                    "due_days": 1,
                    "due_time": "",
                },
            ),
            ("add_tag", {"tag": "won-tag"}),
        ],
    )
    campaign = Campaign(
        name="Spring",
        template_id=template.id,
        sender_id=sender.id,
        audience={"type": "tag", "tag_id": tags[1].id},
    )
    db.session.add(campaign)
    event = DomainEvent(kind="opportunity_result", opportunity_id=won.id, pipeline_id=pipeline.id, payload={})
    db.session.add(event)
    db.session.flush()
    run = TriggerRun(event_id=event.id, trigger_id=trigger.id, trigger_name=trigger.name, status="failed")
    run.effects.append(
        EffectRun(
            key=f"{event.id}:{trigger.id}:{trigger.effects[0].id}",
            effect_id=trigger.effects[0].id,
            kind="create_action",
            position=0,
            status="failed",
            error="boom",
        )
    )
    db.session.add(run)
    outbox = OutboxMessage(
        idempotency_key="fuzz-1",
        kind="transactional",
        status="failed",
        to_email="jane@acme.example",
        from_email=sender.email,
        subject="Quote",
        message_id="<fuzz-1@salesloop.local>",
        token="fuzz-token-1",
        last_error="550 no",
    )
    db.session.add(outbox)
    db.session.commit()
    return World(
        admin=admin.id,
        rep=rep.id,
        other=other.id,
        pipeline=pipeline.id,
        pipeline2=pipeline2.id,
        stages=stages,
        stages2=[s.id for s in pipeline2.stages],
        tags=[t.id for t in tags],
        tag_names=[t.name for t in tags],
        account=account.id,
        contact=contact.id,
        lead=lead.id,
        opp=opp.id,
        opp2=opp2.id,
        types=types,
        action=action.id,
        quote=quote.id,
        line=line.id,
        sent_quote=sent.id,
        sender=sender.id,
        unverified_sender=unverified.id,
        template=template.id,
        upload=upload.id,
        scenario=scenario.id,
        draft_scenario=draft.id,
        steps=step_ids,
        enrollment=enrollment.id,
        simulation=simulation.id,
        trigger=trigger.id,
        effects=[e.id for e in trigger.effects],
        campaign=campaign.id,
        run=run.id,
        outbox=outbox.id,
        records={"accounts": account.id, "contacts": contact.id, "leads": lead.id},
    )


# --------------------------------------------------------------------------------------------------
# The endpoints


def email() -> Field:
    valid = st.one_of(
        st.sampled_from(["", "jane@acme.example", "new.person@example.com"]),
        st.from_regex(r"[a-z]{1,12}\.?[a-z]{0,5}@[a-z]{2,10}\.(com|fr|example)", fullmatch=True),
    )
    hostile = st.sampled_from(
        [
            *HOSTILE_TEXT,
            "a@",
            "@b.example",
            "a@b",
            "a b@c.example",
            "x" * 250 + "@example.com",
            "ÉMILE@ÉCOLE.FR",
            "jane@acme.example\x00",
            "a@b.example,c@d.example",
            "JANE@ACME.EXAMPLE",
            "ada@example.com",
        ]
    )
    extreme = st.sampled_from(["x" * 250 + "@example.com", "ÉMILE@ÉCOLE.FR", "JANE@ACME.EXAMPLE"])
    return Field(valid, hostile, extreme)


def phone() -> Field:
    return Field(st.sampled_from(["", "+33 1 23 45 67 89", "(555) 123-4567"]), st.sampled_from(HOSTILE_TEXT))


def many(values: list[int]) -> Field:
    """A multiple select: several values under one name."""
    valid = st.lists(st.sampled_from([str(v) for v in values]), max_size=3, unique=True)
    return Field(
        valid,
        st.lists(st.sampled_from(HOSTILE_IDS + [str(v) for v in values]), min_size=1, max_size=4),
        st.lists(st.sampled_from(EXTREME_IDS), min_size=1, max_size=2),
    )


def tags_text(w: World) -> Field:
    return Field(
        st.one_of(st.sampled_from(["", "vip", "vip, Émeraude", "new-tag", *w.tag_names]), READABLE),
        st.sampled_from([*HOSTILE_TEXT, ", ".join(["t"] * 200), "x" * 80 + ", y", "ΑΣ, ας, Ας"]),
    )


def filters(w: World) -> dict[str, Field]:
    return {"mine": choice("1", "0"), "tag": ids(*w.tags, blank=True)}


@dataclass(frozen=True)
class Spec:
    endpoint: str
    method: str = "POST"
    path: Callable[[World], dict[str, Any]] = lambda w: {}
    form: Callable[[World], dict[str, Field]] = lambda w: {}
    query: Callable[[World], dict[str, Field]] = lambda w: {}
    target: Callable[[World], list[tuple[str, int]]] = lambda w: []
    users: tuple[str, ...] = ("admin",)
    examples: int = 12
    variant: str = ""
    json: bool = True  # also post the form as a JSON body (not for file uploads)

    @property
    def id(self) -> str:
        return f"{self.method} {self.endpoint}{'/' + self.variant if self.variant else ''}"


BOTH = ("admin", "rep")


def opportunity_fields(w: World) -> dict[str, Field]:
    return {
        "name": text("Big deal", "Renewal 2026"),
        "amount": number(0, 9_999_999_999),
        "account_id": ids(w.account, blank=True),
        "contact_id": ids(w.contact, blank=True),
        "owner_id": ids(w.admin, w.rep, w.other, blank=True),
        "expected_close": blank_ok(day()),
        "tags": tags_text(w),
    }


def record_fields(kind: str, w: World) -> dict[str, Field]:
    common = {
        "email": email(),
        "phone": phone(),
        "owner_id": ids(w.admin, w.rep, blank=True),
        "opt_in": boolean(),
        "unsubscribed": boolean(),
    }
    if kind == "accounts":
        return {
            **common,
            "name": text("Åcme", "Globex"),
            "website": text("https://acme.example", required=False),
        }
    people = {
        **common,
        "first_name": text("Jane", "Zoé", required=False),
        "last_name": text("Doe", "Lëad"),
        "tags": tags_text(w),
    }
    if kind == "contacts":
        return {**people, "job_title": text("CTO", required=False), "account_id": ids(w.account, blank=True)}
    return {**people, "company": text("Initech", required=False), "source": text("fair", required=False)}


def action_fields(w: World) -> dict[str, Field]:
    return {
        "type_id": ids(*w.types),
        "title": text("Call back", "Send brochure"),
        "assignee_id": ids(w.admin, w.rep),
        "due_date": day(),
        "due_time": clock(),
        "notes": text("Bring coffee", required=False),
        "opportunity_id": ids(w.opp, blank=True),
    }


def line_fields(prefix: str = "") -> dict[str, Field]:
    fields = {
        "description": text("Design", "Hosting"),
        "quantity": number(0, 1000),
        "unit_price": number(0, 1_000_000),
        "vat_rate": number(0, 100),
        "discount": blank_ok(number(0, 100)),
    }
    return {prefix + k: v for k, v in fields.items()}


def step_fields(kind: str, w: World) -> dict[str, Field]:
    label = {"label": text("Step", required=False)}
    if kind == "email":
        return {
            **label,
            "subject": text("Hello [[!ContactFirstName]]", "News"),
            "message": text("Hi [[!ContactFirstName]],\n\nShall we talk?"),
            "sender_id": ids(w.sender, blank=True),
            "from_name": text("Ada", required=False),
            # Both hours or neither, the start first: valid half of the time.
            "window_start": Field(st.sampled_from(["", "09:00"]), clock().hostile, clock().extreme),
            "window_end": Field(st.sampled_from(["", "18:00"]), clock().hostile, clock().extreme),
            "skip_weekends": boolean(),
            "track_opens": boolean(),
            "track_clicks": boolean(),
        }
    if kind == "pause":
        return {
            **label,
            "days": number(0, 365, decimals=False),
            "hours": number(0, 24 * 365, decimals=False),
            "until": blank_ok(moment()),
        }
    if kind == "if":
        return {
            **label,
            "condition": choice("replied", "opened", "clicked", "has_tag", "stage", "result", "field"),
            "tag_id": ids(*w.tags, blank=True),
            "stage_id": ids(*w.stages, blank=True),
            "result": choice("won", "lost", "dormant", "open"),
            "field": choice("email", "first_name", "last_name", "phone", "company", "job_title", "source"),
            "value": text("jane@acme.example", required=False),
        }
    return label


def effect_fields(kind: str, w: World) -> dict[str, Field]:
    return {
        "create_action": lambda: {
            "type_id": ids(*w.types),
            "title": text("Thank [[!ContactFirstName]]"),
            "description": text("", required=False),
            "assignee": choice("owner", "user", "round_robin"),
            "user_ids": many([w.admin, w.rep]),
            "due_days": number(0, 365, decimals=False),
            "due_time": clock(),
        },
        "post_note": lambda: {"text": text("Won by @remy"), "mention_id": ids(w.rep, blank=True)},
        "enroll": lambda: {"scenario_id": ids(w.scenario, w.draft_scenario)},
        "unenroll": lambda: {"scenario_id": ids(w.scenario, w.draft_scenario)},
        "send_email": lambda: {
            "template_id": ids(w.template),
            "sender_id": ids(w.sender, w.unverified_sender),
            "recipients": text("[[!AssignedToId]]", "[[!ContactEmail]], boss@example.com"),
        },
        "add_tag": lambda: {"tag": text("hot", "Émeraude")},
        "create_campaign": lambda: {
            "template_id": ids(w.template),
            "sender_id": ids(w.sender),
            "audience": choice("contact", "account"),
            "mode": choice("draft", "send"),
        },
    }[kind]()


def trigger_fields(w: World) -> dict[str, Field]:
    return {
        "name": text("Won → task", required=False),
        "event": choice(
            "result",
            "enter_stage",
            "stage_change",
            "quote_sent",
            "quote_reopened",
            "action_created",
            "action_closed",
        ),
        "result": choice("won", "lost", "dormant"),
        "stage_id": ids(*w.stages, blank=True),
        "from_stage_id": ids(*w.stages, blank=True),
        "to_stage_id": ids(*w.stages, blank=True),
        "type_id": ids(*w.types, blank=True),
    }


def template_fields(w: World) -> dict[str, Field]:
    return {
        "name": text("Relance", "Bienvenue Émilie", "Second"),
        "subject": text("Hello [[!ContactFirstName]]", "News"),
        "body_html": text("<p>Dear [[!ContactFirstName]],</p>", "<p>Hi</p><script>x()</script>"),
        "track_opens": boolean(),
        "track_clicks": boolean(),
        "contact_id": ids(w.contact, blank=True),
    }


def user_fields(w: World) -> dict[str, Field]:
    return {
        "email": Field(email().valid.filter(bool), email().hostile, email().extreme),
        "name": text("Zoé Ŝecond", "Bob"),
        "role": choice("rep", "admin"),
        "timezone": choice("Europe/Paris", "America/New_York", "Asia/Kolkata"),
        "locale": choice("", "en", "fr"),
        "signature_html": text("<p>Zoé</p>", "<b onclick=x()>Hi</b>", required=False),
        "active": boolean(),
        "password": text("correct-horse-battery", "another-long-one", required=False),
    }


def campaign_fields(w: World) -> dict[str, Field]:
    return {
        "name": text("Spring", "Relance été"),
        "template_id": ids(w.template),
        "sender_id": ids(w.sender, w.unverified_sender),
        "audience_type": choice("tag", "stage", "contacts"),
        "tag_id": ids(*w.tags, blank=True),
        "stage_id": ids(*w.stages, blank=True),
        "contact_ids": many([w.contact]),
    }


def _stage_order(w: World) -> Field:
    return Field(st.permutations([str(s) for s in w.stages]), many(w.stages).hostile, many(w.stages).extreme)


SPECS: list[Spec] = [
    # Boards
    Spec(
        "board.show",
        "GET",
        lambda w: {"pipeline_id": st.sampled_from([w.pipeline, w.pipeline2])},
        query=lambda w: filters(w),
        users=BOTH,
    ),
    Spec(
        "board.more",
        "GET",
        lambda w: {"pipeline_id": w.pipeline, "stage_id": w.stages[0]},
        query=lambda w: {**filters(w), "offset": number(0, 50, decimals=False)},
        users=BOTH,
    ),
    Spec(
        "board.closed",
        "GET",
        lambda w: {"pipeline_id": st.sampled_from([w.pipeline, w.pipeline2])},
        query=lambda w: {
            **filters(w),
            "result": choice("won", "lost", "dormant"),
            "page": number(1, 3, decimals=False),
        },
        users=BOTH,
    ),
    # Opportunities
    Spec(
        "opportunities.create",
        "GET",
        query=lambda w: {"stage_id": ids(*w.stages, *w.stages2), **filters(w)},
        users=BOTH,
    ),
    Spec(
        "opportunities.create",
        form=lambda w: {**opportunity_fields(w), "stage_id": ids(*w.stages, *w.stages2)},
        query=lambda w: filters(w),
        users=BOTH,
        examples=30,
    ),
    Spec(
        "opportunities.show",
        "GET",
        lambda w: {"opportunity_id": w.opp},
        query=lambda w: {
            "block": choice("header", "fields", "feed", "actions", "tags"),
            "feed": choice("notes", "changes", "actions", "quotes", "automation", "emails"),
        },
        users=BOTH,
    ),
    Spec(
        "opportunities.edit",
        path=lambda w: {"opportunity_id": w.opp},
        form=opportunity_fields,
        target=lambda w: [("opportunities", w.opp)],
        users=BOTH,
        examples=30,
    ),
    Spec(
        "opportunities.move",
        path=lambda w: {"opportunity_id": w.opp},
        form=lambda w: {
            "stage_id": ids(*w.stages, *w.stages2),  # a stage of another (restricted) pipeline too
            "from_stage_id": ids(*w.stages, blank=True),
        },
        query=lambda w: filters(w),
        target=lambda w: [("opportunities", w.opp)],
        users=BOTH,
        examples=20,
    ),
    Spec(
        "opportunities.result",
        "GET",
        lambda w: {"opportunity_id": w.opp},
        query=lambda w: {"result": choice("won", "lost", "dormant", "open"), **filters(w)},
    ),
    Spec(
        "opportunities.result",
        path=lambda w: {"opportunity_id": w.opp},
        form=lambda w: {
            "result": choice("won", "lost", "dormant", "open"),
            "reason": text("Budget", required=False),
        },
        target=lambda w: [("opportunities", w.opp)],
        users=BOTH,
        examples=20,
    ),
    Spec(
        "opportunities.note",
        path=lambda w: {"opportunity_id": w.opp},
        form=lambda w: {"text": text("Called @remy", "@zoe see this")},
        target=lambda w: [("opportunities", w.opp)],
        users=BOTH,
    ),
    Spec(
        "opportunities.tag_add",
        path=lambda w: {"opportunity_id": w.opp},
        form=lambda w: {"name": text("hot", *w.tag_names)},
        target=lambda w: [("opportunities", w.opp)],
        users=BOTH,
        examples=20,
    ),
    Spec(
        "opportunities.tag_remove",
        path=lambda w: {"opportunity_id": w.opp, "tag_id": st.sampled_from(w.tags)},
        target=lambda w: [("opportunities", w.opp)],
        users=BOTH,
        examples=6,
    ),
    # Quotes
    Spec(
        "quotes.create",
        path=lambda w: {"opportunity_id": w.opp},
        target=lambda w: [("opportunities", w.opp)],
        users=BOTH,
        examples=4,
    ),
    Spec(
        "quotes.add_line",
        path=lambda w: {"quote_id": st.sampled_from([w.quote, w.sent_quote])},
        form=lambda w: line_fields(),
        target=lambda w: [("quotes", w.quote), ("quotes", w.sent_quote)],
        users=BOTH,
        examples=25,
    ),
    Spec(
        "quotes.update_line",
        path=lambda w: {"quote_id": w.quote, "line_id": w.line},
        form=lambda w: line_fields(f"l{w.line}-"),
        target=lambda w: [("quotes", w.quote), ("quote_lines", w.line)],
        users=BOTH,
        examples=25,
    ),
    Spec(
        "quotes.delete_line",
        path=lambda w: {"quote_id": w.quote, "line_id": w.line},
        target=lambda w: [("quotes", w.quote), ("quote_lines", w.line)],
        users=BOTH,
        examples=4,
    ),
    Spec(
        "quotes.details",
        path=lambda w: {"quote_id": st.sampled_from([w.quote, w.sent_quote])},
        form=lambda w: {"valid_until": day(), "notes": text("Paid in 30 days", required=False)},
        target=lambda w: [("quotes", w.quote), ("quotes", w.sent_quote)],
        users=BOTH,
        examples=20,
    ),
    Spec("quotes.send", "GET", lambda w: {"quote_id": w.quote}, users=BOTH, examples=3),
    Spec(
        "quotes.send",
        path=lambda w: {"quote_id": w.quote},
        form=lambda w: {
            "sender_id": ids(w.sender, w.unverified_sender),
            "template_id": ids(w.template, blank=True),
        },
        target=lambda w: [("quotes", w.quote)],
        users=BOTH,
        examples=15,
    ),
    Spec(
        "quotes.reopen",
        path=lambda w: {"quote_id": st.sampled_from([w.quote, w.sent_quote])},
        target=lambda w: [("quotes", w.quote), ("quotes", w.sent_quote)],
        users=BOTH,
        examples=4,
    ),
    Spec(
        "quotes.answer",
        path=lambda w: {"quote_id": st.sampled_from([w.quote, w.sent_quote])},
        form=lambda w: {"answer": choice("accepted", "refused")},
        target=lambda w: [("quotes", w.quote), ("quotes", w.sent_quote)],
        users=BOTH,
    ),
    # Actions and agenda
    Spec("actions.create", "GET", query=lambda w: {"opportunity_id": ids(w.opp, blank=True)}, users=BOTH),
    Spec("actions.create", form=action_fields, users=BOTH, examples=30),
    Spec(
        "actions.edit",
        path=lambda w: {"action_id": w.action},
        form=action_fields,
        target=lambda w: [("actions", w.action)],
        users=BOTH,
        examples=25,
    ),
    Spec(
        "actions.close",
        path=lambda w: {"action_id": w.action},
        target=lambda w: [("actions", w.action)],
        users=BOTH,
        examples=5,
    ),
    Spec(
        "actions.reopen",
        path=lambda w: {"action_id": w.action},
        target=lambda w: [("actions", w.action)],
        users=BOTH,
        examples=5,
    ),
    Spec(
        "agenda.show",
        "GET",
        query=lambda w: {
            "user": ids(w.admin, w.rep, blank=True),
            "week": day(),
            "block": choice("lists", "week"),
        },
        users=BOTH,
        examples=25,
    ),
    Spec("notifications.read_all", users=BOTH, examples=3),
    Spec(
        "auth.language",
        form=lambda w: {"locale": choice("en", "fr"), "next": text("/agenda/", "//evil.example")},
        users=BOTH,
    ),
    # Enrolment from a person's page
    Spec(
        "enroll.add",
        path=lambda w: {
            "kind": st.sampled_from(["contacts", "leads", "accounts", "people", "Contacts"]),
            "record_id": st.sampled_from([w.contact, w.lead, w.account]),
        },
        form=lambda w: {"scenario_id": ids(w.scenario, w.draft_scenario)},
        target=lambda w: [("enrollments", w.enrollment)],
        users=BOTH,
        examples=15,
    ),
    Spec(
        "enroll.remove",
        path=lambda w: {
            "kind": st.sampled_from(["contacts", "leads", "accounts", "x"]),
            "record_id": st.sampled_from([w.contact, w.lead, w.account]),
            "scenario_id": st.sampled_from([w.scenario, w.draft_scenario]),
        },
        target=lambda w: [("enrollments", w.enrollment)],
        users=BOTH,
        examples=6,
    ),
    Spec(
        "enroll.bulk",
        path=lambda w: {"kind": st.sampled_from(["contacts", "leads", "accounts"])},
        form=lambda w: {
            "scenario_id": ids(w.scenario, w.draft_scenario),
            "tag": ids(*w.tags, blank=True),
            "q": text("Doe", required=False),
        },
        target=lambda w: [("enrollments", w.enrollment)],
        users=BOTH,
        examples=15,
    ),
    Spec(
        "enroll.show",
        "GET",
        lambda w: {
            "kind": st.sampled_from(["contacts", "leads", "accounts", "x"]),
            "record_id": st.sampled_from([w.contact, w.lead, w.account]),
        },
        users=BOTH,
        examples=6,
    ),
    # Settings > Pipelines and stages
    Spec(
        "pipelines.index",
        form=lambda w: {"name": text("Partners", "Ventes Été", "VENTES ÉTÉ", "Ébène")},
        examples=15,
    ),
    Spec(
        "pipelines.access",
        path=lambda w: {"pipeline_id": w.pipeline},
        form=lambda w: {"restricted": choice("0", "1"), "members": many([w.rep, w.other])},
        target=lambda w: [("pipelines", w.pipeline)],
        examples=15,
    ),
    Spec(
        "pipelines.rename",
        path=lambda w: {"pipeline_id": w.pipeline},
        form=lambda w: {"name": text("Sales", "Ébène", "ÉBÈNE")},
        target=lambda w: [("pipelines", w.pipeline)],
        examples=15,
    ),
    Spec(
        "pipelines.add",
        path=lambda w: {"pipeline_id": w.pipeline},
        form=lambda w: {"name": text("Negotiation", "New", "NEW", "Qualified")},
        target=lambda w: [("pipelines", w.pipeline)],
        examples=15,
    ),
    Spec(
        "pipelines.reorder",
        path=lambda w: {"pipeline_id": w.pipeline},
        form=lambda w: {"stage": _stage_order(w)},
        target=lambda w: [("stages", s) for s in w.stages],
        examples=15,
    ),
    Spec(
        "pipelines.rename_one",
        path=lambda w: {"pipeline_id": w.pipeline, "stage_id": st.sampled_from(w.stages)},
        form=lambda w: {"name": text("Won-ready", "New", "QUALIFIED")},
        target=lambda w: [("stages", s) for s in w.stages],
        examples=15,
    ),
    Spec(
        "pipelines.delete",
        path=lambda w: {"pipeline_id": w.pipeline, "stage_id": st.sampled_from(w.stages)},
        target=lambda w: [("stages", s) for s in w.stages],
        examples=6,
    ),
    # Settings > lists, users, senders, templates, campaigns
    Spec("settings_lists.action_types", form=lambda w: {"name": text("Visit", "Call", "CALL")}, examples=12),
    Spec(
        "settings_lists.action_type",
        path=lambda w: {"type_id": st.sampled_from(w.types)},
        form=lambda w: {"name": text("Phone call", "Email"), "active": choice("1", "0")},
        target=lambda w: [("action_types", t) for t in w.types],
        examples=15,
    ),
    Spec(
        "settings_lists.tag",
        path=lambda w: {"tag_id": st.sampled_from(w.tags)},
        form=lambda w: {
            "name": text("Hot", *w.tag_names, "ÉMERAUDE"),
            "color": Field(
                st.sampled_from(["#2f5bea", "#ABCDEF"]),
                st.sampled_from(["", "red", "#12345", "#1234567", "#GGGGGG", "\x00"]),
            ),
        },
        target=lambda w: [("tags", t) for t in w.tags],
        examples=15,
    ),
    Spec(
        "settings_lists.merge",
        path=lambda w: {"tag_id": st.sampled_from(w.tags)},
        form=lambda w: {"into": ids(*w.tags)},
        target=lambda w: [("tags", t) for t in w.tags],
        examples=8,
    ),
    Spec("users.create", form=user_fields, examples=20),
    Spec(
        "profile.edit",
        form=lambda w: {
            "name": text("Zoé Ŝecond", "Bob"),
            "timezone": choice("Europe/Paris", "America/New_York"),
            "locale": choice("", "en", "fr"),
            "signature_html": text("<p>Zoé</p>", "<b onclick=x()>Hi</b>", required=False),
            "current_password": text("not-the-password", required=False),
            "new_password": text("plum-ferry-quartz", required=False),
        },
        target=lambda w: [("users", w.admin)],
        users=BOTH,
        examples=15,
    ),
    Spec(
        "users.edit",
        path=lambda w: {"user_id": st.sampled_from([w.other, w.admin])},
        form=user_fields,
        target=lambda w: [("users", w.other), ("users", w.admin)],
        examples=20,
    ),
    Spec(
        "senders.index",
        form=lambda w: {
            "email": email(),
            "display_name": text("Sales", required=False),
            "rate_per_minute": number(1, 10000, decimals=False),
        },
        examples=15,
    ),
    Spec(
        "senders.resend",
        path=lambda w: {"sender_id": st.sampled_from([w.sender, w.unverified_sender])},
        target=lambda w: [("sender_addresses", w.sender), ("sender_addresses", w.unverified_sender)],
        examples=4,
    ),
    Spec("templates.create", form=template_fields, examples=20),
    Spec(
        "templates.edit",
        path=lambda w: {"template_id": w.template},
        form=template_fields,
        target=lambda w: [("email_templates", w.template)],
        examples=20,
    ),
    Spec("templates.preview", form=template_fields, examples=15),
    Spec("templates.upload_image", form=lambda w: {"image": upload()}, examples=10, json=False),
    Spec(
        "templates.add_attachment",
        path=lambda w: {"template_id": w.template},
        form=lambda w: {"file": upload()},
        target=lambda w: [("email_templates", w.template)],
        examples=10,
        json=False,
    ),
    Spec(
        "templates.remove_attachment",
        path=lambda w: {"template_id": w.template, "upload_id": w.upload},
        target=lambda w: [("email_templates", w.template), ("uploads", w.upload)],
        examples=4,
    ),
    Spec("campaigns.create", form=campaign_fields, examples=20),
    Spec(
        "campaigns.show",
        "GET",
        lambda w: {"campaign_id": w.campaign},
        query=lambda w: {"block": choice("progress", "detail")},
        examples=5,
    ),
    Spec(
        "campaigns.start",
        path=lambda w: {"campaign_id": w.campaign},
        form=lambda w: {"send_at": blank_ok(moment())},
        target=lambda w: [("campaigns", w.campaign)],
        examples=30,
    ),
    Spec(
        "campaigns.pause",
        path=lambda w: {"campaign_id": w.campaign},
        target=lambda w: [("campaigns", w.campaign)],
        examples=4,
    ),
    Spec(
        "campaigns.resume",
        path=lambda w: {"campaign_id": w.campaign},
        target=lambda w: [("campaigns", w.campaign)],
        examples=4,
    ),
    # Settings > Scenarios
    Spec("scenarios.index", form=lambda w: {"name": text("Nurture", "Brouillon")}, examples=8),
    Spec(
        "scenarios.show",
        "GET",
        lambda w: {"scenario_id": w.scenario},
        query=lambda w: {"block": choice("flow", "stats")},
        examples=4,
    ),
    Spec(
        "scenarios.rename",
        path=lambda w: {"scenario_id": w.scenario},
        form=lambda w: {"label": text("Nurture 2")},
        target=lambda w: [("scenarios", w.scenario)],
        examples=8,
    ),
    *[
        Spec(
            "scenarios.add",
            method,
            lambda w: {"scenario_id": w.scenario},
            **{
                "form" if method == "POST" else "query": (
                    lambda w, kind=kind, method=method: {
                        **(step_fields(kind, w) if method == "POST" else {}),
                        "kind": Field(st.just(kind), st.sampled_from(["", "bogus", "EMAIL", "\x00"])),
                        "after": ids(*w.steps.values(), blank=True),
                        "parent": ids(w.steps["if"], blank=True),
                        "branch": choice("yes", "no", ""),
                    }
                )
            },
            target=lambda w: [("scenarios", w.scenario), *[("scenario_steps", s) for s in w.steps.values()]],
            examples=(40 if kind == "pause" else 20) if method == "POST" else 6,
            variant=kind,
        )
        for kind in ("email", "pause", "if", "end")
        for method in ("GET", "POST")
    ],
    Spec(
        "step_files.upload_image",
        path=lambda w: {"scenario_id": w.scenario, "step_id": w.steps["email"]},
        form=lambda w: {"image": upload()},
        target=lambda w: [("scenario_steps", w.steps["email"])],
        examples=10,
        json=False,
    ),
    Spec(
        "step_files.add_attachment",
        path=lambda w: {"scenario_id": w.scenario, "step_id": w.steps["email"]},
        form=lambda w: {"file": upload()},
        target=lambda w: [("scenario_steps", w.steps["email"])],
        examples=10,
        json=False,
    ),
    Spec(
        "step_files.remove_attachment",
        path=lambda w: {"scenario_id": w.scenario, "step_id": w.steps["email"], "upload_id": w.upload},
        target=lambda w: [("scenario_steps", w.steps["email"]), ("uploads", w.upload)],
        examples=4,
    ),
    *[
        Spec(
            "scenarios.edit",
            path=lambda w, kind=kind: {"scenario_id": w.scenario, "step_id": w.steps[kind]},
            form=lambda w, kind=kind: step_fields(kind, w),
            target=lambda w, kind=kind: [("scenario_steps", w.steps[kind])],
            examples={"pause": 40, "end": 6}.get(kind, 20),
            variant=kind,
        )
        for kind in ("email", "pause", "if", "end")
    ],
    Spec(
        "scenarios.move",
        path=lambda w: {"scenario_id": w.scenario, "step_id": st.sampled_from(list(w.steps.values()))},
        form=lambda w: {"direction": choice("up", "down")},
        target=lambda w: [("scenario_steps", s) for s in w.steps.values()],
        examples=8,
    ),
    Spec(
        "scenarios.delete_step",
        path=lambda w: {"scenario_id": w.scenario, "step_id": st.sampled_from(list(w.steps.values()))},
        form=lambda w: {"people_go": choice("next", "end")},
        target=lambda w: [("scenario_steps", s) for s in w.steps.values()],
        examples=8,
    ),
    Spec(
        "scenarios.activate",
        path=lambda w: {"scenario_id": st.sampled_from([w.scenario, w.draft_scenario])},
        target=lambda w: [("scenarios", w.draft_scenario)],
        examples=4,
    ),
    Spec(
        "scenarios.deactivate",
        path=lambda w: {"scenario_id": w.scenario},
        target=lambda w: [("scenarios", w.scenario)],
        examples=4,
    ),
    Spec(
        "scenarios.delete",
        path=lambda w: {"scenario_id": st.sampled_from([w.scenario, w.draft_scenario])},
        form=lambda w: {"remove_people": choice("1", "0")},
        target=lambda w: [("scenarios", w.scenario), ("scenarios", w.draft_scenario)],
        examples=6,
    ),
    Spec(
        "scenario_runs.people",
        "GET",
        lambda w: {"scenario_id": w.scenario},
        query=lambda w: {
            "status": choice("active", "all", "completed"),
            "page": number(1, 3, decimals=False),
        },
        examples=6,
    ),
    Spec(
        "scenario_runs.replied",
        path=lambda w: {"scenario_id": w.scenario, "enrollment_id": w.enrollment},
        target=lambda w: [("enrollments", w.enrollment)],
        examples=4,
    ),
    Spec(
        "scenario_runs.remove",
        path=lambda w: {"scenario_id": w.scenario, "enrollment_id": w.enrollment},
        target=lambda w: [("enrollments", w.enrollment)],
        examples=4,
    ),
    Spec(
        "scenario_runs.simulate",
        "GET",
        lambda w: {"scenario_id": w.scenario},
        query=lambda w: {
            "record_type": choice("contact", "lead", "account"),
            "q": text("Doe", required=False),
            "block": choice("records", ""),
        },
        examples=8,
    ),
    Spec(
        "scenario_runs.simulate_start",
        path=lambda w: {"scenario_id": st.sampled_from([w.scenario, w.draft_scenario])},
        form=lambda w: {
            "record_type": choice("contact", "lead", "account"),
            "record_id": ids(w.contact, w.lead, w.account),
        },
        examples=10,
    ),
    Spec(
        "scenario_runs.simulate_step",
        path=lambda w: {
            "scenario_id": w.scenario,
            "enrollment_id": st.sampled_from([w.simulation, w.enrollment]),
        },
        form=lambda w: {"branch": choice("yes", "no", "")},
        target=lambda w: [("enrollments", w.simulation), ("enrollments", w.enrollment)],
        examples=10,
    ),
    Spec(
        "scenario_runs.preview",
        "GET",
        lambda w: {"scenario_id": w.scenario},
        query=lambda w: {
            "record_type": choice("contact", "lead", "account"),
            "record_id": ids(w.contact, w.lead, w.account),
            "start": blank_ok(moment()),
        },
        examples=25,
    ),
    # Settings > Pipelines > Triggers
    Spec(
        "triggers.create",
        path=lambda w: {"pipeline_id": w.pipeline},
        form=trigger_fields,
        examples=20,
    ),
    Spec(
        "triggers.edit",
        path=lambda w: {"pipeline_id": w.pipeline, "trigger_id": w.trigger},
        form=trigger_fields,
        target=lambda w: [("triggers", w.trigger)],
        examples=20,
    ),
    Spec(
        "triggers.toggle",
        path=lambda w: {"pipeline_id": w.pipeline, "trigger_id": w.trigger},
        target=lambda w: [("triggers", w.trigger)],
        examples=4,
    ),
    Spec(
        "triggers.delete",
        path=lambda w: {"pipeline_id": w.pipeline, "trigger_id": w.trigger},
        target=lambda w: [("triggers", w.trigger)],
        examples=4,
    ),
    Spec(
        "triggers.test",
        "GET",
        lambda w: {"pipeline_id": w.pipeline, "trigger_id": w.trigger},
        query=lambda w: {"opportunity_id": ids(w.opp, w.opp2, blank=True)},
        examples=6,
    ),
    *[
        Spec(
            "triggers.add_effect",
            path=lambda w: {"pipeline_id": w.pipeline, "trigger_id": w.trigger},
            form=lambda w, kind=kind: {
                **effect_fields(kind, w),
                "kind": Field(st.just(kind), st.sampled_from(["", "bogus", "\x00"])),
            },
            target=lambda w: [("triggers", w.trigger)],
            examples=12,
            variant=kind,
        )
        for kind in (
            "create_action",
            "post_note",
            "enroll",
            "unenroll",
            "send_email",
            "add_tag",
            "create_campaign",
        )
    ],
    Spec(
        "triggers.add_effect",
        "GET",
        lambda w: {"pipeline_id": w.pipeline, "trigger_id": w.trigger},
        query=lambda w: {
            "kind": choice(
                "create_action", "post_note", "enroll", "unenroll", "send_email", "add_tag", "create_campaign"
            )
        },
        examples=8,
    ),
    *[
        Spec(
            "triggers.edit_effect",
            path=lambda w, index=index: {
                "pipeline_id": w.pipeline,
                "trigger_id": w.trigger,
                "effect_id": w.effects[index],
            },
            form=lambda w, kind=kind: effect_fields(kind, w),
            target=lambda w, index=index: [("trigger_effects", w.effects[index])],
            examples=15,
            variant=kind,
        )
        for index, kind in enumerate(("create_action", "add_tag"))
    ],
    Spec(
        "triggers.move_effect",
        path=lambda w: {
            "pipeline_id": w.pipeline,
            "trigger_id": w.trigger,
            "effect_id": st.sampled_from(w.effects),
        },
        form=lambda w: {"direction": choice("up", "down")},
        target=lambda w: [("trigger_effects", e) for e in w.effects],
        examples=6,
    ),
    Spec(
        "triggers.delete_effect",
        path=lambda w: {
            "pipeline_id": w.pipeline,
            "trigger_id": w.trigger,
            "effect_id": st.sampled_from(w.effects),
        },
        target=lambda w: [("trigger_effects", e) for e in w.effects],
        examples=4,
    ),
    Spec(
        "trigger_runs.index",
        "GET",
        query=lambda w: {
            "status": choice("failed", "done", "running"),
            "pipeline": ids(w.pipeline, blank=True),
            "page": number(1, 3, decimals=False),
        },
        examples=8,
    ),
    Spec(
        "trigger_runs.retry",
        path=lambda w: {"run_id": w.run},
        target=lambda w: [("trigger_runs", w.run)],
        examples=4,
    ),
    Spec(
        "maillog.index",
        "GET",
        query=lambda w: {
            "status": choice("failed", "sent", "queued"),
            "kind": choice("transactional", "marketing"),
            "q": text("jane", required=False),
            "page": number(1, 3, decimals=False),
        },
        examples=8,
    ),
    Spec(
        "maillog.retry",
        path=lambda w: {"message_id": w.outbox},
        target=lambda w: [("outbox", w.outbox)],
        examples=4,
    ),
]

# Records: one spec per kind (each kind has its own form).
for _kind, _table in (("accounts", "accounts"), ("contacts", "contacts"), ("leads", "leads")):
    SPECS += [
        Spec(
            "records.index",
            "GET",
            lambda w, k=_kind: {"kind": k},
            query=lambda w: {"q": text("Doe", "Åcme", required=False), "page": number(1, 3, decimals=False)},
            users=BOTH,
            examples=8,
            variant=_kind,
        ),
        Spec(
            "records.create",
            "GET",
            lambda w, k=_kind: {"kind": k},
            query=lambda w: {"account_id": ids(w.account, blank=True)},
            users=BOTH,
            examples=4,
            variant=_kind,
        ),
        Spec(
            "records.create",
            path=lambda w, k=_kind: {"kind": k},
            form=lambda w, k=_kind: record_fields(k, w),
            users=BOTH,
            examples=20,
            variant=_kind,
        ),
        Spec(
            "records.edit",
            path=lambda w, k=_kind: {"kind": k, "record_id": w.records[k]},
            form=lambda w, k=_kind: record_fields(k, w),
            target=lambda w, k=_kind, t=_table: [(t, w.records[k])],
            users=BOTH,
            examples=20,
            variant=_kind,
        ),
    ]

# After an accepted write, the pages showing what was written must still render (a value may be
# accepted and then break its page, a PDF, a preview that computes dates from it…).
PAGES: dict[str, Callable[[World, str], list[str]]] = {
    "opportunities": lambda w, v: [f"/opportunities/{w.opp}", f"/boards/{w.pipeline}", "/agenda/"],
    "quotes": lambda w, v: [f"/quotes/{w.quote}", f"/quotes/{w.quote}.pdf", f"/opportunities/{w.opp}"],
    "records": lambda w, v: [f"/{v}/", f"/{v}/{w.records[v]}", f"/people/{v}/{w.records[v]}/scenarios"],
    "actions": lambda w, v: [
        "/agenda/",
        f"/agenda/?user={w.rep}",
        f"/actions/{w.action}",
        f"/opportunities/{w.opp}",
    ],
    "enroll": lambda w, v: [
        f"/people/contacts/{w.contact}/scenarios",
        f"/settings/scenarios/{w.scenario}/people",
    ],
    "pipelines": lambda w, v: [
        "/settings/pipelines/",
        f"/settings/pipelines/{w.pipeline}",
        f"/boards/{w.pipeline}",
    ],
    "settings_lists": lambda w, v: [
        "/settings/action-types",
        "/settings/tags",
        "/actions/new",
        f"/boards/{w.pipeline}",
    ],
    "users": lambda w, v: ["/settings/users/", f"/settings/users/{w.other}/edit", f"/agenda/?user={w.other}"],
    "senders": lambda w, v: ["/settings/senders/"],
    "templates": lambda w, v: ["/settings/templates/", f"/settings/templates/{w.template}"],
    "campaigns": lambda w, v: ["/settings/campaigns/", f"/settings/campaigns/{w.campaign}"],
    "scenarios": lambda w, v: [
        "/settings/scenarios/",
        f"/settings/scenarios/{w.scenario}",
        f"/settings/scenarios/{w.scenario}/preview?record_type=contact&record_id={w.contact}",
    ],
    "triggers": lambda w, v: [
        f"/settings/pipelines/{w.pipeline}/triggers/",
        f"/settings/pipelines/{w.pipeline}/triggers/{w.trigger}/test?opportunity_id={w.opp}",
    ],
}

# POST endpoints deliberately left out, with the reason.
NOT_FUZZED = {
    "auth.login": "anonymous; a refused login records the failed attempt by design (lockout counter)",
    "auth.logout": "no input; it would log the fuzzing client out",
    "public.unsubscribe": "mail link, no login (tests/test_mail_public.py)",
    "inbound.inbound": "the mail provider's hook, token-protected, no login (tests/test_mail_public.py)",
}


# --------------------------------------------------------------------------------------------------
# Requests and the properties


JSON_VALUES = [None, True, 12, -1.5, {"a": 1}, [], [["x"]], "x"]


MODES = ["valid", "one", "extreme", "extremes", "chaos"]


@st.composite
def payload(draw: st.DrawFn, fields: dict[str, Field], json: bool = False) -> tuple[str, dict[str, Any]]:
    """A mode, and the fields filled for it: all plausible ("valid"); one hostile ("one"); one at
    an extreme, the others plausible, so the value goes deep ("extreme"); all at their extremes
    ("extremes"); or each anything: hostile, extreme, absent, several values ("chaos")."""
    names = sorted(fields)
    mode = draw(st.sampled_from(MODES))
    bad: set[str] = set()
    if mode in ("one", "extreme") and names:
        extremes = [n for n in names if fields[n].extreme is not None] if mode == "extreme" else names
        bad = {draw(st.sampled_from(extremes or names))}
    elif mode in ("extremes", "chaos"):
        bad = set(names)
    out: dict[str, Any] = {}
    for name in names:
        spec = fields[name]
        extreme = spec.extreme if spec.extreme is not None else spec.hostile
        if name not in bad:
            value = draw(spec.valid)
        elif mode in ("extreme", "extremes"):
            value = draw(extreme if spec.extreme is not None or mode == "extreme" else spec.valid)
        else:
            options = [
                extreme,
                spec.hostile,
                st.just(MISSING),
                st.lists(st.one_of(spec.valid, spec.hostile), min_size=2, max_size=3),
            ]
            if json:
                options.append(st.sampled_from(JSON_VALUES))
            value = draw(st.one_of(*options))
        if value is not MISSING:
            out[name] = value
    return mode, out


def _path(rule: Any, values: dict[str, Any]) -> str:
    def fill(match: re.Match[str]) -> str:
        return str(values[match.group(1)])

    return re.sub(r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-z_]+)>", fill, rule.rule)


def id_args(rule: Any) -> set[str]:
    """The rule's numeric path arguments (`<int:…>`: the app's IdConverter, a subclass)."""
    return {name for name, conv in rule._converters.items() if isinstance(conv, IntegerConverter)}


def _rule(app: Any, spec: Spec) -> Any:
    rules = [r for r in app.url_map.iter_rules() if r.endpoint == spec.endpoint and spec.method in r.methods]
    assert len(rules) == 1, spec.id
    return rules[0]


def _files(form: dict[str, Any]) -> dict[str, Any]:
    """(bytes, filename) pairs become uploaded files."""

    def one(value: Any) -> Any:
        if isinstance(value, tuple):
            return (io.BytesIO(value[0]), value[1])
        if isinstance(value, list):
            return [one(v) for v in value]
        return value

    return {k: one(v) for k, v in form.items()}


def snapshot(targets: list[tuple[str, int]]) -> tuple[dict[str, int], dict[tuple[str, int], Any]]:
    """Row counts of every table (one query), and every column of the targeted rows."""
    tables = db.metadata.sorted_tables
    counts = db.session.execute(
        select(*(select(func.count()).select_from(t).scalar_subquery().label(t.name) for t in tables))
    ).one()
    rows = {}
    for name, row_id in targets:
        table = db.metadata.tables[name]
        row = db.session.execute(select(table).where(table.c.id == row_id)).first()
        rows[(name, row_id)] = tuple(row) if row is not None else None
    db.session.commit()
    return dict(zip([t.name for t in tables], counts, strict=True)), rows


def _diff(before: Any, after: Any) -> str:
    counts = {k: (before[0][k], after[0][k]) for k in before[0] if before[0][k] != after[0][k]}
    rows = {k: (before[1][k], after[1][k]) for k in before[1] if before[1][k] != after[1][k]}
    return f"counts changed: {counts}; rows changed: {rows}"


@pytest.fixture
def world(app: Any) -> World:
    return build_world()


@pytest.fixture
def clients(app: Any, client: Any, world: World) -> dict[str, Any]:
    from crm.models import User

    logged = {}
    for role, user_id, test_client in (("admin", world.admin, client), ("rep", world.rep, app.test_client())):
        user = db.session.get(User, user_id)
        response = test_client.post("/login", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)[:300]
        logged[role] = test_client
    return logged


# Examples per endpoint: Spec.examples times this (FUZZ_SCALE=10 for a deeper run than CI's).
FUZZ_SCALE = float(os.environ.get("FUZZ_SCALE", "1.25"))
FUZZ = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.id)
def test_fuzzed_requests_never_fail_and_refusals_write_nothing(app, world, clients, spec):
    rule = _rule(app, spec)
    path_values = spec.path(world)
    form_fields = spec.form(world)
    query_fields = spec.query(world)
    targets = spec.target(world)
    blueprint = spec.endpoint.split(".")[0]
    pages = PAGES[blueprint](world, spec.variant) if spec.method == "POST" and blueprint in PAGES else []
    int_args = id_args(rule)
    assert int_args == set(re.findall(r"<int(?:\([^)]*\))?:([a-z_]+)>", rule.rule)), rule.rule

    @settings(FUZZ, max_examples=max(1, round(spec.examples * FUZZ_SCALE)))
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        values = {}
        for name, value in path_values.items():
            if isinstance(value, st.SearchStrategy):
                value = data.draw(value, label=name)
            if name in int_args:
                value = data.draw(
                    st.one_of(
                        st.just(value), st.just(value), st.just(value), st.sampled_from(HOSTILE_PATH_IDS)
                    ),
                    label=name,
                )
            values[name] = value
        path = _path(rule, values)
        _query_mode, query = (
            data.draw(payload(query_fields), label="query") if query_fields else ("valid", {})
        )
        as_json = (
            spec.method == "POST"
            and spec.json
            and data.draw(st.sampled_from([False, False, False, True]), label="json")
        )
        form_mode, form = (
            data.draw(payload(form_fields, json=as_json), label="form")
            if spec.method == "POST"
            else ("valid", {})
        )
        htmx = data.draw(st.booleans(), label="htmx")
        user = data.draw(st.sampled_from(spec.users), label="user")
        kwargs: dict[str, Any] = {"json": form} if as_json else {"data": _files(form)}
        before = snapshot(targets)
        response = clients[user].open(path, method=spec.method, query_string=query, htmx=htmx, **kwargs)
        status = response.status_code
        assert status < 500, (
            f"{spec.method} {path} answered {status}: {response.get_data(as_text=True)[:500]}"
        )
        if 400 <= status < 500:
            after = snapshot(targets)
            assert after == before, (
                f"{spec.method} {path} refused with {status} but wrote: {_diff(before, after)}"
            )
        elif status < 400 and form_mode != "valid":  # plausible values are shown fine (other tests)
            for page in pages:
                shown = clients["admin"].get(page)
                assert shown.status_code < 500, (
                    f"after {spec.method} {path} ({form}), {page} answered {shown.status_code}"
                )

    run()


def test_every_post_endpoint_is_fuzzed(app):
    """A new form or HTMX endpoint must join SPECS (or NOT_FUZZED, with its reason)."""
    fuzzed = {(s.endpoint, s.method) for s in SPECS}
    missing = [
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in sorted(rule.methods & {"POST", "PUT", "PATCH", "DELETE"})
        if (rule.endpoint, method) not in fuzzed and rule.endpoint not in NOT_FUZZED
    ]
    assert missing == []
    assert set(NOT_FUZZED) <= {r.endpoint for r in app.url_map.iter_rules()}


# --------------------------------------------------------------------------------------------------
# What the fuzzer found, as plain examples


def _count(model: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_names_already_taken_with_accents_or_a_final_sigma_are_reused_or_refused(world, clients):
    """SQL's lower() is not Python's (SQLite lowers ASCII only; PostgreSQL lowers Σ as σ, Python as
    ς): the clash checks missed names already taken and the insert failed on the unique index."""
    from crm.models import ActionType, EmailTemplate, Opportunity, Pipeline, Tag

    admin = clients["admin"]
    tags = _count(Tag)
    response = admin.post(
        f"/opportunities/{world.opp2}/edit",
        data={"name": "Small deal", "amount": "10", "tags": "Émeraude, ΑΣ, vip, VIP, ας"},
    )
    assert response.status_code == 302
    assert _count(Tag) == tags  # the tags that exist, once each
    assert sorted(t.name for t in db.session.get(Opportunity, world.opp2).tags) == ["vip", "Émeraude", "ΑΣ"]

    assert admin.post("/settings/pipelines/", data={"name": "Ébène"}).status_code == 422
    assert (
        admin.post(f"/settings/pipelines/{world.pipeline}/rename", data={"name": "Ébène"}).status_code == 422
    )
    assert _count(Pipeline) == 2
    assert admin.post("/settings/action-types", data={"name": "Réunion"}).status_code == 200
    assert admin.post("/settings/action-types", data={"name": "Réunion"}).status_code == 422
    assert _count(ActionType) == len(world.types) + 1
    assert (
        admin.post(f"/settings/tags/{world.tags[1]}", data={"name": "ΑΣ", "color": "#2f5bea"}).status_code
        == 422
    )
    assert (
        admin.post(
            "/settings/templates/new",
            data={"name": "Bienvenue Émilie", "subject": "Hi", "body_html": "<p>Hi</p>"},
        ).status_code
        == 422
    )
    assert _count(EmailTemplate) == 2


def test_ids_and_pages_too_large_for_a_database_integer(world, clients):
    """The drivers refuse to even compare with such numbers (SQLite: OverflowError)."""
    admin = clients["admin"]
    assert admin.get(f"/boards/{2**63}").status_code == 404
    assert admin.post(f"/opportunities/{10**20}/move", data={"stage_id": "1"}).status_code == 404
    assert admin.get(f"/boards/{world.pipeline}?tag={10**20}").status_code == 200
    assert admin.post(f"/opportunities/{world.opp}/move", data={"stage_id": str(2**63)}).status_code == 422
    for path in (
        "/accounts/",
        f"/boards/{world.pipeline}/closed",
        "/settings/mail/",
        "/settings/automation-runs/",
    ):
        assert admin.get(f"{path}?page={10**30}").status_code == 200, path


def test_json_bodies_are_refused_and_write_nothing(world, clients):
    """Flask-WTF reads JSON too: a field then got a boolean, a number or an object instead of text."""
    from crm.models import Opportunity

    response = clients["admin"].post(
        f"/opportunities/{world.opp}/result", json={"result": "won", "reason": True}
    )
    assert response.status_code == 415
    assert db.session.get(Opportunity, world.opp).result == "open"


def test_edit_forms_posted_without_their_tags_field_keep_the_tags(world, clients):
    from crm.models import Contact, Opportunity

    admin = clients["admin"]
    response = admin.post(f"/opportunities/{world.opp}/edit", data={"name": "Bigger deal", "amount": "5"})
    assert response.status_code == 302
    assert [t.name for t in db.session.get(Opportunity, world.opp).tags] == ["vip"]
    response = admin.post(
        f"/contacts/{world.contact}/edit", data={"last_name": "Doe", "email": "jane@acme.example"}
    )
    assert response.status_code == 302
    assert [t.name for t in db.session.get(Contact, world.contact).tags] == ["Émeraude"]


def test_not_a_number_amounts_are_refused(world, clients):
    """WTForms parses "sNaN", and a signalling NaN then broke NumberRange."""
    from crm.models import QuoteLine

    admin = clients["admin"]
    lines = _count(QuoteLine)
    line = {"description": "Design", "quantity": "1", "unit_price": "10", "vat_rate": "sNaN"}
    assert admin.post(f"/quotes/{world.quote}/lines", data=line, htmx=True).status_code == 422
    prefixed = {f"l{world.line}-{k}": v for k, v in {**line, "vat_rate": "20", "unit_price": "NaN"}.items()}
    assert (
        admin.post(f"/quotes/{world.quote}/lines/{world.line}", data=prefixed, htmx=True).status_code == 422
    )
    assert _count(QuoteLine) == lines
    new = {"stage_id": str(world.stages[0]), "name": "Deal", "amount": "sNaN"}
    assert admin.post("/opportunities/new", data=new, htmx=True).status_code == 422


def test_plain_posts_to_the_htmx_forms_get_whole_pages(world, clients):
    """Without HTMX the whole page is rendered, which needs more than the block's context."""
    from tests.factories import PNG

    admin = clients["admin"]
    assert admin.post(f"/quotes/{world.quote}/lines", data={"description": ""}).status_code == 422
    assert admin.post(f"/quotes/{world.quote}/details", data={"valid_until": "2026-02-30"}).status_code == 422
    settings_page = f"/settings/pipelines/{world.pipeline}"
    assert admin.post(f"{settings_page}/rename", data={"name": "Sales"}).status_code == 200
    assert admin.post(f"{settings_page}/stages", data={"name": "Negotiation"}).status_code == 200
    assert (
        admin.post(
            f"{settings_page}/access", data={"restricted": "1", "members": [str(world.rep)]}
        ).status_code
        == 200
    )
    assert (
        admin.post(f"/settings/scenarios/{world.scenario}/rename", data={"label": "Nurture"}).status_code
        == 200
    )
    step = f"/settings/scenarios/{world.scenario}/steps/{world.steps['pause']}"
    assert admin.post(step, data={"days": "3"}).status_code == 200
    upload = {"file": (io.BytesIO(PNG), "pixel.png")}
    assert admin.post(f"/settings/templates/{world.template}/attachments", data=upload).status_code == 200


def test_a_step_position_that_is_not_a_number_is_not_found(world, clients):
    from crm.models import ScenarioStep

    steps = _count(ScenarioStep)
    response = clients["admin"].post(
        f"/settings/scenarios/{world.scenario}/steps/new", data={"kind": "end", "after": " "}
    )
    assert response.status_code == 404
    assert _count(ScenarioStep) == steps


def test_dates_at_the_ends_of_the_calendar(world, clients):
    """Moved by a week, or to UTC, 0001-01-01 and 9999-12-31 leave Python's calendar."""
    from crm.models import Campaign

    admin = clients["admin"]
    assert admin.get("/agenda/?week=0001-01-01").status_code == 200
    assert admin.get("/agenda/?week=9999-12-31").status_code == 200
    response = admin.post(f"/settings/campaigns/{world.campaign}/start", data={"send_at": "0001-01-01T00:00"})
    assert response.status_code == 422
    assert db.session.get(Campaign, world.campaign).status == "draft"
    preview = f"/settings/scenarios/{world.scenario}/preview?record_type=contact&record_id={world.contact}"
    assert admin.get(f"{preview}&start=0001-01-01T00:00").status_code == 422
    assert admin.get(f"{preview}&start=2026-03-01T10:00%2B05:00").status_code == 422
    assert admin.get(f"{preview}&start=2026-03-01T10:00").status_code == 200


def test_nul_characters_are_refused_before_any_query(world, clients):
    """PostgreSQL text cannot hold NUL: saving or searching one was a 500 there."""
    from crm.models import Account

    admin = clients["admin"]
    accounts = _count(Account)
    assert admin.post("/accounts/new", data={"name": "Acme\x00"}).status_code == 400
    assert admin.get("/accounts/?q=%00").status_code == 400
    assert (
        admin.post(f"/settings/pipelines/{world.pipeline}/stages", data={"name": "\x00"}).status_code == 400
    )
    assert _count(Account) == accounts


def test_a_pause_until_the_ends_of_the_calendar_is_refused(world, clients):
    """Saved, such a date broke the scenario's preview (and the worker) once moved to UTC."""
    from crm.models import ScenarioStep

    admin = clients["admin"]
    step = f"/settings/scenarios/{world.scenario}/steps/{world.steps['pause']}"
    for until in ("0001-01-01T00:00", "9999-12-31T23:59"):
        assert admin.post(step, data={"days": "7", "until": until}, htmx=True).status_code == 422
    assert db.session.get(ScenarioStep, world.steps["pause"]).config.get("until") is None
    preview = f"/settings/scenarios/{world.scenario}/preview?record_type=contact&record_id={world.contact}"
    assert admin.get(preview).status_code == 200
