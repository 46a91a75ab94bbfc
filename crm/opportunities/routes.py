"""One opportunity: create inline, page, edit inline, move, mark won/lost/dormant, tags."""

from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, abort, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from crm.actions.forms import NoteForm
from crm.board.queries import Card, column_totals
from crm.board.routes import board_filter, card_kit, filter_args
from crm.board.undo import undo_action, undo_entered_at
from crm.extensions import db, htmx
from crm.forms import optional_int, user_choices
from crm.models import Account, Action, Contact, Opportunity, Quote, Stage, Tag
from crm.opportunities.feed import FEED_KINDS, feed_items
from crm.opportunities.forms import MoveForm, NewOpportunityForm, OpportunityForm, ResultForm, tag_list
from crm.pages import dialog_html
from crm.responses import done, refused, render, toast
from crm.security import protect
from crm.services import ServiceError
from crm.services.access import opportunity_or_404, stage_or_none
from crm.services.actions import today_for
from crm.services.notes import post_note
from crm.services.opportunities import (
    create_opportunity,
    move_opportunity,
    set_result,
    set_tags,
    update_opportunity,
)
from crm.services.tags import add_tag, remove_tag

bp = protect(Blueprint("opportunities", __name__, url_prefix="/opportunities"))

RESULT_DONE = {
    "won": _l("Marked as won."),
    "lost": _l("Marked as lost."),
    "dormant": _l("Marked as dormant."),
    "open": _l("Reopened."),
}
PAGE_BLOCKS = {"header", "fields", "feed", "actions", "tags"}


def _choices(form: OpportunityForm) -> OpportunityForm:
    form.owner_id.choices = user_choices(blank="—")
    form.account_id.choices = [("", "—")] + [
        (a.id, a.name) for a in db.session.execute(select(Account.id, Account.name).order_by(Account.name))
    ]
    contacts = db.session.execute(
        select(Contact.id, Contact.first_name, Contact.last_name).order_by(Contact.last_name)
    )
    form.contact_id.choices = [("", "—")] + [
        (c.id, f"{c.first_name} {c.last_name}".strip()) for c in contacts
    ]
    return form


def _load(opportunity_id: int) -> Opportunity:
    return opportunity_or_404(current_user, opportunity_id)


def _fields(form: OpportunityForm) -> dict[str, object]:
    return {
        "name": form.name.data,
        "amount": form.amount.data if form.amount.data is not None else Decimal("0"),
        "account_id": form.account_id.data,
        "contact_id": form.contact_id.data,
        "owner_id": form.owner_id.data,
        "expected_close": form.expected_close.data,
    }


@bp.route("/new", methods=["GET", "POST"])
def create() -> Response:
    form = _choices(NewOpportunityForm())
    stage = stage_or_none(current_user, optional_int(form.stage_id.data or request.args.get("stage_id")))
    if stage is None:
        abort(404)
    if request.method == "GET":
        form.stage_id.data = stage.id
        form.owner_id.data = current_user.id
    if form.validate_on_submit():
        values = _fields(form)
        opp = create_opportunity(
            actor=current_user,
            stage=stage,
            name=values["name"],  # type: ignore[arg-type]
            amount=values["amount"],  # type: ignore[arg-type]
            account=db.session.get(Account, values["account_id"]) if values["account_id"] else None,
            contact=db.session.get(Contact, values["contact_id"]) if values["contact_id"] else None,
            owner=None,
            expected_close=values["expected_close"],  # type: ignore[arg-type]
            tags=tag_list(form.tags.data),
        )
        if values["owner_id"] != opp.owner_id:
            update_opportunity(opp, actor=current_user, owner_id=values["owner_id"])
        if not htmx:
            return done(url_for("opportunities.show", opportunity_id=opp.id), _("Opportunity created."))
        totals = column_totals(stage.pipeline_id, board_filter())
        response = render(
            "opportunities/_created.html",
            card=Card.of(opp),
            stage=stage,
            totals=totals,
            filters=filter_args(),
            **card_kit(),
        )
        return toast(response, _("Opportunity created."))
    status = 422 if form.is_submitted() else 200
    return render("opportunities/_new.html", form=form, stage=stage, filters=filter_args(), status=status)


def _page(opp: Opportunity, block: str | None = None, status: int = 200, **extra: object) -> Response:
    """The opportunity page, or one of its regions for HTMX."""
    block = block if block in PAGE_BLOCKS else None
    only = request.args.get("feed")
    only = only if only in FEED_KINDS or only == "emails" else None
    actions = db.session.scalars(
        select(Action)
        .where(Action.opportunity_id == opp.id)
        .options(selectinload(Action.type), selectinload(Action.assignee))
        .order_by(Action.closed_at.is_not(None), Action.due_date, Action.id)
    ).all()
    quotes = db.session.scalars(
        select(Quote).where(Quote.opportunity_id == opp.id).order_by(Quote.id.desc())
    ).all()
    return render(
        "opportunities/show.html",
        block=block,
        opp=opp,
        feed=feed_items(opp, only),
        feed_filter=only,
        actions=actions,
        quotes=quotes,
        today=today_for(current_user),
        note_form=NoteForm(formdata=None),
        all_tags=db.session.scalars(select(Tag).order_by(Tag.name)).all(),
        status=status,
        **extra,
    )


@bp.get("/<int:opportunity_id>")
def show(opportunity_id: int) -> Response:
    return _page(_load(opportunity_id), request.args.get("block"))


