"""Stripe and subscription billing.

Without STRIPE_SECRET_KEY billing runs in free mode: no trial expiry, no plan limits, no banners
that ask for money, and every other feature works. Docs: docs/billing.md
"""
from django.core.exceptions import ImproperlyConfigured

from .env import IS_PRODUCTION, env_int, env_str

STRIPE_SECRET_KEY = env_str("STRIPE_SECRET_KEY")
STRIPE_WEBHOOK_SECRET = env_str("STRIPE_WEBHOOK_SECRET")
# Points the stripe client at another server (the tests' local fake).
STRIPE_API_BASE = env_str("STRIPE_API_BASE")
# Seconds a webhook signature stays valid (Stripe's own default is 300).
STRIPE_WEBHOOK_TOLERANCE = env_int("STRIPE_WEBHOOK_TOLERANCE", 300)
# Outgoing calls: connect/read timeouts in seconds and the client's own retries (idempotent keys).
STRIPE_TIMEOUT = env_int("STRIPE_TIMEOUT", 15)
STRIPE_MAX_NETWORK_RETRIES = env_int("STRIPE_MAX_NETWORK_RETRIES", 2)

if IS_PRODUCTION and STRIPE_SECRET_KEY and not STRIPE_WEBHOOK_SECRET:
    # Unsigned webhooks would let anyone mark a company as paid.
    raise ImproperlyConfigured("STRIPE_WEBHOOK_SECRET is required when STRIPE_SECRET_KEY is set.")

# ------------------------------------------------------------------------------
# Subscription lifecycle (billing/services/lifecycle.py)
# ------------------------------------------------------------------------------
BILLING_TRIAL_DAYS = env_int("BILLING_TRIAL_DAYS", 14)
# Past due: writes keep working for this many days, with a banner; then read-only.
BILLING_GRACE_DAYS = env_int("BILLING_GRACE_DAYS", 7)
# Read-only for this many days: suspended, for operators to handle.
BILLING_SUSPEND_AFTER_DAYS = env_int("BILLING_SUSPEND_AFTER_DAYS", 60)
# The trial banner appears this many days before the trial ends.
BILLING_TRIAL_WARNING_DAYS = env_int("BILLING_TRIAL_WARNING_DAYS", 3)
