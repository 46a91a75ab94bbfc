"""Hostile cases the property-based fuzzer would rarely hit on its own, each pinned down."""

from __future__ import annotations

import io
from typing import Any

from sqlalchemy import func, select

from crm.extensions import db


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
