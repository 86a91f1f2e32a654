"""POST /api/v1/signup/ on the public host: validation, creation, races, rollback, rate limit."""
import threading

import pytest
from django.db import connection, connections
from django.test import override_settings
from django_tenants.utils import schema_context, schema_exists

from accounts.models import Role, User
from apps.audit.models import AuditEvent
from tenants.models import Domain, Tenant
from tests.conftest import PASSWORD, api_client, unique_slug

URL = "/api/v1/signup/"


def signup(slug, **overrides):
    payload = {"company": "Window Masters", "slug": slug, "email": f"boss@{slug}.test", "password": PASSWORD}
    payload.update(overrides)
    return api_client("localhost").post(URL, payload, format="json")


@pytest.mark.django_db
def test_signup_creates_tenant_schema_domain_and_owner():
    slug = unique_slug("wm")
    response = signup(slug)

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["slug"] == slug
    assert body["url"] == f"http://{slug}.localhost/"
    tenant = Tenant.objects.get(schema_name=slug)
    assert tenant.status == Tenant.Status.TRIAL
    assert Domain.objects.filter(tenant=tenant, domain=f"{slug}.localhost", is_primary=True).exists()
    assert schema_exists(slug)
    with schema_context(slug):
        owner = User.objects.get(email=f"boss@{slug}.test")
        assert owner.check_password(PASSWORD)
        assert owner.password.startswith("argon2")
        assert set(Role.objects.filter(group__user=owner).values_list("code", flat=True)) == {"owner"}
        assert AuditEvent.objects.filter(action="tenant.created").exists()


@pytest.mark.django_db
def test_signup_url_keeps_the_port_the_visitor_used():
    slug = unique_slug("port")
    response = api_client("localhost:8000").post(
        URL, {"company": "X", "slug": slug, "email": "a@b.test", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["url"] == f"http://{slug}.localhost:8000/"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "overrides, field, code",
    [
        ({"slug": "ab"}, "slug", "length"),
        ({"slug": "a" * 41}, "slug", "length"),
        ({"slug": "Bad_Slug"}, "slug", "format"),
        ({"slug": "-start"}, "slug", "format"),
        ({"slug": "double--hyphen"}, "slug", "format"),
        ({"slug": "ends-"}, "slug", "format"),
        ({"slug": "9lives"}, "slug", "format"),
        ({"slug": "admin"}, "slug", "reserved"),
        ({"slug": "www"}, "slug", "reserved"),
        ({"slug": "operator"}, "slug", "reserved"),
        ({"slug": "static"}, "slug", "reserved"),
        ({"email": "not-an-email"}, "email", "invalid"),
        ({"password": "short"}, "password", "password_too_short"),
        ({"password": "password123456"}, "password", "password_too_common"),
        ({"password": "12345678901234"}, "password", "password_entirely_numeric"),
        ({"company": "   "}, "company", "blank"),
    ],
)
def test_signup_rejects_bad_fields_with_a_clear_error(overrides, field, code):
    slug = overrides.pop("slug", None) or unique_slug("bad")
    before = Tenant.objects.count()
    response = signup(slug, **overrides)

    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "validation_error"
    assert field in body["fields"], body
    assert code in [item["code"] for item in body["fields"][field]], body
    assert Tenant.objects.count() == before


@pytest.mark.django_db
def test_signup_with_a_taken_slug_is_refused(tenant_a):
    response = signup(tenant_a.slug)
    assert response.status_code == 400
    assert response.json()["fields"]["slug"][0]["code"] == "taken"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"company": "X"},
        {"company": ["list"], "slug": "x-list", "email": "a@b.test", "password": PASSWORD},
        {"company": "X" * 201, "slug": "x-long", "email": "a@b.test", "password": PASSWORD},
        {"company": "X", "slug": "x-tz", "email": "a@b.test", "password": PASSWORD, "time_zone": "Mars/Base"},
    ],
)
def test_signup_rejects_missing_wrong_type_and_oversize_fields(payload):
    response = api_client("localhost").post(URL, payload, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error" and body["fields"]


@pytest.mark.django_db
def test_signup_rejects_malformed_json():
    response = api_client("localhost").generic("POST", URL, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


@pytest.mark.django_db
def test_signup_is_not_served_on_a_tenant_host(tenant_a):
    response = api_client(tenant_a.host).post(URL, {"company": "X"}, format="json")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.django_db
@override_settings(SIGNUPS_PER_ADDRESS_PER_HOUR=2)
def test_signups_are_rate_limited_per_client_address():
    assert signup(unique_slug("rl")).status_code == 201
    assert signup(unique_slug("rl")).status_code == 201
    third = signup(unique_slug("rl"))
    assert third.status_code == 429
    assert third.json()["code"] == "throttled"
    other_address = api_client("localhost").post(
        URL,
        {"company": "X", "slug": unique_slug("rl"), "email": "a@b.test", "password": PASSWORD},
        format="json",
        REMOTE_ADDR="10.1.2.3",
    )
    assert other_address.status_code == 201


@pytest.mark.django_db
def test_a_signup_failing_midway_leaves_nothing_behind(monkeypatch):
    slug = unique_slug("fail")
    import tenants.services as tenant_services

    def explode(**kwargs):
        raise RuntimeError("disk full")

    # The owner is created after the tenant row, domain and schema exist: fail there.
    monkeypatch.setattr("accounts.services.login_link_create", explode)
    with pytest.raises(RuntimeError):
        tenant_services.tenant_signup(company="X", slug=slug, email="a@b.test", password=PASSWORD)

    connection.set_schema_to_public()
    assert not Tenant.objects.filter(schema_name=slug).exists()
    assert not Domain.objects.filter(domain__startswith=f"{slug}.").exists()
    assert not schema_exists(slug)


@pytest.mark.django_db(transaction=False)
def test_two_concurrent_signups_for_one_slug_one_wins(django_db_blocker):
    """Both run in their own committed transactions on separate connections."""
    slug = unique_slug("race")
    barrier = threading.Barrier(2)
    results = []

    def attempt(n):
        try:
            with django_db_blocker.unblock():
                barrier.wait()
                response = signup(slug, email=f"p{n}@race.test")
                results.append(response.status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [201, 400]
    # The winner's rows and schema are committed; nothing of the loser remains.
    assert Tenant.objects.filter(schema_name=slug).count() == 1
    assert Domain.objects.filter(domain=f"{slug}.localhost").count() == 1
    assert schema_exists(slug)
    with schema_context(slug):
        assert User.objects.count() == 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_namespace WHERE nspname LIKE %s", [slug + "%"])
        assert cursor.fetchone()[0] == 1


@pytest.mark.django_db
def test_signup_can_install_a_pipeline_template():
    from workflows.models import Pipeline

    slug = unique_slug("tpl")
    assert signup(slug, template="beauty-salon").status_code == 201
    with schema_context(slug):
        assert Pipeline.objects.get().template_code == "beauty-salon"
    assert signup(unique_slug("tpl"), template="spaceship").json()["fields"]["template"]
