"""Stripe webhooks: verify, store once, converge on Stripe's current state.

Stripe delivers at least once and in no particular order. So:
- the signature is checked on the raw body (stripe.Webhook, with its timestamp tolerance);
- every event is stored once by its id; one already processed is acknowledged and ignored;
- a handler never applies the event's snapshot: it fetches the subscription (or invoice) as it
  is now and makes our copy equal to it, so any order of delivery ends in the same state;
- fetches happen outside any transaction, under a per-subscription advisory lock so that two
  deliveries cannot apply their fetches in the wrong order; the apply and the "processed" mark
  are one transaction, and a failure leaves the event unprocessed for Stripe's retry.
"""
from __future__ import annotations

import json
import logging
from contextlib import contextmanager

import stripe
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.api.errors import DomainError
from billing.models import Invoice, StripeEvent, Subscription
from billing.services.lifecycle import subscription_apply_remote
from billing.stripe_api import as_dict, client, timestamp

logger = logging.getLogger(__name__)

SUBSCRIPTION_EVENTS = {
    "checkout.session.completed",
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "customer.subscription.paused",
    "customer.subscription.resumed",
    "customer.subscription.trial_will_end",
    "invoice.paid",
    "invoice.payment_failed",
    "invoice.payment_succeeded",
}


class SignatureInvalid(DomainError):
    code = "signature_invalid"
    status_code = 400



def webhook_event_verify(*, payload: bytes, signature: str) -> dict:
    """The event the body carries, if Stripe signed it with our secret within the tolerance."""
    secret = settings.STRIPE_WEBHOOK_SECRET
    if not secret:
        raise SignatureInvalid("Webhooks are not configured (no STRIPE_WEBHOOK_SECRET).", code="webhooks_disabled")
    try:
        stripe.Webhook.construct_event(payload, signature, secret, tolerance=settings.STRIPE_WEBHOOK_TOLERANCE)
        # The verified body itself, as plain JSON (the client's objects carry Decimals).
        event = json.loads(payload)
    except stripe.SignatureVerificationError as exc:
        raise SignatureInvalid("The Stripe-Signature header does not match the body, or it is too old.") from exc
    except ValueError as exc:
        raise SignatureInvalid("The body is not a Stripe event.", code="payload_invalid") from exc
    if not isinstance(event, dict):
        raise SignatureInvalid("The body is not a Stripe event.", code="payload_invalid")
    return event


def webhook_event_store(event: dict) -> tuple[StripeEvent, bool]:
    """Store the event once by id. Returns (row, already_processed)."""
    try:
        with transaction.atomic():
            row = StripeEvent.objects.create(
                event_id=event["id"],
                type=event.get("type", ""),
                created=timestamp(event.get("created")) or timezone.now(),
                payload=event,
            )
        return row, False
    except IntegrityError:
        row = StripeEvent.objects.get(event_id=event["id"])
        return row, row.processed_at is not None


def _subscription_id_of(event: dict) -> str:
    obj = (event.get("data") or {}).get("object") or {}
    kind = obj.get("object")
    if kind == "subscription":
        return obj.get("id", "")
    if kind == "checkout.session":
        return obj.get("subscription") or ""
    if kind == "invoice":
        parent = (obj.get("parent") or {}).get("subscription_details") or {}
        return obj.get("subscription") or parent.get("subscription") or ""
    return ""


def _subscription_local(event: dict, remote: dict | None) -> Subscription | None:
    obj = (event.get("data") or {}).get("object") or {}
    customer = (remote or {}).get("customer") or obj.get("customer") or ""
    found = Subscription.objects.select_related("tenant").filter(stripe_customer_id=customer).first() if customer else None
    if found:
        return found
    tenant_id = ((remote or {}).get("metadata") or {}).get("tenant_id") or (obj.get("metadata") or {}).get("tenant_id") or obj.get("client_reference_id")
    if tenant_id and str(tenant_id).isdigit():
        return Subscription.objects.select_related("tenant").filter(tenant_id=int(tenant_id)).first()
    return None


