"""IANA time zone names, read once: zoneinfo.available_timezones() walks the tz database (~70 ms)."""
import functools
import zoneinfo


@functools.cache
def time_zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


@functools.cache
def time_zone_choices() -> tuple[tuple[str, str], ...]:
    return tuple((name, name) for name in sorted(time_zone_names()))


def is_time_zone(name: str) -> bool:
    return name in time_zone_names()
