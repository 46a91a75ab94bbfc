"""What a card says about what to do next: pure functions of dates, no database."""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import lru_cache

STATUSES = ("overdue", "today", "later", "none")
# Urgency rank for sorting: overdue first, then due today, planned later, nothing planned.
RANK = {status: rank for rank, status in enumerate(STATUSES)}
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
DEFAULT_TAG_COLOR = "#64748b"


def next_action_status(next_due: date | None, today: date) -> str:
    """`next_due`: the earliest due date of the opportunity's open actions (None: no open action)."""
    if next_due is None:
        return "none"
    if next_due < today:
        return "overdue"
    if next_due == today:
        return "today"
    return "later"


def days_in_stage(entered_at: datetime | None, today: date) -> int:
    """Whole days since the opportunity entered its stage (0 on the day it did)."""
    if entered_at is None:
        return 0
    return max((today - entered_at.date()).days, 0)


def is_idle(days: int, idle_days: int | None) -> bool:
    """Over the stage's limit: it stayed more than `idle_days` days (no limit: never idle)."""
    return idle_days is not None and days > idle_days


@lru_cache(maxsize=512)
def tag_colors(color: str | None) -> tuple[str, str]:
    """(background, text) for a tag chip: the tag's own colour, with black or white text,
    whichever contrasts more (WCAG relative luminance). A malformed colour falls back to grey."""
    background = color if color and _HEX.match(color) else DEFAULT_TAG_COLOR
    channels = [int(background[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    # Contrast with black: (L + .05) / .05; with white: 1.05 / (L + .05).
    text = "#111827" if (luminance + 0.05) / 0.05 >= 1.05 / (luminance + 0.05) else "#ffffff"
    return background.lower(), text
