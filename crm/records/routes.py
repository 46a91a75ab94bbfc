"""Accounts, contacts and leads: list (search, filters, sort, pages), page, create and edit."""

from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, abort, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from crm.extensions import db, htmx
from crm.forms import optional_int, page_number, user_choices
from crm.models import Opportunity
from crm.pages import dialog_html, fragment_or_redirect
from crm.records.forms import NewDealForm
from crm.records.kinds import KINDS, Kind, account_choices, stage_choices
from crm.records.lists import Listing, choices, parse, statement
from crm.responses import done, render, toast
from crm.security import protect
from crm.services.access import opportunity_visible, stage_or_none
from crm.services.opportunities import create_opportunity
from crm.services.records import save_record
from crm.services.timeline import record_timeline

bp = protect(Blueprint("records", __name__))
KIND = "<any(accounts, contacts, leads):kind>"
PER_PAGE = 25
PAGE_BLOCKS = {"timeline", "deals"}
MAX_OFFSET = 10_000


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
        converted=listing.converted,
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


def _opportunities(kind: str, record: object) -> list[Opportunity]:
    if kind not in ("accounts", "contacts"):
        return []
    column = Opportunity.account_id if kind == "accounts" else Opportunity.contact_id
    return list(
        db.session.scalars(
            select(Opportunity)
            .where(column == record.id, opportunity_visible(current_user))  # type: ignore[attr-defined]
            .options(selectinload(Opportunity.stage), selectinload(Opportunity.owner))
            .order_by(Opportunity.result, Opportunity.updated_at.desc())
        )
    )


def _page(kind: str, record: object, block: str | None = None, **extra: object) -> Response:
    """The record's page (its timeline, its deals), or one of its regions for HTMX."""
    block = block if block in PAGE_BLOCKS else None
    spec = _kind(kind)
    return render(
        "records/show.html",
        block=block,
        kind=spec,
        record=record,
        opportunities=_opportunities(kind, record) if block in (None, "deals") else [],
        timeline=record_timeline(record, current_user) if block in (None, "timeline") else None,
        **extra,
    )


@bp.get(f"/{KIND}/<int:record_id>")
def show(kind: str, record_id: int) -> Response:
    record = db.get_or_404(_kind(kind).model, record_id)
    return _page(kind, record, request.args.get("block"))


@bp.get(f"/{KIND}/<int:record_id>/timeline")
def timeline(kind: str, record_id: int) -> Response:
    """The next entries of the timeline ("Show more")."""
    spec = _kind(kind)
    record = db.get_or_404(spec.model, record_id)
    if page := fragment_or_redirect(url_for("records.show", kind=kind, record_id=record_id)):
        return page
    offset = min(max(optional_int(request.args.get("offset")) or 0, 0), MAX_OFFSET)
    entries = record_timeline(record, current_user, offset=offset)
    return render("records/_timeline_entries.html", kind=spec, record=record, timeline=entries)


def _deal_form() -> NewDealForm:
    form = NewDealForm()
    form.stage_id.choices = stage_choices(current_user)
    return form


@bp.route("/<any(accounts, contacts):kind>/<int:record_id>/deal", methods=["GET", "POST"])
def new_deal(kind: str, record_id: int) -> Response:
    """A new opportunity for this account or contact, in a dialog."""
    spec = _kind(kind)
    record = db.get_or_404(spec.model, record_id)
    form = _deal_form()
    if form.validate_on_submit():
        stage = stage_or_none(current_user, form.stage_id.data)
        if stage is None:
            abort(404)
        opp = create_opportunity(
            actor=current_user,
            stage=stage,
            name=form.deal_name.data,
            amount=form.amount.data if form.amount.data is not None else Decimal("0"),
            account=record if kind == "accounts" else None,  # type: ignore[arg-type]
            contact=record if kind == "contacts" else None,  # type: ignore[arg-type]
        )
        message = _("Opportunity “%(name)s” created.", name=opp.name)
        if not htmx:
            return done(url_for("records.show", kind=kind, record_id=record.id), message)
        return toast(Response("", 200), message, closeDialog=True, recordChanged=True)
    status = 422 if form.is_submitted() else 200
    context = {"kind": spec, "record": record, "form": form}
    if not htmx:  # the record's page with the dialog open
        return _page(kind, record, modal=dialog_html("records/_deal.html", **context))
    return render("records/_deal.html", status=status, **context)


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
