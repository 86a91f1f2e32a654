"""Logging to stdout. Log lines carry ids, never personal data or secrets."""
from .env import env_str

LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"scrub": {"()": "config.sentry_scrub.ScrubFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["scrub"]}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Django logs request bodies' field names on some errors; keep its request logger at WARNING.
        "django.request": {"level": "WARNING"},
        # The stripe client logs every request URL at INFO; ids only, but noise in every log line.
        "stripe": {"level": "WARNING"},
    },
}
