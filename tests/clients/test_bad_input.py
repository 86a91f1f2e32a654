"""Odd input on the client base's endpoints is a 400 (or an empty answer), never a 500."""
import pytest
from django.test import Client as WebClient
from django_tenants.utils import schema_context

from tests.conftest import PASSWORD, api_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner_api(tenant_a, owner_of, token_for):
    return api_client(tenant_a.host, token_for(tenant_a, owner_of(tenant_a)))


@pytest.fixture
def web(tenant_a):
    client = WebClient(HTTP_HOST=tenant_a.host)
    assert client.post("/login/", {"email": tenant_a.owner_email, "password": PASSWORD}).status_code == 302
    return client


@pytest.fixture
def windows(tenant_a):
    from apps.clients.models import CustomField

    with schema_context(tenant_a.slug):
        CustomField.objects.create(key="windows", label="Windows", type="number")
        CustomField.objects.create(key="note", label="Note", type="text")


@pytest.mark.parametrize(
    "params",
    [
        {"segment": "²"}, {"segment": "9" * 5000}, {"custom.a\x00b": "1"}, {"custom.note": "a\x00"},
        {"custom.windows": "1e5000"}, {"custom.windows.gte": "1e1000000"}, {"owner": "abc"},
    ],
)
def test_odd_list_filters_are_a_400_on_the_api_and_a_message_on_the_page(windows, owner_api, web, params):
    response = owner_api.get("/api/v1/clients/", params)
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "validation_error"
    page = web.get("/clients/", params)
    assert page.status_code == 200 and 'data-testid="filter-error"' in page.content.decode()


def test_odd_searches_and_bodies_are_answered_without_a_500(windows, owner_api, web):
    assert owner_api.get("/api/v1/companies/", {"search": "a\x00"}).status_code == 200
    assert owner_api.get("/api/v1/clients/", {"search": "a\x00b"}).status_code in {200, 400}
    assert owner_api.get("/api/v1/clients/", {"category": "9" * 40}).status_code in {200, 400}
    assert web.get("/clients/people-picker/", {"q": "a\x00"}).status_code == 200
    assert web.get("/clients/", {"q": "a\x00"}).status_code == 200
    for body in ({"name": "x", "filters": {"custom": {"note": "a\x00"}}}, {"name": "x", "filters": {"custom": {"windows": "1e5000"}}},
                 {"name": "x", "filters": []}, {"name": "x", "filters": {"tags": ["a\x00"]}}):
        assert owner_api.post("/api/v1/segments/", body, format="json").status_code == 400, body
    assert owner_api.post("/api/v1/client-categories/", {"name": "x", "rule": "vip"}, format="json").status_code == 400
    assert owner_api.post("/api/v1/client-exports/", {"format": "csv", "filters": {"custom": {"note": "\x00"}}}, format="json").status_code in {400, 403}
    assert web.post("/clients/segments/", {"name": "x", "query": "segment=%C2%B2"}).status_code == 302
    bulk = web.post("/clients/bulk/", {"action": "tag_add", "client_ids": ["²"], "tag": "x"})
    assert bulk.status_code == 302
    with schema_context("tenant-a"):
        from apps.clients.services import client_create
        from accounts.models import User

        client = client_create(actor=User.objects.first(), surname="Tagged")
    assert web.post("/clients/bulk/", {"action": "tag_add", "client_ids": [client.pk], "tag": "a\x00b"}).status_code == 302
    response = owner_api.post("/api/v1/clients/bulk/", {"action": "tag_add", "client_ids": [client.pk], "tag": "a\x00b"}, format="json")
    assert response.status_code == 400
