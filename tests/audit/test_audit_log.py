"""The audit log: written by services, refused edits by the database, chain verification."""
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django_tenants.utils import schema_context

from apps.audit.models import AuditEvent
from apps.audit.selectors import audit_chain_verify
from apps.audit.services import audit_record
from tests.conftest import PASSWORD, api_client


@pytest.mark.django_db
def test_update_and_delete_of_audit_rows_are_refused_by_the_database(tenant_a):
    with schema_context(tenant_a.slug):
        event = audit_record(action="test.event", changes={"n": 1})
        for sql in [
            "UPDATE audit_auditevent SET action = 'forged' WHERE seq = %s",
            "DELETE FROM audit_auditevent WHERE seq = %s",
        ]:
            with pytest.raises(DatabaseError, match="append-only"):
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(sql, [event.seq])
        with pytest.raises(DatabaseError, match="append-only"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("TRUNCATE audit_auditevent")
        assert AuditEvent.objects.get(seq=event.seq).action == "test.event"


@pytest.mark.django_db
def test_chain_verifies_and_detects_a_tampered_row(tenant_a):
    with schema_context(tenant_a.slug):
        for n in range(3):
            audit_record(action="test.event", changes={"n": n})
        assert audit_chain_verify().ok
        target = AuditEvent.objects.order_by("-seq")[1]
        # Only a superuser who disables the trigger can change a row; the chain still tells.
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_no_update_delete")
            cursor.execute("UPDATE audit_auditevent SET changes = '{\"n\": 99}' WHERE seq = %s", [target.seq])
            cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_event_no_update_delete")
        report = audit_chain_verify()
        assert not report.ok
        assert report.broken_at == target.seq
    with pytest.raises(CommandError):
        call_command("audit_verify", schema=tenant_a.slug)


@pytest.mark.django_db
def test_chain_detects_a_removed_row(tenant_a):
    with schema_context(tenant_a.slug):
        for n in range(3):
            audit_record(action="test.event", changes={"n": n})
        middle = AuditEvent.objects.order_by("-seq")[1]
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_no_update_delete")
            cursor.execute("DELETE FROM audit_auditevent WHERE seq = %s", [middle.seq])
            cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_event_no_update_delete")
        report = audit_chain_verify()
        assert not report.ok and report.broken_at == middle.seq


@pytest.mark.django_db
def test_audit_verify_command_passes_on_intact_chains(tenant_a, capsys):
    call_command("audit_verify", schema=tenant_a.slug)
    assert "ok" in capsys.readouterr().out


@pytest.mark.django_db
def test_chains_are_per_tenant(tenant_a, tenant_b):
    with schema_context(tenant_a.slug):
        a_last = AuditEvent.objects.order_by("-seq").first().seq
        audit_record(action="test.a")
    with schema_context(tenant_b.slug):
        assert not AuditEvent.objects.filter(action="test.a").exists()
    with schema_context(tenant_a.slug):
        assert AuditEvent.objects.order_by("-seq").first().seq == a_last + 1


@pytest.mark.django_db
def test_login_and_failed_login_are_audited_with_request_context(tenant_a):
    client = api_client(tenant_a.host)
    client.post("/api/v1/auth/token/", {"email": tenant_a.owner_email, "password": "wrong"}, format="json", HTTP_USER_AGENT="pytest-agent")
    ok = client.post("/api/v1/auth/token/", {"email": tenant_a.owner_email, "password": PASSWORD}, format="json")
    assert ok.status_code == 201
    with schema_context(tenant_a.slug):
        failed = AuditEvent.objects.filter(action="auth.login_failed").order_by("-seq").first()
        assert failed.actor_id is None and failed.actor_label == tenant_a.owner_email
        assert failed.user_agent == "pytest-agent" and failed.ip == "127.0.0.1" and failed.request_id
        login = AuditEvent.objects.filter(action="auth.login").order_by("-seq").first()
        assert login.actor.email == tenant_a.owner_email
        assert AuditEvent.objects.filter(action="token.created", seq__gt=login.seq).exists()


@pytest.mark.django_db
def test_audit_events_api_is_for_admins_only(tenant_a, make_user, owner_of, token_for):
    staff = make_user(tenant_a, roles=["staff"])
    assert api_client(tenant_a.host, token_for(tenant_a, staff)).get("/api/v1/audit-events/").status_code == 403
    owner_key = token_for(tenant_a, owner_of(tenant_a))
    response = api_client(tenant_a.host, owner_key).get("/api/v1/audit-events/?action=token.created")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert rows and all(row["action"] == "token.created" for row in rows)
    assert api_client(tenant_a.host, owner_key).delete(f"/api/v1/audit-events/{rows[0]['seq']}/").status_code == 405
