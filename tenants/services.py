"""Tenant lifecycle: provisioning (signup), status changes, deletion."""
from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import get_public_schema_name, schema_context

from apps.api.errors import DomainError
from tenants import schema, spares
from tenants.models import Domain, Tenant
from tenants.validators import validate_slug

logger = logging.getLogger(__name__)


class SignupInvalid(DomainError):
    code = "validation_error"
    status_code = 400


@dataclass(frozen=True)
class SignupResult:
    tenant: Tenant
    owner_id: int
    login_token: str


def tenant_host(tenant_or_slug: Tenant | str) -> str:
    slug = tenant_or_slug if isinstance(tenant_or_slug, str) else tenant_or_slug.schema_name
    return f"{slug}.{settings.BASE_DOMAIN}"


def tenant_base_url(slug: str) -> str:
    """The tenant's address for links in e-mails (no request at hand): scheme and port from settings."""
    port = f":{settings.PUBLIC_PORT}" if settings.PUBLIC_PORT and settings.PUBLIC_PORT not in ("80", "443") else ""
    return f"{settings.PUBLIC_SCHEME}://{tenant_host(slug)}{port}"


def public_tenant_ensure() -> Tenant:
    """The public schema's own row and host, kept in line with BASE_DOMAIN by every migrate."""
    public, _created = Tenant.objects.get_or_create(
        schema_name=get_public_schema_name(),
        defaults={"name": "Public site", "status": Tenant.Status.ACTIVE},
    )
    Domain.objects.filter(tenant=public).exclude(domain=settings.BASE_DOMAIN).delete()
    Domain.objects.get_or_create(domain=settings.BASE_DOMAIN, defaults={"tenant": public, "is_primary": True})
    return public


def signup_validate(*, company: str, slug: str, email: str, password: str) -> dict:
    """Check a signup's fields; raise SignupInvalid naming every bad field."""
    errors: dict[str, list[ValidationError]] = {}
    company = (company or "").strip()
    slug = (slug or "").strip().lower()
    email = (email or "").strip().lower()
    if not company:
        errors["company"] = [ValidationError(_("Enter your company's name."), code="required")]
    elif len(company) > 200:
        errors["company"] = [ValidationError(_("Use at most 200 characters."), code="max_length")]
    try:
        validate_slug(slug)
    except ValidationError as exc:
        errors["slug"] = exc.error_list
    else:
        if Tenant.objects.filter(schema_name=slug).exists():
            errors["slug"] = [ValidationError(_("This address is taken. Choose another."), code="taken")]
    try:
        if len(email) > 254:
            raise ValidationError(_("Use at most 254 characters."), code="max_length")
        validate_email(email)
    except ValidationError as exc:
        errors["email"] = exc.error_list
    from accounts.models import User

    try:
        validate_password(password or "", user=User(email=email, full_name=company))
    except ValidationError as exc:
        errors["password"] = exc.error_list
    if errors:
        raise SignupInvalid(_("Some fields need attention."), fields=errors)
    return {"company": company, "slug": slug, "email": email, "password": password}


def tenant_signup(
    *,
    company: str,
    slug: str,
    email: str,
    password: str,
    full_name: str = "",
    language: str = "en",
    time_zone: str = "UTC",
    country: str = "",
    method: str | None = None,
    template: str = "",
) -> SignupResult:
    """Validate, then create the tenant, its schema and its owner in one transaction.

    Two signups racing for one slug serialize on the tenant row's unique index: the loser gets
    SignupInvalid(slug taken) and its transaction, schema included, rolls back.
    """
    data = signup_validate(company=company, slug=slug, email=email, password=password)
    try:
        return tenant_provision(
            name=data["company"],
            slug=data["slug"],
            owner_email=data["email"],
            owner_password=data["password"],
            owner_name=full_name.strip() or data["email"].split("@")[0],
            language=language if language in dict(settings.LANGUAGES) else "en",
            time_zone=time_zone,
            country=country,
            method=method or settings.TENANT_PROVISIONING_METHOD,
            template=template,
        )
    except IntegrityError as exc:
        if "schema_name" not in str(exc) and "domain" not in str(exc):
            raise
        raise SignupInvalid(
            _("Some fields need attention."),
            fields={"slug": [ValidationError(_("This address is taken. Choose another."), code="taken")]},
        ) from exc