@bp.route("/<int:opportunity_id>/edit", methods=["GET", "POST"])
def edit(opportunity_id: int) -> Response:
    opp = _load(opportunity_id)
    form = _choices(OpportunityForm(obj=opp))
    if not isinstance(form.tags.data, str):  # shown, or not posted: the current tags as text
        form.tags.data = ", ".join(t.name for t in opp.tags)
    if form.validate_on_submit():
        try:
            update_opportunity(opp, actor=current_user, commit=False, **_fields(form))
            set_tags(opp, tag_list(form.tags.data), actor=current_user, commit=False)
            db.session.commit()
        except ServiceError as err:
            db.session.rollback()
            return refused(str(err.message), err.status)
        if not htmx:
            return done(url_for("opportunities.show", opportunity_id=opp.id), _("Saved."))
        return toast(_page(opp, "fields"), _("Saved."), opportunityChanged=opp.id)
    status = 422 if form.is_submitted() else 200
    if not htmx:  # opened in a tab of its own: the opportunity page with its form open
        return _page(opp, status=status, form=form, editing=True)
    return render("opportunities/_edit.html", form=form, opp=opp, status=status)


@bp.post("/<int:opportunity_id>/move")
def move(opportunity_id: int) -> Response:
    opp = _load(opportunity_id)
    form = MoveForm()
    stage = db.session.get(Stage, optional_int(form.stage_id.data) or 0)
    if not form.validate() or stage is None:
        return refused(_("Choose a stage of this pipeline."), 422)
    entered_at = None
    if form.undo.data:  # the toast's Undo: back where it was, at its former place
        try:
            entered_at = undo_entered_at(form.undo.data, opp, stage)
        except ValueError:
            return refused(_("This move can no longer be undone; drag the card back instead."), 422)
    before, before_entered = opp.stage, opp.stage_entered_at
    try:
        moved = move_opportunity(
            opp,
            stage,
            actor=current_user,
            expected_stage_id=optional_int(form.from_stage_id.data),
            entered_at=entered_at,
        )
    except ServiceError as err:
        db.session.rollback()
        return refused(str(err.message), err.status)
    if not htmx:
        return done(
            url_for("opportunities.show", opportunity_id=opp.id), _("Moved to %(stage)s.", stage=stage.name)
        )
    totals = column_totals(opp.pipeline_id, board_filter())
    response = render("board/_totals.html", stages=opp.pipeline.stages, totals=totals)
    if entered_at is not None:
        message = _("Moved back to %(stage)s.", stage=stage.name)
        return toast(response, message, opportunityChanged=opp.id, boardChanged=True)
    undo = undo_action(opp, before, before_entered, filter_args()) if moved else None
    return toast(response, _("Moved to %(stage)s.", stage=stage.name), action=undo, opportunityChanged=opp.id)


@bp.route("/<int:opportunity_id>/result", methods=["GET", "POST"])
def result(opportunity_id: int) -> Response:
    opp = _load(opportunity_id)
    form = ResultForm()
    if request.method == "GET":
        form.result.data = request.args.get("result", "won")
    if request.method == "GET" or not form.validate():
        status = 200 if request.method == "GET" else 422
        if not htmx:  # the opportunity page with the dialog open
            dialog = dialog_html("opportunities/_result.html", form=form, opp=opp, filters=filter_args())
            return _page(opp, status=status, modal=dialog)
        return render("opportunities/_result.html", form=form, opp=opp, filters=filter_args(), status=status)
    try:
        set_result(opp, form.result.data, actor=current_user, reason=form.reason.data)
    except ServiceError as err:
        db.session.rollback()
        return refused(str(err.message), err.status)
    message = str(RESULT_DONE[form.result.data])
    if not htmx:
        return done(url_for("opportunities.show", opportunity_id=opp.id), message)
    return toast(
        render("opportunities/_result_done.html", opp=opp),
        message,
        boardChanged=True,
        opportunityChanged=opp.id,
    )


@bp.post("/<int:opportunity_id>/notes")
def note(opportunity_id: int) -> Response:
    opp = _load(opportunity_id)
    form = NoteForm()
    if not form.validate():
        return refused(" ".join(str(e) for e in form.text.errors), 422)
    try:
        post_note(opp, form.text.data, actor=current_user)
    except ServiceError as err:
        return refused(str(err.message), err.status)
    return toast(_page(opp, "feed"), _("Note posted."))


@bp.post("/<int:opportunity_id>/tags/add")
def tag_add(opportunity_id: int) -> Response:
    opp = _load(opportunity_id)
    name = (request.form.get("name") or "").strip()[:60]
    try:
        added = add_tag(opp, name, actor=current_user)
    except ServiceError as err:
        return refused(str(err.message), err.status)
    response = _page(opp, "tags")
    return toast(
        response,
        _("Tag “%(name)s” added.", name=name) if added else _("Already tagged."),
        opportunityChanged=opp.id,
        boardChanged=True,
    )


@bp.post("/<int:opportunity_id>/tags/<int:tag_id>/remove")
def tag_remove(opportunity_id: int, tag_id: int) -> Response:
    opp = _load(opportunity_id)
    tag = db.get_or_404(Tag, tag_id)
    remove_tag(opp, tag, actor=current_user)
    return toast(
        _page(opp, "tags"),
        _("Tag “%(name)s” removed.", name=tag.name),
        opportunityChanged=opp.id,
        boardChanged=True,
    )
