"""API tokens (hashed, listed, revoked, last use) and login throttling."""
import hashlib

import pytest
from django.test import override_settings
from django_tenants.utils import schema_context

from accounts.models import ApiToken
from apps.audit.models import AuditEvent
from tests.conftest import PASSWORD, api_client


@pytest.mark.django_db
def test_token_is_returned_once_and_stored_hashed(tenant_a):
    response = api_client(tenant_a.host).post(
        "/api/v1/auth/token/", {"email": tenant_a.owner_email.upper(), "password": PASSWORD, "name": "zapier"}, format="json"
    )
    assert response.status_code == 201
    key = response.json()["token"]
    prefix, secret = key.split(".", 1)
    with schema_context(tenant_a.slug):
        token = ApiToken.objects.get(prefix=prefix)
        assert token.name == "zapier"
        assert token.digest == hashlib.sha256(secret.encode()).hexdigest()
        assert secret not in token.digest


@pytest.mark.django_db
def test_token_authenticates_records_last_use_and_stops_after_revocation(tenant_a):
    key = api_client(tenant_a.host).post("/api/v1/auth/token/", {"email": tenant_a.owner_email, "password": PASSWORD}, format="json").json()["token"]
    client = api_client(tenant_a.host, key)
    me = client.get("/api/v1/users/me/")
    assert me.status_code == 200 and me.json()["email"] == tenant_a.owner_email

    tokens = client.get("/api/v1/auth/tokens/").json()["results"]
    mine = next(t for t in tokens if key.startswith(t["prefix"]))
    assert mine["last_used_at"] is not None
    assert "digest" not in mine

    assert client.delete(f"/api/v1/auth/tokens/{mine['id']}/").status_code == 204
    assert client.get("/api/v1/users/me/").status_code == 401
    with schema_context(tenant_a.slug):
        assert AuditEvent.objects.filter(action="token.revoked", target_id=str(mine["id"])).exists()


@pytest.mark.django_db
def test_a_user_cannot_revoke_someone_elses_token(tenant_a, make_user, token_for, owner_of):
    owner_key = token_for(tenant_a, owner_of(tenant_a))
    staff = make_user(tenant_a)
    staff_key = token_for(tenant_a, staff)
    with schema_context(tenant_a.slug):
        owner_token_id = ApiToken.objects.get(prefix=owner_key.split(".")[0]).pk
    assert api_client(tenant_a.host, staff_key).delete(f"/api/v1/auth/tokens/{owner_token_id}/").status_code == 404
    assert api_client(tenant_a.host, owner_key).get("/api/v1/users/me/").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("header", ["Token", "Token a b", "Token nodot", "Token abc.def", "Bearer xyz"])
def test_malformed_or_unknown_tokens_are_refused(tenant_a, header):
    response = api_client(tenant_a.host).get("/api/v1/users/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert set(response.json()) >= {"code", "message", "fields"}


@pytest.mark.django_db
def test_deactivated_users_token_stops_working(tenant_a, make_user, token_for, owner_of):
    from accounts.services import user_update

    staff = make_user(tenant_a)
    key = token_for(tenant_a, staff)
    assert api_client(tenant_a.host, key).get("/api/v1/users/me/").status_code == 200
    with schema_context(tenant_a.slug):
        user_update(user=staff, actor=owner_of(tenant_a), is_active=False)
    assert api_client(tenant_a.host, key).get("/api/v1/users/me/").status_code == 401


@pytest.mark.django_db
@override_settings(LOGIN_FAILURES_PER_ACCOUNT=3)
def test_repeated_wrong_passwords_are_throttled_even_with_the_right_one_next(tenant_a):
    client = api_client(tenant_a.host)
    for _ in range(3):
        r = client.post("/api/v1/auth/token/", {"email": tenant_a.owner_email, "password": "nope"}, format="json")
        assert r.status_code == 400
    blocked = client.post("/api/v1/auth/token/", {"email": tenant_a.owner_email, "password": PASSWORD}, format="json")
    assert blocked.status_code == 429
    assert blocked.json()["code"] == "throttled" and blocked.json()["retry_after"] > 0
    # Another address is not blocked by this one's guessing.
    other = client.post(
        "/api/v1/auth/token/", {"email": tenant_a.owner_email, "password": PASSWORD}, format="json", REMOTE_ADDR="10.9.9.9"
    )
    assert other.status_code == 201
    with schema_context(tenant_a.slug):
        assert AuditEvent.objects.filter(action="auth.login_throttled").exists()


@pytest.mark.django_db
def test_web_login_wrong_password_shows_an_error_and_logs_nothing_in(client, tenant_a):
    response = client.post("/login/", {"email": tenant_a.owner_email, "password": "bad"}, HTTP_HOST=tenant_a.host)
    assert response.status_code == 400
    assert "not right" in response.content.decode()
    assert client.get("/", HTTP_HOST=tenant_a.host).status_code == 302


@pytest.mark.django_db
def test_login_redirect_ignores_foreign_next_urls(client, tenant_a):
    response = client.post(
        "/login/", {"email": tenant_a.owner_email, "password": PASSWORD, "next": "http://evil.example/"}, HTTP_HOST=tenant_a.host
    )
    assert response.status_code == 302 and response["Location"] == "/"


@pytest.mark.django_db
def test_logout_is_audited(client, tenant_a):
    client.post("/login/", {"email": tenant_a.owner_email, "password": PASSWORD}, HTTP_HOST=tenant_a.host)
    assert client.post("/logout/", HTTP_HOST=tenant_a.host).status_code == 302
    with schema_context(tenant_a.slug):
        assert AuditEvent.objects.filter(action="auth.logout").exists()
