"""Birthday reminders reach the client's owner once a day, in the company's own date."""
from datetime import date

import pytest
from django_tenants.utils import schema_context

from apps.clients.birthdays import birthday_reminders_create
from apps.clients.services import client_create
from apps.notifications.models import Notification

pytestmark = pytest.mark.django_db


def test_owners_hear_of_todays_birthdays_once(tenant_a, owner_of, make_user):
    staff = make_user(tenant_a)
    with schema_context(tenant_a.slug):
        owner = owner_of(tenant_a)
        hers = client_create(actor=staff, surname="Today", birthday=date(1988, 11, 23))
        client_create(actor=owner, surname="Tomorrow", birthday=date(1990, 11, 24))
        leap = client_create(actor=owner, surname="Leap", birthday=date(1992, 2, 29))
        assert birthday_reminders_create(day=date(2026, 11, 23)) == 1
        assert birthday_reminders_create(day=date(2026, 11, 23)) == 0
        note = Notification.objects.get(kind="birthday")
        assert (note.recipient_id, note.title, note.url) == (staff.pk, "Birthday today: Today", f"/clients/{hers.pk}/")
        # 29 February is remembered on 28 February when the year has no 29th.
        assert birthday_reminders_create(day=date(2027, 2, 28)) == 1
        assert Notification.objects.filter(kind="birthday", url=f"/clients/{leap.pk}/").count() == 1
        assert birthday_reminders_create(day=date(2028, 2, 28)) == 0


def test_reminders_stay_in_their_company(tenant_a, tenant_b, owner_of):
    with schema_context(tenant_b.slug):
        client_create(actor=owner_of(tenant_b), surname="B's client", birthday=date(1980, 6, 1))
    with schema_context(tenant_a.slug):
        assert birthday_reminders_create(day=date(2026, 6, 1)) == 0
    with schema_context(tenant_b.slug):
        assert birthday_reminders_create(day=date(2026, 6, 1)) == 1


def test_relatives_birthdays_reach_the_clients_owner_once(tenant_a, make_user):
    from apps.clients.people.services import family_member_add

    staff = make_user(tenant_a)
    with schema_context(tenant_a.slug):
        client = client_create(actor=staff, surname="Parent")
        family_member_add(client=client, actor=staff, name="Daria", relation="child", birthday=date(2015, 3, 14))
        family_member_add(client=client, actor=staff, name="Ivan", relation="spouse", birthday=date(1985, 3, 15))
        assert birthday_reminders_create(day=date(2026, 3, 14)) == 1
        assert birthday_reminders_create(day=date(2026, 3, 14)) == 0
        note = Notification.objects.get(kind="birthday")
        assert (note.recipient_id, note.title, note.url) == (staff.pk, "Birthday today: Daria (child of Parent)", f"/clients/{client.pk}/")
