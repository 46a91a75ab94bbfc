"""When scenario steps run: pure functions of "now" (naive UTC in, naive UTC out), time zones
through zoneinfo, weekends skipped, correct across DST changes. No clock is read here."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEKEND = (5, 6)  # Saturday, Sunday


def parse_hhmm(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def to_local(naive_utc: datetime, tz: str) -> datetime:
    return naive_utc.replace(tzinfo=UTC).astimezone(ZoneInfo(tz))


def to_utc(local: datetime) -> datetime:
    return local.astimezone(UTC).replace(tzinfo=None)


def _local_instant(day: date, at: time, tz: str) -> datetime:
    # Wall-clock time on that day; in a DST gap (02:30 on a spring-forward night) zoneinfo
    # resolves it with the offset before the change, which astimezone() then normalises.
    return datetime.combine(day, at, tzinfo=ZoneInfo(tz))


def in_window(now_utc: datetime, tz: str, start: time, end: time, skip_weekends: bool) -> bool:
    local = to_local(now_utc, tz)
    if skip_weekends and local.weekday() in WEEKEND:
        return False
    return start <= local.time().replace(tzinfo=None) < end


def next_send_time(
    now_utc: datetime, tz: str, start: time | None = None, end: time | None = None, skip_weekends: bool = True
) -> datetime:
    """`now` if it falls in the send window (and not on a weekend), else the next window's opening."""
    start = start or time(0, 0)
    end = end or time(23, 59, 59)
    if in_window(now_utc, tz, start, end, skip_weekends):
        return now_utc
    local = to_local(now_utc, tz)
    day = local.date()
    for offset in range(0, 15):
        candidate_day = day + timedelta(days=offset)
        if skip_weekends and candidate_day.weekday() in WEEKEND:
            continue
        opening = _local_instant(candidate_day, start, tz)
        if opening.astimezone(UTC) > now_utc.replace(tzinfo=UTC):
            return to_utc(opening)
    raise ValueError("no send window in the next two weeks")  # unreachable with a valid window


def pause_end(
    started_utc: datetime, tz: str, *, hours: int = 0, days: int = 0, until: datetime | None = None
) -> datetime:
    """When a pause that began at `started` ends. Days are calendar days in the person's time zone
    (a 7-day pause ends at the same wall-clock time, DST or not); hours are elapsed hours; `until`
    is a local date-time."""
    if until is not None:
        local_until = until.replace(tzinfo=ZoneInfo(tz)) if until.tzinfo is None else until
        return to_utc(local_until)
    end = started_utc
    if days:
        local = to_local(started_utc, tz)
        shifted = datetime.combine(local.date() + timedelta(days=days), local.time(), tzinfo=ZoneInfo(tz))
        end = to_utc(shifted)
    return end + timedelta(hours=hours)
