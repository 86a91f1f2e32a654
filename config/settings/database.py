"""Database: DATABASE_URL when set, otherwise an embedded PostgreSQL (see config/embedded_postgres.py).

Only session pooling is supported in front of PostgreSQL: django-tenants keeps the tenant in the
connection's search_path, which a transaction-mode pooler (PgBouncer) would hand to another client.
"""
import dj_database_url

from .base import VAR_DIR
from .env import env_int, env_required, env_str

DATABASE_URL = env_required("DATABASE_URL", dev_default="")

if DATABASE_URL:
    _default = dj_database_url.parse(DATABASE_URL)
else:
    from config.embedded_postgres import embedded_database

    _default = embedded_database(VAR_DIR, env_str("EMBEDDED_DATABASE_NAME", "crm"))

_default.update(
    {
        # search_path switching per tenant lives in django-tenants' backend wrapper.
        "ENGINE": "django_tenants.postgresql_backend",
        "CONN_MAX_AGE": env_int("CONN_MAX_AGE", 60),
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {**_default.get("OPTIONS", {}), "connect_timeout": 10},
        "TEST": {"NAME": env_str("TEST_DATABASE_NAME", "") or None},
    }
)
DATABASES = {"default": _default}
