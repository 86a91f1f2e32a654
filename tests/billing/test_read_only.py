"""A read-only company: every write on every URL of the tenant site answers 402; reads keep working.

The test walks the tenant URL conf, so an endpoint added later is checked without editing it.
"""
import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django_tenants.utils import schema_context

from billing.middleware import WRITE_ALLOWED_URL_NAMES
from tests.web.test_pages import signed_in


def _sample_path(pattern) -> str | None:
    text = str(pattern.pattern)
    if hasattr(pattern.pattern, "_route"):  # path("deals/<int:pk>/")
        return re.sub(r"<(?:\w+:)?\w+>", "1", text)
    if "(?P<format>" in text:
        return None  # DRF's ".json" suffix twins of patterns walked anyway
    text = text.lstrip("^").rstrip("$")
    text = re.sub(r"\(\?P<\w+>[^)]*\)", "1", text)
    return text.replace("\\", "")


def tenant_url_samples() -> list[tuple[str, str]]:
    """(path, url name) for every named pattern of the tenant site."""
    out = []

    def walk(patterns, prefix):
        for p in patterns:
            if isinstance(p, URLResolver):
                sub = _sample_path(p)
                if sub is not None:
                    walk(p.url_patterns, prefix + sub)
            elif isinstance(p, URLPattern) and p.name:
                sample = _sample_path(p)
                if sample is not None:
                    out.append(("/" + prefix + sample, p.name))

    walk(get_resolver("config.urls_tenant").url_patterns, "")
    return out


def _read_only(handle):
    from tenants.models import Tenant

    with schema_context("public"):
        Tenant.objects.filter(schema_name=handle.slug).update(status="read_only")


def test_every_write_of_a_read_only_company_answers_402(tenant_a):
    client = signed_in(tenant_a)
    _read_only(tenant_a)
    samples = tenant_url_samples()
    checked, allowed = [], []
    for path, name in samples:
        assert resolve(path, "config.urls_tenant").url_name == name, path
        if name in WRITE_ALLOWED_URL_NAMES:
            allowed.append(name)
            continue
        for method in ("post", "delete"):
            response = getattr(client, method)(path, HTTP_HOST=tenant_a.host)
            assert response.status_code == 402, (method, path, response.status_code)
            if path.startswith("/api/"):
                assert response.json()["code"] == "read_only"
        checked.append(name)
    assert len(checked) > 40, checked  # the walk found the site, not a handful of URLs
    assert {"deal-move", "billing-checkout", "login"} <= set(checked) | set(allowed)


def test_the_allowed_writes_are_the_ones_a_read_only_company_needs(tenant_a):
    client = signed_in(tenant_a)
    _read_only(tenant_a)
    assert client.post("/i18n/setlang/", {"language": "uk", "next": "/"}).status_code == 302
    assert client.post("/billing/portal/").status_code != 402
    assert client.post("/logout/").status_code == 302
    assert signed_in(tenant_a).get("/").status_code == 200  # signing in again works


def test_reads_and_pages_keep_working_and_show_the_read_only_banner(tenant_a, settings):
    settings.STRIPE_SECRET_KEY = "sk_test_fake"
    client = signed_in(tenant_a)
    _read_only(tenant_a)
    from tenants.middleware import tenant_host_cache_clear

    tenant_host_cache_clear()
    home = client.get("/")
    assert home.status_code == 200
    assert b'data-kind="read_only"' in home.content
    assert client.get("/api/v1/deals/").status_code == 200
    refused = client.post("/settings/roles/", {"code": "x", "name": "X"})
    assert refused.status_code == 402
    assert b"read-only" in refused.content.lower()


@pytest.mark.parametrize("status", ["trial", "active", "past_due"])
def test_other_statuses_may_write(tenant_a, status):
    from tenants.models import Tenant

    client = signed_in(tenant_a)
    with schema_context("public"):
        Tenant.objects.filter(schema_name=tenant_a.slug).update(status=status)
    assert client.post("/settings/roles/", {"code": "measurer-x", "name": "Measurer X"}).status_code != 402
