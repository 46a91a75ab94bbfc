"""Accounts, contacts and leads: list (search, filters, sort, pages), page, create and edit."""

from __future__ import annotations

from flask import Blueprint, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from crm.extensions import db
from crm.forms import page_number, user_choices
from crm.models import Opportunity
from crm.records.kinds import KINDS, Kind, account_choices
from crm.records.lists import Listing, choices, parse, statement
from crm.responses import done, render
from crm.security import protect
from crm.services.access import opportunity_visible
from crm.services.records import save_record

bp = protect(Blueprint("records", __name__))
KIND = "<any(accounts, contacts, leads):kind>"
PER_PAGE = 25


def _kind(slug: str) -> Kind:
    return KINDS[slug]


def _form(kind: Kind, obj: object | None = None):  # type: ignore[no-untyped-def]
    form = kind.form(obj=obj)
    form.owner_id.choices = user_choices(blank="—")
    if hasattr(form, "account_id"):
        form.account_id.choices = account_choices()
    if obj is not None and hasattr(form, "tags") and not isinstance(form.tags.data, str):
        # Shown, or not posted: the current tags as text.
        form.tags.data = ", ".join(t.name for t in obj.tags)
    if obj is None and request.method == "GET":
        form.owner_id.data = current_user.id
        if "account_id" in request.args and hasattr(form, "account_id"):
            form.account_id.data = form.account_id.coerce(request.args["account_id"])
    return form


def _values(form) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return {name: form[name].data for name in form.field_order}


@bp.get(f"/{KIND}/")
def index(kind: str) -> Response:
    return listing_page(parse(_kind(kind), request.args))


def listing_page(listing: Listing, status: int = 200) -> Response:
    """The list as `listing` says (filters, order, page): the whole page, or its results for HTMX."""
    page = db.paginate(statement(listing), page=page_number(), per_page=PER_PAGE, error_out=False)
    return render(
        "records/index.html",
        block="results",
        status=status,
        kind=listing.kind,
        page=page,
        q=listing.q,
        listing=listing,
        options=choices(listing),
    )


@bp.route(f"/{KIND}/new", methods=["GET", "POST"])
def create(kind: str) -> Response:
    spec = _kind(kind)
    form = _form(spec)
    if form.validate_on_submit():
        record = save_record(spec.model(), _values(form))
        return done(url_for("records.show", kind=kind, record_id=record.id), _("Saved."))
    status = 422 if form.is_submitted() else 200
    return render("records/form.html", block="form", kind=spec, form=form, record=None, status=status)


@bp.get(f"/{KIND}/<int:record_id>")
def show(kind: str, record_id: int) -> Response:
    spec = _kind(kind)
    record = db.get_or_404(spec.model, record_id)
    opportunities = []
    if kind in ("accounts", "contacts"):
        column = Opportunity.account_id if kind == "accounts" else Opportunity.contact_id
        opportunities = db.session.scalars(
            select(Opportunity)
            .where(column == record.id, opportunity_visible(current_user))
            .options(selectinload(Opportunity.stage), selectinload(Opportunity.owner))
            .order_by(Opportunity.result, Opportunity.updated_at.desc())
        ).all()
    return render("records/show.html", kind=spec, record=record, opportunities=opportunities)


@bp.route(f"/{KIND}/<int:record_id>/edit", methods=["GET", "POST"])
def edit(kind: str, record_id: int) -> Response:
    spec = _kind(kind)
    record = db.get_or_404(spec.model, record_id)
    form = _form(spec, obj=record)
    if form.validate_on_submit():
        save_record(record, _values(form))
        return done(url_for("records.show", kind=kind, record_id=record.id), _("Saved."))
    status = 422 if form.is_submitted() else 200
    return render("records/form.html", block="form", kind=spec, form=form, record=record, status=status)
