"""Settings > Marketing > Emailing options: sender addresses, pending until verified."""

from __future__ import annotations

from flask import Blueprint
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from automation.mailing.senders import add_sender, resend_verification
from crm.extensions import db
from crm.marketing.forms import SenderForm
from crm.models import SenderAddress
from crm.responses import refused, render, toast
from crm.security import protect
from crm.services import ServiceError

bp = protect(Blueprint("senders", __name__, url_prefix="/settings/senders"), admin=True)


def _page(form: SenderForm, status: int = 200, block: str | None = None) -> Response:
    senders = db.session.scalars(select(SenderAddress).order_by(SenderAddress.email)).all()
    return render("marketing/senders.html", block=block, senders=senders, form=form, status=status)


@bp.route("/", methods=["GET", "POST"])
def index() -> Response:
    form = SenderForm()
    if form.validate_on_submit():
        try:
            sender = add_sender(form.email.data, form.display_name.data or "", form.rate_per_minute.data)
        except ServiceError as err:
            db.session.rollback()
            form.email.errors.append(err.message)
        else:
            message = _("%(email)s added: a confirmation link was mailed to it.", email=sender.email)
            return toast(_page(SenderForm(formdata=None), block="content"), message)
    if form.is_submitted():
        return _page(form, 422, block="content")
    return _page(form)


@bp.post("/<int:sender_id>/resend")
def resend(sender_id: int) -> Response:
    sender = db.get_or_404(SenderAddress, sender_id)
    try:
        resend_verification(sender)
    except ServiceError as err:
        return refused(str(err.message), err.status)
    return toast(
        _page(SenderForm(formdata=None), block="content"),
        _("A new link was mailed to %(email)s.", email=sender.email),
    )
