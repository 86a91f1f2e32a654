"""How many times the connection's search_path changes per request.

    python bench/search_path.py [--requests 200]

Requests alternate between two tenants (the worst case for a shared connection) and use API
tokens, as integrations do. Prints SET search_path statements per request and request times.
"""
import argparse
import statistics
import time
import uuid

import _setup  # noqa: F401
from django.test import Client
from django_tenants.utils import schema_context

from _setup import percentile
from accounts.models import User
from accounts.services import token_create
from tenants.models import Tenant
from tenants.search_path_probe import count_search_path_changes
from tenants.services import tenant_delete, tenant_signup


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()

    clients = []
    for _ in range(2):
        slug = f"bench-sp-{uuid.uuid4().hex[:8]}"
        tenant_signup(company="Bench", slug=slug, email=f"o@{slug}.test", password="Quiet-River-8842")
        with schema_context(slug):
            _token, key = token_create(user=User.objects.get(), name="bench", actor=None)
        clients.append(Client(HTTP_HOST=f"{slug}.localhost", HTTP_AUTHORIZATION=f"Token {key}"))

    for client in clients:  # warm: host lookup cache, token last-use write
        assert client.get("/api/v1/users/me/").status_code == 200

    timings = []
    with count_search_path_changes() as sets:
        for n in range(args.requests):
            started = time.perf_counter()
            response = clients[n % 2].get("/api/v1/users/me/")
            timings.append(time.perf_counter() - started)
            assert response.status_code == 200
    print(f"requests: {args.requests}, alternating between 2 tenants")
    print(f"SET search_path statements: {sets[0]} ({sets[0] / args.requests:.2f} per request)")
    print(f"request time: median {statistics.median(timings) * 1000:.1f} ms, p95 {percentile(timings, 0.95) * 1000:.1f} ms")

    for tenant in Tenant.objects.filter(schema_name__startswith="bench-sp-"):
        tenant_delete(tenant=tenant)


if __name__ == "__main__":
    main()
