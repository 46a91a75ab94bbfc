"""Email campaigns: a template, a verified sender, an audience; sent by the worker in chunks.

Each recipient's outbox row has the key campaign:<id>:contact:<id>, so preparing the same
campaign twice (a retried job, a resume) never writes a second row for anyone.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, exists, func, select

from automation.mailing.compose import check_sender, merge_values, queue_email, render_template_for
from automation.queues import enqueue_campaign, enqueue_mail
from crm.extensions import db, redis_conn
from crm.models import (
    Campaign,
    Contact,
    EmailTemplate,
    Opportunity,
    OutboxMessage,
    SenderAddress,
    User,
    contact_tags,
    utcnow,
)
from crm.services import ServiceError

CHUNK = 500


def audience_query(audience: dict[str, Any]) -> Select:  # type: ignore[type-arg]
    """Ids of the contacts a campaign goes to, in a stable order."""
    kind = audience.get("type")
    query = select(Contact.id)
    if kind == "tag":
        query = query.where(
            exists().where(
                contact_tags.c.contact_id == Contact.id, contact_tags.c.tag_id == audience.get("tag_id")
            )
        )
    elif kind == "stage":
        query = query.where(
            exists().where(
                Opportunity.contact_id == Contact.id,
                Opportunity.stage_id == audience.get("stage_id"),
                Opportunity.result == "open",
            )
        )
    elif kind == "contacts":
        query = query.where(Contact.id.in_([int(i) for i in audience.get("ids", [])]))
    else:
        raise ServiceError(_("Choose who the campaign goes to."), 422)
    return query.order_by(Contact.id)


def audience_size(audience: dict[str, Any]) -> int:
    return db.session.scalar(select(func.count()).select_from(audience_query(audience).subquery())) or 0


def create_campaign(
    *,
    name: str,
    template: EmailTemplate,
    sender: SenderAddress,
    audience: dict[str, Any],
    actor: User | None,
    opportunity: Opportunity | None = None,
    commit: bool = True,
) -> Campaign:
    check_sender(sender)
    audience_query(audience)  # refuses an unknown audience type
    campaign = Campaign(
        name=name.strip()[:200],  # an automation names it after its trigger and opportunity
        template_id=template.id,
        sender_id=sender.id,
        audience=audience,
        created_by_id=actor.id if actor else None,
        opportunity_id=opportunity.id if opportunity else None,
    )
    db.session.add(campaign)
    db.session.flush()
    if commit:
        db.session.commit()
    return campaign


def start(campaign: Campaign, at: datetime | None = None, commit: bool = True, enqueue: bool = True) -> None:
    """Send now, or at `at` (naive UTC). Refused for an unverified sender or an empty audience."""
    if campaign.status not in ("draft", "scheduled"):
        raise ServiceError(_("This campaign has already started."))
    check_sender(campaign.sender)
    total = audience_size(campaign.audience)
    if total == 0:
        raise ServiceError(_("Nobody is in this campaign’s audience."), 422)
    campaign.total = total
    if at is not None and at > utcnow():
        campaign.status, campaign.scheduled_at = "scheduled", at
        _finish(commit)
        enqueue_campaign(campaign.id, at)
        return
    campaign.status, campaign.started_at = "sending", utcnow()
    _finish(commit)
    if enqueue:
        enqueue_campaign(campaign.id)


def pause(campaign: Campaign) -> None:
    if campaign.status != "sending":
        raise ServiceError(_("Only a campaign that is sending can be paused."))
    campaign.status = "paused"
    db.session.commit()


def resume(campaign: Campaign) -> None:
    if campaign.status != "paused":
        raise ServiceError(_("Only a paused campaign can be resumed."))
    campaign.status = "sending"
    db.session.commit()
    enqueue_campaign(campaign.id)


def _finish(commit: bool) -> None:
    if commit:
        db.session.commit()
    else:
        db.session.flush()


def run_campaign(campaign_id: int) -> str:
    """RQ job: write the outbox rows still missing (chunk by chunk), then hand queued ones to mail."""
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        return "gone"
    now = utcnow()
    if campaign.status == "scheduled" and campaign.scheduled_at and campaign.scheduled_at <= now:
        campaign.status, campaign.started_at = "sending", now
        db.session.commit()
    if campaign.status != "sending":
        return f"not sending ({campaign.status})"
    lock = f"crm:campaign-lock:{campaign.id}"
    if not redis_conn().set(lock, 1, nx=True, ex=120):
        return "another job is preparing it"
    try:
        _prepare(campaign)
    finally:
        redis_conn().delete(lock)
    # Rows left queued by an earlier pause or a lost job.
    waiting = db.session.scalars(
        select(OutboxMessage.id).where(
            OutboxMessage.campaign_id == campaign.id, OutboxMessage.status.in_(("queued", "retrying"))
        )
    ).all()
    if waiting:
        enqueue_mail(waiting)
    return "prepared"


def _prepare(campaign: Campaign) -> None:
    template, sender = campaign.template, campaign.sender
    last_id = 0
    while True:
        ids = db.session.scalars(
            audience_query(campaign.audience).where(Contact.id > last_id).limit(CHUNK)
        ).all()
        if not ids:
            break
        last_id = ids[-1]
        keys = {f"campaign:{campaign.id}:contact:{i}": i for i in ids}
        done = set(
            db.session.scalars(
                select(OutboxMessage.idempotency_key).where(OutboxMessage.idempotency_key.in_(keys))
            )
        )
        for contact in db.session.scalars(
            select(Contact).where(Contact.id.in_([i for k, i in keys.items() if k not in done]))
        ):
            subject, html = render_template_for(template, merge_values(recipient=contact))
            queue_email(
                key=f"campaign:{campaign.id}:contact:{contact.id}",
                kind="marketing",
                to_email=contact.email or "",
                to_name=contact.display_name,
                subject=subject,
                html=html,
                sender=sender,
                recipient=contact,
                campaign_id=campaign.id,
                template=template,
                attachment_ids=[a.id for a in template.attachments],
                track_opens=template.track_opens,
                track_clicks=template.track_clicks,
            )
        db.session.commit()  # after commit, the new rows go to the mail queue
        redis_conn().expire(f"crm:campaign-lock:{campaign.id}", 120)
    campaign.prepared_at = campaign.prepared_at or utcnow()
    db.session.commit()


def progress(campaign: Campaign) -> dict[str, int]:
    """sent / suppressed / failed / pending of the campaign's total; marks it sent when all are final."""
    counts = dict(
        db.session.execute(
            select(OutboxMessage.status, func.count())
            .where(OutboxMessage.campaign_id == campaign.id)
            .group_by(OutboxMessage.status)
        ).all()
    )
    result = {
        "total": max(campaign.total, sum(counts.values())),
        "sent": counts.get("sent", 0),
        "suppressed": counts.get("suppressed", 0),
        "failed": counts.get("failed", 0),
    }
    result["done"] = result["sent"] + result["suppressed"] + result["failed"]
    result["pending"] = result["total"] - result["done"]
    if campaign.status == "sending" and campaign.prepared_at and result["pending"] == 0:
        campaign.status, campaign.finished_at = "sent", utcnow()
        db.session.commit()
    return result
