"""The starting plan catalogue. Operators edit it in the admin; `billing_stripe_sync` puts it on Stripe."""
from django.db import migrations

PLANS = [
    # code, name, trial, position, monthly, yearly (cents per seat), seats, pipelines, open deals, storage MB, api, audit export
    ("trial", "Trial", True, 0, 0, 0, 10, 3, 500, 1024, True, False),
    ("start", "Start", False, 1, 1500, 15000, 3, 1, 300, 2048, False, False),
    ("team", "Team", False, 2, 2900, 29000, 15, 5, 5000, 20480, True, False),
    ("business", "Business", False, 3, 4900, 49000, None, None, None, 102400, True, True),
]


def plans_create(apps, schema_editor):
    if schema_editor.connection.schema_name != "public":
        return
    Plan = apps.get_model("billing", "Plan")
    for code, name, trial, position, monthly, yearly, seats, pipelines, deals, storage, api, audit in PLANS:
        Plan.objects.update_or_create(
            code=code,
            defaults=dict(
                name=name, is_trial=trial, is_public=not trial, position=position, price_monthly=monthly, price_yearly=yearly,
                seats=seats, pipelines=pipelines, active_deals=deals, storage_mb=storage, api_access=api, audit_export=audit,
            ),
        )


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]
    operations = [migrations.RunPython(plans_create, migrations.RunPython.noop)]
