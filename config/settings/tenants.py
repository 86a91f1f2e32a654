"""Schema-per-tenant layout (django-tenants).

The public schema holds only what spans tenants; everything a business owns lives in TENANT_APPS.
contenttypes is shared only: per-schema content-type ids break permissions (django-tenants #348).
Docs: https://django-tenants.readthedocs.io/en/latest/install.html
"""
from .env import env_int, env_str

SHARED_APPS = [
    # Our tenants app first: its migrate/migrate_schemas commands replace django-tenants' own.
    "tenants",
    "django_tenants",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.admin",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "guardian",
    # Operators of the public site are users of the public schema.
    "accounts",
    "apps.audit",
    "apps.api",
    "apps.web",
    "billing",
]

TENANT_APPS = [
    "django.contrib.auth",
    "django.contrib.sessions",
    "guardian",
    "accounts",
    "apps.audit",
    "workflows",
    "apps.clients",
    "apps.interactions",
    "apps.deals",
    "apps.tasks",
    "apps.notifications",
]

INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.Tenant"
TENANT_DOMAIN_MODEL = "tenants.Domain"
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]
# SET search_path once per request, not once per cursor; the backend resets it after a rollback.
TENANT_LIMIT_SET_CALLS = True
# New tenants are cloned from this schema, which `migrate_schemas` keeps at the latest migration.
TENANT_TEMPLATE_SCHEMA = "tenant_template"
# Tenant lookups by host name are cached per process for this many seconds.
TENANT_HOST_CACHE_SECONDS = 5
# "clone" (default) copies the template schema; "migrate" runs every migration (slow, a fallback).
TENANT_PROVISIONING_METHOD = env_str("TENANT_PROVISIONING_METHOD", "clone")
# Schemas cloned ahead of time so a signup only renames one (tenants/spares.py).
TENANT_SPARE_SCHEMAS = env_int("TENANT_SPARE_SCHEMAS", 3)