@contextmanager
def _advisory_lock(key: str):
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(hashtext(%s))", [f"billing.sub:{key}"])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(hashtext(%s))", [f"billing.sub:{key}"])


def webhook_event_process(row: StripeEvent) -> str:
    """Apply one stored event. Raises on failure (the caller answers 5xx; Stripe retries)."""
    event = row.payload
    StripeEvent.objects.filter(pk=row.pk).update(attempts=row.attempts + 1)
    if event.get("type") not in SUBSCRIPTION_EVENTS:
        return _mark(row, None, "ignored: type not handled")
    sub_id = _subscription_id_of(event)
    if not sub_id:
        return _mark(row, None, "ignored: no subscription")
    with _advisory_lock(sub_id):
        # Fetched now, outside any transaction: Stripe's current state, whatever the order of events.
        remote = as_dict(client().v1.subscriptions.retrieve(sub_id))
        invoice = None
        obj = (event.get("data") or {}).get("object") or {}
        if obj.get("object") == "invoice" and obj.get("id"):
            invoice = as_dict(client().v1.invoices.retrieve(obj["id"]))
        with transaction.atomic():
            locked = StripeEvent.objects.select_for_update().get(pk=row.pk)
            if locked.processed_at is not None:
                return "duplicate"
            subscription = _subscription_local(event, remote)
            if subscription is None:
                return _mark(row, None, "ignored: unknown customer")
            subscription = subscription_apply_remote(subscription=subscription, remote=remote)
            if invoice:
                _invoice_upsert(subscription, invoice)
            _notify_owners(subscription, event)
            return _mark(row, subscription.tenant, f"applied: {subscription.status}")


def _mark(row: StripeEvent, tenant, outcome: str) -> str:
    StripeEvent.objects.filter(pk=row.pk, processed_at__isnull=True).update(processed_at=timezone.now(), tenant=tenant, outcome=outcome[:200])
    return outcome


def _invoice_upsert(subscription: Subscription, remote: dict) -> None:
    paid_at = (remote.get("status_transitions") or {}).get("paid_at")
    Invoice.objects.update_or_create(
        stripe_invoice_id=remote["id"],
        defaults={
            "subscription": subscription,
            "number": remote.get("number") or "",
            "status": remote.get("status") or "",
            "currency": remote.get("currency") or "",
            "amount_due": remote.get("amount_due") or 0,
            "amount_paid": remote.get("amount_paid") or 0,
            "hosted_invoice_url": remote.get("hosted_invoice_url") or "",
            "invoice_pdf": remote.get("invoice_pdf") or "",
            "created": timestamp(remote.get("created")) or timezone.now(),
            "paid_at": timestamp(paid_at),
        },
    )


_OWNER_MESSAGES = {
    "invoice.payment_failed": "billing.payment_failed",
    "customer.subscription.trial_will_end": "billing.trial_will_end",
    "customer.subscription.deleted": "billing.subscription_canceled",
}


def _notify_owners(subscription: Subscription, event: dict) -> None:
    """Tell the company's owners about events that need them; once per event (dedupe key)."""
    kind = _OWNER_MESSAGES.get(event.get("type"))
    if not kind:
        return
    from billing.notices import owners_notify

    with schema_context(subscription.tenant.schema_name):
        owners_notify(kind=kind, dedupe=event["id"])


def webhook_receive(*, payload: bytes, signature: str) -> str:
    """The whole webhook: verify, store once, process. Returns what happened."""
    event = webhook_event_verify(payload=payload, signature=signature)
    if not isinstance(event.get("id"), str):
        raise SignatureInvalid("The body is not a Stripe event.", code="payload_invalid")
    row, processed = webhook_event_store(event)
    if processed:
        return "duplicate"
    try:
        return webhook_event_process(row)
    except Exception:
        logger.exception("stripe event failed event=%s type=%s", row.event_id, row.type)
        raise
    finally:
        connection.set_schema_to_public()

