"""One search over deals, accounts, contacts and leads: one query per kind, a few rows each."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import url_for
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from crm.models import Account, Contact, Lead, Opportunity, User
from crm.services.access import opportunity_visible
from crm.services.search import matching

PER_KIND = 8
LABELS: dict[str, LazyString] = {
    "deals": _l("Deals"),
    "accounts": _l("Accounts"),
    "contacts": _l("Contacts"),
    "leads": _l("Leads"),
}
KINDS = tuple(LABELS)
SEE_ALL: dict[str, LazyString] = {
    "deals": _l("See all matching deals"),
    "accounts": _l("See all matching accounts"),
    "contacts": _l("See all matching contacts"),
    "leads": _l("See all matching leads"),
}


@dataclass(frozen=True)
class Hit:
    """One result as the list shows it."""

    kind: str
    id: int
    title: str
    detail: str
    url: str


@dataclass(frozen=True)
class Group:
    kind: str
    label: LazyString
    hits: list[Hit]
    more: bool  # more rows match than are shown
    see_all: str
    see_all_label: LazyString


def query(kind: str, q: str, user: User) -> Select[Any]:
    """The rows of `kind` matching `q` that `user` may see, in the order they are listed."""
    if kind == "deals":
        return (
            select(Opportunity)
            .where(matching(kind, q), opportunity_visible(user))
            .options(joinedload(Opportunity.account), joinedload(Opportunity.stage))
            .order_by(Opportunity.result != "open", Opportunity.updated_at.desc(), Opportunity.id)
        )
    if kind == "accounts":
        return select(Account).where(matching(kind, q)).order_by(Account.name, Account.id)
    model = Contact if kind == "contacts" else Lead
    stmt = select(model).where(matching(kind, q))
    if model is Contact:
        stmt = stmt.options(joinedload(Contact.account))
    return stmt.order_by(model.last_name, model.first_name, model.id)


def hit(kind: str, row: Any) -> Hit:
    if kind == "deals":
        detail = " · ".join(p for p in (row.account.name if row.account else "", row.stage.name) if p)
        return Hit(kind, row.id, row.name, detail, url_for("opportunities.show", opportunity_id=row.id))
    if kind == "accounts":
        detail = row.email or row.website or ""
    elif kind == "contacts":
        detail = " · ".join(p for p in (row.account.name if row.account else "", row.email or "") if p)
    else:
        detail = " · ".join(p for p in (row.company or "", row.email or "") if p)
    return Hit(kind, row.id, row.display_name, detail, url_for("records.show", kind=kind, record_id=row.id))


def see_all(kind: str, q: str) -> str:
    """The whole list of `kind` filtered by `q`: the record lists search the same way."""
    if kind == "deals":
        return url_for("search.show", q=q, kind=kind)
    return url_for("records.index", kind=kind, q=q)