@transaction.atomic
def tenant_provision(
    *,
    name: str,
    slug: str,
    owner_email: str,
    owner_password: str | None,
    owner_name: str,
    language: str = "en",
    time_zone: str = "UTC",
    country: str = "",
    method: str = "clone",
    template: str = "",
) -> SignupResult:
    """Create a tenant with its schema and owner. PostgreSQL DDL is transactional: a failure
    at any step leaves no row and no schema behind."""
    from accounts.models import Role
    from accounts.services import login_link_create, user_create
    from apps.audit.services import audit_record
    from billing.services import subscription_trial_start

    validate_slug(slug)
    tenant = Tenant(
        schema_name=slug, name=name, language=language, time_zone=time_zone, country=country.upper()[:2]
    )
    tenant.save()
    Domain.objects.create(domain=tenant_host(slug), tenant=tenant, is_primary=True)
    subscription_trial_start(tenant=tenant)

    if method == "clone":
        if not spares.spare_take_as(slug):
            schema.schema_clone(source=schema.template_schema(), target=slug)
        transaction.on_commit(_spares_refill_later)
    elif method == "migrate":
        schema.schema_migrate(slug, create=True)
    else:
        raise ValueError(f"unknown provisioning method {method!r}")

    with schema_context(slug):
        from workflows.services.calendars import calendar_default_configure

        calendar_default_configure(time_zone=time_zone, country=country)
        owner = user_create(
            email=owner_email,
            password=owner_password,
            full_name=owner_name,
            language=language,
            roles=[Role.Builtin.OWNER],
            actor=None,
        )
        audit_record(action="tenant.created", actor=owner, target=tenant, changes={"name": name, "slug": slug})
        if template:
            from workflows.services.definitions import pipeline_install_blueprint

            pipeline_install_blueprint(code=template, actor=owner)
        login_token = login_link_create(user=owner)
    connection.set_schema_to_public()
    logger.info("tenant provisioned schema=%s method=%s", slug, method)
    return SignupResult(tenant=tenant, owner_id=owner.pk, login_token=login_token)


def _spares_refill_later() -> None:
    from tenants.dispatch import enqueue_now

    enqueue_now("tenants.spares_refill", "public", [], {})


@transaction.atomic
def tenant_status_set(*, tenant: Tenant, status: str, reason: str = "") -> Tenant:
    """Move a tenant to another lifecycle status, audited in the public schema."""
    from apps.audit.services import audit_record

    tenant = Tenant.objects.select_for_update().get(pk=tenant.pk)
    if tenant.status == status:
        return tenant
    old = tenant.status
    tenant.status = status
    tenant.status_changed_at = timezone.now()
    tenant.save(update_fields=["status", "status_changed_at"])
    with schema_context(get_public_schema_name()):
        audit_record(
            action="tenant.status_changed",
            target=tenant,
            changes={"status": [old, status], "reason": reason},
        )
    from tenants.middleware import tenant_host_cache_clear

    transaction.on_commit(tenant_host_cache_clear)
    return tenant


@transaction.atomic
def tenant_delete(*, tenant: Tenant) -> None:
    """Drop a tenant's schema, its host names and its row."""
    if tenant.is_public:
        raise ValueError("the public tenant cannot be deleted")
    schema.schema_drop(tenant.schema_name)
    Domain.objects.filter(tenant=tenant).delete()
    Tenant.objects.filter(pk=tenant.pk).delete()
    from tenants.middleware import tenant_host_cache_clear

    transaction.on_commit(tenant_host_cache_clear)
