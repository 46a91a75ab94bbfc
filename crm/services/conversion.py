"""A lead, once qualified, becomes an account, a contact and maybe an opportunity: one transaction.

The lead stays (marked converted, pointing at what it became), and so do its scenario
enrollments: an enrollment names the person it writes to (a lead), and moving it to the new
contact would change who the next emails go to behind the rep's back."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from crm.extensions import db
from crm.models import Account, Contact, Enrollment, Lead, Opportunity, Stage, User, utcnow
from crm.models.scenarios import LIVE
from crm.services import ServiceError
from crm.services.opportunities import create_opportunity


@dataclass
class Converted:
    account: Account
    contact: Contact
    opportunity: Opportunity | None


def live_enrollments(lead: Lead) -> int:
    """How many scenarios the lead is in now (they stay with the lead)."""
    return (
        db.session.scalar(
            select(func.count(Enrollment.id)).where(
                Enrollment.person_type == "lead",
                Enrollment.person_id == lead.id,
                Enrollment.status.in_(LIVE),
                Enrollment.simulation.is_(False),
            )
        )
        or 0
    )


def accounts_named(name: str | None) -> list[Account]:
    """Accounts that already carry the lead's company name (case aside): the rep may pick one."""
    name = (name or "").strip()
    if not name:
        return []
    return list(
        db.session.scalars(
            select(Account).where(func.lower(Account.name) == name.lower()).order_by(Account.id).limit(20)
        )
    )


def convert_lead(
    lead: Lead,
    *,
    actor: User,
    account: Account | None,
    account_name: str = "",
    person: dict[str, Any],
    deal: dict[str, Any] | None = None,
    stage: Stage | None = None,
) -> Converted:
    """Convert `lead` (refused when it already was): `account` if given, else a new one named
    `account_name`; a contact from `person` (first_name, last_name, email, phone); an opportunity
    in `stage` when `deal` (name, amount) is given. Nothing is written when anything is refused."""
    if lead.converted_at is not None:
        raise ServiceError(_("This lead was already converted."), 409)
    if account is None and not account_name.strip():
        raise ServiceError(_("Enter the account's name."), 422, field="account_name")
    if deal is not None and stage is None:
        raise ServiceError(_("Choose a stage."), 422, field="stage_id")
    now = utcnow()
    # The conditional update is the lock: two conversions at once, only one finds it unconverted.
    claimed = db.session.execute(
        update(Lead).where(Lead.id == lead.id, Lead.converted_at.is_(None)).values(converted_at=now)
    )
    if claimed.rowcount != 1:
        db.session.rollback()
        raise ServiceError(_("This lead was already converted."), 409)
    try:
        new_account = account is None
        if account is None:
            account = Account(
                name=account_name.strip(),
                owner_id=lead.owner_id,
                opt_in=lead.opt_in,
                unsubscribed=lead.unsubscribed,
            )
            db.session.add(account)
        contact = Contact(
            first_name=(person.get("first_name") or "").strip(),
            last_name=(person.get("last_name") or "").strip(),
            email=(person.get("email") or "").strip() or None,
            phone=(person.get("phone") or "").strip() or None,
            account=account,
            owner_id=lead.owner_id,
            opt_in=lead.opt_in,
            unsubscribed=lead.unsubscribed,
        )
        db.session.add(contact)
        contact.tags = list(lead.tags)
        db.session.flush()
        if new_account:  # the person its scenarios write to
            account.main_contact = contact
        opportunity = None
        if deal is not None and stage is not None:
            opportunity = create_opportunity(
                actor=actor,
                stage=stage,
                name=deal["name"],
                amount=deal.get("amount") or Decimal("0"),
                account=account,
                contact=contact,
                commit=False,
            )
        db.session.execute(
            update(Lead)
            .where(Lead.id == lead.id)
            .values(converted_contact_id=contact.id, converted_account_id=account.id)
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    db.session.refresh(lead)
    return Converted(account=account, contact=contact, opportunity=opportunity)
