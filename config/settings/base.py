"""Core Django settings: security, apps, middleware, templates, i18n, static files, auth.

Reference: https://docs.djangoproject.com/en/5.2/ref/settings/
"""
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from .env import ENVIRONMENT, IS_PRODUCTION, env_bool, env_int, env_list, env_required, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
# Local state of a development checkout (embedded PostgreSQL, broker folders, uploads); git-ignored.
VAR_DIR = Path(env_str("CRM_VAR_DIR", str(BASE_DIR / "var")))

# ------------------------------------------------------------------------------
# Security
# ------------------------------------------------------------------------------
DEBUG = env_bool("DEBUG", default=not IS_PRODUCTION)
SECRET_KEY = env_required("SECRET_KEY", dev_default="dev-insecure-key-do-not-use-in-production-0123456789")
# The public site and every tenant live under BASE_DOMAIN: tenant "acme" is acme.<BASE_DOMAIN>.
BASE_DOMAIN = env_str("BASE_DOMAIN", "localhost").lower()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS") or [BASE_DOMAIN, f".{BASE_DOMAIN}"]
# The port shown in tenant URLs (":8000" in development; empty behind a proxy on 80/443).
PUBLIC_PORT = env_str("PUBLIC_PORT", "" if IS_PRODUCTION else "8000")
PUBLIC_SCHEME = env_str("PUBLIC_SCHEME", "https" if IS_PRODUCTION else "http")
# Number of reverse proxies in front of the app whose X-Forwarded-For we trust (for client IPs).
NUM_PROXIES = env_int("NUM_PROXIES", 0)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 24 * 14
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if IS_PRODUCTION:
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Request bodies: 2.5 MB of form/JSON data; files go through their own upload paths.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2_621_440)

# ------------------------------------------------------------------------------
# Applications (split into SHARED_APPS / TENANT_APPS in settings/tenants.py)
# ------------------------------------------------------------------------------
ROOT_URLCONF = "config.urls_tenant"
PUBLIC_SCHEMA_URLCONF = "config.urls_public"
WSGI_APPLICATION = "config.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

MIDDLEWARE = [
    # Static files are the same for every host; serve them before any tenant lookup.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "tenants.middleware.TenantMiddleware",
    "apps.audit.context.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.UserLocaleMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, so it sees the resolved view: writes of a read-only company answer 402.
    "billing.middleware.ReadOnlyMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "apps" / "web" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "apps.web.context_processors.shell",
            ],
        },
    }
]

# ------------------------------------------------------------------------------
# Authentication
# ------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
# Argon2id first (parameters in accounts/hashers.py): new and re-hashed passwords use it; the
# others only verify old hashes.
PASSWORD_HASHERS = [
    "accounts.hashers.Argon2idPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 3

# Guessing defence: failed logins allowed per (e-mail, client address) and per address alone.
LOGIN_FAILURES_PER_ACCOUNT = env_int("LOGIN_FAILURES_PER_ACCOUNT", 5)
LOGIN_FAILURES_PER_ADDRESS = env_int("LOGIN_FAILURES_PER_ADDRESS", 30)
LOGIN_FAILURE_WINDOW_SECONDS = env_int("LOGIN_FAILURE_WINDOW_SECONDS", 15 * 60)
SIGNUPS_PER_ADDRESS_PER_HOUR = env_int("SIGNUPS_PER_ADDRESS_PER_HOUR", 10)
INVITATION_TTL_DAYS = env_int("INVITATION_TTL_DAYS", 7)

# django-guardian: no anonymous user row per tenant schema (django-tenants #71).
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

# ------------------------------------------------------------------------------
# Internationalisation: UTC in the database, shown in the tenant's or user's zone
# ------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ru", _("Russian")), ("uk", _("Ukrainian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# ------------------------------------------------------------------------------
# Static files and e-mail
# ------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
if not IS_PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Development and tests serve static files straight from the apps, without collectstatic.
WHITENOISE_USE_FINDERS = not IS_PRODUCTION
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
# The largest file accepted on a client card (apps.clients.attachments), in MB; the plan's
# storage_mb caps the company's total. Keep the proxy's body limit above it.
CLIENT_ATTACHMENT_MAX_MB = env_int("CLIENT_ATTACHMENT_MAX_MB", 20)
# Days an export file (a copy of the client base) is kept before the nightly job deletes it.
CLIENT_EXPORT_KEEP_DAYS = env_int("CLIENT_EXPORT_KEEP_DAYS", 7)
# An import's dry run answers in the request up to these sizes; bigger files are checked by a task.
CLIENT_IMPORT_CHECK_SYNC_ROWS = env_int("CLIENT_IMPORT_CHECK_SYNC_ROWS", 2000)
CLIENT_IMPORT_CHECK_SYNC_BYTES = env_int("CLIENT_IMPORT_CHECK_SYNC_BYTES", 1024 * 1024)

EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if IS_PRODUCTION else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", f"CRM <no-reply@{BASE_DOMAIN}>")



# auth.W004 wants a plain unique e-mail column; ours is unique case-insensitively through a
# functional constraint (accounts_user_email_ci_unique), which the check cannot see.
SILENCED_SYSTEM_CHECKS = ["auth.W004"]
__all__ = [name for name in dir() if name.isupper()]
