"""Stripe webhooks: signatures, exactly-once, any order of delivery, failures retried whole."""
import itertools
import json
import time

import pytest
from django_tenants.utils import schema_context

from tests.billing.conftest import checkout, subscription_of, tenant_status


def _stored_events():
    from billing.models import StripeEvent

    with schema_context("public"):
        return StripeEvent.objects.count()


def test_a_body_with_a_wrong_signature_is_refused_and_nothing_is_stored(billing_on, tenant_a):
    sub = checkout(tenant_a, billing_on, send=False)
    event = billing_on.event("customer.subscription.updated", sub)
    body = json.dumps(event).encode()
    bad = billing_on.deliverer.post(body, billing_on.sign(body, secret="whsec_someone_else"))
    tampered = billing_on.deliverer.post(body.replace(b'"active"', b'"canceled"'), billing_on.sign(body))
    missing = billing_on.deliverer.post(body, "")
    assert [bad.status_code, tampered.status_code, missing.status_code] == [400, 400, 400]
    assert bad.json()["code"] == "signature_invalid"
    assert _stored_events() == 0
    assert tenant_status(tenant_a) == "trial"


def test_a_stale_signature_is_refused_even_when_the_mac_is_right(billing_on, tenant_a):
    sub = checkout(tenant_a, billing_on, send=False)
    body = json.dumps(billing_on.event("customer.subscription.updated", sub)).encode()
    stale = billing_on.deliverer.post(body, billing_on.sign(body, timestamp=int(time.time()) - 600))
    fresh = billing_on.deliverer.post(body, billing_on.sign(body))
    assert stale.status_code == 400
    assert fresh.status_code == 200
    assert tenant_status(tenant_a) == "active"


def test_a_duplicate_event_is_acknowledged_and_applied_once(billing_on, tenant_a, django_capture_on_commit_callbacks):
    from apps.notifications.models import Notification
    from billing.models import StripeEvent

    sub = checkout(tenant_a, billing_on)
    failed = billing_on.fail_payment(sub["id"], send=False)[0]
    body = json.dumps(failed).encode()
    first = billing_on.deliverer.post(body, billing_on.sign(body))
    second = billing_on.deliverer.post(body, billing_on.sign(body))
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.content == b"duplicate"
    with schema_context("public"):
        assert StripeEvent.objects.filter(event_id=failed["id"]).count() == 1
    with schema_context(tenant_a.slug):
        notices = Notification.objects.filter(kind="billing", title="A payment failed")
        assert notices.count() == 1
    assert tenant_status(tenant_a) == "past_due"


def _reset(handle):
    from billing.models import Invoice, StripeEvent, Subscription
    from tenants.models import Tenant

    with schema_context("public"):
        StripeEvent.objects.all().delete()
        Invoice.objects.all().delete()
        Subscription.objects.filter(tenant__schema_name=handle.slug).update(
            status="trialing", stripe_subscription_id="", stripe_item_id="", quantity=1, current_period_end=None,
            past_due_since=None, read_only_since=None,
        )
        Tenant.objects.filter(schema_name=handle.slug).update(status="trial")


def test_every_order_of_a_realistic_event_sequence_ends_in_the_same_state(billing_on, tenant_a):
    from billing.models import Invoice

    sub = checkout(tenant_a, billing_on, send=False)
    created = billing_on.last_checkout_events
    failed = billing_on.fail_payment(sub["id"], send=False)
    paid = billing_on.pay(sub["id"], send=False)
    # checkout completed, subscription created, payment failed, paid again, subscription updated
    sequence = [created[0], created[1], failed[0], paid[0], paid[1]]
    final = billing_on.subscriptions[sub["id"]]
    expected_invoices = {e["data"]["object"]["id"]: billing_on.invoices[e["data"]["object"]["id"]]["status"] for e in sequence if e["data"]["object"]["object"] == "invoice"}

    outcomes = set()
    orders = list(itertools.permutations(sequence))
    for order in orders:
        _reset(tenant_a)
        for event in order:
            body = json.dumps(event).encode()
            assert billing_on.deliverer.post(body, billing_on.sign(body)).status_code == 200
        subscription = subscription_of(tenant_a)
        with schema_context("public"):
            invoices = dict(Invoice.objects.values_list("stripe_invoice_id", "status"))
        outcomes.add((tenant_status(tenant_a), subscription.status, subscription.plan.code, subscription.stripe_subscription_id, subscription.quantity, tuple(sorted(invoices.items()))))
    assert len(orders) == 120
    assert outcomes == {("active", final["status"], "team", sub["id"], 1, tuple(sorted(expected_invoices.items())))}


def test_a_failing_handler_answers_5xx_applies_nothing_and_the_retry_applies_it(billing_on, tenant_a):
    from billing.models import StripeEvent

    sub = checkout(tenant_a, billing_on, send=False)
    event = billing_on.last_checkout_events[1]
    body = json.dumps(event).encode()
    billing_on.fail_next(5, status=500)  # Stripe's API is down: the handler cannot fetch the subscription
    failed = billing_on.deliverer.post(body, billing_on.sign(body))
    assert failed.status_code == 500
    assert failed.json()["code"] == "processing_failed"
    assert tenant_status(tenant_a) == "trial"
    assert subscription_of(tenant_a).stripe_subscription_id == ""
    with schema_context("public"):
        row = StripeEvent.objects.get(event_id=event["id"])
        assert row.processed_at is None

    billing_on.fail_next(0)
    retried = billing_on.deliverer.post(body, billing_on.sign(body))
    assert retried.status_code == 200
    assert tenant_status(tenant_a) == "active"
    assert subscription_of(tenant_a).stripe_subscription_id == sub["id"]


def test_an_event_of_an_unknown_customer_is_acknowledged_and_changes_nothing(billing_on, tenant_a, tenant_b):
    from billing.models import StripeEvent

    customer = billing_on.client().customers.create(params={"email": "stranger@example.test"})
    sub = billing_on._new_subscription(customer.id, [{"price": subscription_of(tenant_a).plan.stripe_price_monthly_id or _team_price(), "quantity": 1}], {})
    body = json.dumps(billing_on.event("customer.subscription.updated", sub)).encode()
    answer = billing_on.deliverer.post(body, billing_on.sign(body))
    assert answer.status_code == 200
    assert (tenant_status(tenant_a), tenant_status(tenant_b)) == ("trial", "trial")
    with schema_context("public"):
        assert StripeEvent.objects.get().outcome == "ignored: unknown customer"


def _team_price():
    from billing.models import Plan

    with schema_context("public"):
        return Plan.objects.get(code="team").stripe_price_monthly_id


def test_events_of_tenant_b_never_touch_tenant_a(billing_on, tenant_a, tenant_b):
    sub_b = checkout(tenant_b, billing_on)
    billing_on.mark_unpaid(sub_b["id"])
    assert tenant_status(tenant_b) == "read_only"
    assert tenant_status(tenant_a) == "trial"
    assert subscription_of(tenant_a).stripe_subscription_id == ""


@pytest.mark.parametrize("method", ["get", "put"])
def test_the_webhook_answers_only_post(billing_on, method):
    response = getattr(billing_on.deliverer.client, method)("/billing/stripe/webhook/")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
