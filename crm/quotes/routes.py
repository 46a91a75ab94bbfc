"""Quotes: built line by line on their own page, sent as a PDF, reopened, accepted or refused."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, abort, flash, make_response, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from automation.mailing.quotes import send_quote
from automation.mailing.senders import verified_senders
from crm.extensions import db, htmx
from crm.models import EmailTemplate, Quote, QuoteLine, SenderAddress
from crm.pages import dialog_html
from crm.quote_pdf import render_quote_pdf
from crm.quotes.forms import LineForm, QuoteForm, SendForm
from crm.responses import done, refused, render, toast
from crm.security import protect
from crm.services import ServiceError
from crm.services import quotes as service
from crm.services.access import opportunity_or_404, quote_or_404

bp = protect(Blueprint("quotes", __name__))


def _page(quote: Quote, block: str | None = None, status: int = 200, **extra: object) -> Response:
    """The quote page, or one block of it for HTMX; `extra` may replace its forms."""
    context = {
        "line_form": LineForm(formdata=None),
        "quote_form": QuoteForm(obj=quote, formdata=None),
        **extra,
    }
    return render(
        "quotes/show.html", block=block, quote=quote, opp=quote.opportunity, status=status, **context
    )


@bp.post("/opportunities/<int:opportunity_id>/quotes")
def create(opportunity_id: int) -> Response:
    opp = opportunity_or_404(current_user, opportunity_id)
    quote = service.create_quote(opp, actor=current_user, valid_until=date.today() + timedelta(days=30))
    return done(
        url_for("quotes.show", quote_id=quote.id), _("Quote %(number)s created.", number=quote.number)
    )


@bp.get("/quotes/<int:quote_id>")
def show(quote_id: int) -> Response:
    return _page(quote_or_404(current_user, quote_id))


@bp.get("/quotes/<int:quote_id>.pdf")
def pdf(quote_id: int) -> Response:
    quote = quote_or_404(current_user, quote_id)
    response = make_response(render_quote_pdf(quote))
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{quote.number}.pdf"'
    return response


def _line(quote: Quote, line_id: int) -> QuoteLine:
    line = db.get_or_404(QuoteLine, line_id)
    if line.quote_id != quote.id:
        abort(404)
    return line


@bp.post("/quotes/<int:quote_id>/lines")
def add_line(quote_id: int) -> Response:
    quote = quote_or_404(current_user, quote_id)
    form = LineForm()
    if not form.validate():
        return _page(quote, block="new_line", status=422, line_form=form)
    try:
        service.add_line(quote, **form.values())
    except ServiceError as err:
        return refused(str(err.message), err.status)
    return toast(_page(quote, block="lines"), _("Line added."))


@bp.post("/quotes/<int:quote_id>/lines/<int:line_id>")
def update_line(quote_id: int, line_id: int) -> Response:
    quote = quote_or_404(current_user, quote_id)
    line = _line(quote, line_id)
    form = LineForm(prefix=f"l{line.id}")
    if not form.validate():
        errors = "; ".join(
            f"{form[name].label.text}: {' '.join(map(str, errs))}" for name, errs in form.errors.items()
        )
        return refused(errors, 422)
    try:
        service.update_line(line, **form.values())
    except ServiceError as err:
        return refused(str(err.message), err.status)
    return _page(quote, block="lines")


@bp.post("/quotes/<int:quote_id>/lines/<int:line_id>/delete")
def delete_line(quote_id: int, line_id: int) -> Response:
    quote = quote_or_404(current_user, quote_id)
    try:
        service.delete_line(_line(quote, line_id))
    except ServiceError as err:
        return refused(str(err.message), err.status)
    return toast(_page(quote, block="lines"), _("Line removed."))


@bp.post("/quotes/<int:quote_id>/details")
def details(quote_id: int) -> Response:
    quote = quote_or_404(current_user, quote_id)
    form = QuoteForm()
    if not form.validate():
        return _page(quote, block="details", status=422, quote_form=form)
    try:
        service.update_quote(quote, valid_until=form.valid_until.data, notes=form.notes.data or "")
    except ServiceError as err:
        return refused(str(err.message), err.status)
    return toast(_page(quote, block="details"), _("Saved."))


def _send_form() -> SendForm:
    form = SendForm()
    form.sender_id.choices = [("", "—")] + [
        (s.id, f"{s.display_name} <{s.email}>" if s.display_name else s.email) for s in verified_senders()
    ]
    form.template_id.choices = [("", _("— plain message —"))] + [
        (t.id, t.name) for t in db.session.scalars(select(EmailTemplate).order_by(EmailTemplate.name))
    ]
    return form


@bp.route("/quotes/<int:quote_id>/send", methods=["GET", "POST"])
def send(quote_id: int) -> Response:
    quote = quote_or_404(current_user, quote_id)
    form = _send_form()
    if request.method == "GET":
        mine = next((s for s in verified_senders() if s.email == current_user.email), None)
        form.sender_id.data = mine.id if mine else None
        if not htmx:  # the quote page with the dialog open
            return _page(quote, modal=dialog_html("quotes/_send.html", quote=quote, form=form))
        return render("quotes/_send.html", quote=quote, form=form)
    if not form.validate():
        return render("quotes/_send.html", quote=quote, form=form, status=422)
    try:
        send_quote(
            quote,
            actor=current_user,
            sender=db.session.get(SenderAddress, form.sender_id.data) if form.sender_id.data else None,
            template=db.session.get(EmailTemplate, form.template_id.data) if form.template_id.data else None,
        )
    except ServiceError as err:
        db.session.rollback()
        if htmx:
            return refused(str(err.message), err.status)
        form.sender_id.errors.append(err.message)
        return render("quotes/_send.html", quote=quote, form=form, status=err.status)
    return _refresh(quote, _("Quote sent to %(email)s.", email=quote.opportunity.contact.email))


@bp.post("/quotes/<int:quote_id>/reopen")
def reopen(quote_id: int) -> Response:
    quote = quote_or_404(current_user, quote_id)
    try:
        service.reopen_quote(quote, actor=current_user)
    except ServiceError as err:
        return refused(str(err.message), err.status)
    return _refresh(quote, _("Quote reopened: you can edit it again."))


@bp.post("/quotes/<int:quote_id>/answer")
def answer(quote_id: int) -> Response:
    quote = quote_or_404(current_user, quote_id)
    try:
        service.set_answer(quote, request.form.get("answer", ""), actor=current_user)
    except ServiceError as err:
        return refused(str(err.message), err.status)
    return _refresh(quote, _("Answer recorded."))


def _refresh(quote: Quote, message: str) -> Response:
    """The whole page changes (editable or not): reload it, with the message as a toast."""
    flash(message, "success")
    if not htmx:
        return redirect(url_for("quotes.show", quote_id=quote.id))
    response = make_response("", 200)
    response.headers["HX-Refresh"] = "true"
    return response
