"""A user of tenant A can never log in to, authenticate on, or read tenant B."""
import pytest

from tests.conftest import PASSWORD, api_client


@pytest.mark.django_db
def test_owner_of_a_cannot_obtain_a_token_on_b(tenant_a, tenant_b):
    response = api_client(tenant_b.host).post(
        "/api/v1/auth/token/", {"email": tenant_a.owner_email, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_credentials"


@pytest.mark.django_db
def test_token_of_a_is_rejected_on_b(tenant_a, tenant_b, owner_of, token_for):
    key = token_for(tenant_a, owner_of(tenant_a))
    assert api_client(tenant_a.host, key).get("/api/v1/users/").status_code == 200
    response = api_client(tenant_b.host, key).get("/api/v1/users/")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


@pytest.mark.django_db
def test_session_of_a_does_not_sign_in_on_b(client, tenant_a, tenant_b):
    response = client.post("/login/", {"email": tenant_a.owner_email, "password": PASSWORD}, HTTP_HOST=tenant_a.host)
    assert response.status_code == 302
    assert client.get("/", HTTP_HOST=tenant_a.host).status_code == 200
    # The same cookie jar on B's host is anonymous there: B's schema has no such session.
    response = client.get("/", HTTP_HOST=tenant_b.host)
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.django_db
def test_users_list_shows_only_the_tenants_own_people(tenant_a, tenant_b, owner_of, token_for):
    key = token_for(tenant_a, owner_of(tenant_a))
    emails = {row["email"] for row in api_client(tenant_a.host, key).get("/api/v1/users/").json()["results"]}
    assert tenant_a.owner_email in emails
    assert tenant_b.owner_email not in emails


@pytest.mark.django_db
def test_object_ids_of_b_are_not_found_on_a(tenant_a, tenant_b, owner_of, token_for):
    b_owner = owner_of(tenant_b)
    key = token_for(tenant_a, owner_of(tenant_a))
    a_owner_id = owner_of(tenant_a).pk
    if b_owner.pk != a_owner_id:
        assert api_client(tenant_a.host, key).get(f"/api/v1/users/{b_owner.pk}/").status_code == 404
    assert api_client(tenant_a.host, key).get("/api/v1/users/999999/").status_code == 404


@pytest.mark.django_db
def test_unknown_host_gets_404(tenant_a):
    response = api_client("nobody-here.localhost").get("/api/v1/users/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert api_client("nobody-here.localhost").get("/").status_code == 404


@pytest.mark.django_db
def test_host_outside_allowed_hosts_gets_404_in_the_error_shape():
    response = api_client("evil.example.com").get("/api/v1/users/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.django_db
def test_public_host_serves_no_tenant_data(tenant_a, owner_of, token_for):
    key = token_for(tenant_a, owner_of(tenant_a))
    for path in ["/api/v1/users/", "/api/v1/audit-events/", "/api/v1/roles/", "/api/docs/", "/settings/team/"]:
        assert api_client("localhost", key).get(path).status_code == 404, path
    response = api_client("localhost").post("/api/v1/auth/token/", {"email": tenant_a.owner_email, "password": PASSWORD}, format="json")
    assert response.status_code == 404


@pytest.mark.django_db
def test_suspended_tenant_host_answers_404(tenant_a, owner_of, token_for):
    from tenants.models import Tenant

    key = token_for(tenant_a, owner_of(tenant_a))
    Tenant.objects.filter(pk=tenant_a.tenant.pk).update(status=Tenant.Status.SUSPENDED)
    assert api_client(tenant_a.host, key).get("/api/v1/users/").status_code == 404


@pytest.mark.django_db
def test_cache_keys_carry_the_tenant_schema(tenant_a, tenant_b):
    from django.core.cache import cache
    from django_tenants.utils import schema_context

    with schema_context(tenant_a.slug):
        cache.set("shared-name", "secret of A")
    with schema_context(tenant_b.slug):
        assert cache.get("shared-name") is None
    with schema_context(tenant_a.slug):
        assert cache.get("shared-name") == "secret of A"


@pytest.mark.django_db
def test_each_request_sets_the_search_path_once_and_to_its_own_tenant(tenant_a, tenant_b, owner_of, token_for):
    from tenants.search_path_probe import count_search_path_changes

    clients = [api_client(t.host, token_for(t, owner_of(t))) for t in (tenant_a, tenant_b)]
    for client in clients:
        client.get("/api/v1/users/me/")  # warm the host cache and the token's last-use write
    with count_search_path_changes() as sets:
        for n in range(10):
            response = clients[n % 2].get("/api/v1/users/me/")
            assert response.json()["email"] == (tenant_a, tenant_b)[n % 2].owner_email
    assert sets[0] <= 10
