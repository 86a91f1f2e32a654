"""Calls to Stripe: checkout, the customer portal, seat sync and the plan catalogue.

None of them runs inside a database transaction: they are made before the transaction that
records their result (checkout, portal) or from a task that works through `StripeCommand`
rows written by the transaction that decided them (seats). Each carries an idempotency key.
"""
from __future__ import annotations

import logging
import uuid
from datetime import timedelta

import stripe
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from apps.api.errors import DomainError
from billing.models import Plan, StripeCommand, Subscription
from billing.services.lifecycle import subscription_apply_remote, subscription_for, subscription_for_schema
from billing.stripe_api import as_dict, billing_enabled, client, options
from tenants.models import Tenant

logger = logging.getLogger(__name__)


class BillingUnavailable(DomainError):
    code = "billing_unavailable"
    status_code = 503


class BillingInvalid(DomainError):
    code = "validation_error"



def _require_billing() -> None:
    if not billing_enabled():
        raise BillingInvalid(_("Billing is not configured on this installation (free mode)."), code="billing_disabled")


def _customer_ensure(subscription: Subscription, *, email: str) -> str:
    if subscription.stripe_customer_id:
        return subscription.stripe_customer_id
    tenant = subscription.tenant
    customer = client().v1.customers.create(
        params={"email": email, "name": tenant.name, "metadata": {"tenant_id": str(tenant.pk), "slug": tenant.schema_name}},
        options=options(f"customer:{tenant.pk}"),
    )
    # Another click may have stored a customer meanwhile: the key above made it the same one.
    Subscription.objects.filter(pk=subscription.pk, stripe_customer_id="").update(stripe_customer_id=customer.id)
    subscription.stripe_customer_id = customer.id
    return customer.id


def checkout_session_create(*, tenant: Tenant, plan_code: str, interval: str, email: str, base_url: str) -> str:
    """Start Stripe Checkout for a plan; returns the page to send the owner to."""
    _require_billing()
    plan = Plan.objects.filter(code=plan_code, is_public=True, is_trial=False).first()
    if plan is None:
        raise BillingInvalid(_("Choose a plan."), fields={"plan": [_("Unknown plan.")]})
    price = plan.stripe_price_yearly_id if interval == Subscription.Interval.YEAR else plan.stripe_price_monthly_id
    if not price:
        raise BillingInvalid(_("This plan is not on sale yet. Try again later."), code="plan_not_synced")
    subscription = subscription_for(tenant)
    if subscription.stripe_subscription_id and subscription.status not in {Subscription.Status.CANCELED, Subscription.Status.INCOMPLETE_EXPIRED}:
        raise BillingInvalid(_("You already have a subscription: change it in the billing portal."), code="already_subscribed")
    seats = _seats_used(tenant)
    try:
        customer = _customer_ensure(subscription, email=email)
        session = client().v1.checkout.sessions.create(
            params={
                "mode": "subscription",
                "customer": customer,
                "client_reference_id": str(tenant.pk),
                "line_items": [{"price": price, "quantity": seats}],
                "success_url": f"{base_url}/billing/?checkout=success&session_id={{CHECKOUT_SESSION_ID}}",
                "cancel_url": f"{base_url}/billing/?checkout=canceled",
                "metadata": {"tenant_id": str(tenant.pk)},
                "subscription_data": {"metadata": {"tenant_id": str(tenant.pk)}},
            },
            options=options(f"checkout:{tenant.pk}:{uuid.uuid4()}"),
        )
    except stripe.StripeError as exc:
        logger.warning("stripe checkout failed tenant=%s error=%s", tenant.pk, type(exc).__name__)
        raise BillingUnavailable(_("The payment service did not answer. Try again in a minute.")) from exc
    return session.url


def portal_session_create(*, tenant: Tenant, base_url: str) -> str:
    """A Stripe Customer Portal page for card, plan and cancellation."""
    _require_billing()
    subscription = subscription_for(tenant)
    if not subscription.stripe_customer_id:
        raise BillingInvalid(_("Subscribe to a plan first."), code="no_customer")
    try:
        session = client().v1.billing_portal.sessions.create(
            params={"customer": subscription.stripe_customer_id, "return_url": f"{base_url}/billing/"},
            options=options(f"portal:{tenant.pk}:{uuid.uuid4()}"),
        )
    except stripe.StripeError as exc:
        logger.warning("stripe portal failed tenant=%s error=%s", tenant.pk, type(exc).__name__)
        raise BillingUnavailable(_("The payment service did not answer. Try again in a minute.")) from exc
    return session.url


# ------------------------------------------------------------------------------
# Seats
# ------------------------------------------------------------------------------
def seats_sync_request() -> None:
    """Record, in the caller's transaction, that the tenant's seat count must reach Stripe."""
    from billing.tasks import stripe_commands_run
    from tenants.dispatch import enqueue_on_commit

    schema_name = getattr(connection, "schema_name", "public")
    if not billing_enabled() or schema_name == "public":
        return
    subscription = subscription_for_schema(schema_name)
    if not subscription.stripe_subscription_id:
        return  # nothing billed per seat yet; checkout sends the count it finds
    StripeCommand.objects.create(tenant_id=subscription.tenant_id, kind=StripeCommand.Kind.SEATS_SYNC)
    enqueue_on_commit(stripe_commands_run, subscription.tenant_id)


def _seats_used(tenant: Tenant) -> int:
    """Seats billed: the active users, at least one."""
    from billing.selectors import seats_used

    return max(1, seats_used(tenant))


