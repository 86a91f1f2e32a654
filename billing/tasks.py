"""Billing's periodic and after-commit work; all of it in the public schema."""
from celery import shared_task
from django_tenants.utils import schema_context

from billing.services import billing_enforce as _billing_enforce
from billing.services import stripe_commands_run as _stripe_commands_run


@shared_task(name="billing.stripe_commands_run")
def stripe_commands_run(tenant_id: int | None = None) -> int:
    """Send what we owe Stripe (seat counts); failures stay pending and beat retries them."""
    with schema_context("public"):
        return _stripe_commands_run(tenant_id=tenant_id)


@shared_task(name="billing.enforce")
def billing_enforce() -> dict:
    """Trials that ended unpaid and expired grace periods go read-only; long read-only is suspended."""
    with schema_context("public"):
        return _billing_enforce()
