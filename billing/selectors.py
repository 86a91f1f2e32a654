"""Reads for the billing page and the banners."""
from __future__ import annotations

from django.utils import timezone

from billing.models import Plan, Subscription
from billing.services.lifecycle import subscription_ends_soon, subscription_for
from billing.stripe_api import billing_enabled
from tenants.models import Tenant


def seats_used(tenant: Tenant) -> int:
    from django_tenants.utils import schema_context

    with schema_context(tenant.schema_name):
        from accounts.models import User

        return User.objects.filter(is_active=True).count()


def billing_overview(tenant: Tenant) -> dict:
    subscription = subscription_for(tenant)
    return {
        "billing_enabled": billing_enabled(),
        "subscription": subscription,
        "plan": subscription.plan,
        "plans": list(Plan.objects.filter(is_public=True, is_trial=False)),
        "seats_used": seats_used(tenant),
        "invoices": list(subscription.invoices.all()[:24]),
        "has_live_subscription": bool(subscription.stripe_subscription_id) and subscription.status not in {Subscription.Status.CANCELED, Subscription.Status.INCOMPLETE_EXPIRED},
        "tenant_status": Tenant.objects.filter(pk=tenant.pk).values_list("status", flat=True).first(),
    }


def billing_banner(tenant: Tenant) -> dict | None:
    """The banner every page shows for trial end, past due or read-only; None when all is well."""
    if not billing_enabled():
        return None
    status = tenant.status
    if status == Tenant.Status.READ_ONLY:
        return {"level": "bad", "kind": "read_only"}
    if status == Tenant.Status.PAST_DUE:
        subscription = subscription_for(tenant)
        return {"level": "warn", "kind": "past_due", "since": subscription.past_due_since}
    if status == Tenant.Status.TRIAL:
        subscription = subscription_for(tenant)
        if subscription_ends_soon(subscription):
            days = max(0, (subscription.trial_ends_at - timezone.now()).days)
            return {"level": "warn", "kind": "trial", "ends_at": subscription.trial_ends_at, "days": days}
    return None
