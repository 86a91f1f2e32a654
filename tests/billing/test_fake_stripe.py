"""Smoke tests for the fake Stripe server, driven by the real `stripe` client. No database needed."""
from __future__ import annotations

import http.client
import json
import threading
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import stripe

from tests.billing.fake_stripe import FakeStripe, parse_form


@pytest.fixture
def fake():
    with FakeStripe(webhook_secret="whsec_test") as f:
        yield f


@pytest.fixture
def delivered(fake):
    """Replace the transport: collect (body, headers) instead of POSTing anywhere."""
    got = []

    def transport(body, headers):
        got.append((body, headers))
        return 200

    fake.transport = transport
    return got


def client(fake, retries=0):
    return stripe.StripeClient("sk_test_fake", base_addresses={"api": fake.base_url, "connect": fake.base_url,
                                                                "files": fake.base_url, "meter_events": fake.base_url},
                               max_network_retries=retries)


def raw(fake, method, path):
    """One request without following redirects."""
    conn = http.client.HTTPConnection(urllib.parse.urlsplit(fake.base_url).netloc, timeout=10)
    conn.request(method, path, body=b"" if method == "POST" else None,
                 headers={"Content-Type": "application/x-www-form-urlencoded"} if method == "POST" else {})
    response = conn.getresponse()
    body = response.read().decode()
    conn.close()
    return response.status, response.headers, body


def subscribe(fake, sc, quantity=1, interval="month"):
    """Customer + product + price + checkout paid on the hosted page; returns (session, subscription id)."""
    customer = sc.v1.customers.create(params={"email": "owner@a.test", "metadata": {"tenant": "a"}})
    if "crm_pro" not in fake.products:
        sc.v1.products.create(params={"id": "crm_pro", "name": "CRM Pro"})
    price = sc.v1.prices.create(params={"product": "crm_pro", "unit_amount": 1900, "currency": "EUR",
                                        "recurring": {"interval": interval}, "nickname": "Pro monthly",
                                        "lookup_key": f"crm_pro_{interval}", "transfer_lookup_key": True})
    session = sc.v1.checkout.sessions.create(params={
        "mode": "subscription", "customer": customer.id, "client_reference_id": "tenant-a",
        "line_items": [{"price": price.id, "quantity": quantity}],
        "success_url": "http://app.test/billing/done?session={CHECKOUT_SESSION_ID}",
        "cancel_url": "http://app.test/billing", "subscription_data": {"metadata": {"tenant": "a"}}})
    status, headers, _ = raw(fake, "POST", f"/pay/{session.id}")
    assert status == 303
    assert headers["Location"] == f"http://app.test/billing/done?session={session.id}"
    return session, fake.checkout_sessions[session.id]["subscription"]


def test_parse_form_nested_brackets():
    assert parse_form("items[0][id]=si_1&items[0][quantity]=3&metadata[tenant]=x&lookup_keys[]=a&lookup_keys[]=b") == {
        "items": [{"id": "si_1", "quantity": "3"}], "metadata": {"tenant": "x"}, "lookup_keys": ["a", "b"]}


