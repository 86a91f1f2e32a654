"""Trial -> paid -> past due -> read-only -> paid again, through webhooks, with no data lost."""
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from tests.billing.conftest import checkout, subscription_of, tenant_status
from tests.conftest import api_client
from tests.web.test_pages import signed_in


@pytest.fixture
def deal_api(tenant_a, owner_of, token_for, window_pipeline):
    owner = owner_of(tenant_a)
    client = api_client(tenant_a.host, token_for(tenant_a, owner))
    return client, window_pipeline


def _create_deal(client, pipeline, title):
    return client.post("/api/v1/deals/", {"pipeline": pipeline.pk, "title": title, "client_phone": "+380671112233"}, format="json")


def test_a_new_company_starts_on_a_fourteen_day_trial_without_a_card(billing_on, tenant_a):
    subscription = subscription_of(tenant_a)
    assert subscription.plan.code == "trial"
    assert subscription.status == "trialing"
    assert subscription.stripe_customer_id == ""
    assert timedelta(days=13) < subscription.trial_ends_at - subscription.created_at <= timedelta(days=14, seconds=5)
    assert tenant_status(tenant_a) == "trial"


def test_trial_paid_past_due_read_only_and_paid_again(billing_on, tenant_a, deal_api):
    client, pipeline = deal_api
    assert _create_deal(client, pipeline, "Windows for the school").status_code == 201

    sub = checkout(tenant_a, billing_on, plan="team")
    assert tenant_status(tenant_a) == "active"
    subscription = subscription_of(tenant_a)
    assert (subscription.plan.code, subscription.status, subscription.stripe_subscription_id) == ("team", "active", sub["id"])
    assert subscription.invoices.filter(status="paid").count() == 1

    billing_on.fail_payment(sub["id"])
    assert tenant_status(tenant_a) == "past_due"
    assert _create_deal(client, pipeline, "Still allowed in the grace period").status_code == 201

    billing_on.mark_unpaid(sub["id"])
    assert tenant_status(tenant_a) == "read_only"
    refused = _create_deal(client, pipeline, "Refused while unpaid")
    assert refused.status_code == 402
    assert refused.json()["code"] == "read_only"
    assert refused.json()["upgrade_url"] == "/billing/"
    listed = client.get("/api/v1/deals/")
    assert listed.status_code == 200
    assert {d["title"] for d in listed.json()["results"]} == {"Windows for the school", "Still allowed in the grace period"}

    billing_on.pay(sub["id"])
    assert tenant_status(tenant_a) == "active"
    assert _create_deal(client, pipeline, "Paid again").status_code == 201
    assert client.get("/api/v1/deals/").json()["count"] == 3
    assert subscription_of(tenant_a).read_only_since is None


def test_a_canceled_subscription_makes_the_company_read_only_and_a_new_checkout_restores_it(billing_on, tenant_a):
    sub = checkout(tenant_a, billing_on, plan="start")
    billing_on.cancel(sub["id"])
    assert tenant_status(tenant_a) == "read_only"
    checkout(tenant_a, billing_on, plan="business", interval="year")
    subscription = subscription_of(tenant_a)
    assert (tenant_status(tenant_a), subscription.plan.code, subscription.interval) == ("active", "business", "year")
    # A late event about the old, canceled subscription does not undo the new one.
    billing_on.send([billing_on.event("customer.subscription.deleted", billing_on.subscriptions[sub["id"]])])
    assert billing_on.deliverer.answers[-1][0] == 200
    assert (tenant_status(tenant_a), subscription_of(tenant_a).stripe_subscription_id) == ("active", subscription.stripe_subscription_id)


def test_trial_end_grace_end_and_long_unpaid_are_enforced_by_the_periodic_task(billing_on, tenant_a, tenant_b):
    from billing.models import Subscription
    from billing.services import billing_enforce

    with schema_context("public"):
        Subscription.objects.filter(tenant__schema_name=tenant_a.slug).update(trial_ends_at=timezone.now() - timedelta(minutes=1))
    assert billing_enforce() == {"trial_ended": 1, "grace_over": 0, "suspended": 0}
    assert (tenant_status(tenant_a), tenant_status(tenant_b)) == ("read_only", "trial")

    sub_b = checkout(tenant_b, billing_on)
    billing_on.fail_payment(sub_b["id"])
    assert billing_enforce()["grace_over"] == 0
    later = timezone.now() + timedelta(days=8)
    assert billing_enforce(now=later)["grace_over"] == 1
    assert tenant_status(tenant_b) == "read_only"

    assert billing_enforce(now=later + timedelta(days=61))["suspended"] == 2
    assert (tenant_status(tenant_a), tenant_status(tenant_b)) == ("suspended", "suspended")
    # Paying again lifts a suspension that billing made.
    billing_on.pay(sub_b["id"])
    assert tenant_status(tenant_b) == "active"


def test_an_operators_suspension_is_not_lifted_by_a_payment(billing_on, tenant_a):
    from tenants.models import Tenant
    from tenants.services import tenant_status_set

    sub = checkout(tenant_a, billing_on)
    with schema_context("public"):
        tenant_status_set(tenant=Tenant.objects.get(schema_name=tenant_a.slug), status="suspended", reason="fraud check")
    billing_on.pay(sub["id"])
    assert tenant_status(tenant_a) == "suspended"


def test_trial_will_end_and_payment_failure_notify_the_owners_once(billing_on, tenant_a, make_user):
    from apps.notifications.models import Notification

    second_owner = make_user(tenant_a, roles=["owner"])
    sub = checkout(tenant_a, billing_on)
    events = billing_on.trial_will_end(sub["id"]) + billing_on.fail_payment(sub["id"])
    billing_on.send(events)  # Stripe delivers them again
    with schema_context(tenant_a.slug):
        titles = sorted(Notification.objects.filter(kind="billing").values_list("recipient_id", "title"))
    owner_ids = sorted({recipient for recipient, _title in titles})
    assert len(owner_ids) == 2 and second_owner.pk in owner_ids
    assert len(titles) == 4  # two kinds of notice, two owners, each once


def test_without_stripe_keys_billing_is_in_free_mode(tenant_a, settings):
    from billing.services import billing_enforce, plan_limit_check
    from billing.models import Subscription

    settings.STRIPE_SECRET_KEY = ""
    with schema_context("public"):
        Subscription.objects.filter(tenant__schema_name=tenant_a.slug).update(trial_ends_at=timezone.now() - timedelta(days=30))
    assert billing_enforce() == {}
    assert tenant_status(tenant_a) == "trial"
    with schema_context(tenant_a.slug):
        plan_limit_check("seats", used=10_000)  # no limits in free mode: does not raise
    page = signed_in(tenant_a).get("/billing/")
    assert page.status_code == 200
    assert b'data-testid="free-mode"' in page.content
