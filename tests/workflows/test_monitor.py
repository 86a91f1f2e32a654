"""The SLA monitor: warnings and breaches reach the responsible and their manager exactly once,
escalations climb, the sweep visits only tenants with something due."""
from datetime import datetime, timedelta, timezone as dt_timezone

import pytest
import time_machine
from django.core import mail
from django_tenants.utils import schema_context

from apps.deals.services import deal_create
from apps.notifications.models import Notification
from apps.tasks.services import task_create
from tenants.models import DeadlineIndex
from workflows.services import monitor
from workflows.services.definitions import pipeline_create
from workflows.tasks import sla_sweep

MONDAY_9 = datetime(2026, 11, 23, 9, 0, tzinfo=dt_timezone.utc)
DOC = {
    "name": "Support",
    "stages": [
        {"key": "answer", "name": "Answer", "responsible_role": "staff", "assignment": "least_loaded",
         "sla": {"minutes": 120, "warn_percent": 50}, "escalation": {"levels": 3, "every_minutes": 60}},
        {"key": "done", "name": "Done", "kind": "won"},
    ],
}


@pytest.fixture
def team(tenant_a, make_user):
    """director <- manager <- agent (the only staff member who is free)."""
    director = make_user(tenant_a, roles=["manager"], full_name="Director")
    boss = make_user(tenant_a, roles=["manager"], manager=director, full_name="Boss")
    agent = make_user(tenant_a, roles=["staff"], manager=boss, full_name="Agent")
    return {"director": director, "boss": boss, "agent": agent}


def _only_staff(tenant_a, agent):
    """Deactivate other staff so least-loaded picks the agent."""
    from accounts.models import User

    User.objects.filter(groups__role__code="staff").exclude(pk=agent.pk).update(is_active=False)


def notifications(kind, **filters):
    return list(Notification.objects.filter(kind=kind, **filters).values_list("recipient_id", flat=True))


@pytest.mark.django_db
def test_warning_then_breach_then_escalations_each_once(tenant_a, owner_of, team, django_capture_on_commit_callbacks):
    agent, boss, director = team["agent"], team["boss"], team["director"]
    with schema_context(tenant_a.slug):
        _only_staff(tenant_a, agent)
        pipeline = pipeline_create(document=DOC, actor=owner_of(tenant_a), publish=True)
        with time_machine.travel(MONDAY_9, tick=False):
            deal = deal_create(pipeline=pipeline, title="Complaint", actor=owner_of(tenant_a))
        assert deal.responsible_id == agent.pk
        run = lambda at: monitor.sla_process(schema_name=tenant_a.slug, version=None, now=at)  # noqa: E731

        assert run(MONDAY_9 + timedelta(minutes=59))["warnings"] == 0
        assert run(MONDAY_9 + timedelta(minutes=60))["warnings"] == 1
        assert notifications("sla_warning", deal=deal) == [agent.pk]
        assert run(MONDAY_9 + timedelta(minutes=61)) == {"warnings": 0, "breaches": 0, "escalations": 0, "tasks": 0}

        with django_capture_on_commit_callbacks(execute=True):
            assert run(MONDAY_9 + timedelta(minutes=120))["breaches"] == 1
        assert sorted(notifications("sla_breach", deal=deal)) == sorted([agent.pk, boss.pk])
        assert any(boss.email in m.to and "Deadline missed" in m.subject for m in mail.outbox)

        assert run(MONDAY_9 + timedelta(minutes=179))["escalations"] == 0
        assert run(MONDAY_9 + timedelta(minutes=180))["escalations"] == 1
        assert notifications("escalation", deal=deal) == [director.pk]
        # Level 3 would be the director's manager; there is none, and the climb stops there.
        sla_kinds = ["sla_warning", "sla_breach", "escalation"]
        run(MONDAY_9 + timedelta(minutes=240))
        assert Notification.objects.filter(deal=deal, kind__in=sla_kinds).count() == 4
        # Running everything again notifies nobody twice.
        run(MONDAY_9 + timedelta(hours=5))
        assert Notification.objects.filter(deal=deal, kind__in=sla_kinds).count() == 4


@pytest.mark.django_db
def test_duplicate_notifications_are_refused_by_the_database(tenant_a, owner_of, team):
    from apps.notifications.services import Draft, notify_many

    with schema_context(tenant_a.slug):
        draft = Draft(recipient_id=team["agent"].pk, kind="sla_breach", title="x", dedupe_key="sla_breach:visit:0:level:1:user:1")
        assert len(notify_many([draft])) == 1
        assert notify_many([draft]) == []


