"""What a record list shows: its filters and its order, read from the query string and written
back into every link (headers, pager, bulk form), so a reload or another page keeps them.
Values the list does not know are ignored, never an error."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, exists, select
from sqlalchemy.orm import aliased, selectinload
from werkzeug.datastructures import MultiDict

from crm.extensions import db
from crm.forms import optional_int, user_choices
from crm.models import Account, Contact, Lead, Scenario, Tag, User
from crm.records.kinds import Kind, account_choices
from crm.services.records import LINKS
from crm.services.search import matching, terms

CONSENT: dict[str, LazyString] = {
    "opted_in": _l("Opted in"),
    "not_opted_in": _l("Not opted in"),
    "unsubscribed": _l("Unsubscribed"),
}
Owner = aliased(User)
OwnAccount = aliased(Account)


def _sorts(kind: str) -> dict[str, tuple[Any, ...]]:
    """Sort keys of a kind's list, by column key: the expressions to order by."""
    model = {"accounts": Account, "contacts": Contact, "leads": Lead}[kind]
    common = {"email": (model.email,), "owner": (Owner.name,)}
    if kind == "accounts":
        return {"name": (Account.name,), "phone": (Account.phone,), **common}
    name = (model.last_name, model.first_name)
    if kind == "contacts":
        return {"display_name": name, "account": (OwnAccount.name,), "phone": (Contact.phone,), **common}
    return {"display_name": name, "company": (Lead.company,), "source": (Lead.source,), **common}


@dataclass(frozen=True)
class Listing:
    kind: Kind
    q: str = ""
    owner: str = ""  # a user's id, "none" (unassigned) or "" (anyone)
    account: int | None = None
    source: str = ""
    tag: int | None = None
    consent: str = ""
    sort: str = ""
    desc: bool = False
    converted: bool = False  # leads: converted ones too (they live on as their contact)

    @property
    def filtered(self) -> bool:
        return any((self.owner, self.account, self.source, self.tag, self.consent))

    def args(self, **changes: Any) -> dict[str, Any]:
        """The query string of this list (with `changes`), without its empty values."""
        state = replace(self, **changes) if changes else self
        values = {
            "q": state.q,
            "owner": state.owner,
            "account": state.account,
            "source": state.source,
            "tag": state.tag,
            "consent": state.consent,
            "sort": state.sort,
            "dir": "desc" if state.desc and state.sort else "",
            "converted": "1" if state.converted else "",
        }
        return {k: v for k, v in values.items() if v not in ("", None)}

    def sort_args(self, key: str) -> dict[str, Any]:
        """The list sorted by `key`: ascending first, then the other way."""
        return self.args(sort=key, desc=self.sort == key and not self.desc)


def parse(kind: Kind, args: MultiDict[str, str]) -> Listing:
    owner = args.get("owner", "")
    if owner != "none":
        owner = str(optional_int(owner) or "")
    sort = args.get("sort", "")
    sort = sort if sort in _sorts(kind.slug) else ""
    consent = args.get("consent", "")
    return Listing(
        kind=kind,
        q=" ".join(terms(args.get("q", ""))),
        owner=owner,
        account=optional_int(args.get("account")) if kind.slug == "contacts" else None,
        source=args.get("source", "").strip()[:80] if kind.slug == "leads" else "",
        tag=optional_int(args.get("tag")) if kind.slug in LINKS else None,
        consent=consent if consent in CONSENT else "",
        sort=sort,
        desc=sort != "" and args.get("dir") == "desc",
        converted=kind.slug == "leads" and args.get("converted") == "1",
    )


def statement(listing: Listing) -> Select[Any]:
    """The list's rows, filtered and in its order."""
    kind = listing.kind
    model = kind.model
    stmt = kept(listing).options(*(selectinload(getattr(model, rel)) for rel in kind.eager))
    if listing.sort == "owner":
        stmt = stmt.outerjoin(Owner, Owner.id == model.owner_id)
    elif listing.sort == "account":
        stmt = stmt.outerjoin(OwnAccount, OwnAccount.id == model.account_id)
    columns = (
        _sorts(kind.slug)[listing.sort] if listing.sort else tuple(getattr(model, c) for c in kind.order)
    )
    order: list[Any] = []
    for column in columns:  # empty values last, whichever the direction and the database
        order += [column.is_(None), column.desc() if listing.desc else column]
    return stmt.order_by(*order, model.id.desc() if listing.desc else model.id)


def kept(listing: Listing) -> Select[Any]:
    """The records the list's search and filters keep, in no order (the CSV export reads them
    by id, in batches)."""
    kind = listing.kind
    model = kind.model
    stmt = select(model)
    if listing.q:
        stmt = stmt.where(matching(kind.slug, listing.q))
    if kind.slug == "leads" and not listing.converted:  # converted leads live on as their contact
        stmt = stmt.where(Lead.converted_at.is_(None))
    if listing.owner == "none":
        stmt = stmt.where(model.owner_id.is_(None))
    elif listing.owner:
        stmt = stmt.where(model.owner_id == int(listing.owner))
    if listing.account:
        stmt = stmt.where(model.account_id == listing.account)
    if listing.source:
        stmt = stmt.where(model.source == listing.source)
    if listing.tag:
        table, column = LINKS[kind.slug]
        stmt = stmt.where(exists().where(table.c[column] == model.id, table.c.tag_id == listing.tag))
    if listing.consent == "unsubscribed":
        stmt = stmt.where(model.unsubscribed.is_(True))
    elif listing.consent:
        stmt = stmt.where(model.unsubscribed.is_(False), model.opt_in.is_(listing.consent == "opted_in"))
    return stmt


def choices(listing: Listing) -> dict[str, Any]:
    """The options of the filter bar and of the bulk actions: one query each, whatever the rows."""
    slug = listing.kind.slug
    found: dict[str, Any] = {"users": user_choices(), "consent": CONSENT, "sorts": _sorts(slug)}
    if slug == "contacts":
        found["accounts"] = account_choices()[1:]
    if slug == "leads":
        found["sources"] = db.session.scalars(
            select(Lead.source).distinct().where(Lead.source.is_not(None)).order_by(Lead.source)
        ).all()
    if slug in LINKS:
        found["tags"] = db.session.execute(select(Tag.id, Tag.name).order_by(Tag.name)).all()
        found["scenarios"] = db.session.execute(
            select(Scenario.id, Scenario.label).where(Scenario.active.is_(True)).order_by(Scenario.label)
        ).all()
    return found
