"""Signup to a usable tenant: clone path (spare ready / cloned on the spot) vs migrate path.

    python bench/provision.py [--runs 15]

Each run POSTs /api/v1/signup/ on the public host, follows the one-time sign-in link to the new
tenant's host and loads its home page, as the browser does. The spare pool is refilled (or
emptied) between runs, untimed, as the worker does in the background. Bench tenants are deleted
afterwards. Uses DATABASE_URL (or the embedded PostgreSQL) like the app itself.
"""
import os

# Refill tasks queued by signups go nowhere; the script refills the pool itself between runs.
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"
os.environ["CELERY_BROKER_URL"] = "memory://"
import argparse
import statistics
import time
import uuid

import _setup  # noqa: F401
from django.db import connection
from django.test import Client, override_settings

from _setup import percentile
from tenants import schema, spares
from tenants.models import SpareSchema, Tenant
from tenants.services import tenant_delete

PASSWORD = "Quiet-River-8842"


def one_signup(path: str) -> float:
    method = "migrate" if path == "migrate" else "clone"
    if path == "clone, spare ready":
        spares.spares_refill(target=1)
    elif path == "clone, no spare":
        for spare in SpareSchema.objects.all():
            schema.schema_drop(spare.name)
            spare.delete()
    slug = f"bench-{method[:2]}-{uuid.uuid4().hex[:8]}"
    started = time.perf_counter()
    with override_settings(TENANT_PROVISIONING_METHOD=method, SIGNUPS_PER_ADDRESS_PER_HOUR=10**9):
        response = Client(HTTP_HOST="localhost").post(
            "/api/v1/signup/",
            {"company": "Bench", "slug": slug, "email": f"o@{slug}.test", "password": PASSWORD},
            content_type="application/json",
        )
        assert response.status_code == 201, response.content
        login_path = response.json()["login_url"].split(".localhost", 1)[1]
        home = Client(HTTP_HOST=f"{slug}.localhost").get(login_path, follow=True)
        assert home.status_code == 200 and b"Good to see you" in home.content, home.content[:300]
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()

    connection.set_schema_to_public()
    migrations = len(schema.tenant_migration_targets())
    one_signup("clone, no spare")  # warm the clone script cache and the code paths once
    results = {"clone, spare ready": [], "clone, no spare": [], "migrate": []}
    for _ in range(args.runs):
        for method in results:  # interleaved, so both see the same machine load
            results[method].append(one_signup(method))

    print(f"tenant migrations: {migrations}; runs per path: {args.runs}")
    print(f"{'path':<20} {'median s':>9} {'p95 s':>8} {'min s':>8} {'max s':>8}")
    for path, values in results.items():
        print(
            f"{path:<20} {statistics.median(values):>9.3f} {percentile(values, 0.95):>8.3f} "
            f"{min(values):>8.3f} {max(values):>8.3f}"
        )
    migrate = statistics.median(results["migrate"])
    for path in ("clone, spare ready", "clone, no spare"):
        print(f"{path}: {migrate / statistics.median(results[path]):.1f}x faster than migrate (median)")

    for tenant in Tenant.objects.filter(schema_name__startswith="bench-"):
        tenant_delete(tenant=tenant)
    spares.spares_refill()


if __name__ == "__main__":
    main()
