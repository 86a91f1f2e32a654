"""Celery: a Redis broker when CELERY_BROKER_URL is set, otherwise kombu's filesystem transport.

The filesystem broker needs no server, so the demo runs a real worker and beat on a bare machine.
Docs: https://docs.celeryq.dev/en/stable/userguide/configuration.html
"""
from datetime import timedelta

from .base import VAR_DIR
from .env import ENVIRONMENT, IS_PRODUCTION, env_bool, env_str

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
if not CELERY_BROKER_URL:
    if IS_PRODUCTION:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("CELERY_BROKER_URL must be set when DJANGO_ENV=production.")
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
    }

# The test suite runs tasks in-process, where it can watch them (tests that need a broker say so).
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", ENVIRONMENT == "test")
CELERY_TASK_EAGER_PROPAGATES = True
# A task is acknowledged after it ran, so a worker killed mid-task leaves it for another worker;
# every task is therefore written to be safe to run twice.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Tenant rows are looked up by schema for every task; a short cache saves the query.
CELERY_TASK_TENANT_CACHE_SECONDS = 30

# Beat entries are global; work that must run in every tenant fans out from one task
# (tenants.tasks.fan_out), never one beat entry per tenant.
CELERY_BEAT_SCHEDULE = {
    # Breach notifications fire within a few seconds of the deadline.
    "sla-sweep": {"task": "workflows.sla_sweep", "schedule": timedelta(seconds=3)},
    "health-heartbeat": {"task": "tenants.health_heartbeat", "schedule": timedelta(seconds=30)},
    "spare-schemas-refill": {"task": "tenants.spares_refill", "schedule": timedelta(minutes=1)},
    "outbox-redeliver": {"task": "tenants.outbox_redeliver", "schedule": timedelta(seconds=60)},
    # Seat counts that could not reach Stripe are retried (billing.StripeCommand).
    "billing-stripe-commands": {"task": "billing.stripe_commands_run", "schedule": timedelta(minutes=1)},
    "billing-enforce": {"task": "billing.enforce", "schedule": timedelta(minutes=10)},
    # Each company's client owners hear of today's birthdays (dedupe keys make extra runs harmless).
    "birthday-reminders": {"task": "tenants.fan_out", "schedule": timedelta(hours=1), "args": ("clients.birthday_reminders",)},
    # Rule categories ("VIP": won over a threshold) follow their rules once a night.
    "client-categories": {"task": "tenants.fan_out", "schedule": timedelta(hours=24), "args": ("clients.categories_recalculate",)},
    # Exported copies of the client base are kept CLIENT_EXPORT_KEEP_DAYS, then deleted.
    "client-exports-expire": {"task": "tenants.fan_out", "schedule": timedelta(hours=24), "args": ("clients.exports_expire",)},
    # Attachment files no row points to (cascade deletes, rolled-back uploads) are removed.
    "client-attachment-orphans": {"task": "tenants.fan_out", "schedule": timedelta(hours=24), "args": ("clients.attachment_orphans_remove",)},
    "invitations-expire": {
        "task": "tenants.fan_out",
        "schedule": timedelta(minutes=10),
        "args": ("accounts.invitations_expire",),
    },
}
# A request must not hang on a dead broker: fail fast, and tenants.dispatch keeps the task.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
