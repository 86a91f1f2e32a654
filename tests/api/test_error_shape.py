"""Every 4xx of the API has the stable shape {code, message, fields}; nothing answers 500."""
import pytest
from django.test import override_settings

from tests.conftest import PASSWORD, api_client


def assert_shape(response, status, code=None):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) >= {"code", "message", "fields"}, body
    assert isinstance(body["fields"], dict) and isinstance(body["message"], str)
    if code:
        assert body["code"] == code, body


@pytest.mark.django_db
def test_unauthenticated(tenant_a):
    assert_shape(api_client(tenant_a.host).get("/api/v1/users/"), 401, "not_authenticated")


@pytest.mark.django_db
def test_not_found_route_and_object(tenant_a, owner_of, token_for):
    client = api_client(tenant_a.host, token_for(tenant_a, owner_of(tenant_a)))
    assert_shape(client.get("/api/v1/nothing-here/"), 404, "not_found")
    assert_shape(client.get("/api/v1/users/123456/"), 404, "not_found")
    assert_shape(client.get("/api/v1/users/abc/"), 404, "not_found")


@pytest.mark.django_db
def test_method_not_allowed(tenant_a, owner_of, token_for):
    client = api_client(tenant_a.host, token_for(tenant_a, owner_of(tenant_a)))
    assert_shape(client.put("/api/v1/users/me/", {}, format="json"), 405, "method_not_allowed")


@pytest.mark.django_db
def test_malformed_json_and_wrong_content_type(tenant_a):
    client = api_client(tenant_a.host)
    assert_shape(client.generic("POST", "/api/v1/auth/token/", '{"email": ', content_type="application/json"), 400, "parse_error")
    assert_shape(client.generic("POST", "/api/v1/auth/token/", "email=x", content_type="text/plain"), 415, "unsupported_media_type")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "payload",
    [{}, {"email": "a@b.c"}, {"email": ["x"], "password": "y"}, {"email": "a" * 300, "password": "x"}, {"email": None, "password": None}],
)
def test_validation_errors_name_the_fields(tenant_a, payload):
    response = api_client(tenant_a.host).post("/api/v1/auth/token/", payload, format="json")
    assert_shape(response, 400, "validation_error")
    assert response.json()["fields"]


@pytest.mark.django_db
@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_oversize_body_is_refused_cleanly(tenant_a):
    response = api_client(tenant_a.host).post("/api/v1/auth/token/", {"email": "a@b.c", "password": "x" * 5000}, format="json")
    assert response.status_code in (400, 413)
    assert response.json()["code"]


@pytest.mark.django_db
def test_json_body_that_is_not_an_object(tenant_a):
    response = api_client(tenant_a.host).generic("POST", "/api/v1/auth/token/", "[1, 2]", content_type="application/json")
    assert_shape(response, 400, "validation_error")


@pytest.mark.django_db
def test_openapi_schema_and_docs_are_served(tenant_a, owner_of, token_for):
    client = api_client(tenant_a.host, token_for(tenant_a, owner_of(tenant_a)))
    schema = client.get("/api/schema/?format=json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in ["/api/v1/auth/token/", "/api/v1/users/", "/api/v1/roles/", "/api/v1/audit-events/", "/api/v1/invitations/"]:
        assert path in paths
    docs = client.get("/api/docs/")
    assert docs.status_code == 200 and b"swagger" in docs.content.lower()


@pytest.mark.django_db
def test_pagination_shape(tenant_a, owner_of, token_for):
    body = api_client(tenant_a.host, token_for(tenant_a, owner_of(tenant_a))).get("/api/v1/users/?page_size=1").json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert len(body["results"]) == 1
