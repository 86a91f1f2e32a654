"""Business-time arithmetic: deadlines on a tenant's working hours, holidays and time zone.

Pure functions over a `WorkingCalendar` value; the database models (workflows.models) build one.
Working hours are local wall-clock intervals per weekday (a lunch break is the gap between two
intervals). Each interval is turned into two aware instants and all arithmetic happens on real
elapsed time in UTC, so DST changes are exact: on the night clocks go forward an interval
01:00-05:00 holds three real hours, not four.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

MINUTES_PER_DAY = 24 * 60
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# A calendar with no working time for this long is a configuration error, not a far deadline.
SEARCH_LIMIT_DAYS = 3 * 366

Interval = tuple[int, int]  # minutes from local midnight, end exclusive, 0 <= start < end <= 1440


class CalendarHasNoWorkingTime(ValueError):
    pass


def parse_hours(spec: list) -> tuple[Interval, ...]:
    """[["09:00", "13:00"], ["14:00", "18:00"]] -> ((540, 780), (840, 1080)); validates order."""
    out = []
    for pair in spec:
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise ValueError("each working interval is a pair [start, end]")
        start, end = (_minutes(value) for value in pair)
        if not 0 <= start < end <= MINUTES_PER_DAY:
            raise ValueError(f"interval {pair[0]}-{pair[1]} must start before it ends, within one day")
        if out and start < out[-1][1]:
            raise ValueError("intervals must be in order and must not overlap")
        out.append((start, end))
    return tuple(out)


def _minutes(value) -> int:
    if isinstance(value, int):
        return value
    hours, _sep, minutes = str(value).partition(":")
    if not hours.isdigit() or not minutes.isdigit():
        raise ValueError(f"{value!r} is not a time like 09:30")
    total = int(hours) * 60 + int(minutes)
    if int(minutes) >= 60 or total > MINUTES_PER_DAY:
        raise ValueError(f"{value!r} is not a time of day")
    return total


def format_hours(intervals: tuple[Interval, ...]) -> list[list[str]]:
    return [[f"{s // 60:02d}:{s % 60:02d}", f"{e // 60:02d}:{e % 60:02d}"] for s, e in intervals]


@dataclass(frozen=True)
class WorkingCalendar:
    time_zone: str = "UTC"
    weekly: tuple[tuple[Interval, ...], ...] = field(default_factory=lambda: tuple(((540, 1080),) if d < 5 else () for d in range(7)))
    closed_days: frozenset[date] = frozenset()
    special_days: tuple[tuple[date, tuple[Interval, ...]], ...] = ()

    def __post_init__(self):
        if len(self.weekly) != 7:
            raise ValueError("weekly needs seven days, Monday first")

    @functools.cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @functools.cached_property
    def _special(self) -> dict[date, tuple[Interval, ...]]:
        return dict(self.special_days)

    def hours_on(self, day: date) -> tuple[Interval, ...]:
        if day in self._special:
            return self._special[day]
        if day in self.closed_days:
            return ()
        return self.weekly[day.weekday()]

    def instants_on(self, day: date) -> list[tuple[datetime, datetime]]:
        """The day's working intervals as UTC instants (empty ones, e.g. inside a DST gap, dropped)."""
        out = []
        for start, end in self.hours_on(day):
            a = self._instant(day, start)
            b = self._instant(day, end)
            if b > a:
                out.append((a, b))
        return out

    def _instant(self, day: date, minute: int) -> datetime:
        if minute == MINUTES_PER_DAY:
            day, minute = day + timedelta(days=1), 0
        local = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=self.tz)
        return local.astimezone(timezone.utc)

    def _local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.tz).date()

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The instant `duration` of working time after `start`."""
        _require_aware(start)
        if duration <= timedelta(0):
            return start
        remaining = duration
        day = self._local_date(start) - timedelta(days=1)  # an interval may end after local midnight
        for _ in range(SEARCH_LIMIT_DAYS):
            for a, b in self.instants_on(day):
                if b <= start:
                    continue
                begin = max(a, start)
                available = b - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
            day += timedelta(days=1)
        raise CalendarHasNoWorkingTime("no working time in the next three years")

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Working time inside [start, end); zero when end is not after start."""
        _require_aware(start)
        _require_aware(end)
        if end <= start:
            return timedelta(0)
        total = timedelta(0)
        day = self._local_date(start) - timedelta(days=1)
        last = self._local_date(end)
        while day <= last:
            for a, b in self.instants_on(day):
                overlap = min(b, end) - max(a, start)
                if overlap > timedelta(0):
                    total += overlap
            day += timedelta(days=1)
        return total

    def is_working(self, moment: datetime) -> bool:
        day = self._local_date(moment)
        return any(a <= moment < b for d in (day - timedelta(days=1), day) for a, b in self.instants_on(d))


ALWAYS_OPEN = WorkingCalendar(weekly=tuple(((0, MINUTES_PER_DAY),) for _ in range(7)))


@dataclass(frozen=True)
class Sla:
    """A stage's deadline rule: `duration` of business time (or of plain calendar time)."""

    duration: timedelta
    business_time: bool = True
    warn_percent: int = 80

    def due(self, calendar: WorkingCalendar, start: datetime) -> datetime:
        return calendar.add(start, self.duration) if self.business_time else start + self.duration

    def warn_at(self, calendar: WorkingCalendar, start: datetime) -> datetime:
        part = self.duration * self.warn_percent / 100
        return calendar.add(start, part) if self.business_time else start + part

    def remaining(self, calendar: WorkingCalendar, now: datetime, due: datetime) -> timedelta:
        """What is left of the SLA at `now` (for pausing the clock)."""
        return calendar.between(now, due) if self.business_time else max(due - now, timedelta(0))


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("calendar arithmetic needs time-zone-aware datetimes")
