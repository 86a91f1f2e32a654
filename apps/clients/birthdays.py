"""Birthday reminders: every morning, each company's client owners hear of today's birthdays.

Runs per tenant (beat fans `clients.birthday_reminders` out to every live company). "Today" is the
company's own date, in its time zone; someone born on 29 February is remembered on 28 February in
other years. Each reminder has a dedupe key (client, year), so a second run the same day is a no-op.
"""
from __future__ import annotations

import calendar
from datetime import date
from zoneinfo import ZoneInfo

from celery import shared_task
from django.db import connection
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.clients.models import Client
from apps.notifications.models import Notification
from apps.notifications.services import Draft, notify_many


def company_today() -> date:
    name = getattr(getattr(connection, "tenant", None), "time_zone", "") or "UTC"
    try:
        zone = ZoneInfo(name)
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    return timezone.now().astimezone(zone).date()


def birthdays_on(day: date):
    condition = Q(birthday__month=day.month, birthday__day=day.day)
    if day.month == 2 and day.day == 28 and not calendar.isleap(day.year):
        condition |= Q(birthday__month=2, birthday__day=29)
    return Client.objects.filter(condition, owner__is_active=True)


def birthday_reminders_create(*, day: date | None = None) -> int:
    """Notify each client's owner of the client's birthday today; returns how many were new."""
    day = day or company_today()
    drafts = [
        Draft(
            recipient_id=client.owner_id,
            kind=Notification.Kind.BIRTHDAY,
            title=_("Birthday today: %(name)s") % {"name": client.display_name},
            body=", ".join(client.phones),
            url=f"/clients/{client.pk}/",
            dedupe_key=f"birthday:{client.pk}:{day.year}",
        )
        for client in birthdays_on(day).only("pk", "owner_id", "surname", "first_name", "patronymic", "company_name", "kind", "phones")
    ]
    return len(notify_many(drafts))


@shared_task(name="clients.birthday_reminders")
def birthday_reminders() -> int:
    return birthday_reminders_create()
