"""The owner's billing page: plan, seats, status, invoices, checkout and portal; nobody else's."""
from django.test import Client

from tests.billing.conftest import checkout
from tests.conftest import PASSWORD
from tests.web.test_pages import signed_in


def test_the_owner_sees_the_trial_and_the_plans_and_checkout_goes_to_stripe(billing_on, tenant_a):
    client = signed_in(tenant_a)
    page = client.get("/billing/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="plan-name">Trial<' in html
    assert 'data-testid="seats">1 / 10<' in html
    assert 'data-testid="subscribe-team"' in html and 'data-testid="plan-trial"' not in html
    started = client.post("/billing/checkout/", {"plan": "team", "interval": "year"})
    assert started.status_code == 302
    assert started["Location"].startswith(billing_on.base_url + "/pay/cs_")
    session = billing_on.checkout_sessions[started["Location"].rsplit("/", 1)[-1]]
    assert session["success_url"].startswith(f"http://{tenant_a.host}/billing/?checkout=success")


def test_an_unknown_plan_is_a_clear_error_not_a_500(billing_on, tenant_a):
    client = signed_in(tenant_a)
    response = client.post("/billing/checkout/", {"plan": "platinum"}, follow=True)
    assert response.status_code == 200
    assert "Choose a plan." in response.content.decode()


def test_after_paying_the_page_shows_the_plan_invoices_and_the_portal(billing_on, tenant_a, tenant_b):
    checkout(tenant_a, billing_on, plan="team")
    checkout(tenant_b, billing_on, plan="business")
    billing_on.fail_payment(next(s["id"] for s in billing_on.subscriptions.values() if s["metadata"].get("tenant_id") == str(tenant_b.tenant.pk)))
    client = signed_in(tenant_a)
    html = client.get("/billing/").content.decode()
    assert 'data-testid="plan-name">Team<' in html
    assert 'data-testid="subscription-status">Active<' in html
    assert html.count('class="badge ok">paid<') == 1  # tenant A's one invoice, none of B's
    assert "badge warn" not in html
    portal = client.post("/billing/portal/")
    assert portal.status_code == 302 and portal["Location"].startswith(billing_on.base_url + "/portal/")


def test_staff_get_404_for_billing_pages(billing_on, tenant_a, make_user):
    staff = make_user(tenant_a, roles=["admin"])
    client = Client(HTTP_HOST=tenant_a.host)
    assert client.post("/login/", {"email": staff.email, "password": PASSWORD}).status_code == 302
    assert client.get("/billing/").status_code == 404
    assert client.post("/billing/checkout/", {"plan": "team"}).status_code == 404
    assert client.post("/billing/portal/").status_code == 404
    assert b'href="/billing/"' not in client.get("/").content


def test_an_owner_of_tenant_a_cannot_open_billing_on_tenant_b(billing_on, tenant_a, tenant_b):
    client = signed_in(tenant_a)
    response = client.get("/billing/", HTTP_HOST=tenant_b.host)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_past_due_and_trial_end_banners(billing_on, tenant_a):
    from datetime import timedelta

    from django.utils import timezone
    from django_tenants.utils import schema_context

    from billing.models import Subscription
    from tenants.middleware import tenant_host_cache_clear

    with schema_context("public"):
        Subscription.objects.filter(tenant__schema_name=tenant_a.slug).update(trial_ends_at=timezone.now() + timedelta(days=2, hours=1))
    client = signed_in(tenant_a)
    assert b'data-kind="trial"' in client.get("/").content
    assert b"Your trial ends in 2 days." in client.get("/").content
    sub = checkout(tenant_a, billing_on)
    billing_on.fail_payment(sub["id"])
    tenant_host_cache_clear()
    assert b'data-kind="past_due"' in client.get("/").content


def test_operators_edit_plans_in_the_public_sites_admin_and_tenant_hosts_have_none(db, tenant_a):
    from django_tenants.utils import schema_context

    from accounts.models import User

    with schema_context("public"):
        operator = User.objects.create_superuser(email="operator@crm.test", password=PASSWORD, full_name="Operator")
    client = Client(HTTP_HOST="localhost")
    assert client.get("/operator/admin/").status_code == 302
    client.force_login(operator)
    plans = client.get("/operator/admin/billing/plan/")
    assert plans.status_code == 200
    assert b"Business" in plans.content and b"Team" in plans.content
    assert Client(HTTP_HOST=tenant_a.host).get("/operator/admin/").status_code == 404
