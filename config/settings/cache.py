"""Cache: Redis when REDIS_URL is set, otherwise files in var/cache (development only).

Every key carries the tenant's schema (django_tenants.cache.make_key), so one tenant can never
read another's cached value (django-tenants #599).
"""
from .env import IS_PRODUCTION, env_str

REDIS_URL = env_str("REDIS_URL")

_common = {
    "KEY_FUNCTION": "django_tenants.cache.make_key",
    "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "crm"),
}
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL, **_common}}
else:
    if IS_PRODUCTION:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("REDIS_URL must be set when DJANGO_ENV=production (throttling needs a shared cache).")
    from .base import VAR_DIR

    # A folder the web, worker and beat processes of a development checkout all share.
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(VAR_DIR / "cache"), **_common}
    }
