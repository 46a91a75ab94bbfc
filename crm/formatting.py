"""Numbers, amounts and dates for reading, in the reader's language (Babel); no web plumbing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
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
    from flask_babel import format_datetime

    try:
        return format_datetime(datetime.fromisoformat(value or ""), "short")
    except (TypeError, ValueError):
        return value or ""


def isodate(value: str) -> str:
    from flask_babel import format_date

    try:
        return format_date(date.fromisoformat(value), "medium")
    except (TypeError, ValueError):
        return value


def _viewer_now() -> datetime:
    """Now, as an aware datetime in the viewer's time zone (Flask-Babel's selector)."""
    from flask_babel import get_timezone

    return datetime.now(get_timezone())


def _as_local(value: datetime) -> datetime:
    """A stored datetime (naive UTC) in the viewer's time zone."""
    from flask_babel import get_timezone

    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(get_timezone())


def _days_phrase(days: int) -> str:
    """'yesterday', 'today', 'tomorrow', else 'in 2 days' / '3 days ago' (Babel, the viewer's language)."""
    from datetime import timedelta

    from flask_babel import format_timedelta
    from flask_babel import gettext as _

    if days == -1:
        return _("yesterday")
    if days == 0:
        return _("today")
    if days == 1:
        return _("tomorrow")
    return format_timedelta(timedelta(days=days), add_direction=True, threshold=RELATIVE_THRESHOLD)


# Babel rounds to the largest unit reaching this many: 10 days stay "10 days", 45 read "2 months".
RELATIVE_THRESHOLD = 1.5


def relative_time(value: datetime | None, now: datetime | None = None) -> str:
    """When something happened (or will), read relatively: '5 minutes ago', 'yesterday',
    '3 days ago', 'in 2 days', in the viewer's language and time zone."""
    from flask_babel import format_timedelta

    if value is None:
        return ""
    now = now or _viewer_now()
    local = _as_local(value)
    days = (local.date() - now.astimezone(local.tzinfo).date()).days
    if days == 0:
        delta = local - now
        if abs(delta.total_seconds()) < 60:
            from flask_babel import gettext as _

            return _("just now")
        return format_timedelta(delta, add_direction=True, threshold=RELATIVE_THRESHOLD)
    return _days_phrase(days)


def relative_date(value: date | None, today: date | None = None, *, overdue: bool = False) -> str:
    """A day read relatively: 'today', 'tomorrow', 'in 2 days', 'yesterday', '3 days ago';
    `overdue` (an open action past its due date): '3 days overdue'."""
    from datetime import timedelta

    from flask_babel import format_timedelta
    from flask_babel import gettext as _

    if value is None:
        return ""
    today = today or _viewer_now().date()
    days = (value - today).days
    if overdue and days < 0:
        late = format_timedelta(timedelta(days=-days), threshold=RELATIVE_THRESHOLD, granularity="day")
        return _("%(time)s overdue", time=late)
    return _days_phrase(days)


def ago(value: datetime | None) -> Markup:
    """`<time>` with the relative reading, the exact date and time on hover (title)."""
    from flask_babel import format_datetime

    if value is None:
        return Markup("")
    stamp = value.replace(tzinfo=None).isoformat() + "Z" if value.tzinfo is None else value.isoformat()
    return Markup('<time class="rel" datetime="{}" title="{}">{}</time>').format(
        stamp, format_datetime(value, "medium"), relative_time(value)
    )


def due(value: date | None, overdue: bool = False) -> Markup:
    """`<time>` for a due date: relative ('in 2 days', '3 days overdue'), the exact day on hover."""
    from flask_babel import format_date

    if value is None:
        return Markup("")
    return Markup('<time class="rel" datetime="{}" title="{}">{}</time>').format(
        value.isoformat(), format_date(value, "full"), relative_date(value, overdue=overdue)
    )
