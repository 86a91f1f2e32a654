"""Users and roles through the API: admins change, everyone reads, rules hold."""
import pytest
from django_tenants.utils import schema_context

from accounts.models import Role
from apps.audit.models import AuditEvent
from tests.conftest import api_client


@pytest.mark.django_db
def test_admin_creates_a_custom_role_and_assigns_it(tenant_a, owner_of, make_user, token_for):
    key = token_for(tenant_a, owner_of(tenant_a))
    client = api_client(tenant_a.host, key)
    created = client.post("/api/v1/roles/", {"code": "measurer", "name": "Measurer"}, format="json")
    assert created.status_code == 201, created.content
    staff = make_user(tenant_a)
    updated = client.patch(f"/api/v1/users/{staff.pk}/", {"roles": ["staff", "measurer"]}, format="json")
    assert updated.status_code == 200 and updated.json()["roles"] == ["measurer", "staff"]
    roles = {r["code"]: r for r in client.get("/api/v1/roles/").json()}
    assert roles["measurer"]["holders"] == 1 and roles["owner"]["is_builtin"]
    with schema_context(tenant_a.slug):
        event = AuditEvent.objects.filter(action="user.roles_changed", target_id=str(staff.pk)).get()
        assert event.changes == {"roles": [["staff"], ["measurer", "staff"]]}


@pytest.mark.django_db
def test_builtin_roles_cannot_be_deleted_and_custom_ones_can(tenant_a, owner_of, token_for):
    client = api_client(tenant_a.host, token_for(tenant_a, owner_of(tenant_a)))
    with schema_context(tenant_a.slug):
        admin_role = Role.objects.get(code="admin")
    refused = client.delete(f"/api/v1/roles/{admin_role.pk}/")
    assert refused.status_code == 400 and refused.json()["code"] == "builtin_role"
    role_id = client.post("/api/v1/roles/", {"code": "installer", "name": "Installer"}, format="json").json()["id"]
    assert client.delete(f"/api/v1/roles/{role_id}/").status_code == 204


@pytest.mark.django_db
def test_staff_reads_the_team_but_cannot_change_it(tenant_a, make_user, token_for):
    staff = make_user(tenant_a)
    client = api_client(tenant_a.host, token_for(tenant_a, staff))
    assert client.get("/api/v1/users/").status_code == 200
    assert client.get("/api/v1/roles/").status_code == 200
    assert client.post("/api/v1/roles/", {"code": "x", "name": "X"}, format="json").status_code == 403
    assert client.patch(f"/api/v1/users/{staff.pk}/", {"roles": ["admin"]}, format="json").status_code == 403


@pytest.mark.django_db
def test_the_last_owner_cannot_lose_the_owner_role(tenant_a, owner_of, token_for):
    owner = owner_of(tenant_a)
    client = api_client(tenant_a.host, token_for(tenant_a, owner))
    response = client.patch(f"/api/v1/users/{owner.pk}/", {"roles": ["admin"]}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "last_owner"


@pytest.mark.django_db
def test_manager_chain_cannot_loop(tenant_a, owner_of, make_user, token_for):
    client = api_client(tenant_a.host, token_for(tenant_a, owner_of(tenant_a)))
    boss = make_user(tenant_a, roles=["manager"])
    worker = make_user(tenant_a, manager=boss)
    response = client.patch(f"/api/v1/users/{boss.pk}/", {"manager": worker.pk}, format="json")
    assert response.status_code == 400 and response.json()["fields"]["manager"][0]["code"] == "cycle"
    assert client.patch(f"/api/v1/users/{worker.pk}/", {"manager": None}, format="json").json()["manager"] is None


@pytest.mark.django_db
def test_user_update_validates_types(tenant_a, owner_of, make_user, token_for):
    client = api_client(tenant_a.host, token_for(tenant_a, owner_of(tenant_a)))
    staff = make_user(tenant_a)
    for payload in [{"time_zone": "Nowhere/City"}, {"language": "xx"}, {"manager": "abc"}, {"is_active": "maybe"}, {"roles": "admin"}]:
        response = client.patch(f"/api/v1/users/{staff.pk}/", payload, format="json")
        assert response.status_code == 400, payload
        assert response.json()["code"] == "validation_error"


@pytest.mark.django_db
def test_users_list_query_count_does_not_grow_with_users(tenant_a, owner_of, make_user, token_for):
    client = api_client(tenant_a.host, token_for(tenant_a, owner_of(tenant_a)))
    for _ in range(3):
        make_user(tenant_a)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get("/api/v1/users/")  # warm: host lookup and the token's last-use write happen once
    with CaptureQueriesContext(connection) as small:
        client.get("/api/v1/users/")
    for _ in range(10):
        make_user(tenant_a, roles=["staff", "manager"])
    with CaptureQueriesContext(connection) as large:
        client.get("/api/v1/users/")
    assert len(large) == len(small)
