"""Numbers, amounts and dates for reading, in the reader's language (Babel); no web plumbing."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import lru_cache

from babel import Locale
from babel.numbers import NumberPattern, parse_pattern
from flask_babel import get_locale
from markupsafe import Markup, escape


def money(value: Decimal | int | float | None) -> str:
    """An amount in the company currency, without cents, laid out for the reader's language."""
    return money_formatter()(value)


def money_formatter() -> Callable[[Decimal | int | float | None], str]:
    """`money` bound to the current language: for pages that show hundreds of amounts."""
    from flask import current_app

    currency, locale_name = current_app.config["CURRENCY"], str(get_locale())
    layout = _money_layout(locale_name, currency)
    locale, pattern = _money_pattern(locale_name)

    def format_money(value: Decimal | int | float | None) -> str:
        amount = round(Decimal(value or 0))
        if layout is None or amount < 0:
            return pattern.apply(value or 0, locale, currency=currency, currency_digits=False)
        prefix, suffix, group = layout
        return f"{prefix}{amount:,}{suffix}".replace(",", group)

    return format_money


def money_exact(value: Decimal | int | float | None) -> str:
    """An amount with its cents (quotes, invoices), in the reader's language."""
    from flask import current_app
    from flask_babel import format_currency

    return format_currency(value or 0, current_app.config["CURRENCY"])


@lru_cache(maxsize=32)
def _money_layout(locale_name: str, currency: str) -> tuple[str, str, str] | None:
    """Babel's layout of a whole positive amount, as text around Python's own digit grouping
    (Babel's formatting costs ~0.1 ms an amount); None when the language groups digits otherwise."""
    locale, pattern = _money_pattern(locale_name)
    if pattern.grouping != (3, 3):
        return None
    prefix, one, suffix = pattern.apply(1, locale, currency=currency, currency_digits=False).partition("1")
    if not one or "," in prefix + suffix:
        return None
    return prefix, suffix, locale.number_symbols["latn"]["group"]


@lru_cache(maxsize=8)
def _money_pattern(locale_name: str) -> tuple[Locale, NumberPattern]:
    # Parsing the locale's pattern is most of Babel's cost: do it once per language.
    locale = Locale.parse(locale_name)
    pattern = locale.currency_formats["standard"].pattern.split(";")[0].replace(".00", "")
    return locale, parse_pattern(pattern)


def mentions(text: str) -> Markup:
    """A note's text, escaped, with @handles highlighted."""
    from crm.services.notes import MENTION

    return Markup(MENTION.sub(lambda m: f'<span class="mention">@{m.group(1)}</span>', str(escape(text))))


def plain_number(value: Decimal | None) -> str:
    """A decimal as people type it in a form field: 20, 1.5, 19.9 (never 2E+1 or 20.00)."""
    if value is None:
        return ""
    text = f"{Decimal(value).normalize():f}"
    return text


def percent(value: Decimal) -> str:
    """A rate for reading, in the reader's language: 20, 5,5."""
    from flask_babel import format_decimal

    return format_decimal(Decimal(value).normalize())


def isodatetime(value: str | None) -> str:
    """An ISO date-time stored as naive UTC (timelines), shown in the reader's time zone."""
    from datetime import datetime

    from flask_babel import format_datetime

    try:
        return format_datetime(datetime.fromisoformat(value or ""), "short")
    except (TypeError, ValueError):
        return value or ""


def isodate(value: str) -> str:
    from datetime import date

    from flask_babel import format_date

    try:
        return format_date(date.fromisoformat(value), "medium")
    except (TypeError, ValueError):
        return value
