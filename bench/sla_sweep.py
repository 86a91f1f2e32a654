"""The SLA monitor at scale: 1,000 tenants with 100 open stage visits each (100,000 in all).

    python bench/sla_sweep.py [--tenants 1000] [--visits 100] [--drop]

Prints: (A) the time of a sweep when nothing is due, (B) breaches processed per second,
(C) how late breach notifications fire after `due_at` with beat's 3-second sweep.
Tasks run in-process (one worker). Bench tenants (bench-sla-*) are kept for the next run
unless --drop is given, because creating 1,000 schemas takes minutes.
"""
import argparse
import os
import random
import statistics
import time
from datetime import timedelta

os.environ["CELERY_TASK_ALWAYS_EAGER"] = "1"
os.environ["CELERY_BROKER_URL"] = "memory://"
os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"

import _setup  # noqa: E402,F401
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_tenants.utils import schema_context  # noqa: E402

from _fixtures import bench_tenant, bulk_deals  # noqa: E402
from _setup import percentile  # noqa: E402
from apps.notifications.models import Notification  # noqa: E402
from tenants.models import DeadlineIndex, Tenant  # noqa: E402
from tenants.services import tenant_delete  # noqa: E402
from workflows.models import StageVisit  # noqa: E402
from workflows.services import monitor  # noqa: E402
from workflows.services.definitions import pipeline_create  # noqa: E402
from workflows.tasks import sla_sweep  # noqa: E402

DOC = {"name": "Bench", "stages": [{"key": "open", "name": "Open", "sla": {"minutes": 240, "business_time": False}},
                                   {"key": "done", "name": "Done", "kind": "won"}]}


def ensure_tenants(count: int, visits: int) -> list[str]:
    from accounts.models import User
    from accounts.services import user_create

    existing = list(Tenant.objects.filter(schema_name__startswith="bench-sla-").values_list("schema_name", flat=True))
    started = time.perf_counter()
    while len(existing) < count:
        tenant = bench_tenant("bench-sla")
        with schema_context(tenant.schema_name):
            owner = User.objects.get()
            boss = user_create(email="boss@bench.test", password=None, full_name="Boss", roles=["manager"], actor=owner)
            owner.manager = boss
            owner.save(update_fields=["manager"])
            pipeline = pipeline_create(document=DOC, actor=owner, publish=True)
            bulk_deals(pipeline, owner, visits, stage_key="open", due_in=timedelta(days=30))
        existing.append(tenant.schema_name)
        if len(existing) % 100 == 0:
            print(f"  {len(existing)} tenants ready ({time.perf_counter() - started:.0f} s)", flush=True)
    return existing[:count]


def settle_all(schemas: list[str]) -> None:
    """Every tenant's mark at its real next due moment (as the monitor leaves it)."""
    for schema_name in schemas:
        with schema_context(schema_name):
            moment = monitor.next_due_moment()
        DeadlineIndex.objects.update_or_create(tenant=Tenant.objects.get(schema_name=schema_name), defaults={"next_due_at": moment})


def _skip_email_delivery() -> None:
    """E-mail copies go out from their own task on the worker's queue, not in the monitor's time;
    the bench measures the monitor, so queued e-mails are dropped here."""
    from apps.notifications import tasks

    tasks.notifications_email_send.apply_async = lambda *args, **kwargs: None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--visits", type=int, default=100)
    parser.add_argument("--drop", action="store_true")
    args = parser.parse_args()

    _skip_email_delivery()
    schemas = ensure_tenants(args.tenants, args.visits)
    settle_all(schemas)
    open_visits = 0
    for schema_name in schemas[:5]:
        with schema_context(schema_name):
            open_visits += StageVisit.objects.filter(left_at__isnull=True).count()
    print(f"tenants: {len(schemas)}, open visits: about {open_visits // 5 * len(schemas)}")

    # (A) Nothing due anywhere (leftovers of an interrupted earlier run are handled first).
    while sla_sweep():
        pass
    idle = []
    for _ in range(200):
        t0 = time.perf_counter()
        assert sla_sweep() == 0
        idle.append(time.perf_counter() - t0)
    print(f"(A) sweep with nothing due: median {statistics.median(idle) * 1000:.2f} ms, p95 {percentile(idle, 0.95) * 1000:.2f} ms")

    # (B) 20 tenants x 500 visits due now.
    now = timezone.now()
    burst = schemas[:20]
    for schema_name in burst:
        with schema_context(schema_name):
            # Earlier runs breached these visits: make them fresh, unbreached and unnotified again,
            # so every run measures the same work.
            Notification.objects.filter(kind__in=["sla_breach", "escalation"]).delete()
            ids = list(StageVisit.objects.filter(left_at__isnull=True).values_list("pk", flat=True)[:500])
            StageVisit.objects.filter(pk__in=ids).update(
                due_at=now - timedelta(seconds=1), warn_at=None, warned_at=now, breached_at=None, escalation_level=0, next_escalation_at=None
            )
        monitor.deadline_index_lower(schema_name, now - timedelta(seconds=1))
    t0 = time.perf_counter()
    started = timezone.now()
    sla_sweep()
    elapsed = time.perf_counter() - t0
    breaches = 0
    for schema_name in burst:
        with schema_context(schema_name):
            breaches += StageVisit.objects.filter(breached_at__gte=started).count()
            notes = Notification.objects.filter(kind="sla_breach").count()
    print(f"(B) {breaches} breaches in {len(burst)} tenants processed in {elapsed:.2f} s: {breaches / elapsed:.0f} breaches/s "
          f"(each to the responsible and their manager; last tenant {notes} notifications)")

    # (C) 200 deadlines spread over the next 20 s in 50 tenants; beat sweeps every 3 s.
    start = timezone.now()
    planned = {}
    for schema_name in schemas[20:70] or schemas[:50]:
        with schema_context(schema_name):
            ids = list(StageVisit.objects.filter(left_at__isnull=True, breached_at__isnull=True).values_list("pk", flat=True)[:4])
            for pk in ids:
                due = start + timedelta(seconds=random.uniform(1, 20))
                StageVisit.objects.filter(pk=pk).update(due_at=due, warn_at=None, warned_at=start)
                planned[(schema_name, pk)] = due
        mine = [d for (s, _pk), d in planned.items() if s == schema_name]
        if mine:
            monitor.deadline_index_lower(schema_name, min(mine))
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        sla_sweep()
        time.sleep(3)
    lateness = []
    for (schema_name, pk), due in planned.items():
        with schema_context(schema_name):
            breached = StageVisit.objects.get(pk=pk).breached_at
        lateness.append((breached - due).total_seconds() if breached else float("inf"))
    print(f"(C) {len(lateness)} deadlines: notification after due_at p50 {statistics.median(lateness):.1f} s, "
          f"p99 {percentile(lateness, 0.99):.1f} s, max {max(lateness):.1f} s")

    connection.set_schema_to_public()
    if args.drop:
        for tenant in Tenant.objects.filter(schema_name__startswith="bench-sla-"):
            tenant_delete(tenant=tenant)


if __name__ == "__main__":
    main()
