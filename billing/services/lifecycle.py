"""The subscription lifecycle and the tenant status that follows it.

    local trial ──checkout──> active ──payment fails──> past_due (grace, banner)
        │                       ^                          │ grace over / unpaid / canceled
        └── trial over ─────────┼────────────────────> read_only (writes answer 402)
                                └──── paid again ──────────┘   │ long unpaid
                                                              suspended (operators)
"""
from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from billing.models import Plan, Subscription
from billing.stripe_api import billing_enabled, timestamp
from tenants.models import Tenant

logger = logging.getLogger(__name__)

S = Subscription.Status
T = Tenant.Status

# Stripe's subscription status -> the tenant's status. Missing: keep the current one.
_TENANT_STATUS_FOR = {
    S.ACTIVE: T.ACTIVE,
    S.TRIALING: T.ACTIVE,
    S.PAST_DUE: T.PAST_DUE,
    S.UNPAID: T.READ_ONLY,
    S.CANCELED: T.READ_ONLY,
    S.INCOMPLETE_EXPIRED: T.READ_ONLY,
    S.PAUSED: T.READ_ONLY,
}


_ENDED = {S.CANCELED, S.INCOMPLETE_EXPIRED, S.INCOMPLETE, S.UNPAID}


def plan_trial() -> Plan:
    return Plan.objects.filter(is_trial=True).order_by("position").first() or Plan.objects.order_by("position").first()


def subscription_trial_start(*, tenant: Tenant) -> Subscription:
    """Every new company starts on the trial plan, without a card."""
    return Subscription.objects.create(
        tenant=tenant,
        plan=plan_trial(),
        status=S.TRIALING,
        trial_ends_at=timezone.now() + timedelta(days=settings.BILLING_TRIAL_DAYS),
    )


def subscription_for(tenant: Tenant) -> Subscription:
    """The tenant's subscription; companies created before billing existed get a trial now."""
    subscription = Subscription.objects.select_related("plan").filter(tenant_id=tenant.pk).first()
    if subscription is None:
        with transaction.atomic():
            Subscription.objects.get_or_create(
                tenant_id=tenant.pk,
                defaults={"plan": plan_trial(), "status": S.TRIALING, "trial_ends_at": timezone.now() + timedelta(days=settings.BILLING_TRIAL_DAYS)},
            )
        subscription = Subscription.objects.select_related("plan").get(tenant_id=tenant.pk)
    return subscription


def subscription_for_schema(schema_name: str) -> Subscription:
    """The subscription of the tenant whose schema the connection is in (works under schema_context,
    whose tenant object is a stand-in without an id)."""
    subscription = Subscription.objects.select_related("plan", "tenant").filter(tenant__schema_name=schema_name).first()
    return subscription or subscription_for(Tenant.objects.get(schema_name=schema_name))


def _status_set(subscription: Subscription, status: str, reason: str) -> None:
    from tenants.services import tenant_status_set

    tenant = subscription.tenant
    if tenant.status == T.DELETED or tenant.status == status:
        return
    if tenant.status == T.SUSPENDED and not subscription.suspended_by_billing:
        return  # an operator's suspension is theirs to lift
    tenant_status_set(tenant=tenant, status=status, reason=reason)
    tenant.status = status
    now = timezone.now()
    subscription.past_due_since = now if status == T.PAST_DUE else None
    if status == T.READ_ONLY:
        subscription.read_only_since = subscription.read_only_since or now
    elif status != T.SUSPENDED:
        subscription.read_only_since = None
    subscription.suspended_by_billing = status == T.SUSPENDED
    subscription.save(update_fields=["past_due_since", "read_only_since", "suspended_by_billing"])


def _plan_for_price(price_id: str) -> tuple[Plan | None, str]:
    plan = Plan.objects.filter(stripe_price_monthly_id=price_id).first()
    if plan:
        return plan, Subscription.Interval.MONTH
    plan = Plan.objects.filter(stripe_price_yearly_id=price_id).first()
    return plan, Subscription.Interval.YEAR


@transaction.atomic
def subscription_apply_remote(*, subscription: Subscription, remote: dict) -> Subscription:
    """Make our copy equal to Stripe's current subscription object and let the tenant follow.

    `remote` is always freshly fetched, never an event's old snapshot, so events arriving late
    or out of order cannot move the state backwards.
    """
    subscription = Subscription.objects.select_for_update().select_related("tenant", "plan").get(pk=subscription.pk)
    status = remote.get("status", subscription.status)
    if subscription.stripe_subscription_id and subscription.stripe_subscription_id != remote["id"] and status in _ENDED:
        # A late event about a subscription the company has since replaced: it changes nothing.
        return subscription
    items = (remote.get("items") or {}).get("data") or []
    item = items[0] if items else {}
    price = item.get("price") or {}
    plan, interval = _plan_for_price(price.get("id", ""))
    if plan is None and price:
        logger.warning("subscription price not mapped to a plan price=%s", price.get("id"))
    subscription.stripe_subscription_id = remote["id"]
    subscription.stripe_customer_id = remote.get("customer") or subscription.stripe_customer_id
    subscription.stripe_item_id = item.get("id", subscription.stripe_item_id)
    subscription.plan = plan or subscription.plan
    subscription.interval = interval if plan else subscription.interval
    subscription.status = status
    subscription.quantity = int(item.get("quantity") or subscription.quantity)
    subscription.current_period_end = timestamp(item.get("current_period_end") or remote.get("current_period_end"))
    subscription.cancel_at_period_end = bool(remote.get("cancel_at_period_end"))
    subscription.synced_at = timezone.now()
    subscription.save()
    tenant_status = _TENANT_STATUS_FOR.get(status)
    if tenant_status:
        _status_set(subscription, tenant_status, reason=f"stripe subscription {status}")
    return subscription


def billing_enforce(now=None) -> dict:
    """Periodic: trials that ended unpaid and expired grace periods go read-only; long read-only
    goes suspended. Returns how many tenants each rule moved."""
    if not billing_enabled():
        return {}
    now = now or timezone.now()
    moved = {"trial_ended": 0, "grace_over": 0, "suspended": 0}
    rules = [
        ("trial_ended", T.READ_ONLY, Subscription.objects.filter(status=S.TRIALING, stripe_subscription_id="", trial_ends_at__lte=now, tenant__status=T.TRIAL)),
        ("grace_over", T.READ_ONLY, Subscription.objects.filter(tenant__status=T.PAST_DUE, past_due_since__lte=now - timedelta(days=settings.BILLING_GRACE_DAYS))),
        ("suspended", T.SUSPENDED, Subscription.objects.filter(tenant__status=T.READ_ONLY, read_only_since__lte=now - timedelta(days=settings.BILLING_SUSPEND_AFTER_DAYS))),
    ]
    for name, status, queryset in rules:
        for pk in list(queryset.values_list("pk", flat=True)):
            with transaction.atomic():
                subscription = Subscription.objects.select_for_update().select_related("tenant").get(pk=pk)
                _status_set(subscription, status, reason=name.replace("_", " "))
                moved[name] += 1
    return moved


def subscription_ends_soon(subscription: Subscription, now=None) -> bool:
    now = now or timezone.now()
    return (
        subscription.status == S.TRIALING
        and subscription.trial_ends_at is not None
        and subscription.trial_ends_at - now <= timedelta(days=settings.BILLING_TRIAL_WARNING_DAYS)
    )
