"""The one place that builds the Stripe client: API key, base address, timeouts, retries.

Every call that creates or changes something passes an idempotency key; the client retries
network failures and 5xx answers itself (STRIPE_MAX_NETWORK_RETRIES), reusing that key.
"""
from __future__ import annotations

from datetime import datetime, timezone as dt_timezone

import stripe
from django.conf import settings

_client: stripe.StripeClient | None = None
_client_config: tuple | None = None


def billing_enabled() -> bool:
    """False in free mode (no Stripe key): no trial expiry, no plan limits, no payment pages."""
    return bool(settings.STRIPE_SECRET_KEY)


def client() -> stripe.StripeClient:
    global _client, _client_config
    config = (settings.STRIPE_SECRET_KEY, settings.STRIPE_API_BASE, settings.STRIPE_TIMEOUT, settings.STRIPE_MAX_NETWORK_RETRIES)
    if _client is None or _client_config != config:
        base = settings.STRIPE_API_BASE or None
        addresses = {"api": base, "files": base, "connect": base} if base else None
        _client = stripe.StripeClient(
            settings.STRIPE_SECRET_KEY,
            base_addresses=addresses,
            max_network_retries=settings.STRIPE_MAX_NETWORK_RETRIES,
            http_client=stripe.RequestsClient(timeout=(5, settings.STRIPE_TIMEOUT)),
        )
        _client_config = config
    return _client


def options(idempotency_key: str | None = None) -> dict:
    return {"idempotency_key": idempotency_key} if idempotency_key else {}


def as_dict(obj) -> dict:
    """A Stripe object as plain nested dicts."""
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)


def timestamp(value) -> datetime | None:
    return datetime.fromtimestamp(int(value), tz=dt_timezone.utc) if value else None
