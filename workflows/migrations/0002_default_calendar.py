"""Every tenant starts with one default calendar: Monday to Friday, 09:00-18:00.

Provisioning sets its time zone and holiday country from the signup."""
from django.db import migrations

OFFICE = [["09:00", "18:00"]]


def create_default(apps, schema_editor):
    BusinessCalendar = apps.get_model("workflows", "BusinessCalendar")
    if not BusinessCalendar.objects.filter(is_default=True).exists():
        BusinessCalendar.objects.create(
            name="Working hours",
            time_zone="UTC",
            weekly_hours={d: (OFFICE if d not in ("sat", "sun") else []) for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
            is_default=True,
        )


class Migration(migrations.Migration):
    dependencies = [("workflows", "0001_initial")]

    operations = [migrations.RunPython(create_default, migrations.RunPython.noop)]
