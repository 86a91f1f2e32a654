"""Billing services: the lifecycle, plan limits, calls to Stripe and webhooks (one module each)."""
from billing.services.lifecycle import billing_enforce, subscription_apply_remote, subscription_for, subscription_trial_start
from billing.services.limits import PlanLimitReached, plan_limit_check
from billing.services.stripe_calls import (
    checkout_session_create,
    plans_stripe_sync,
    portal_session_create,
    seats_sync_request,
    stripe_commands_run,
)
from billing.services.webhooks import webhook_receive

__all__ = [
    "PlanLimitReached",
    "billing_enforce",
    "checkout_session_create",
    "plan_limit_check",
    "plans_stripe_sync",
    "portal_session_create",
    "seats_sync_request",
    "stripe_commands_run",
    "subscription_apply_remote",
    "subscription_for",
    "subscription_trial_start",
    "webhook_receive",
]
