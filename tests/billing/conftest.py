"""Billing fixtures: the real `stripe` client pointed at a local fake Stripe (tests/billing/fake_stripe.py).

`billing_on` switches billing on for one test (keys, API base), puts the plans on the fake with
the real sync service, and delivers the fake's webhooks through Django's test client on the
public host, signed exactly as Stripe signs them, so they run in the test's transaction.
"""
from __future__ import annotations

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from tests.billing.fake_stripe import FakeStripe

WEBHOOK_SECRET = "whsec_test_secret"


@pytest.fixture(scope="session")
def fake_stripe():
    fake = FakeStripe(webhook_secret=WEBHOOK_SECRET).start()
    yield fake
    fake.stop()


class Deliverer:
    """Posts signed event bodies to the webhook endpoint and keeps the answers."""

    def __init__(self):
        self.client = Client(HTTP_HOST="localhost")
        self.answers: list[tuple[int, str]] = []

    def __call__(self, body: bytes, headers: dict) -> int:
        response = self.post(body, headers["Stripe-Signature"])
        return response.status_code

    def post(self, body: bytes, signature: str):
        response = self.client.post("/billing/stripe/webhook/", data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature)
        self.answers.append((response.status_code, response.content.decode()[:200]))
        return response


@pytest.fixture
def billing_on(settings, fake_stripe, db, monkeypatch):
    from billing.services import plans_stripe_sync

    settings.STRIPE_SECRET_KEY = "sk_test_fake"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = fake_stripe.base_url
    settings.STRIPE_MAX_NETWORK_RETRIES = 1
    with schema_context("public"):
        plans_stripe_sync()
    deliverer = Deliverer()
    monkeypatch.setattr(fake_stripe, "transport", deliverer)
    fake_stripe.deliverer = deliverer
    fake_stripe.fail_next(0)
    return fake_stripe


def subscription_of(handle):
    from billing.models import Subscription

    with schema_context("public"):
        return Subscription.objects.select_related("plan", "tenant").get(tenant__schema_name=handle.slug)


def tenant_status(handle) -> str:
    from tenants.models import Tenant

    with schema_context("public"):
        return Tenant.objects.get(schema_name=handle.slug).status


def checkout(handle, fake, *, plan: str = "team", interval: str = "month", send: bool = True) -> dict:
    """Start checkout through the service, pay on the fake; returns the fake's subscription."""
    from billing.services import checkout_session_create
    from tenants.models import Tenant

    with schema_context("public"):
        tenant = Tenant.objects.get(schema_name=handle.slug)
        url = checkout_session_create(tenant=tenant, plan_code=plan, interval=interval, email=handle.owner_email, base_url=f"http://{handle.host}")
    session_id = url.rstrip("/").rsplit("/", 1)[-1]
    events = fake.complete_checkout(session_id, send=send)
    sub_id = fake.checkout_sessions[session_id]["subscription"]
    fake.last_checkout_events = events
    return fake.subscriptions[sub_id]
