"""Sentry error reporting, on only when SENTRY_DSN is set. No personal data is sent.

Docs: https://docs.sentry.io/platforms/python/integrations/django/
"""
from .env import ENVIRONMENT, env_str

SENTRY_DSN = env_str("SENTRY_DSN")

if SENTRY_DSN:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    from config.sentry_scrub import scrub_event

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=ENVIRONMENT,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        max_request_body_size="never",
        before_send=scrub_event,
        traces_sample_rate=0.0,
    )
