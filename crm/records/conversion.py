"""A lead's "Convert": the form (in a dialog, or a page of its own) and the conversion."""

from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, abort, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from crm.extensions import db, htmx
from crm.models import Account, Lead
from crm.pages import fragment_or_page
from crm.records.forms import ConvertForm
from crm.records.kinds import stage_choices
from crm.responses import done, refused
from crm.security import protect
from crm.services import ServiceError
from crm.services.access import stage_or_none
from crm.services.conversion import accounts_named, convert_lead, live_enrollments

bp = protect(Blueprint("conversion", __name__, url_prefix="/leads"))


def _form(lead: Lead) -> tuple[ConvertForm, list[Account]]:
    form = ConvertForm()
    same_name = accounts_named(lead.company)
    form.account_id.choices = [("", _("A new account"))] + [
        (a.id, _("%(name)s (existing, #%(id)d)", name=a.name, id=a.id)) for a in same_name
    ]
    form.stage_id.choices = stage_choices(current_user)
    if request.method == "GET":
        form.account_name.data = lead.company or ""
        form.first_name.data = lead.first_name
        form.last_name.data = lead.last_name
        form.email.data = lead.email
        form.phone.data = lead.phone
        form.deal_name.data = lead.company or lead.display_name
    return form, same_name


def _show(lead: Lead, form: ConvertForm, status: int = 200) -> Response:
    return fragment_or_page(
        "records/_convert.html",
        title=_("Convert %(name)s", name=lead.display_name),
        back_url=url_for("records.show", kind="leads", record_id=lead.id),
        back_label=lead.display_name,
        status=status,
        form=form,
        lead=lead,
        enrolled=live_enrollments(lead),
        dialog=bool(htmx),
    )


@bp.route("/<int:lead_id>/convert", methods=["GET", "POST"])
def convert(lead_id: int) -> Response:
    lead = db.get_or_404(Lead, lead_id)
    if lead.converted_at is not None:
        return refused(_("This lead was already converted."), 409)
    form, _same = _form(lead)
    if not form.validate_on_submit():
        return _show(lead, form, 422 if form.is_submitted() else 200)
    stage = None
    if form.with_deal.data:
        stage = stage_or_none(current_user, form.stage_id.data)
        if stage is None:
            abort(404)
    try:
        converted = convert_lead(
            lead,
            actor=current_user,
            account=db.session.get(Account, form.account_id.data) if form.account_id.data else None,
            account_name=form.account_name.data or "",
            person={
                "first_name": form.first_name.data,
                "last_name": form.last_name.data,
                "email": form.email.data,
                "phone": form.phone.data,
            },
            deal={
                "name": form.deal_name.data.strip(),
                "amount": form.amount.data if form.amount.data is not None else Decimal("0"),
            }
            if form.with_deal.data
            else None,
            stage=stage,
        )
    except ServiceError as err:
        return refused(str(err.message), err.status)
    url = url_for("records.show", kind="contacts", record_id=converted.contact.id)
    return done(url, _("%(name)s converted.", name=lead.display_name))
