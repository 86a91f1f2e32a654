"""Bench data: a tenant with the window pipeline and many deals, written in bulk (not measured)."""
from __future__ import annotations

import uuid
from datetime import timedelta

from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.models import Tenant
from tenants.services import tenant_signup

PASSWORD = "Quiet-River-8842"


def bench_tenant(prefix: str):
    slug = f"{prefix}-{uuid.uuid4().hex[:8]}"
    tenant_signup(company="Bench", slug=slug, email=f"o@{slug}.test", password=PASSWORD)
    return Tenant.objects.get(schema_name=slug)


def team(schema_name: str, per_role: int = 5):
    from accounts.models import User
    from accounts.services import user_create

    with schema_context(schema_name):
        owner = User.objects.get()
        for role in ("manager", "measurer", "master", "installer"):
            for n in range(per_role):
                user_create(email=f"{role}{n}@bench.test", password=None, full_name=f"{role} {n}", roles=[role], actor=owner, manager=owner)
        return owner


def bulk_deals(pipeline, owner, count: int, *, stage_key: str = "clarify", due_in: timedelta = timedelta(hours=4)):
    """`count` open deals sitting in one stage, each with its open visit, inserted in bulk."""
    from apps.deals.models import Deal
    from workflows.models import StageVisit
    from workflows.selectors import version_published_latest

    version = version_published_latest(pipeline)
    stage = version.stages.get(key=stage_key)
    now = timezone.now()
    deals = Deal.objects.bulk_create(
        [
            Deal(title=f"Bench deal {n}", client_phone="+380500000000", owner=owner, pipeline=pipeline, version=version,
                 stage=stage, responsible=owner, created_by=owner, currency="UAH", amount=1000)
            for n in range(count)
        ],
        batch_size=2000,
    )
    visits = StageVisit.objects.bulk_create(
        [
            StageVisit(deal=deal, stage=stage, responsible=owner, entered_at=now, due_at=now + due_in, warn_at=now + due_in * 0.8)
            for deal in deals
        ],
        batch_size=2000,
    )
    for deal, visit in zip(deals, visits):
        deal.current_visit = visit
    Deal.objects.bulk_update(deals, ["current_visit"], batch_size=2000)
    return deals
