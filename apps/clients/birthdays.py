"""Birthday reminders: every morning, each company's client owners hear of today's birthdays of
clients and their relatives.

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

from apps.clients.models import Client, FamilyMember
from apps.notifications.models import Notification
from apps.notifications.services import Draft, notify_many


def company_today() -> date:
    name = getattr(getattr(connection, "tenant", None), "time_zone", "") or "UTC"
    try:
        zone = ZoneInfo(name)
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    return timezone.now().astimezone(zone).date()


def _born_on(day: date, field: str = "birthday") -> Q:
    condition = Q(**{f"{field}__month": day.month, f"{field}__day": day.day})
    if day.month == 2 and day.day == 28 and not calendar.isleap(day.year):
        condition |= Q(**{f"{field}__month": 2, f"{field}__day": 29})
    return condition


def birthdays_on(day: date):
    return Client.objects.filter(_born_on(day), owner__is_active=True)


def family_birthdays_on(day: date):
    """Relatives born on `day`, with their client (whose owner hears of it)."""
    return FamilyMember.objects.filter(_born_on(day), client__owner__is_active=True).select_related("client")


def birthday_reminders_create(*, day: date | None = None) -> int:
    """Notify each client's owner of the birthdays today of the client and the client's relatives;
    returns how many reminders were new."""
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
    for member in family_birthdays_on(day):
        client = member.client
        drafts.append(
            Draft(
                recipient_id=client.owner_id,
                kind=Notification.Kind.BIRTHDAY,
                title=_("Birthday today: %(name)s (%(relation)s of %(client)s)")
                % {"name": member.name, "relation": member.get_relation_display().lower(), "client": client.display_name},
                body=", ".join(client.phones),
                url=f"/clients/{client.pk}/",
                dedupe_key=f"birthday:family:{member.pk}:{day.year}",
            )
        )
    return len(notify_many(drafts))


@shared_task(name="clients.birthday_reminders")
def birthday_reminders() -> int:
    return birthday_reminders_create()
