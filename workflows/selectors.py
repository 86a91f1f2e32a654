"""Reads for workflows: calendars as arithmetic values, published versions, visible items."""
from __future__ import annotations

import threading
from datetime import date

import holidays as holidays_lib
from django.db import connection
from django.utils import timezone

from workflows.calendar import WEEKDAYS, WorkingCalendar, parse_hours
from workflows.models import BusinessCalendar, Pipeline, PipelineVersion

_lock = threading.Lock()
_calendars: dict[tuple[str, int], tuple[object, WorkingCalendar]] = {}


def _public_holidays(country: str, subdivision: str, years: range) -> frozenset[date]:
    if not country:
        return frozenset()
    try:
        found = holidays_lib.country_holidays(country, subdiv=subdivision or None, years=list(years))
    except (NotImplementedError, KeyError):
        return frozenset()
    return frozenset(found.keys())


def working_calendar(calendar: BusinessCalendar) -> WorkingCalendar:
    """The arithmetic value of a stored calendar, cached per process until the calendar changes."""
    key = (connection.schema_name, calendar.pk)
    with _lock:
        hit = _calendars.get(key)
    if hit and hit[0] == calendar.updated_at:
        return hit[1]
    year = timezone.now().year
    closed = set(_public_holidays(calendar.country, calendar.subdivision, range(year - 1, year + 4)))
    special = []
    for exception in calendar.exceptions.all():
        if exception.hours:
            special.append((exception.date, parse_hours(exception.hours)))
        else:
            closed.add(exception.date)
    value = WorkingCalendar(
        time_zone=calendar.time_zone,
        weekly=tuple(parse_hours(calendar.weekly_hours.get(day, [])) for day in WEEKDAYS),
        closed_days=frozenset(closed),
        special_days=tuple(special),
    )
    with _lock:
        _calendars[key] = (calendar.updated_at, value)
    return value


def default_calendar() -> BusinessCalendar:
    return BusinessCalendar.objects.filter(is_default=True).first() or BusinessCalendar.objects.order_by("pk").first()


def calendar_for(pipeline: Pipeline) -> WorkingCalendar:
    stored = pipeline.calendar if pipeline.calendar_id else default_calendar()
    if stored is None:
        return WorkingCalendar()
    return working_calendar(stored)


def version_published_latest(pipeline: Pipeline) -> PipelineVersion | None:
    return (
        pipeline.versions.filter(status=PipelineVersion.Status.PUBLISHED).order_by("-number").first()
    )


def version_draft(pipeline: Pipeline) -> PipelineVersion | None:
    return pipeline.versions.filter(status=PipelineVersion.Status.DRAFT).first()


def pipelines_active(kind: str | None = None):
    queryset = Pipeline.objects.filter(archived_at__isnull=True)
    return queryset.filter(kind=kind) if kind else queryset


_version_stages: dict[tuple[str, int], dict] = {}


def frozen_version_stages(version_id: int) -> dict:
    """Stages of a published (or retired) version with their entry roles and automations, by id.

    Published versions never change (services refuse to edit them), so they are cached per
    process: the engine checks transition rules without a query.
    """
    from workflows.models import Stage

    key = (connection.schema_name, version_id)
    cached = _version_stages.get(key)
    if cached is None:
        stages = list(
            Stage.objects.filter(version_id=version_id, version__status__in=["published", "retired"])
            .select_related("version", "responsible_role")
            .prefetch_related("entry_roles", "automations__role")
        )
        cached = {stage.pk: stage for stage in stages}
        if cached:
            with _lock:
                if len(_version_stages) > 5000:
                    _version_stages.clear()
                _version_stages[key] = cached
    return cached
