"""Business calendars: working hours, holidays country, the tenant's own exceptions."""
from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.timezones import is_time_zone
from apps.api.errors import DomainError
from apps.audit.services import audit_record, diff
from workflows.calendar import WEEKDAYS, parse_hours
from workflows.models import BusinessCalendar, CalendarException


class CalendarInvalid(DomainError):
    code = "validation_error"


def _check_hours(weekly: dict) -> dict:
    errors = {}
    clean = {}
    for day in WEEKDAYS:
        try:
            clean[day] = [list(pair) for pair in _format(parse_hours(weekly.get(day, [])))]
        except ValueError as exc:
            errors[f"weekly_hours.{day}"] = [ValidationError(str(exc), code="invalid")]
    unknown = set(weekly) - set(WEEKDAYS)
    if unknown:
        errors["weekly_hours"] = [ValidationError(_("Unknown days: %s") % ", ".join(sorted(unknown)), code="invalid")]
    if not errors and not any(clean.values()):
        errors["weekly_hours"] = [ValidationError(_("A calendar needs some working time."), code="empty")]
    if errors:
        raise CalendarInvalid(_("Check the working hours."), fields=errors)
    return clean


def _format(intervals):
    from workflows.calendar import format_hours

    return format_hours(intervals)


@transaction.atomic
def calendar_update(*, calendar: BusinessCalendar, actor, **fields) -> BusinessCalendar:
    calendar = BusinessCalendar.objects.select_for_update().get(pk=calendar.pk)
    if "weekly_hours" in fields:
        fields["weekly_hours"] = _check_hours(fields["weekly_hours"] or {})
    if "time_zone" in fields and not is_time_zone(fields["time_zone"]):
        raise CalendarInvalid(_("Unknown time zone."), fields={"time_zone": [ValidationError(_("Unknown time zone."), code="invalid")]})
    if "country" in fields:
        fields["country"] = (fields["country"] or "").upper()
    before = {name: getattr(calendar, name) for name in fields}
    for name, value in fields.items():
        setattr(calendar, name, value)
    calendar.save()
    changes = diff(before, {name: getattr(calendar, name) for name in fields})
    if changes:
        audit_record(action="calendar.updated", actor=actor, target=calendar, changes=changes)
    return calendar


@transaction.atomic
def calendar_exception_set(*, calendar: BusinessCalendar, day: date, hours: list, note: str, actor) -> CalendarException:
    """Close a day (no hours) or give it special hours; replaces that day's earlier exception."""
    try:
        hours = [list(pair) for pair in _format(parse_hours(hours or []))]
    except ValueError as exc:
        raise CalendarInvalid(str(exc), fields={"hours": [ValidationError(str(exc), code="invalid")]}) from exc
    exception, _created = CalendarException.objects.update_or_create(calendar=calendar, date=day, defaults={"hours": hours, "note": note[:200]})
    BusinessCalendar.objects.filter(pk=calendar.pk).update(updated_at=timezone.now())  # invalidates cached arithmetic
    audit_record(action="calendar.exception_set", actor=actor, target=calendar, changes={"date": day.isoformat(), "hours": hours, "note": note})
    return exception


@transaction.atomic
def calendar_exception_delete(*, exception: CalendarException, actor) -> None:
    calendar = exception.calendar
    audit_record(action="calendar.exception_deleted", actor=actor, target=calendar, changes={"date": exception.date.isoformat()})
    exception.delete()
    BusinessCalendar.objects.filter(pk=calendar.pk).update(updated_at=timezone.now())


def calendar_default_configure(*, time_zone: str, country: str) -> None:
    """At provisioning: the default calendar takes the company's time zone and holidays."""
    BusinessCalendar.objects.filter(is_default=True).update(time_zone=time_zone or "UTC", country=(country or "").upper()[:2])
