"""Service functions: the only code that changes CRM records."""

from __future__ import annotations

from typing import Any

from flask_babel import LazyString
from sqlalchemy import func, or_


class ServiceError(Exception):
    """A refused change, with a message the user can read; nothing was written."""

    def __init__(self, message: str | LazyString, status: int = 409, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.status = status
        self.field = field


def same_name(column: Any, name: str) -> Any:
    """`column` equals `name` ignoring case, or exactly. SQL's lower() is not Python's (SQLite
    lowers ASCII only, PostgreSQL lowers a final sigma as σ), and the unique constraints compare
    exact names: without the exact match a name already taken could be inserted again."""
    return or_(func.lower(column) == name.lower(), column == name)


def same_names(column: Any, names: list[str]) -> Any:
    """`column` is one of `names`, ignoring case, or exactly (see same_name)."""
    return or_(func.lower(column).in_([n.lower() for n in names]), column.in_(names))


class Failure(ServiceError):
    """A refusal recorded as a fact: `message` is the sentence now, `fact` what to store."""

    def __init__(self, kind: str, /, status: int = 409, **params: Any) -> None:
        from crm.facts import describe, fact

        self.fact = fact(kind, **params)
        super().__init__(describe(self.fact), status)


def stored_reason(err: ServiceError) -> str:
    """What to record for a refused change: its fact when it has one, else its message."""
    return getattr(err, "fact", None) or str(err.message)
