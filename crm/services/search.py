"""Finding records by what a person types: names, emails, phones, and the account they belong to.

Every word typed must match (in any of a record's columns), so "jane acme" finds Jane at Acme.
Case-insensitive through ILIKE (SQLite lowers ASCII only, PostgreSQL everything); the words are
escaped so "%" and "_" match themselves."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select, true

from crm.models import Account, Contact, Lead, Opportunity

MAX_TERMS = 5
MAX_LENGTH = 100


def terms(q: str) -> list[str]:
    """The words of a query: at most MAX_TERMS, the whole at most MAX_LENGTH characters."""
    return q[:MAX_LENGTH].split()[:MAX_TERMS]


def _pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _any(columns: tuple[Any, ...], term: str) -> ColumnElement[bool]:
    pattern = _pattern(term)
    return or_(*(column.ilike(pattern, escape="\\") for column in columns))


def _account_named(column: Any, term: str) -> ColumnElement[bool]:
    return column.in_(select(Account.id).where(_any((Account.name,), term)).correlate(None))


def _account(term: str) -> ColumnElement[bool]:
    return _any((Account.name, Account.email, Account.phone, Account.website), term)


def _contact(term: str) -> ColumnElement[bool]:
    return or_(
        _any((Contact.first_name, Contact.last_name, Contact.email, Contact.phone), term),
        _account_named(Contact.account_id, term),
    )


def _lead(term: str) -> ColumnElement[bool]:
    return _any((Lead.first_name, Lead.last_name, Lead.company, Lead.email, Lead.phone), term)


def _deal(term: str) -> ColumnElement[bool]:
    people = (
        select(Contact.id)
        .where(_any((Contact.first_name, Contact.last_name, Contact.email), term))
        .correlate(None)
    )
    return or_(
        _any((Opportunity.name,), term),
        _account_named(Opportunity.account_id, term),
        Opportunity.contact_id.in_(people),
    )


MATCHERS: dict[str, Callable[[str], ColumnElement[bool]]] = {
    "deals": _deal,
    "accounts": _account,
    "contacts": _contact,
    "leads": _lead,
}


def matching(kind: str, q: str) -> ColumnElement[bool]:
    """A WHERE clause on the model of `kind`: the rows every word of `q` matches (all for none)."""
    words = terms(q)
    if not words:
        return true()
    return and_(*(MATCHERS[kind](word) for word in words))