def test_catalog_checkout_and_signed_webhooks(fake, delivered):
    sc = client(fake)
    customer = sc.v1.customers.create(params={"email": "owner@a.test", "name": "A", "metadata": {"tenant": "a"}})
    assert customer.id.startswith("cus_") and customer.metadata["tenant"] == "a"
    assert fake.requests[-1]["params"] == {"email": "owner@a.test", "name": "A", "metadata": {"tenant": "a"}}
    assert fake.requests[-1]["idempotency_key"]  # the client sends one on every POST

    product = sc.v1.products.create(params={"id": "crm_pro", "name": "CRM Pro", "metadata": {"plan": "pro"}})
    assert product.id == "crm_pro"
    with pytest.raises(stripe.InvalidRequestError) as exc:
        sc.v1.products.create(params={"id": "crm_pro", "name": "again"})
    assert exc.value.code == "resource_already_exists" and exc.value.http_status == 400
    with pytest.raises(stripe.InvalidRequestError) as exc:
        sc.v1.products.retrieve("prod_nope")
    assert exc.value.code == "resource_missing" and exc.value.http_status == 404

    price = sc.v1.prices.create(params={"product": "crm_pro", "unit_amount": 1900, "currency": "eur",
                                        "recurring": {"interval": "month"}, "lookup_key": "crm_pro_monthly",
                                        "nickname": "Pro monthly"})
    assert price.unit_amount == 1900 and price.recurring.interval == "month"
    listed = sc.v1.prices.list(params={"lookup_keys": ["crm_pro_monthly"], "active": True, "expand": ["data.product"]})
    assert [p.id for p in listed.data] == [price.id]
    assert listed.data[0].product.name == "CRM Pro"
    assert fake.requests[-1]["params"]["lookup_keys"] == ["crm_pro_monthly"]
    assert sc.v1.prices.list(params={"lookup_keys": ["other"]}).data == []

    session = sc.v1.checkout.sessions.create(params={
        "mode": "subscription", "customer": customer.id, "client_reference_id": "tenant-a",
        "line_items": [{"price": price.id, "quantity": 2}], "metadata": {"tenant": "a"},
        "success_url": "http://app.test/done?session={CHECKOUT_SESSION_ID}", "cancel_url": "http://app.test/back",
        "subscription_data": {"metadata": {"tenant": "a"}}})
    assert session.url == f"{fake.base_url}/pay/{session.id}" and session.status == "open"

    status, _, page = raw(fake, "GET", f"/pay/{session.id}")
    assert status == 200 and "<title>Fake Stripe Checkout</title>" in page and "Pay monthly" not in page
    assert "Pro monthly" in page and ">Pay</button>" in page and 'href="http://app.test/back"' in page

    status, headers, _ = raw(fake, "POST", f"/pay/{session.id}")
    assert status == 303 and headers["Location"] == f"http://app.test/done?session={session.id}"

    events = [stripe.Webhook.construct_event(body, h["Stripe-Signature"], "whsec_test") for body, h in delivered]
    assert [e.type for e in events] == ["checkout.session.completed", "customer.subscription.created", "invoice.paid"]
    assert all(h["Content-Type"] == "application/json" for _, h in delivered)
    assert events[0].api_version == stripe.api_version
    sub_id = events[0].data.object.subscription
    assert sub_id.startswith("sub_") and events[0].data.object.payment_status == "paid"
    assert events[1].data.object.metadata["tenant"] == "a"
    assert events[2].data.object.parent.subscription_details.subscription == sub_id
    assert [d[1] for d in fake.deliveries] == [e.type for e in events] and {d[2] for d in fake.deliveries} == {200}

    sub = sc.v1.subscriptions.retrieve(sub_id, params={"expand": ["latest_invoice"]})
    item = sub["items"].data[0]  # `sub.items` is dict.items on a StripeObject
    assert sub.status == "active" and item.quantity == 2 and item.price.id == price.id
    assert item.current_period_end - item.current_period_start == 30 * 86400
    assert sub.latest_invoice.status == "paid" and sub.latest_invoice.amount_paid == 3800

    updated = sc.v1.subscriptions.update(sub_id, params={"items": [{"id": item.id, "quantity": 3}],
                                                         "proration_behavior": "always_invoice"})
    assert updated["items"].data[0].quantity == 3
    assert fake.subscriptions[sub_id]["last_proration_behavior"] == "always_invoice"
    invoices = sc.v1.invoices.list(params={"customer": customer.id, "subscription": sub_id, "limit": 5})
    assert [i.number for i in invoices.data] == ["FAKE-0001"]


def test_idempotent_replay(fake):
    sc = client(fake)
    first = sc.v1.customers.create(params={"email": "x@a.test"}, options={"idempotency_key": "k-1"})
    again = sc.v1.customers.create(params={"email": "x@a.test"}, options={"idempotency_key": "k-1"})
    assert again.id == first.id and len(fake.customers) == 1
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    assert [r["replayed"] for r in fake.requests] == [False, True]
    with pytest.raises(stripe.IdempotencyError):
        sc.v1.customers.create(params={"email": "other@a.test"}, options={"idempotency_key": "k-1"})


def test_retry_after_injected_failure(fake):
    customer = client(fake).v1.customers.create(params={"email": "r@a.test"})
    fake.fail_next(1, status=500)
    with pytest.raises(stripe.APIError):
        client(fake).v1.customers.retrieve(customer.id)

    fake.fail_next(1, status=500)
    start = len(fake.requests)
    created = client(fake, retries=2).v1.customers.create(params={"email": "s@a.test"})
    calls = fake.requests[start:]
    assert [c["status"] for c in calls] == [500, 200]
    assert calls[0]["idempotency_key"] == calls[1]["idempotency_key"]  # the retry reuses the key
    assert list(fake.customers) == [customer.id, created.id]

    fake.fail_next(3)
    fake.fail_next(0)  # cancels pending failures
    assert client(fake).v1.customers.retrieve(customer.id).id == customer.id

    fake.fail_next(1, status=500, should_retry=False)
    with pytest.raises(stripe.APIError):
        client(fake, retries=2).v1.customers.retrieve(customer.id)


