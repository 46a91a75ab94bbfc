"""The scheduling module, tested without a clock: every "now" is an argument."""

from __future__ import annotations

from datetime import datetime, time

from automation.scenarios.timing import in_window, next_send_time, pause_end

PARIS = "Europe/Paris"
NINE, SIX = time(9, 0), time(18, 0)


def test_inside_the_window_sends_now():
    now = datetime(2026, 11, 24, 10, 0)  # Tuesday 11:00 in Paris (UTC+1)
    assert next_send_time(now, PARIS, NINE, SIX) == now


def test_before_the_window_waits_for_its_opening_in_local_time():
    now = datetime(2026, 11, 24, 5, 0)  # Tuesday 06:00 in Paris
    assert next_send_time(now, PARIS, NINE, SIX) == datetime(2026, 11, 24, 8, 0)  # 09:00 Paris


def test_after_the_window_waits_for_tomorrow():
    now = datetime(2026, 11, 24, 18, 30)  # Tuesday 19:30 Paris
    assert next_send_time(now, PARIS, NINE, SIX) == datetime(2026, 11, 25, 8, 0)


def test_weekends_are_skipped_by_default_and_can_be_allowed():
    friday_night = datetime(2026, 11, 27, 19, 0)  # Friday 20:00 Paris
    assert next_send_time(friday_night, PARIS, NINE, SIX) == datetime(2026, 11, 30, 8, 0)  # Monday 09:00
    saturday = datetime(2026, 11, 28, 10, 0)
    assert next_send_time(saturday, PARIS, NINE, SIX, skip_weekends=False) == saturday
    assert not in_window(saturday, PARIS, NINE, SIX, skip_weekends=True)


def test_the_window_follows_the_recipients_zone():
    now = datetime(2026, 11, 24, 13, 0)  # 14:00 Paris but 08:00 in New York
    assert next_send_time(now, "America/New_York", NINE, SIX) == datetime(2026, 11, 24, 14, 0)  # 09:00 NY


def test_window_across_the_spring_dst_change():
    # Paris moves from UTC+1 to UTC+2 on Sunday 2027-03-28. A Saturday-evening send waits until
    # Monday 09:00 local, which is now 07:00 UTC (it was 08:00 UTC the week before).
    saturday = datetime(2027, 3, 27, 20, 0)
    assert next_send_time(saturday, PARIS, NINE, SIX) == datetime(2027, 3, 29, 7, 0)
    week_before = datetime(2027, 3, 20, 20, 0)
    assert next_send_time(week_before, PARIS, NINE, SIX) == datetime(2027, 3, 22, 8, 0)


def test_window_across_the_autumn_dst_change():
    # Back to UTC+1 on Sunday 2026-10-25: Monday 09:00 Paris is 08:00 UTC.
    saturday = datetime(2026, 10, 24, 12, 0)
    assert next_send_time(saturday, PARIS, NINE, SIX) == datetime(2026, 10, 26, 8, 0)


def test_a_window_opening_inside_the_dst_gap_still_resolves():
    # 02:30 does not exist in Paris on 2027-03-28; the window opens at the first real instant.
    sat = datetime(2027, 3, 27, 3, 0)
    result = next_send_time(sat, PARIS, time(2, 30), time(4, 0), skip_weekends=False)
    assert result in (datetime(2027, 3, 28, 0, 30), datetime(2027, 3, 28, 1, 30))


def test_a_seven_day_pause_keeps_the_wall_clock_time_across_dst():
    start = datetime(2027, 3, 24, 9, 0)  # Wednesday 10:00 Paris (UTC+1)
    end = pause_end(start, PARIS, days=7)
    assert end == datetime(2027, 3, 31, 8, 0)  # Wednesday 10:00 Paris (UTC+2)


def test_hours_are_elapsed_hours_and_until_is_local():
    start = datetime(2026, 11, 24, 9, 0)
    assert pause_end(start, PARIS, hours=36) == datetime(2026, 11, 25, 21, 0)
    assert pause_end(start, PARIS, until=datetime(2026, 12, 1, 9, 30)) == datetime(2026, 12, 1, 8, 30)
    assert pause_end(start, PARIS, days=1, hours=2) == datetime(2026, 11, 25, 11, 0)
