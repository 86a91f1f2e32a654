"""In a real browser, with the fake Stripe standing in for Stripe's pages: a new company on its
trial subscribes through Checkout, a payment fails (past due), the subscription goes unpaid
(read-only: writes refused, data readable), and the owner pays again in the portal."""
import re

import pytest
from django.test import override_settings
from django_tenants.utils import schema_context

from tests.billing.conftest import WEBHOOK_SECRET, fake_stripe  # noqa: F401 (fixture)
from tests.browser.conftest import url
from tests.conftest import PASSWORD, unique_slug

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


def _stripe_settings(fake):
    return override_settings(
        STRIPE_SECRET_KEY="sk_test_fake", STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET, STRIPE_API_BASE=fake.base_url, STRIPE_MAX_NETWORK_RETRIES=1
    )


@pytest.fixture(scope="session")
def _plans_on_fake_stripe(fake_stripe, _session_tenants, django_db_blocker):  # noqa: F811
    """The plans put on the fake and committed (before any test transaction), so the live
    server's thread sees their price ids."""
    from billing.services import plans_stripe_sync

    with _stripe_settings(fake_stripe), django_db_blocker.unblock(), schema_context("public"):
        plans_stripe_sync()
    return fake_stripe


@pytest.fixture
def stripe_live(_plans_on_fake_stripe):
    """Billing switched on for this test only (the live server shares the settings)."""
    fake = _plans_on_fake_stripe
    with _stripe_settings(fake):
        yield fake
    fake.webhook_url = None


def _status(slug):
    from tenants.models import Tenant

    with schema_context("public"):
        return Tenant.objects.get(schema_name=slug).status


def test_trial_checkout_past_due_read_only_and_paid_again_in_the_browser(live_server_url, page, stripe_live):
    server, fake = live_server_url, stripe_live
    fake.webhook_url = url(server, "localhost", "/billing/stripe/webhook/")
    slug = unique_slug("billing")

    page.goto(url(server, "localhost", "/signup/"))
    page.fill("#id_company", "Billing Windows")
    page.fill("#id_slug", slug)
    page.fill("#id_full_name", "Olena Owner")
    page.fill("#id_email", f"olena@{slug}.test")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(rf"http://{slug}\.localhost:\d+/$"))

    page.click("nav >> text=Billing")
    assert page.locator("[data-testid=plan-name]").inner_text() == "Trial"
    page.select_option("[data-testid=plan-team] select[name=interval]", "month")
    page.click("[data-testid=subscribe-team]")

    page.wait_for_url(re.compile(r"127\.0\.0\.1:\d+/pay/cs_"))
    assert "Fake Stripe Checkout" in page.content()
    page.click("text=Pay")
    page.wait_for_url(re.compile(rf"{slug}\.localhost:\d+/billing/\?checkout=success"))
    assert page.locator("[data-testid=plan-name]").inner_text() == "Team"
    assert page.locator("[data-testid=subscription-status]").inner_text() == "Active"
    assert page.locator("[data-testid=invoices] .badge.ok").count() == 1
    assert _status(slug) == "active"
    sub_id = next(s["id"] for s in fake.subscriptions.values() if s["metadata"].get("tenant_id") and _tenant_id(slug) == int(s["metadata"]["tenant_id"]))

    fake.fail_payment(sub_id)
    page.goto(url(server, f"{slug}.localhost", "/"))
    assert page.locator("[data-testid=billing-banner]").get_attribute("data-kind") == "past_due"

    fake.mark_unpaid(sub_id)
    page.goto(url(server, f"{slug}.localhost", "/settings/team/"))
    assert page.locator("[data-testid=billing-banner]").get_attribute("data-kind") == "read_only"
    page.fill("#id_email", f"colleague@{slug}.test")
    page.click("text=Send invitation")
    page.wait_for_selector("[data-testid=read-only]")
    assert _status(slug) == "read_only"

    page.goto(url(server, f"{slug}.localhost", "/billing/"))
    page.click("[data-testid=portal]")
    page.wait_for_url(re.compile(r"127\.0\.0\.1:\d+/portal/"))
    page.click("text=Pay now")
    page.wait_for_url(re.compile(rf"{slug}\.localhost:\d+/billing/$"))
    assert page.locator("[data-testid=subscription-status]").inner_text() == "Active"
    assert page.locator("[data-testid=billing-banner]").count() == 0
    assert _status(slug) == "active"

    page.goto(url(server, f"{slug}.localhost", "/settings/team/"))
    page.fill("#id_email", f"colleague@{slug}.test")
    page.click("text=Send invitation")
    page.wait_for_selector("text=Invitation sent")


def _tenant_id(slug):
    from tenants.models import Tenant

    with schema_context("public"):
        return Tenant.objects.get(schema_name=slug).pk
