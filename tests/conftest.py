"""Shared fixtures. Tenants are made by the real provisioning code, once per session.

Two committed tenants (A and B) exist for the whole run; every test that uses `db` runs in a
transaction rolled back at its end (schemas a test creates included: PostgreSQL DDL is
transactional). The connection goes back to the public schema after every test.
"""
from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass

import pytest
from django.core.cache import cache
from django.db import connection
from django_tenants.utils import schema_context
from rest_framework.test import APIClient

from tenants.middleware import tenant_host_cache_clear

PASSWORD = "Corr3ct-Horse-Battery"
_counter = itertools.count(1)


@dataclass
class TenantHandle:
    tenant: object
    owner_email: str
    host: str

    @property
    def slug(self) -> str:
        return self.tenant.schema_name


def _provision(slug: str) -> TenantHandle:
    from tenants.services import tenant_host, tenant_signup

    email = f"owner@{slug}.test"
    result = tenant_signup(company=f"{slug.title()} Ltd", slug=slug, email=email, password=PASSWORD, full_name=f"{slug.title()} Owner")
    return TenantHandle(tenant=result.tenant, owner_email=email, host=tenant_host(result.tenant))


@pytest.fixture(scope="session")
def _session_tenants(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        handles = {"a": _provision("tenant-a"), "b": _provision("tenant-b")}
        connection.set_schema_to_public()
    return handles


@pytest.fixture
def tenant_a(_session_tenants, db) -> TenantHandle:
    return _session_tenants["a"]


@pytest.fixture
def tenant_b(_session_tenants, db) -> TenantHandle:
    return _session_tenants["b"]


@pytest.fixture(autouse=True)
def _clean_state():
    """Each test starts in the public schema, with an empty cache and no cached tenant hosts."""
    connection.set_schema_to_public()
    tenant_host_cache_clear()
    cache.clear()
    yield
    connection.set_schema_to_public()
    tenant_host_cache_clear()


def unique_slug(prefix: str = "t") -> str:
    return f"{prefix}-{next(_counter)}-{uuid.uuid4().hex[:6]}"


def api_client(host: str, token: str | None = None) -> APIClient:
    client = APIClient(HTTP_HOST=host)
    if token:
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


@pytest.fixture
def make_user():
    """Create a user in a tenant through the service; returns the user."""

    def _make(handle: TenantHandle, *, roles=("staff",), email: str | None = None, manager=None, full_name: str = ""):
        from accounts.services import user_create

        email = email or f"user{next(_counter)}@{handle.slug}.test"
        with schema_context(handle.slug):
            return user_create(
                email=email, password=PASSWORD, full_name=full_name or email.split("@")[0].title(), roles=list(roles), manager=manager, actor=None
            )

    return _make


@pytest.fixture
def token_for():
    """An API token key for a user of a tenant."""

    def _token(handle: TenantHandle, user) -> str:
        from accounts.services import token_create

        with schema_context(handle.slug):
            _t, key = token_create(user=user, name="test", actor=user)
        return key

    return _token


@pytest.fixture
def owner_of():
    def _owner(handle: TenantHandle):
        from accounts.models import User

        with schema_context(handle.slug):
            return User.objects.get(email=handle.owner_email)

    return _owner


@pytest.fixture
def window_pipeline(tenant_a, owner_of):
    """The window-installation template installed (published) in tenant A, with one person per role."""
    from workflows.services.definitions import pipeline_install_blueprint

    with schema_context(tenant_a.slug):
        return pipeline_install_blueprint(code="window-installation", actor=owner_of(tenant_a))


def stages_of(pipeline) -> dict:
    """{key: Stage} of the pipeline's latest published version (call inside the tenant's schema)."""
    from workflows.selectors import version_published_latest

    return {stage.key: stage for stage in version_published_latest(pipeline).stages.all()}
