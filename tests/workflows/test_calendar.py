"""Business-time arithmetic: examples that a person can check, then properties over random calendars."""
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workflows.calendar import (
    CalendarHasNoWorkingTime,
    Sla,
    WorkingCalendar,
    parse_hours,
)

KYIV = ZoneInfo("Europe/Kyiv")
OFFICE = tuple(parse_hours([["09:00", "13:00"], ["14:00", "18:00"]]) if d < 5 else () for d in range(7))


def kyiv(*args) -> datetime:
    return datetime(*args, tzinfo=KYIV)


def test_deadline_skips_lunch_night_and_weekend():
    cal = WorkingCalendar(time_zone="Europe/Kyiv", weekly=OFFICE)
    # Friday 2026-11-20 12:00 + 4 working hours: 1 h before lunch, 3 h after -> 17:00.
    assert cal.add(kyiv(2026, 11, 20, 12, 0), timedelta(hours=4)) == kyiv(2026, 11, 20, 17, 0)
    # + 8 h from Friday 12:00: 5 h on Friday, 3 h on Monday -> Monday 12:00.
    assert cal.add(kyiv(2026, 11, 20, 12, 0), timedelta(hours=8)) == kyiv(2026, 11, 23, 12, 0)
    # Started on Saturday: the clock starts Monday 09:00.
    assert cal.add(kyiv(2026, 11, 21, 10, 0), timedelta(hours=1)) == kyiv(2026, 11, 23, 10, 0)
    # Exactly filling the day ends at 18:00, not the next morning.
    assert cal.add(kyiv(2026, 11, 23, 9, 0), timedelta(hours=8)) == kyiv(2026, 11, 23, 18, 0)


def test_public_holiday_and_own_exceptions():
    cal = WorkingCalendar(
        time_zone="Europe/Kyiv",
        weekly=OFFICE,
        closed_days=frozenset({date(2026, 12, 25)}),
        special_days=((date(2026, 12, 26), parse_hours([["10:00", "12:00"]])),),  # a working Saturday
    )
    # Thursday 24th 17:00 + 3 h: 1 h on Thursday, Friday 25th closed, Saturday 26th 10-12 -> Saturday 12:00.
    assert cal.add(kyiv(2026, 12, 24, 17, 0), timedelta(hours=3)) == kyiv(2026, 12, 26, 12, 0)


def test_dst_spring_forward_counts_real_hours():
    # Kyiv moves clocks from 03:00 to 04:00 on 2026-03-29 (Sunday). A shop open around the clock.
    cal = WorkingCalendar(time_zone="Europe/Kyiv", weekly=tuple(parse_hours([["00:00", "24:00"]]) for _ in range(7)))
    start = kyiv(2026, 3, 29, 0, 0)
    assert cal.between(start, kyiv(2026, 3, 30, 0, 0)) == timedelta(hours=23)
    assert cal.add(start, timedelta(hours=5)) == kyiv(2026, 3, 29, 6, 0)


def test_dst_fall_back_counts_real_hours():
    ny = ZoneInfo("America/New_York")
    cal = WorkingCalendar(time_zone="America/New_York", weekly=tuple(parse_hours([["00:00", "24:00"]]) for _ in range(7)))
    start = datetime(2026, 11, 1, 0, 0, tzinfo=ny)
    assert cal.between(start, datetime(2026, 11, 2, 0, 0, tzinfo=ny)) == timedelta(hours=25)


def test_calendar_time_sla_ignores_working_hours():
    cal = WorkingCalendar(time_zone="Europe/Kyiv", weekly=OFFICE)
    sla = Sla(duration=timedelta(hours=24), business_time=False, warn_percent=50)
    start = kyiv(2026, 11, 20, 17, 0)
    assert sla.due(cal, start) == start + timedelta(hours=24)
    assert sla.warn_at(cal, start) == start + timedelta(hours=12)


