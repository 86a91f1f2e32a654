"""Client filters, segments and the nightly rule-category recalculation over a big client base.

    python bench/client_filters.py [--clients 1000000] [--runs 20]

Reuses the search bench's generated clients (bench/client_search.py) in a tenant of its own
(bench-filters-*), then adds in SQL: won deals for every 20th client (amounts 100..30,000), an
appeal for every 10th (spread over the last year), a tag on every 7th, a number custom field on
every 5th. Times the first page (50 rows) and the count of filtered lists, as the API and the
list page run them, and `category_recalculate` for a "VIP: won over 20,000" rule from empty and
again with nothing to change (the nightly steady state).
"""
import argparse
import os
import statistics
import time

os.environ["CELERY_TASK_ALWAYS_EAGER"] = "1"
os.environ.setdefault("CELERY_BROKER_URL", "memory://")

import _setup  # noqa: E402,F401
from django.db import connection, transaction  # noqa: E402
from django_tenants.utils import schema_context  # noqa: E402

from _fixtures import bench_tenant  # noqa: E402
from _setup import percentile  # noqa: E402
from client_search import ensure_clients  # noqa: E402
from tenants.models import Tenant  # noqa: E402

FILTERS = {
    "tag": {"tags": ["vip"]},
    "birthday month + consent": {"birthday_month": 4, "consent_email": False},
    "won sum >= 20,000": {"won_amount_gte": "20000"},
    "no contact for 90 days": {"no_contact_days": 90},
    "custom number range": {"custom": {"windows": {"gte": 5, "lte": 7}}},
    "search + tag": {"search": "шевч", "tags": ["vip"]},
}


def ensure_history(schema_name: str) -> None:
    from accounts.models import User
    from apps.clients.models import CustomField
    from apps.deals.models import Deal
    from workflows.services.definitions import pipeline_install_blueprint

    with schema_context(schema_name):
        if Deal.objects.exists():
            return
        owner = User.objects.get()
        pipeline = pipeline_install_blueprint(code="window-installation", actor=owner)
        from workflows.selectors import version_published_latest

        version = version_published_latest(pipeline)
        stage = version.stages.order_by("position").first()
        CustomField.objects.get_or_create(key="windows", defaults={"label": "Windows", "type": "number"})
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO deals_deal (title, client_id, client_name, client_phone, client_email, data, amount, currency, owner_id, pipeline_id,
                    version_id, stage_id, responsible_id, outcome, close_reason, closed_at, created_by_id, created_at, updated_at)
                SELECT 'Bench', c.id, '', '', '', '{}'::jsonb, 100 + (c.id * 7919) %% 29900, 'UAH', %s, %s, %s, %s, %s, 'won', '', now(), %s, now(), now()
                FROM clients_client c WHERE c.id %% 20 = 0
                """,
                [owner.pk, pipeline.pk, version.pk, stage.pk, owner.pk, owner.pk],
            )
            cursor.execute(
                """
                INSERT INTO interactions_interaction (occurred_at, employee_id, client_id, channel, kind, subject, summary, result,
                    needs_decision, decision, created_at)
                SELECT now() - ((c.id %% 365) || ' days')::interval, %s, c.id, 'phone', 'inquiry', '', '', '', false, '', now()
                FROM clients_client c WHERE c.id %% 10 = 0
                """,
                [owner.pk],
            )
            cursor.execute("UPDATE clients_client SET tags = ARRAY['vip'] WHERE id %% 7 = 0", [])
            cursor.execute("UPDATE clients_client SET custom = jsonb_build_object('windows', id %% 12) WHERE id %% 5 = 0", [])
            cursor.execute("UPDATE clients_client SET birthday = make_date((1960 + id %% 40)::int, (1 + id %% 12)::int, (1 + id %% 28)::int) WHERE id %% 3 = 0", [])
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(f"history added in {time.perf_counter() - started:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()

    tenant = Tenant.objects.filter(schema_name__startswith="bench-filters-").first() or bench_tenant("bench-filters")
    total = ensure_clients(tenant.schema_name, args.clients)
    ensure_history(tenant.schema_name)
    from accounts.models import User
    from apps.clients.filters import filter_spec_clean
    from apps.clients.models import Category, ClientCategory
    from apps.clients.segments.services import category_recalculate
    from apps.clients.selectors import client_list_filtered

    with schema_context(tenant.schema_name):
        owner = User.objects.get()
        print(f"tenant {tenant.schema_name}: {total} clients")
        for title, raw in FILTERS.items():
            spec = filter_spec_clean(raw)
            list(client_list_filtered(owner, spec)[:50])  # warm
            page, count = [], []
            for _ in range(args.runs):
                t0 = time.perf_counter()
                rows = list(client_list_filtered(owner, spec)[:50])
                page.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                n = client_list_filtered(owner, spec).count()
                count.append(time.perf_counter() - t0)
            print(
                f"  {title:<26} {n:>8} matches  first page p50 {statistics.median(page) * 1000:7.1f} ms p95 {percentile(page, 0.95) * 1000:7.1f} ms"
                f"  count p50 {statistics.median(count) * 1000:7.1f} ms  ({len(rows)} rows)"
            )
        Category.objects.filter(name="Bench VIP").delete()
        category = Category.objects.create(name="Bench VIP", rule=filter_spec_clean({"won_amount_gte": "20000"}))
        t0 = time.perf_counter()
        first = category_recalculate(category=category)
        first_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        again = category_recalculate(category=category)
        again_s = time.perf_counter() - t0
        members = ClientCategory.objects.filter(category=category).count()
        print(f"category recalculation (won over 20,000): from empty {first_s:.2f} s {first}; steady state {again_s:.2f} s {again}; {members} members")


if __name__ == "__main__":
    main()
