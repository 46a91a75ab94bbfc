"""Fuzzed endpoints: boards, opportunities, quotes, actions, enrolment, records."""

from __future__ import annotations

from hypothesis import strategies as st

from tests.fuzz.spec import (
    BOTH,
    Spec,
    action_fields,
    filters,
    line_fields,
    opportunity_fields,
    record_fields,
)
from tests.fuzz.values import (
    Field,
    blank_ok,
    boolean,
    choice,
    day,
    email,
    ids,
    many,
    number,
    phone,
    text,
)
from tests.fuzz.world import World

SALES: list[Spec] = [
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
            "undo": text("", required=False),  # only a token the move toast signed counts
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
]


def list_state(kind: str, w: World) -> dict[str, Field]:
    """A record list's filters and order, as its links put them in the query string."""
    return {
        "owner": ids(w.admin, w.rep, blank=True),
        "account": ids(w.account, blank=True),
        "source": text("Salon", required=False),
        "tag": ids(*w.tags, blank=True),
        "consent": choice("opted_in", "not_opted_in", "unsubscribed"),
        "sort": choice("display_name", "name", "account", "owner", "email", "source", "company"),
        "dir": choice("asc", "desc"),
    }


RECORDS: list[Spec] = [
    Spec(
        "search.show",
        "GET",
        query=lambda w: {
            "q": text("Doe", "Åcme", "Big deal", "jane acme", "%", required=False),
            "kind": choice("deals", "accounts", "contacts", "leads"),
            "page": number(1, 3, decimals=False),
        },
        users=BOTH,
        examples=20,
    ),
]
# Records: one spec per kind (each kind has its own form).
for _kind, _table in (("accounts", "accounts"), ("contacts", "contacts"), ("leads", "leads")):
    RECORDS += [
        Spec(
            "records.index",
            "GET",
            lambda w, k=_kind: {"kind": k},
            query=lambda w, k=_kind: {
                "q": text("Doe", "Åcme", required=False),
                "page": number(1, 3, decimals=False),
                **list_state(k, w),
            },
            users=BOTH,
            examples=12,
            variant=_kind,
        ),
        Spec(
            "bulk.apply",
            path=lambda w, k=_kind: {"kind": k},
            query=lambda w, k=_kind: list_state(k, w),
            form=lambda w, k=_kind: {
                "action": choice("assign", "tag", "enroll"),
                "ids": many([w.records[k], w.account, w.contact, w.lead]),
                "owner_id": ids(w.admin, w.rep, w.other, blank=True),
                "tag": text("vip", "Émeraude", "new-tag", required=False),
                "scenario_id": ids(w.scenario, w.draft_scenario, blank=True),
            },
            target=lambda w, k=_kind, t=_table: [(t, w.records[k]), ("enrollments", w.enrollment)],
            users=BOTH,
            examples=20,
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


def csv_file(kind: str) -> Field:
    """A CSV import: a plausible file for `kind`, or files that are not CSV, not UTF-8, too odd."""
    header = {"accounts": "name,email", "contacts": "last_name,email", "leads": "last_name,email"}[kind]
    valid = st.tuples(
        st.sampled_from(
            [
                f"{header}\nDurand,durand@example.com\n".encode(),
                f"\ufeff{header.replace(',', ';')}\nLefèvre;\n".encode(),
                f"{header}\n=cmd,bad-email\nDoe,doe@example.com\nDoe,doe@example.com\n".encode(),
            ]
        ),
        st.sampled_from(["import.csv", "liste.txt"]),
    )
    contents = st.sampled_from(
        [
            b"",
            b"\xff\xfe\x00l\x00a",
            f"{header}\n".encode(),
            b"salary\n1\n",
            f'{header}\n"open quote\n'.encode(),
            f"{header},{header}\nx,y,z,w,extra,more\n".encode(),
            "last_name\n\u0000\n".encode(),
            f"{header}\n{'x' * 5000},{'y' * 300}@example.com\n".encode(),
        ]
    )
    names = st.sampled_from(["import.csv", "../../x.csv", "a\x00.csv", "", "x.xlsx", "é" * 300 + ".csv"])
    return Field(valid, st.tuples(contents, names))


# CSV import: the upload answers a preview (nothing written), the confirm needs this session's token.
for _kind in ("accounts", "contacts", "leads"):
    RECORDS += [
        Spec(
            "csvio.import_upload",
            path=lambda w, k=_kind: {"kind": k},
            form=lambda w, k=_kind: {"file": csv_file(k)},
            users=BOTH,
            examples=12,
            variant=_kind,
            json=False,
        ),
        Spec(
            "csvio.import_confirm",
            path=lambda w, k=_kind: {"kind": k},
            form=lambda w: {"token": text("x" * 32, "../../etc/passwd")},
            users=BOTH,
            examples=4,
            variant=_kind,
        ),
    ]
# Records are hubs: the timeline's "Show more", a new deal from a record, a lead's conversion.
for _kind in ("accounts", "contacts"):
    RECORDS += [
        Spec(
            "records.new_deal",
            path=lambda w, k=_kind: {"kind": k, "record_id": w.records[k]},
            form=lambda w: {
                "deal_name": text("Expansion", "Renewal 2026"),
                "stage_id": ids(*w.stages, *w.stages2, blank=True),
                "amount": number(0, 9_999_999_999),
            },
            target=lambda w: [("opportunities", w.opp)],
            users=BOTH,
            examples=15,
            variant=_kind,
        ),
    ]
RECORDS += [
    Spec(
        "records.timeline",
        "GET",
        lambda w: {
            "kind": st.sampled_from(["contacts", "leads", "accounts"]),
            "record_id": st.sampled_from([w.contact, w.lead, w.account]),
        },
        query=lambda w: {"offset": number(0, 100_000, decimals=False)},
        users=BOTH,
        examples=8,
    ),
    Spec(
        "conversion.convert",
        path=lambda w: {"lead_id": w.lead},
        form=lambda w: {
            "account_id": ids(w.account, blank=True),
            "account_name": text("Lëad Company", required=False),
            "first_name": text("Lee", required=False),
            "last_name": text("Lëad"),
            "email": blank_ok(email()),
            "phone": blank_ok(phone()),
            "with_deal": boolean(),
            "deal_name": text("First order", required=False),
            "stage_id": ids(*w.stages, *w.stages2, blank=True),
            "amount": number(0, 9_999_999_999),
        },
        target=lambda w: [("leads", w.lead), ("opportunities", w.opp)],
        users=BOTH,
        examples=25,
    ),
]
