"""What differs between accounts, contacts and leads; the views are shared."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from crm.extensions import db
from crm.models import Account, Contact, Lead, Pipeline, Stage, User
from crm.records.forms import AccountForm, ContactForm, LeadForm
from crm.services.access import pipeline_visible


@dataclass(frozen=True)
class Kind:
    slug: str
    model: type
    form: type
    plural: LazyString
    singular: LazyString
    new_label: LazyString
    search: tuple[str, ...]
    order: tuple[str, ...]
    columns: tuple[tuple[str, LazyString], ...]
    eager: tuple[str, ...] = field(default=())


def stage_choices(user: User) -> list[tuple[Any, str]]:
    """Every stage of the pipelines `user` may see, as "Pipeline · Stage", in board order."""
    rows = db.session.execute(
        select(Stage.id, Pipeline.name, Stage.name)
        .join(Pipeline, Pipeline.id == Stage.pipeline_id)
        .where(pipeline_visible(user))
        .order_by(Pipeline.position, Pipeline.id, Stage.position, Stage.id)
    ).all()
    return [("", "—")] + [(stage_id, f"{pipeline} · {stage}") for stage_id, pipeline, stage in rows]


def account_choices() -> list[tuple[Any, str]]:
    rows = db.session.execute(select(Account.id, Account.name).order_by(Account.name)).all()
    return [("", "—")] + [(r.id, r.name) for r in rows]


KINDS: dict[str, Kind] = {
    "accounts": Kind(
        slug="accounts",
        model=Account,
        form=AccountForm,
        plural=_l("Accounts"),
        singular=_l("Account"),
        new_label=_l("New account"),
        search=("name", "email", "phone", "website"),
        order=("name",),
        columns=(("name", _l("Name")), ("email", _l("Email")), ("phone", _l("Phone")), ("owner", _l("Rep"))),
        eager=("owner",),
    ),
    "contacts": Kind(
        slug="contacts",
        model=Contact,
        form=ContactForm,
        plural=_l("Contacts"),
        singular=_l("Contact"),
        new_label=_l("New contact"),
        search=("first_name", "last_name", "email", "phone"),
        order=("last_name", "first_name"),
        columns=(
            ("display_name", _l("Name")),
            ("account", _l("Account")),
            ("email", _l("Email")),
            ("phone", _l("Phone")),
            ("owner", _l("Rep")),
        ),
        eager=("owner", "account"),
    ),
    "leads": Kind(
        slug="leads",
        model=Lead,
        form=LeadForm,
        plural=_l("Leads"),
        singular=_l("Lead"),
        new_label=_l("New lead"),
        search=("first_name", "last_name", "company", "email", "phone"),
        order=("last_name", "first_name"),
        columns=(
            ("display_name", _l("Name")),
            ("company", _l("Company")),
            ("email", _l("Email")),
            ("source", _l("Source")),
            ("owner", _l("Rep")),
        ),
        eager=("owner",),
    ),
}