def test_warning_threshold_is_a_share_of_business_time():
    cal = WorkingCalendar(time_zone="Europe/Kyiv", weekly=OFFICE)
    sla = Sla(duration=timedelta(hours=10), warn_percent=80)
    start = kyiv(2026, 11, 23, 9, 0)  # Monday
    assert sla.warn_at(cal, start) == kyiv(2026, 11, 23, 18, 0)  # 8 working hours: the whole Monday
    assert sla.due(cal, start) == kyiv(2026, 11, 24, 11, 0)


def test_a_calendar_without_working_time_is_an_error():
    with pytest.raises(CalendarHasNoWorkingTime):
        WorkingCalendar(weekly=((),) * 7).add(datetime(2026, 1, 1, tzinfo=timezone.utc), timedelta(minutes=1))


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        WorkingCalendar().add(datetime(2026, 1, 1), timedelta(hours=1))


@pytest.mark.parametrize("spec", [[["18:00", "09:00"]], [["09:00", "13:00"], ["12:00", "14:00"]], [["9", "10:00"]], [["09:00"]], [["24:30", "25:00"]]])
def test_bad_working_hours_are_rejected(spec):
    with pytest.raises(ValueError):
        parse_hours(spec)


# ------------------------------------------------------------------------------
# Properties
# ------------------------------------------------------------------------------
ZONES = ["UTC", "Europe/Kyiv", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "America/Sao_Paulo"]


@st.composite
def day_hours(draw):
    points = sorted(draw(st.sets(st.integers(0, 48).map(lambda n: n * 30), min_size=0, max_size=6)))
    if len(points) % 2:
        points = points[:-1]
    return tuple((points[i], points[i + 1]) for i in range(0, len(points), 2))


@st.composite
def calendars(draw):
    weekly = tuple(draw(day_hours()) for _ in range(7))
    if sum(end - start for day in weekly for start, end in day) < 8 * 60:
        # Fewer than eight working hours a week is a configuration error, tested on its own.
        weekly = (((540, 1080),),) + weekly[1:]
    closed = frozenset(draw(st.sets(st.dates(date(2026, 1, 1), date(2027, 12, 31)), max_size=20)))
    return WorkingCalendar(time_zone=draw(st.sampled_from(ZONES)), weekly=weekly, closed_days=closed)


instants = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 6, 30)).map(lambda d: d.replace(tzinfo=timezone.utc))
durations = st.integers(0, 60 * 24 * 10).map(lambda m: timedelta(minutes=m))


@settings(max_examples=150, deadline=None)
@given(calendars(), instants, durations)
def test_working_time_between_start_and_deadline_equals_the_duration(cal, start, duration):
    due = cal.add(start, duration)
    assert due >= start
    assert cal.between(start, due) == duration


@settings(max_examples=100, deadline=None)
@given(calendars(), instants, durations, durations)
def test_adding_in_two_steps_equals_adding_at_once(cal, start, first, second):
    assert cal.add(cal.add(start, first), second) == cal.add(start, first + second)


@settings(max_examples=100, deadline=None)
@given(calendars(), instants, durations, durations)
def test_longer_durations_never_end_earlier(cal, start, a, b):
    short, long = sorted([a, b])
    assert cal.add(start, short) <= cal.add(start, long)


@settings(max_examples=100, deadline=None)
@given(calendars(), instants, instants)
def test_working_time_never_exceeds_elapsed_time(cal, a, b):
    start, end = sorted([a, b])
    assert timedelta(0) <= cal.between(start, end) <= end - start


@settings(max_examples=100, deadline=None)
@given(calendars(), instants, durations.filter(lambda d: d > timedelta(0)))
def test_a_deadline_falls_inside_or_at_the_end_of_working_time(cal, start, duration):
    due = cal.add(start, duration)
    just_before = due - timedelta(microseconds=1)
    assert cal.is_working(just_before)


@settings(max_examples=60, deadline=None)
@given(calendars(), instants, durations, st.integers(1, 100))
def test_the_warning_comes_no_later_than_the_deadline(cal, start, duration, percent):
    sla = Sla(duration=duration, warn_percent=percent)
    assert sla.warn_at(cal, start) <= sla.due(cal, start)
