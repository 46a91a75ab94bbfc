"""Marketing > Campaigns: draft, schedule or send now, live progress, pause and resume."""

from __future__ import annotations

from datetime import UTC
from zoneinfo import ZoneInfo

from flask import Blueprint, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from automation.mailing import campaigns as service
from automation.mailing.senders import verified_senders
from crm.extensions import db
from crm.marketing.forms import CampaignForm, ScheduleForm
from crm.models import Campaign, Contact, EmailTemplate, OutboxMessage, Pipeline, SenderAddress, Tag
from crm.responses import done, refused, render, toast
from crm.security import protect
from crm.services import ServiceError

bp = protect(Blueprint("campaigns", __name__, url_prefix="/settings/campaigns"), admin=True)


def _choices(form: CampaignForm) -> CampaignForm:
    form.template_id.choices = [("", "—")] + [
        (t.id, t.name) for t in db.session.scalars(select(EmailTemplate).order_by(EmailTemplate.name))
    ]
    form.sender_id.choices = [("", "—")] + [
        (s.id, f"{s.display_name} <{s.email}>" if s.display_name else s.email) for s in verified_senders()
    ]
    form.tag_id.choices = [("", "—")] + [
        (t.id, t.name) for t in db.session.scalars(select(Tag).order_by(Tag.name))
    ]
    form.stage_id.choices = [("", "—")] + [
        (s.id, f"{p.name} › {s.name}")
        for p in db.session.scalars(select(Pipeline).order_by(Pipeline.position))
        for s in p.stages
    ]
    contacts = db.session.execute(
        select(Contact.id, Contact.first_name, Contact.last_name, Contact.email)
        .order_by(Contact.last_name)
        .limit(5000)
    )
    form.contact_ids.choices = [(c.id, f"{c.first_name} {c.last_name} <{c.email or '—'}>") for c in contacts]
    return form


@bp.get("/")
def index() -> Response:
    items = db.session.scalars(select(Campaign).order_by(Campaign.created_at.desc())).all()
    return render("marketing/campaigns.html", campaigns=items)


@bp.route("/new", methods=["GET", "POST"])
def create() -> Response:
    form = _choices(CampaignForm())
    if form.validate_on_submit():
        template = db.session.get(EmailTemplate, form.template_id.data)
        sender = db.session.get(SenderAddress, form.sender_id.data)
        try:
            campaign = service.create_campaign(
                name=form.name.data,
                template=template,
                sender=sender,
                audience=form.audience(),
                actor=current_user,
            )
        except ServiceError as err:
            db.session.rollback()
            form.name.errors.append(err.message)
        else:
            return done(url_for("campaigns.show", campaign_id=campaign.id), _("Campaign saved as a draft."))
    status = 422 if form.is_submitted() else 200
    return render("marketing/campaign_form.html", block="form", form=form, status=status)


def _detail(campaign: Campaign, block: str | None = None, **extra: object) -> Response:
    recipients = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.campaign_id == campaign.id)
        .order_by(OutboxMessage.id)
        .limit(500)
    ).all()
    return render(
        "marketing/campaign.html",
        block=block,
        campaign=campaign,
        progress=service.progress(campaign),
        audience_size=service.audience_size(campaign.audience)
        if campaign.status == "draft"
        else campaign.total,
        recipients=recipients,
        schedule=ScheduleForm(formdata=None),
        **extra,
    )


@bp.get("/<int:campaign_id>")
def show(campaign_id: int) -> Response:
    campaign = db.get_or_404(Campaign, campaign_id)
    block = request.args.get("block") if request.args.get("block") in ("progress", "detail") else None
    response = _detail(campaign, block=block)
    if block == "progress" and campaign.status not in ("sending", "scheduled"):
        # The last poll: the campaign finished (or was paused elsewhere); refresh the whole region.
        response.headers["HX-Trigger"] = "campaignChanged"
    return response


@bp.post("/<int:campaign_id>/start")
def start(campaign_id: int) -> Response:
    campaign = db.get_or_404(Campaign, campaign_id)
    form = ScheduleForm()
    if not form.validate():
        return refused(_("Enter a valid date and time."), 422)
    at = None
    if form.send_at.data:
        local = form.send_at.data.replace(tzinfo=ZoneInfo(current_user.timezone))
        try:
            at = local.astimezone(UTC).replace(tzinfo=None)
        except OverflowError:  # 0001-01-01 or 9999-12-31 moved to UTC leaves the calendar
            return refused(_("Enter a valid date and time."), 422)
    try:
        service.start(campaign, at)
    except ServiceError as err:
        db.session.rollback()
        return refused(str(err.message), err.status)
    message = _("Campaign scheduled.") if campaign.status == "scheduled" else _("Sending started.")
    return toast(_detail(campaign, block="detail"), message)


@bp.post("/<int:campaign_id>/pause")
def pause(campaign_id: int) -> Response:
    return _change(
        campaign_id, service.pause, _("Campaign paused: nothing more is sent until you resume it.")
    )


@bp.post("/<int:campaign_id>/resume")
def resume(campaign_id: int) -> Response:
    return _change(campaign_id, service.resume, _("Campaign resumed."))


def _change(campaign_id: int, action, message: str) -> Response:  # type: ignore[no-untyped-def]
    campaign = db.get_or_404(Campaign, campaign_id)
    try:
        action(campaign)
    except ServiceError as err:
        return refused(str(err.message), err.status)
    return toast(_detail(campaign, block="detail"), message)