def _seats_sync(command: StripeCommand) -> dict:
    subscription = subscription_for(command.tenant)
    if not subscription.stripe_subscription_id or subscription.status in {Subscription.Status.CANCELED, Subscription.Status.INCOMPLETE_EXPIRED}:
        return {"skipped": "no live subscription"}
    seats = _seats_used(command.tenant)
    if seats == subscription.quantity:
        return {"quantity": seats, "unchanged": True}
    remote = client().v1.subscriptions.update(
        subscription.stripe_subscription_id,
        params={"items": [{"id": subscription.stripe_item_id, "quantity": seats}], "proration_behavior": "create_prorations"},
        options=options(f"seats:{command.pk}:{seats}"),
    )
    subscription_apply_remote(subscription=subscription, remote=as_dict(remote))
    return {"quantity": seats}


_RUNNERS = {StripeCommand.Kind.SEATS_SYNC: _seats_sync}


def stripe_commands_run(*, tenant_id: int | None = None, now=None) -> int:
    """Run due commands (one tenant's, or every tenant's); failures wait and are retried.

    Only the newest pending command of a kind runs per tenant: it acts on the current state,
    so older ones are superseded. A per-tenant advisory lock keeps two workers from racing.
    """
    now = now or timezone.now()
    with schema_context("public"):
        due = StripeCommand.objects.filter(status=StripeCommand.Status.PENDING, next_attempt_at__lte=now)
        if tenant_id is not None:
            due = due.filter(tenant_id=tenant_id)
        tenant_ids = sorted(set(due.values_list("tenant_id", flat=True)))
        done = 0
        for tid in tenant_ids:
            done += _tenant_commands_run(tid, now)
        return done


def _tenant_commands_run(tenant_id: int, now) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(hashtext('billing.commands'), %s)", [tenant_id])
        if not cursor.fetchone()[0]:
            return 0
    try:
        done = 0
        for kind, runner in _RUNNERS.items():
            pending = list(
                StripeCommand.objects.select_related("tenant").filter(tenant_id=tenant_id, kind=kind, status=StripeCommand.Status.PENDING).order_by("-created_at")
            )
            if not pending:
                continue
            newest = pending[0]
            if newest.next_attempt_at > now:
                continue
            try:
                result = runner(newest)
            except stripe.StripeError as exc:
                attempts = newest.attempts + 1
                StripeCommand.objects.filter(pk=newest.pk).update(
                    attempts=attempts,
                    last_error=type(exc).__name__,
                    next_attempt_at=now + timedelta(seconds=min(3600, 30 * 2 ** min(attempts, 7))),
                )
                logger.warning("stripe command failed kind=%s tenant=%s attempts=%s error=%s", kind, tenant_id, attempts, type(exc).__name__)
                continue
            with transaction.atomic():
                StripeCommand.objects.filter(pk=newest.pk).update(status=StripeCommand.Status.DONE, done_at=timezone.now(), result=result, attempts=newest.attempts + 1)
                StripeCommand.objects.filter(pk__in=[c.pk for c in pending[1:]]).update(status=StripeCommand.Status.SUPERSEDED, done_at=timezone.now())
            done += 1
        return done
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(hashtext('billing.commands'), %s)", [tenant_id])


# ------------------------------------------------------------------------------
# The plan catalogue
# ------------------------------------------------------------------------------
def plans_stripe_sync() -> list[str]:
    """Create or update a Stripe product per paid plan and a price per interval. Safe to re-run:
    products have our own ids, prices are found by lookup key (amount in the key, since Stripe
    prices never change; a new amount makes a new price and retires the old one)."""
    _require_billing()
    api = client()
    report = []
    for plan in Plan.objects.filter(is_trial=False):
        product_id = plan.stripe_product_id or f"crm_plan_{plan.code}"
        params = {"name": plan.name, "metadata": {"plan": plan.code}}
        try:
            api.v1.products.retrieve(product_id)
            api.v1.products.update(product_id, params=params)
            report.append(f"product {product_id} updated")
        except stripe.InvalidRequestError as exc:
            if getattr(exc, "code", "") != "resource_missing":
                raise
            api.v1.products.create(params={"id": product_id, **params}, options=options(f"product:{product_id}"))
            report.append(f"product {product_id} created")
        ids = {}
        for interval, amount in (("month", plan.price_monthly), ("year", plan.price_yearly)):
            if not amount:
                ids[interval] = ""
                continue
            key = f"{plan.code}_{interval}_{amount}_{plan.currency}"
            found = api.v1.prices.list(params={"lookup_keys": [key], "active": True}).data
            if found:
                ids[interval] = found[0].id
                continue
            price = api.v1.prices.create(
                params={
                    "product": product_id,
                    "unit_amount": amount,
                    "currency": plan.currency,
                    "recurring": {"interval": interval},
                    "lookup_key": key,
                    "nickname": f"{plan.name} ({interval})",
                    "metadata": {"plan": plan.code, "interval": interval},
                },
                options=options(f"price:{key}"),
            )
            old = plan.stripe_price_monthly_id if interval == "month" else plan.stripe_price_yearly_id
            if old and old != price.id:
                api.v1.prices.update(old, params={"active": False})
            ids[interval] = price.id
            report.append(f"price {key} created")
        Plan.objects.filter(pk=plan.pk).update(
            stripe_product_id=product_id, stripe_price_monthly_id=ids["month"], stripe_price_yearly_id=ids["year"]
        )
    return report