def test_lifecycle_control_methods(fake, delivered):
    sc = client(fake)
    _, sub_id = subscribe(fake, sc)
    delivered.clear()

    events = fake.fail_payment(sub_id)
    assert [e["type"] for e in events] == ["invoice.payment_failed", "customer.subscription.updated"]
    invoice = sc.v1.invoices.retrieve(events[0]["data"]["object"]["id"])
    assert invoice.status == "open" and invoice.attempt_count == 1 and invoice.next_payment_attempt
    assert sc.v1.subscriptions.retrieve(sub_id).status == "past_due"
    assert events[1]["data"]["previous_attributes"]["status"] == "active"

    fake.mark_unpaid(sub_id)
    assert fake.subscriptions[sub_id]["status"] == "unpaid"

    events = fake.pay(sub_id)
    assert [e["type"] for e in events] == ["invoice.paid", "customer.subscription.updated"]
    assert events[0]["data"]["object"]["id"] == invoice.id  # the open invoice got paid
    assert sc.v1.invoices.retrieve(invoice.id).status_transitions.paid_at
    assert sc.v1.subscriptions.retrieve(sub_id).status == "active"

    events = fake.cancel(sub_id)
    assert [e["type"] for e in events] == ["customer.subscription.deleted"]
    sub = sc.v1.subscriptions.retrieve(sub_id)
    assert sub.status == "canceled" and sub.canceled_at and sub.ended_at

    # Snapshots are frozen: the invoice.payment_failed payload still shows the invoice as open.
    failed = json.loads(delivered[0][0])
    assert failed["type"] == "invoice.payment_failed" and failed["data"]["object"]["status"] == "open"
    assert [e.type for e in [stripe.Webhook.construct_event(b, h["Stripe-Signature"], "whsec_test")
                             for b, h in delivered]][-1] == "customer.subscription.deleted"

    assert fake.trial_will_end(sub_id, send=False)[0]["type"] == "customer.subscription.trial_will_end"
    assert len(delivered) == 6


def test_portal_pages(fake, delivered):
    sc = client(fake)
    session, sub_id = subscribe(fake, sc)
    portal = sc.v1.billing_portal.sessions.create(params={"customer": session.customer,
                                                          "return_url": "http://app.test/billing"})
    assert portal.object == "billing_portal.session" and portal.url == f"{fake.base_url}/portal/{portal.id}"
    status, _, page = raw(fake, "GET", f"/portal/{portal.id}")
    assert status == 200 and "<title>Fake Stripe Portal</title>" in page and "active" in page
    assert ">Pay now</button>" in page and ">Cancel plan</button>" in page and ">Return</a>" in page

    fake.fail_payment(sub_id)
    status, headers, _ = raw(fake, "POST", f"/portal/{portal.id}/pay")
    assert status == 303 and headers["Location"] == "http://app.test/billing"
    assert fake.subscriptions[sub_id]["status"] == "active"

    delivered.clear()
    status, headers, _ = raw(fake, "POST", f"/portal/{portal.id}/cancel")
    assert status == 303 and fake.subscriptions[sub_id]["status"] == "canceled"
    assert [json.loads(b)["type"] for b, _ in delivered] == ["customer.subscription.deleted"]


def test_legacy_globals_and_unknown_routes(fake, monkeypatch):
    monkeypatch.setattr(stripe, "api_key", "sk_test_fake")
    monkeypatch.setattr(stripe, "api_base", fake.base_url)
    monkeypatch.setattr(stripe, "max_network_retries", 0)
    customer = stripe.Customer.create(email="g@a.test")
    assert stripe.Customer.retrieve(customer.id).email == "g@a.test"
    with pytest.raises(stripe.InvalidRequestError) as exc:
        stripe.Subscription.retrieve("sub_missing")
    assert exc.value.code == "resource_missing"
    with pytest.raises(stripe.InvalidRequestError) as exc:
        stripe.Coupon.retrieve("half")  # a route the fake does not implement
    assert exc.value.http_status == 404


def test_signature_matches_stripe_and_default_transport(fake):
    body = b'{"id": "evt_1", "object": "event"}'
    assert fake.sign(body, timestamp=1700000000) == stripe.WebhookSignature.generate_signature_header(
        body.decode(), "whsec_test", timestamp=1700000000)

    received = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append((self.rfile.read(int(self.headers["Content-Length"])), self.headers["Stripe-Signature"]))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        fake.send([fake.event("customer.subscription.trial_will_end", {"id": "sub_x", "object": "subscription"})])
        assert fake.deliveries[-1][2] is None  # no webhook_url yet: recorded, not sent
        fake.webhook_url = f"http://127.0.0.1:{server.server_address[1]}/stripe/webhook"
        fake.send([fake.event("customer.subscription.trial_will_end", {"id": "sub_x", "object": "subscription"})])
    finally:
        server.shutdown()
        server.server_close()
    assert fake.deliveries[-1][2] == 204 and len(received) == 1
    event = stripe.Webhook.construct_event(received[0][0], received[0][1], "whsec_test")
    assert event.data.object.id == "sub_x"