@pytest.mark.django_db
def test_leaving_the_stage_in_time_cancels_the_pending_breach(tenant_a, owner_of, team):
    from apps.deals.services import deal_move
    from tests.conftest import stages_of

    with schema_context(tenant_a.slug):
        _only_staff(tenant_a, team["agent"])
        pipeline = pipeline_create(document=DOC, actor=owner_of(tenant_a), publish=True)
        with time_machine.travel(MONDAY_9, tick=False):
            deal = deal_create(pipeline=pipeline, title="Fast", actor=owner_of(tenant_a))
        with time_machine.travel(MONDAY_9 + timedelta(minutes=30), tick=False):
            deal_move(deal=deal, to_stage=stages_of(pipeline)["done"], actor=owner_of(tenant_a))
        monitor.sla_process(schema_name=tenant_a.slug, version=None, now=MONDAY_9 + timedelta(hours=5))
        assert not Notification.objects.filter(deal=deal, kind__in=["sla_warning", "sla_breach"]).exists()


@pytest.mark.django_db
def test_task_reminder_and_overdue_task_escalate_to_the_manager(tenant_a, team):
    agent, boss = team["agent"], team["boss"]
    with schema_context(tenant_a.slug):
        task = task_create(title="Send the quote", actor=boss, assignee=agent, due_at=MONDAY_9 + timedelta(hours=2),
                           remind_at=MONDAY_9 + timedelta(hours=1))
        counts = monitor.sla_process(schema_name=tenant_a.slug, version=None, now=MONDAY_9 + timedelta(hours=1))
        assert counts["tasks"] == 1 and notifications("task_reminder", task=task) == [agent.pk]
        monitor.sla_process(schema_name=tenant_a.slug, version=None, now=MONDAY_9 + timedelta(hours=3))
        assert sorted(notifications("sla_breach", task=task)) == sorted([agent.pk, boss.pk])


@pytest.mark.django_db
def test_sweep_claims_only_tenants_with_something_due_and_settles_their_next_moment(tenant_a, tenant_b, owner_of, team):
    with schema_context(tenant_a.slug):
        _only_staff(tenant_a, team["agent"])
        pipeline = pipeline_create(document=DOC, actor=owner_of(tenant_a), publish=True)
        with time_machine.travel(MONDAY_9, tick=False):
            deal_create(pipeline=pipeline, title="Indexed", actor=owner_of(tenant_a))
    # on_commit never runs inside the test transaction: lower the index as the commit would.
    monitor.deadline_index_lower(tenant_a.slug, MONDAY_9 + timedelta(minutes=60))
    index = DeadlineIndex.objects.get(tenant=tenant_a.tenant)
    assert index.next_due_at == MONDAY_9 + timedelta(minutes=60)
    monitor.deadline_index_lower(tenant_a.slug, MONDAY_9 + timedelta(hours=9))  # later: ignored
    assert DeadlineIndex.objects.get(tenant=tenant_a.tenant).next_due_at == MONDAY_9 + timedelta(minutes=60)

    # Other tests' tenants may have marks of their own; only tenant A's is asserted on.
    schemas = lambda rows: [schema for schema, _v in rows]  # noqa: E731
    assert tenant_a.slug not in schemas(monitor.deadline_index_claim(MONDAY_9 + timedelta(minutes=30)))
    claimed = [row for row in monitor.deadline_index_claim(MONDAY_9 + timedelta(minutes=61)) if row[0] == tenant_a.slug]
    assert len(claimed) == 1
    leased = monitor.deadline_index_claim(MONDAY_9 + timedelta(minutes=61, seconds=30))
    assert tenant_a.slug not in schemas(leased), "leased, not claimed twice"

    with schema_context(tenant_a.slug):
        monitor.sla_process(schema_name=tenant_a.slug, version=claimed[0][1], now=MONDAY_9 + timedelta(minutes=61))
    # The warning went out; the breach (09:00 + 2 working hours) or something earlier comes next.
    settled = DeadlineIndex.objects.get(tenant=tenant_a.tenant).next_due_at
    with schema_context(tenant_a.slug):
        assert settled == monitor.next_due_moment()
    assert settled <= MONDAY_9 + timedelta(minutes=120)


@pytest.mark.django_db
def test_sweep_task_queues_processing_for_due_tenants(tenant_a):
    DeadlineIndex.objects.update_or_create(tenant=tenant_a.tenant, defaults={"next_due_at": datetime(2020, 1, 1, tzinfo=dt_timezone.utc)})
    assert sla_sweep() >= 1  # eager: the per-tenant task ran in tenant A's schema and settled the mark
    settled = DeadlineIndex.objects.get(tenant=tenant_a.tenant).next_due_at
    assert settled is None or settled > datetime(2020, 1, 1, tzinfo=dt_timezone.utc)


@pytest.mark.django_db
def test_a_suspended_tenant_is_not_swept(tenant_a):
    from tenants.models import Tenant

    DeadlineIndex.objects.update_or_create(tenant=tenant_a.tenant, defaults={"next_due_at": datetime(2020, 1, 1, tzinfo=dt_timezone.utc)})
    Tenant.objects.filter(pk=tenant_a.tenant.pk).update(status=Tenant.Status.SUSPENDED)
    assert tenant_a.slug not in [schema for schema, _v in monitor.deadline_index_claim(datetime(2026, 1, 1, tzinfo=dt_timezone.utc))]
