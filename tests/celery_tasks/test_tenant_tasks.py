"""Tasks run in the tenant that queued them; beat fans out per tenant; a dead broker loses nothing."""
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts import services as account_services
from accounts.models import Invitation
from config.celery import app
from tenants import dispatch
from tenants.models import OutboxMessage
from tenants.tasks import HEARTBEAT_KEY, fan_out
from tests.celery_tasks.broker import using_broker


def _expired_invitation(handle, owner):
    with schema_context(handle.slug):
        invitation = account_services.invitation_create(email=f"late-{handle.slug}@example.test", actor=owner, base_url="http://x/")
        Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(hours=1))
        return invitation.pk


@pytest.mark.django_db
def test_fan_out_runs_the_task_once_in_every_tenant_schema(tenant_a, tenant_b, owner_of):
    a_id = _expired_invitation(tenant_a, owner_of(tenant_a))
    b_id = _expired_invitation(tenant_b, owner_of(tenant_b))
    assert fan_out("accounts.invitations_expire") >= 2
    with schema_context(tenant_a.slug):
        assert Invitation.objects.get(pk=a_id).status == Invitation.Status.EXPIRED
    with schema_context(tenant_b.slug):
        assert Invitation.objects.get(pk=b_id).status == Invitation.Status.EXPIRED


def test_beat_schedule_names_registered_tasks():
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks, entry
        for arg in entry.get("args", ()):
            if isinstance(arg, str) and "." in arg:
                assert arg in app.tasks, arg


def test_tasks_are_acknowledged_late():
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True


@pytest.mark.django_db
def test_a_task_queued_while_the_broker_is_down_waits_in_the_outbox_then_runs(tenant_a, owner_of):
    invitation_id = _expired_invitation(tenant_a, owner_of(tenant_a))
    with using_broker("redis://127.0.0.1:1/0"), schema_context(tenant_a.slug):  # nothing listens there
        queued = dispatch.enqueue_now("accounts.invitations_expire", tenant_a.slug, [], {})
    assert queued is False
    message = OutboxMessage.objects.get(task_name="accounts.invitations_expire")
    assert message.schema_name == tenant_a.slug

    assert dispatch.outbox_redeliver() == 1
    assert not OutboxMessage.objects.filter(pk=message.pk).exists()
    with schema_context(tenant_a.slug):
        assert Invitation.objects.get(pk=invitation_id).status == Invitation.Status.EXPIRED


@pytest.mark.django_db
def test_enqueue_on_commit_does_nothing_when_the_transaction_rolls_back(tenant_a, owner_of, django_capture_on_commit_callbacks):
    from django.core import mail
    from django.db import transaction

    before = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        with schema_context(tenant_a.slug):
            try:
                with transaction.atomic():
                    account_services.invitation_create(email="never@example.test", actor=owner_of(tenant_a), base_url="http://x/")
                    raise RuntimeError("changed my mind")
            except RuntimeError:
                pass
    assert len(mail.outbox) == before


@pytest.mark.django_db
def test_health_reports_database_cache_and_worker_heartbeat(client):
    from tenants.tasks import health_heartbeat

    health_heartbeat()
    body = client.get("/health/", HTTP_HOST="localhost").json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == "ok" and body["checks"]["cache"] == "ok"
    assert body["checks"]["worker_heartbeat_age_seconds"] is not None


@pytest.mark.django_db
def test_a_task_for_a_missing_tenant_is_rejected_not_run_elsewhere():
    from django.core.cache import cache

    from tenants.celery_task import TenantAwareTask

    task = app.tasks["tenants.health_heartbeat"]
    assert isinstance(task, TenantAwareTask)
    result = task.apply(headers={"_schema_name": "no-such-tenant"})
    assert result.state == "REJECTED"
    with schema_context("public"):
        assert cache.get(HEARTBEAT_KEY) is None, "the task body must not have run"
