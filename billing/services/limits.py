"""Plan limits, enforced by the services that create the limited things (never by views).

Called inside a tenant's schema; the subscription is read from the public schema, which is on
the search_path of every tenant connection.
"""
from __future__ import annotations

import math

from django.db import connection
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.api.errors import DomainError
from billing.stripe_api import billing_enabled

UPGRADE_PATH = "/billing/"

LIMIT_LABELS = {
    "seats": gettext_lazy("active users"),
    "pipelines": gettext_lazy("pipelines"),
    "active_deals": gettext_lazy("open deals"),
    "storage_mb": gettext_lazy("file storage (MB)"),
    "api_access": gettext_lazy("API access"),
    "audit_export": gettext_lazy("audit log export"),
}


class PlanLimitReached(DomainError):
    code = "plan_limit_reached"
    status_code = 402


def _usage(limit: str) -> int:
    if limit == "seats":
        from accounts.models import Invitation, User

        return User.objects.filter(is_active=True).count() + Invitation.objects.filter(status=Invitation.Status.PENDING).count()
    if limit == "pipelines":
        from workflows.models import Pipeline

        return Pipeline.objects.filter(archived_at__isnull=True).count()
    if limit == "active_deals":
        from apps.deals.models import Deal

        return Deal.objects.filter(closed_at__isnull=True).count()
    if limit == "storage_mb":
        from apps.clients.attachments.selectors import attachment_storage_used

        return megabytes(attachment_storage_used())
    raise ValueError(f"no usage counter for {limit}")


def megabytes(size: int) -> float:
    """Bytes in the unit of `storage_mb` (MB of 2**20 bytes), rounded up to 0.01 MB, so usage is never
    under-counted and a company never passes its storage limit through rounding."""
    return math.ceil(size * 100 / 2**20) / 100


def current_plan():
    """The plan of the tenant the connection is in; None in free mode or outside a tenant."""
    schema_name = getattr(connection, "schema_name", "public")
    if not billing_enabled() or schema_name == "public":
        return None
    from billing.services.lifecycle import subscription_for_schema

    return subscription_for_schema(schema_name).plan


def plan_limit_check(limit: str, *, adding: int = 1, used: int | None = None) -> None:
    """Raise PlanLimitReached when `adding` more would pass the plan's limit (or the feature is off)."""
    plan = current_plan()
    if plan is None:
        return
    allowed = plan.limit(limit)
    label = LIMIT_LABELS.get(limit, limit)
    if isinstance(allowed, bool):
        if not allowed:
            raise PlanLimitReached(
                _("Your plan (%(plan)s) does not include %(feature)s. Upgrade on the billing page.") % {"plan": plan.name, "feature": label},
                extra={"limit": {"name": limit, "allowed": False}, "upgrade_url": UPGRADE_PATH},
            )
        return
    if allowed is None:
        return
    used = _usage(limit) if used is None else used
    if used + adding > allowed:
        raise PlanLimitReached(
            _("Your plan (%(plan)s) allows %(allowed)s %(what)s and %(used)s are in use. Upgrade on the billing page.")
            % {"plan": plan.name, "allowed": allowed, "what": label, "used": used},
            extra={"limit": {"name": limit, "allowed": allowed, "used": used}, "upgrade_url": UPGRADE_PATH},
        )
