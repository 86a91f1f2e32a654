"""A client's timeline and totals: order, kinds, totals, a query count that does not grow with the history."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from tests.conftest import api_client

pytestmark = pytest.mark.django_db


def _history(*, owner, pipeline, appeals: int, deals: int, surname: str = "Timeline"):
    """A client with `appeals` appeals an hour apart (every third a complaint needing a decision) and `deals` deals."""
    from apps.clients.services import client_create
    from apps.deals.services import deal_create
    from apps.interactions.services import interaction_register

    # The window pipeline's first stage asks for the client's phone.
    client = client_create(actor=owner, surname=surname, phones=[f"+38067{sum(map(ord, surname)) % 10_000_000:07d}"])
    start = timezone.now() - timedelta(days=30)
    for index in range(appeals):
        complaint = index % 3 == 0
        interaction_register(
            actor=owner, client=client, channel="phone", kind="complaint" if complaint else "inquiry",
            subject=f"Appeal {index}", needs_decision=complaint, occurred_at=start + timedelta(hours=index),
        )
    for index in range(deals):
        deal_create(pipeline=pipeline, actor=owner, title=f"Deal {index}", client=client, amount=Decimal("100.00"))
    return client


def test_the_timeline_merges_every_kind_newest_first_with_totals(tenant_a, owner_of, window_pipeline):
    from apps.clients.timeline import client_timeline, client_totals
    from apps.deals.models import Deal
    from apps.deals.services import deal_create
    from apps.interactions.services import interaction_register
    from apps.tasks.models import Task

    with schema_context(tenant_a.slug):
        owner = owner_of(tenant_a)
        client = _history(owner=owner, pipeline=window_pipeline, appeals=0, deals=0)
        old = interaction_register(actor=owner, client=client, channel="email", kind="inquiry", subject="Prices", occurred_at=timezone.now() - timedelta(days=2))
        won = deal_create(pipeline=window_pipeline, actor=owner, title="Kitchen windows", client=client, amount=Decimal("1200.50"))
        Deal.objects.filter(pk=won.pk).update(outcome=Deal.Outcome.WON)
        deal_create(pipeline=window_pipeline, actor=owner, title="Balcony", client=client, amount=Decimal("300"))
        latest = interaction_register(actor=owner, client=client, channel="phone", kind="complaint", subject="Draught", needs_decision=True)

        items = client_timeline(client=client)
        moments = [item["at"] for item in items]
        assert moments == sorted(moments, reverse=True)
        # The complaint's decision task was made a moment after it.
        assert [(i["type"], i["id"]) for i in items[:2]] == [("task", latest.task_id), ("interaction", latest.pk)]
        assert items[1]["title"] == "Complaint: Draught" and items[0]["title"] == "Task: Decide on complaint: Draught"
        assert items[-1]["type"] == "interaction" and items[-1]["id"] == old.pk
        assert {item["type"] for item in items} == {"interaction", "deal", "stage", "task"}
        assert [i["title"] for i in items if i["type"] == "deal"] == ["Deal created: Balcony", "Deal created: Kitchen windows"]
        assert any(i["type"] == "stage" and i["title"].startswith("Entered stage ") and i["detail"] == "Balcony" for i in items)
        # The decision task, and the tasks the deals' stage automations made.
        expected_tasks = set(Task.objects.filter(deal__client=client).values_list("pk", flat=True)) | {latest.task_id}
        assert {i["id"] for i in items if i["type"] == "task"} == expected_tasks
        assert set(items[0]) == {"type", "at", "title", "detail", "url", "id"}
        # Paging: what came before a moment, at most `limit`.
        assert [i["id"] for i in client_timeline(client=client, limit=1, before=items[0]["at"])] == [items[1]["id"]]

        totals = client_totals(client)
        assert totals["deals_won"] == 1 and totals["deals_won_amount"] == Decimal("1200.50")
        assert totals["deals_open"] == 1 and totals["appeals"] == 2 and totals["tasks_open"] >= 1
        assert totals["last_contact_at"] == latest.occurred_at


def test_the_timeline_query_count_does_not_grow_with_the_history(tenant_a, owner_of, window_pipeline):
    from apps.clients.timeline import client_timeline, client_totals

    with schema_context(tenant_a.slug):
        owner = owner_of(tenant_a)
        small = _history(owner=owner, pipeline=window_pipeline, appeals=2, deals=2, surname="Small")
        large = _history(owner=owner, pipeline=window_pipeline, appeals=20, deals=20, surname="Large")
        counts = []
        for client in (small, large):
            with CaptureQueriesContext(connection) as queries:
                items = client_timeline(client=client, limit=200)
                client_totals(client)
            counts.append((len(queries), len(items)))
        assert counts[0][0] == counts[1][0], counts
        assert counts[1][1] > counts[0][1] >= 4


def test_the_timeline_api_returns_totals_and_items(tenant_a, owner_of, token_for, window_pipeline):
    with schema_context(tenant_a.slug):
        client = _history(owner=owner_of(tenant_a), pipeline=window_pipeline, appeals=3, deals=1)
    api = api_client(tenant_a.host, token_for(tenant_a, owner_of(tenant_a)))
    body = api.get(f"/api/v1/clients/{client.pk}/timeline/", {"limit": 3}).json()
    assert body["totals"]["appeals"] == 3 and body["totals"]["deals_open"] == 1
    assert len(body["items"]) == 3 and {i["type"] for i in body["items"]} <= {"deal", "stage", "task"}
    assert api.get(f"/api/v1/clients/{client.pk}/timeline/", {"limit": 0}).json()["fields"].keys() == {"limit"}
    assert api.get("/api/v1/clients/999999/timeline/").status_code == 404
