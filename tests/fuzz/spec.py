"""What one fuzzed endpoint is (Spec) and the field sets its forms share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from tests.fuzz.values import (
    HOSTILE_TEXT,
    READABLE,
    Field,
    blank_ok,
    boolean,
    choice,
    clock,
    day,
    email,
    ids,
    many,
    moment,
    number,
    phone,
    text,
)
from tests.fuzz.world import (
    World,
)


def tags_text(w: World) -> Field:
    return Field(
        st.one_of(st.sampled_from(["", "vip", "vip, Émeraude", "new-tag", *w.tag_names]), READABLE),
        st.sampled_from([*HOSTILE_TEXT, ", ".join(["t"] * 200), "x" * 80 + ", y", "ΑΣ, ας, Ας"]),
    )


def filters(w: World) -> dict[str, Field]:
    return {"mine": choice("1", "0"), "tag": ids(*w.tags, blank=True), "sort": choice("manual", "urgency")}


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
        "contact_id": ids(w.contact, blank=True),
        "account_id": ids(w.account, blank=True),
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
